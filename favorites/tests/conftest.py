"""The catalog's HTTP edge, mocked with `responses` (luizalabs format)."""

from decimal import Decimal

import pytest
import responses
from django.test import override_settings

CATALOG_URL = "http://catalog.test"


def product_url(product_id: str) -> str:
    return f"{CATALOG_URL}/api/product/{product_id}/"


def catalog_product(product_id: str, **fields) -> dict:
    """A product as the luizalabs catalog answers it."""
    return {
        "id": product_id,
        "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
        "price": 1699.0,
        "image": f"http://img.example/{product_id}.jpg",
        "brand": "bébé confort",
        "reviewScore": 4.35,
        **fields,
    }


def money(amount) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.01"))


@pytest.fixture
def catalog_http():
    """Every catalog request goes to a `responses` mock; anything unregistered is an error."""
    with (
        override_settings(CATALOG_URL=CATALOG_URL, CATALOG_FORMAT="luizalabs"),
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        yield mock
