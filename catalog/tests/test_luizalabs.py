"""The luizalabs provider against `responses`: every answer, every failure."""

import json
from decimal import Decimal

import pytest
import requests
import responses

from catalog.products import CatalogUnavailable, ProductNotFound, product_get, product_page
from catalog.testing import (
    CATALOG_URL,
    PRODUCT_ID,
    called_urls,
    luizalabs_page_url,
    luizalabs_product,
    luizalabs_url,
)

OTHER_ID = "6a512e6c-6627-d286-5d18-583558359ab6"


def test_a_product_without_a_review_is_read_from_the_luizalabs_catalog(luizalabs):
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    product = product_get(PRODUCT_ID)

    assert product.id == PRODUCT_ID
    assert product.title == "Cadeira para Auto Iseos Bébé Confort Earth Brown"
    assert product.price == Decimal("1699.00")
    assert str(product.price) == "1699.00"
    assert product.image_url == f"http://challenge-api.luizalabs.com/images/{PRODUCT_ID}.jpg"
    assert product.brand == "bébé confort"
    assert product.review_score is None
    assert called_urls(luizalabs) == [luizalabs_url()]


def test_a_product_with_a_review_keeps_its_score(luizalabs):
    luizalabs.get(luizalabs_url(), json=luizalabs_product(reviewScore=4.352941))

    assert product_get(PRODUCT_ID).review_score == pytest.approx(4.352941)


@pytest.mark.parametrize(
    ("price", "expected"),
    [(1699, "1699.00"), (10.5, "10.50"), (10.005, "10.01"), (0, "0.00"), (89.9, "89.90")],
)
def test_prices_become_decimals_with_two_places(luizalabs, price, expected):
    luizalabs.get(luizalabs_url(), json=luizalabs_product(price=price))

    assert product_get(PRODUCT_ID).price == Decimal(expected)
    assert str(product_get(PRODUCT_ID).price) == expected


def test_a_404_means_the_product_is_not_in_the_catalog(luizalabs):
    luizalabs.get(luizalabs_url(), status=404, json={"error_message": "Product not found"})

    with pytest.raises(ProductNotFound, match=PRODUCT_ID):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]


def test_a_read_timeout_is_unavailable_and_not_retried(luizalabs):
    luizalabs.get(luizalabs_url(), body=requests.ReadTimeout("read timed out"))

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]


def test_a_refused_connection_is_retried_then_unavailable(luizalabs):
    luizalabs.get(luizalabs_url(), body=requests.ConnectionError("connection refused"))

    with pytest.raises(CatalogUnavailable) as raised:
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()] * 3  # one call and two retries
    assert raised.value.retry_after > 0


def test_a_connect_timeout_is_retried(luizalabs):
    luizalabs.get(luizalabs_url(), body=requests.ConnectTimeout("connect timed out"))
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    assert product_get(PRODUCT_ID).id == PRODUCT_ID
    assert called_urls(luizalabs) == [luizalabs_url()] * 2


def test_a_500_is_unavailable_and_not_retried(luizalabs):
    luizalabs.get(luizalabs_url(), status=500, json={"error": "boom"})

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateway_error_then_success_is_retried_and_succeeds(luizalabs, status):
    luizalabs.get(luizalabs_url(), status=status)
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    assert product_get(PRODUCT_ID).id == PRODUCT_ID
    assert called_urls(luizalabs) == [luizalabs_url()] * 2


def test_retries_are_bounded(luizalabs, settings):
    settings.CATALOG_RETRIES = 1
    luizalabs.get(luizalabs_url(), status=503)

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()] * 2


@pytest.mark.parametrize("status", [400, 401, 403, 410, 429])
def test_other_client_errors_are_unavailable_and_never_retried(luizalabs, status):
    luizalabs.get(luizalabs_url(), status=status)

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]


def test_retries_stop_at_the_time_budget(luizalabs, settings):
    # The first backoff (0.1-0.2 s) fits in the 0.3 s budget, the second (0.2-0.4 s) cannot.
    settings.CATALOG_TOTAL_TIMEOUT = 0.3
    settings.CATALOG_RETRY_BACKOFF = 0.2
    settings.CATALOG_RETRIES = 5
    luizalabs.get(luizalabs_url(), body=requests.ConnectionError("connection refused"))

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()] * 2


@pytest.mark.parametrize(
    "body",
    [b'{"id": "1bf0f365', b"", b"<html>Bad gateway</html>", b"[]", b"null", b'"a string"'],
    ids=["truncated", "empty", "html", "list", "null", "string"],
)
def test_a_body_that_is_not_a_product_object_is_unavailable(luizalabs, body, caplog):
    luizalabs.get(luizalabs_url(), body=body, content_type="application/json")

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]
    assert "invalid answer" in caplog.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", 1),
        ("title", 123),
        ("title", ""),
        ("title", "x" * 256),
        ("price", "1699.00"),
        ("price", True),
        ("price", None),
        ("price", [1]),
        ("image", 5),
        ("image", "javascript:alert(1)"),
        ("brand", ["bébé confort"]),
        ("reviewScore", "4.5"),
        ("reviewScore", 7.5),
        ("reviewScore", -1),
    ],
)
def test_a_field_of_the_wrong_type_is_unavailable(luizalabs, field, value, caplog):
    luizalabs.get(luizalabs_url(), json=luizalabs_product(**{field: value}))

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert field in caplog.text


@pytest.mark.parametrize("field", ["id", "title", "price", "image", "brand"])
def test_a_missing_field_is_unavailable(luizalabs, field, caplog):
    product = luizalabs_product()
    del product[field]
    luizalabs.get(luizalabs_url(), json=product)

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert f"{field} is missing" in caplog.text


@pytest.mark.parametrize(
    "price", ["-0.01", "-1699", "NaN", "Infinity", "-Infinity", "1e400", "1000000000"]
)
def test_a_price_that_is_negative_not_finite_or_absurd_is_unavailable(luizalabs, price):
    body = json.dumps(luizalabs_product(price=0)).replace('"price": 0', f'"price": {price}')
    luizalabs.get(luizalabs_url(), body=body, content_type="application/json")

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert len(luizalabs.calls) == 1


def test_a_product_with_another_id_than_the_one_asked_for_is_unavailable(luizalabs):
    luizalabs.get(luizalabs_url(), json=luizalabs_product(OTHER_ID))

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)


def test_a_body_over_the_size_cap_is_refused_by_its_declared_length(luizalabs, settings, caplog):
    settings.CATALOG_MAX_RESPONSE_BYTES = 1000
    luizalabs.add(
        responses.Response(
            "GET",
            luizalabs_url(),
            body=json.dumps(luizalabs_product(title="x" * 2000)),
            content_type="application/json",
            auto_calculate_content_length=True,
        )
    )

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]
    declared = luizalabs.calls[0].response.headers["Content-Length"]
    assert f"body of {declared} bytes is over the 1000-byte cap" in caplog.text


def test_a_body_over_the_size_cap_is_refused_while_streaming(luizalabs, settings, caplog):
    settings.CATALOG_MAX_RESPONSE_BYTES = 1000
    luizalabs.add(
        responses.Response(
            "GET",
            luizalabs_url(),
            body=json.dumps(luizalabs_product(title="x" * 2000)),
            content_type="application/json",
            auto_calculate_content_length=False,
        )
    )

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert "Content-Length" not in luizalabs.calls[0].response.headers
    assert "1000-byte cap" in caplog.text


def test_a_body_under_the_size_cap_is_read(luizalabs, settings):
    settings.CATALOG_MAX_RESPONSE_BYTES = 1000
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    assert product_get(PRODUCT_ID).id == PRODUCT_ID


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_is_not_followed(luizalabs, status, caplog):
    evil = f"http://evil.test/api/product/{PRODUCT_ID}/"
    luizalabs.get(luizalabs_url(), status=status, headers={"Location": evil})
    luizalabs.get(evil, json=luizalabs_product())

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert called_urls(luizalabs) == [luizalabs_url()]
    assert "evil.test" in caplog.text


def test_each_outbound_call_is_logged_at_debug_level_with_its_duration(luizalabs, caplog):
    luizalabs.get(luizalabs_url(), json=luizalabs_product())

    with caplog.at_level("DEBUG", logger="catalog"):
        product_get(PRODUCT_ID)

    [record] = [r for r in caplog.records if r.name == "catalog" and r.levelname == "DEBUG"]
    assert luizalabs_url() in record.getMessage()
    assert " ms " in record.getMessage()


def test_failures_are_logged_at_warning_level(luizalabs, caplog):
    luizalabs.get(luizalabs_url(), status=500)

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)

    warnings = [r for r in caplog.records if r.name == "catalog" and r.levelname == "WARNING"]
    assert any("status 500" in r.getMessage() for r in warnings)


def test_the_settings_are_read_at_every_call(luizalabs, settings):
    luizalabs.get(luizalabs_url(), json=luizalabs_product())
    other = "http://other-catalog.test"
    luizalabs.get(f"{other}/api/product/{PRODUCT_ID}/", json=luizalabs_product())

    product_get(PRODUCT_ID)
    settings.CATALOG_URL = other + "/"
    product_get(PRODUCT_ID)

    assert called_urls(luizalabs) == [luizalabs_url(), f"{other}/api/product/{PRODUCT_ID}/"]


# Pages


def _page(number: int, products: list[dict], page_size: int = 2) -> dict:
    return {"meta": {"page_number": number, "page_size": page_size}, "products": products}


def test_a_full_page_looks_at_the_next_page_to_know_whether_there_is_one(luizalabs):
    first = [luizalabs_product(PRODUCT_ID), luizalabs_product(OTHER_ID)]
    luizalabs.get(luizalabs_page_url(1), json=_page(1, first))
    luizalabs.get(luizalabs_page_url(2), json=_page(2, [luizalabs_product(OTHER_ID[:-1] + "7")]))

    page = product_page(1)

    assert [product.id for product in page.products] == [PRODUCT_ID, OTHER_ID]
    assert page.page == 1
    assert page.has_next is True
    assert page.page_size == 2
    assert page.count == 3
    assert called_urls(luizalabs) == [luizalabs_page_url(1), luizalabs_page_url(2)]


def test_a_short_page_is_the_last_one_without_another_call(luizalabs):
    luizalabs.get(luizalabs_page_url(2), json=_page(2, [luizalabs_product()]))

    page = product_page(2)

    assert page.has_next is False
    assert page.count == 3
    assert called_urls(luizalabs) == [luizalabs_page_url(2)]


@pytest.mark.parametrize(
    "past_the_end",
    [{"status": 404, "json": {"error_message": "Page not found"}}, {"json": _page(2, [])}],
    ids=["404", "empty-products"],
)
def test_a_full_last_page_has_no_next_when_the_next_page_is_past_the_end(luizalabs, past_the_end):
    first = [luizalabs_product(PRODUCT_ID), luizalabs_product(OTHER_ID)]
    luizalabs.get(luizalabs_page_url(1), json=_page(1, first))
    luizalabs.get(luizalabs_page_url(2), **past_the_end)

    page = product_page(1)

    assert page.has_next is False
    assert page.count == 2
    assert called_urls(luizalabs) == [luizalabs_page_url(1), luizalabs_page_url(2)]


def test_a_page_past_the_end_is_empty(luizalabs):
    luizalabs.get(luizalabs_page_url(9), status=404)

    page = product_page(9)

    assert page.products == []
    assert page.has_next is False


@pytest.mark.parametrize(
    "body",
    [
        {"products": []},
        {"meta": {"page_number": 1}, "products": []},
        {"meta": {"page_number": 2, "page_size": 2}, "products": []},
        {"meta": {"page_number": 1, "page_size": "2"}, "products": []},
        {"meta": {"page_number": 1, "page_size": 2}, "products": {}},
        {"meta": {"page_number": 1, "page_size": 2}, "products": [{"id": PRODUCT_ID}]},
        [],
    ],
    ids=[
        "no-meta",
        "no-page-size",
        "other-page",
        "page-size-string",
        "not-a-list",
        "bad-product",
        "list",
    ],
)
def test_a_malformed_page_is_unavailable(luizalabs, body):
    luizalabs.get(luizalabs_page_url(1), json=body)

    with pytest.raises(CatalogUnavailable):
        product_page(1)
    assert called_urls(luizalabs) == [luizalabs_page_url(1)]


def test_pages_are_cached(luizalabs):
    luizalabs.get(luizalabs_page_url(3), json=_page(3, [luizalabs_product()]))

    product_page(3)
    product_page(3)

    assert called_urls(luizalabs) == [luizalabs_page_url(3)]


@pytest.mark.parametrize("page", [0, -1, "1", True, 1.0])
def test_a_page_number_must_be_a_whole_number_from_one(luizalabs, page):
    with pytest.raises(ValueError, match="page"):
        product_page(page)
    assert len(luizalabs.calls) == 0


def test_the_catalog_url_may_not_be_another_scheme(luizalabs, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CATALOG_URL = "file:///etc"
    with pytest.raises(ImproperlyConfigured):
        product_get(PRODUCT_ID)
    assert CATALOG_URL not in str(luizalabs.calls)
