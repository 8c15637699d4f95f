"""The fakestore provider against `responses`."""

import json
from decimal import Decimal

import pytest

from catalog.products import CatalogUnavailable, ProductNotFound, product_get, product_page
from catalog.testing import CATALOG_URL, called_urls, fakestore_product, fakestore_url

LIST_URL = f"{CATALOG_URL}/products"


def test_a_product_is_read_from_the_fakestore_catalog(fakestore):
    fakestore.get(fakestore_url("1"), json=fakestore_product(1))

    product = product_get("1")

    assert product.id == "1"
    assert product.title == "Fjallraven - Foldsack No. 1 Backpack, Fits 15 Laptops"
    assert product.price == Decimal("109.95")
    assert product.image_url == "https://fakestoreapi.com/img/81fPKd-2AYL._AC_SL1500_.jpg"
    assert product.brand == "men's clothing"
    assert product.review_score == pytest.approx(3.9)
    assert called_urls(fakestore) == [fakestore_url("1")]


@pytest.mark.parametrize("rating", [{"rate": 0, "count": 0}, None])
def test_a_product_without_ratings_has_no_review_score(fakestore, rating):
    fakestore.get(fakestore_url("2"), json=fakestore_product(2, rating=rating))

    assert product_get("2").review_score is None


@pytest.mark.parametrize(
    "answer",
    [{"body": b""}, {"body": b"null"}, {"body": b"  \n"}, {"status": 404, "body": b""}],
    ids=["empty", "null", "blank", "404"],
)
def test_an_empty_or_null_answer_means_not_found(fakestore, answer):
    fakestore.get(fakestore_url("999"), content_type="application/json", **answer)

    with pytest.raises(ProductNotFound):
        product_get("999")
    assert called_urls(fakestore) == [fakestore_url("999")]


@pytest.mark.parametrize("product_id", ["abc", "017", "1_2", "-1"])
def test_an_id_that_is_not_a_whole_number_is_not_found_without_asking(fakestore, product_id):
    with pytest.raises(ProductNotFound):
        product_get(product_id)
    assert len(fakestore.calls) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"id": "1"},
        {"id": True},
        {"id": 2},
        {"category": None},
        {"price": "109.95"},
        {"price": -5},
        {"rating": {"rate": "3.9", "count": 120}},
        {"rating": {"rate": 3.9}},
        {"rating": [3.9, 120]},
        {"image": "ftp://fakestoreapi.com/img.jpg"},
    ],
    ids=lambda fields: json.dumps(fields),
)
def test_a_malformed_fakestore_product_is_unavailable(fakestore, fields):
    fakestore.get(fakestore_url("1"), json=fakestore_product(1, **fields))

    with pytest.raises(CatalogUnavailable):
        product_get("1")
    assert called_urls(fakestore) == [fakestore_url("1")]


def test_the_unpaged_list_is_fetched_once_and_paged_here(fakestore):
    fakestore.get(LIST_URL, json=[fakestore_product(n) for n in range(1, 46)])

    first, third, fourth = product_page(1), product_page(3), product_page(4)

    assert [product.id for product in first.products] == [str(n) for n in range(1, 21)]
    assert first.has_next is True
    assert first.count == 45
    assert [product.id for product in third.products] == [str(n) for n in range(41, 46)]
    assert third.has_next is False
    assert fourth.products == []
    assert fourth.has_next is False
    assert called_urls(fakestore) == [LIST_URL]


def test_the_list_may_be_larger_than_a_product_answer_but_not_than_the_list_cap(
    fakestore, settings
):
    products = [fakestore_product(n) for n in range(1, 21)]
    size = len(json.dumps(products))
    settings.CATALOG_MAX_RESPONSE_BYTES = size // 4
    settings.CATALOG_MAX_LIST_RESPONSE_BYTES = size + 100
    fakestore.get(LIST_URL, json=products)

    assert len(product_page(1).products) == 20

    from django.core.cache import cache

    cache.clear()
    settings.CATALOG_MAX_LIST_RESPONSE_BYTES = size // 2
    with pytest.raises(CatalogUnavailable):
        product_page(1)
    assert called_urls(fakestore) == [LIST_URL, LIST_URL]


@pytest.mark.parametrize(
    "body",
    [{"products": []}, [{"id": 1}], "null"],
    ids=["object", "bad-product", "null"],
)
def test_a_malformed_list_is_unavailable(fakestore, body):
    fakestore.get(LIST_URL, body=json.dumps(body), content_type="application/json")

    with pytest.raises(CatalogUnavailable):
        product_page(1)
    assert called_urls(fakestore) == [LIST_URL]
