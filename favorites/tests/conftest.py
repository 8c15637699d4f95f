"""Helpers for the favorites tests; the fake catalog (`catalog_http`) is in the root conftest."""

from decimal import Decimal


def money(amount) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.01"))
