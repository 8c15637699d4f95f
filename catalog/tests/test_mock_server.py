"""Integration: the client against a real mock catalog process, faults switched at run time."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from catalog.demo import demo_products
from catalog.demo_data import load_records
from catalog.products import (
    CatalogUnavailable,
    ProductNotFound,
    catalog_status,
    product_get,
    product_page,
)

pytestmark = pytest.mark.integration

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def luizalabs_mock(catalog, catalog_settings):
    catalog_settings.CATALOG_RETRY_BACKOFF = 0.01
    return catalog


@pytest.fixture
def fakestore_mock(fakestore_catalog, catalog_settings):
    catalog_settings.CATALOG_RETRY_BACKOFF = 0.01
    return fakestore_catalog


def _served_by(server, action) -> int:
    before = server.requests_served
    action()
    return server.requests_served - before


# Both formats serve the bundled data


def test_the_luizalabs_mock_serves_the_bundled_products(luizalabs_mock):
    for expected in (demo_products()[0], demo_products()[1], demo_products()[-1]):
        assert product_get(expected.id) == expected


def test_the_fakestore_mock_serves_the_bundled_products_under_whole_number_ids(fakestore_mock):
    for number in (1, 2, len(load_records())):
        expected = demo_products()[number - 1]
        record = load_records()[number - 1]

        product = product_get(str(number))

        assert product == replace(expected, id=str(number), brand=record["category"])


def test_an_unknown_product_is_not_found_on_the_luizalabs_mock(luizalabs_mock):
    with pytest.raises(ProductNotFound):
        product_get(UNKNOWN_ID)


def test_an_unknown_product_is_not_found_on_the_fakestore_mock(fakestore_mock):
    before = fakestore_mock.requests_served
    with pytest.raises(ProductNotFound):
        product_get("99999")
    assert fakestore_mock.requests_served - before == 1


def test_paging_reaches_the_whole_luizalabs_mock_catalog(luizalabs_mock):
    seen, pages = [], []

    def walk():
        pages.append(product_page(1))
        seen.extend(product.id for product in pages[-1].products)
        while pages[-1].has_next:
            pages.append(product_page(pages[-1].page + 1))
            seen.extend(product.id for product in pages[-1].products)

    served = _served_by(luizalabs_mock, walk)

    assert seen == [record["id"] for record in load_records()]
    assert pages[-1].page == len(pages) == len(load_records()) // 100
    assert pages[-1].count == len(load_records())
    # Each page once (the probe of a full page is reused as the next), one probe past the end.
    assert served == len(pages) + 1


def test_paging_reaches_the_whole_fakestore_mock_catalog_with_one_request(fakestore_mock):
    seen = []

    def walk():
        page = product_page(1)
        seen.extend(product.id for product in page.products)
        while page.has_next:
            page = product_page(page.page + 1)
            seen.extend(product.id for product in page.products)

    served = _served_by(fakestore_mock, walk)

    assert seen == [str(number) for number in range(1, len(load_records()) + 1)]
    assert served == 1


# Faults


def test_an_injected_503_is_retried_then_unavailable(luizalabs_mock):
    luizalabs_mock.set_faults(status=503)

    before = luizalabs_mock.requests_served
    with pytest.raises(CatalogUnavailable):
        product_get(UNKNOWN_ID)

    assert luizalabs_mock.requests_served - before == 3


def test_an_injected_500_is_unavailable_without_retries(luizalabs_mock):
    luizalabs_mock.set_faults(status=500)

    before = luizalabs_mock.requests_served
    with pytest.raises(CatalogUnavailable):
        product_get(UNKNOWN_ID)

    assert luizalabs_mock.requests_served - before == 1


def test_an_injected_404_reads_as_not_found(luizalabs_mock):
    luizalabs_mock.set_faults(status=404)

    with pytest.raises(ProductNotFound):
        product_get(demo_products()[0].id)


def test_latency_past_the_read_timeout_is_unavailable_and_within_it_is_fine(
    luizalabs_mock, settings
):
    luizalabs_mock.set_faults(latency_ms=300)
    settings.CATALOG_READ_TIMEOUT = 0.1
    with pytest.raises(CatalogUnavailable):
        product_get(demo_products()[0].id)

    settings.CATALOG_READ_TIMEOUT = 2.0
    assert product_get(demo_products()[1].id) == demo_products()[1]


@pytest.mark.parametrize("server", ["luizalabs_mock", "fakestore_mock"])
def test_a_malformed_body_is_unavailable(server, request):
    mock = request.getfixturevalue(server)
    mock.set_faults(malformed=True)
    product_id = demo_products()[0].id if mock.format == "luizalabs" else "1"

    with pytest.raises(CatalogUnavailable):
        product_get(product_id)
    with pytest.raises(CatalogUnavailable):
        product_page(1)


def test_a_fakestore_503_is_unavailable(fakestore_mock):
    fakestore_mock.set_faults(status=503)

    with pytest.raises(CatalogUnavailable):
        product_get("1")


def test_a_hanging_catalog_costs_one_read_timeout_and_the_control_endpoint_still_answers(
    luizalabs_mock, settings
):
    settings.CATALOG_READ_TIMEOUT = 0.3
    luizalabs_mock.set_faults(hang=True)
    started = time.monotonic()

    with pytest.raises(CatalogUnavailable):
        product_get(demo_products()[0].id)

    assert time.monotonic() - started < 2.0  # not the 300 s the server would hang
    assert luizalabs_mock.state()["faults"] == {"hang": True}


def test_a_hanging_catalog_opens_the_breaker_so_workers_fail_fast(luizalabs_mock, settings):
    settings.CATALOG_READ_TIMEOUT = 0.2
    settings.CATALOG_BREAKER_THRESHOLD = 2
    settings.CATALOG_BREAKER_COOLDOWN = 0.5
    luizalabs_mock.set_faults(hang=True)
    products = demo_products()

    def three_lookups():
        for product in products[:3]:
            with pytest.raises(CatalogUnavailable):
                product_get(product.id)

    assert _served_by(luizalabs_mock, three_lookups) == 2
    assert catalog_status()["breaker"] == "open"

    luizalabs_mock.clear_faults()
    time.sleep(0.6)
    assert product_get(products[3].id) == products[3]
    assert catalog_status() == {"provider": "luizalabs", "breaker": "closed", "reachable": True}


def test_the_total_budget_bounds_a_lookup_whatever_the_read_timeout(luizalabs_mock, settings):
    settings.CATALOG_READ_TIMEOUT = 10.0
    settings.CATALOG_TOTAL_TIMEOUT = 0.5
    luizalabs_mock.set_faults(latency_ms=3000)
    started = time.monotonic()

    with pytest.raises(CatalogUnavailable):
        product_get(demo_products()[0].id)

    assert time.monotonic() - started < 2.5


def test_rate_affects_only_a_share_of_the_requests(luizalabs_mock, settings):
    settings.CATALOG_RETRIES = 0
    settings.CATALOG_BREAKER_THRESHOLD = 10_000
    luizalabs_mock.set_faults(status=500, rate=0.5)
    failures = 0
    for product in demo_products()[:200]:
        try:
            product_get(product.id)
        except CatalogUnavailable:
            failures += 1

    assert 50 < failures < 150  # binomial(200, 0.5): outside this once in ~10^12 runs


def test_a_rate_of_zero_affects_nothing(luizalabs_mock):
    luizalabs_mock.set_faults(status=500, rate=0.0)

    assert product_get(demo_products()[0].id) == demo_products()[0]


def test_clearing_the_faults_mends_the_catalog(luizalabs_mock):
    luizalabs_mock.set_faults(status=503)
    with pytest.raises(CatalogUnavailable):
        product_get(demo_products()[0].id)

    luizalabs_mock.clear_faults()

    assert luizalabs_mock.state()["faults"] == {}
    assert product_get(demo_products()[0].id) == demo_products()[0]


@pytest.mark.parametrize(
    "faults",
    [{"status": "503"}, {"status": 99}, {"rate": 2}, {"hang": 1}, {"explode": True}, [1]],
    ids=json.dumps,
)
def test_the_control_endpoint_refuses_faults_it_does_not_know(luizalabs_mock, faults):
    request = urllib.request.Request(
        f"{luizalabs_mock.base_url}/__faults__", data=json.dumps(faults).encode(), method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)

    assert raised.value.code == 400
    assert luizalabs_mock.state()["faults"] == {}


# The products API over the mock


def test_the_products_api_pages_a_remote_catalog_with_a_right_next_link(
    luizalabs_mock, auth_client, customer
):
    client = auth_client(customer)
    pages = len(load_records()) // 100

    before_last = client.get("/api/v1/products/", {"page": pages - 1}).json()
    last = client.get("/api/v1/products/", {"page": pages}).json()
    past = client.get("/api/v1/products/", {"page": pages + 1})

    assert before_last["next"] == f"http://testserver/api/v1/products/?page={pages}"
    assert before_last["count"] == len(load_records())
    assert last["next"] is None
    assert len(last["results"]) == 100
    assert past.status_code == 404


def test_the_products_api_answers_503_while_the_mock_fails(luizalabs_mock, auth_client, customer):
    luizalabs_mock.set_faults(status=502)

    response = auth_client(customer).get(f"/api/v1/products/{demo_products()[0].id}/")

    assert response.status_code == 503
    assert response.json()["code"] == "catalog_unavailable"
    assert "Retry-After" in response
