"""Helpers for the favorites tests; the factories (and `stale_favorite`) are in
`favorites.tests.factories`."""

from decimal import Decimal
from io import StringIO

from django.core.management import call_command


def money(amount: object) -> Decimal:
    """`amount` as the API and the database hold prices: a Decimal in cents."""
    return Decimal(str(amount)).quantize(Decimal("0.01"))


def refresh(*args: str) -> str:
    """`manage.py refresh_favorites *args`, in process; what it wrote to stdout."""
    out = StringIO()
    call_command("refresh_favorites", *args, stdout=out)
    return out.getvalue()
