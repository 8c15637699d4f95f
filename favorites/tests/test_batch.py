"""POST customers/{id}/favorites/batch/: bulk adds and removes, each item on its own."""

import time
from decimal import Decimal

import pytest

from catalog.products import product_page
from favorites.models import Favorite
from favorites.tests.etags import data_version, redis_etags
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

BATCH_URL = "/api/v1/customers/me/favorites/batch/"


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


@pytest.fixture
def products(catalog):
    """Products the mock catalog server has (its bundled data)."""
    return product_page(1).products


def statuses(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    return [(result["product_id"], result["status"]) for result in response.json()["results"]]


def favorite_ids(customer) -> set[str]:
    return set(Favorite.objects.filter(customer=customer).values_list("product_id", flat=True))


def test_a_batch_with_every_outcome_answers_each_id_in_order(
    client, customer, catalog, products, settings
):
    """Against the mock catalog server: one product failing, one hanging past the budget."""
    present, added, over_limit, failing, hanging, to_remove = (p.id for p in products[:6])
    FavoriteFactory(customer=customer, product_id=present)
    FavoriteFactory(customer=customer, product_id=to_remove)
    settings.FAVORITES_MAX_PER_CUSTOMER = 3
    settings.FAVORITES_BATCH_CATALOG_BUDGET = 1.0
    catalog.set_faults(
        products={
            failing: {"status": 500},
            hanging: {"hang": True},
            over_limit: {"latency_ms": 200},
        }
    )

    started = time.monotonic()
    response = client.post(
        BATCH_URL,
        {
            "add": [present, added, "no-such-product", failing, hanging, over_limit],
            "remove": ["never-a-favorite", to_remove],
        },
    )
    elapsed = time.monotonic() - started

    assert statuses(response) == [
        (present, "already_present"),
        (added, "added"),
        ("no-such-product", "product_not_found"),
        (failing, "catalog_unavailable"),
        (hanging, "catalog_unavailable"),
        (over_limit, "limit_reached"),
        ("never-a-favorite", "not_present"),
        (to_remove, "removed"),
    ]
    results = response.json()["results"]
    assert results[1]["favorite"]["product_id"] == added
    assert results[1]["favorite"]["price_change"] == "0.00"
    assert all(result["favorite"] is None for result in results if result["status"] != "added")
    # The failures undid nothing: the add stands, the remove happened.
    assert favorite_ids(customer) == {present, added}
    # One time budget for every lookup together, not one per product.
    assert elapsed < 1.9


def test_the_catalog_lookups_of_the_adds_run_concurrently(
    client, customer, catalog, products, settings
):
    settings.FAVORITES_BATCH_CATALOG_BUDGET = 2.0
    ids = [product.id for product in products[:8]]
    catalog.set_faults(latency_ms=500)

    started = time.monotonic()
    response = client.post(BATCH_URL, {"add": ids})
    elapsed = time.monotonic() - started

    assert statuses(response) == [(product_id, "added") for product_id in ids]
    assert favorite_ids(customer) == set(ids)
    assert elapsed < 2.0  # one after another would take 4 s


def test_a_full_list_asks_the_catalog_nothing(client, customer, catalog, products, settings):
    settings.FAVORITES_MAX_PER_CUSTOMER = 1
    FavoriteFactory(customer=customer, product_id="already")
    served = catalog.requests_served

    response = client.post(BATCH_URL, {"add": [products[0].id, "already"], "remove": ["gone"]})

    assert statuses(response) == [
        (products[0].id, "limit_reached"),
        ("already", "already_present"),
        ("gone", "not_present"),
    ]
    assert catalog.requests_served == served


def test_removes_alone_need_no_catalog(client, customer, catalog_http):
    FavoriteFactory(customer=customer, product_id="a")
    FavoriteFactory(customer=customer, product_id="b")

    response = client.post(BATCH_URL, {"remove": ["b", "a", "c"]})

    assert statuses(response) == [("b", "removed"), ("a", "removed"), ("c", "not_present")]
    assert favorite_ids(customer) == set()
    assert len(catalog_http.calls) == 0


def test_a_batch_gives_the_list_a_new_etag(client, customer, catalog, products, settings):
    with redis_etags(settings):
        FavoriteFactory(customer=customer, product_id="old", price=Decimal("1.00"))
        etag = client.get("/api/v1/customers/me/favorites/")["ETag"]
        version = data_version(customer)

        response = client.post(BATCH_URL, {"add": [products[0].id], "remove": ["old"]})

        assert response.status_code == 200
        assert data_version(customer) != version
        after = client.get("/api/v1/customers/me/favorites/", HTTP_IF_NONE_MATCH=etag)
        assert after.status_code == 200
        assert [f["product_id"] for f in after.json()["results"]] == [products[0].id]


def test_a_batch_of_only_removes_of_absent_ids_keeps_the_etag(client, customer, settings):
    with redis_etags(settings):
        FavoriteFactory(customer=customer)
        etag = client.get("/api/v1/customers/me/favorites/")["ETag"]

        assert statuses(client.post(BATCH_URL, {"remove": ["absent"]})) == [
            ("absent", "not_present")
        ]

        after = client.get("/api/v1/customers/me/favorites/", HTTP_IF_NONE_MATCH=etag)
        assert after.status_code == 304


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (
            {"add": [f"p-{n}" for n in range(60)], "remove": [f"q-{n}" for n in range(41)]},
            "non_field_errors",
        ),
        ({"add": ["p-1"], "remove": ["p-1"]}, "remove"),
        ({"add": ["p-1", "p-1"]}, "add"),
        ({"add": ["p 1"]}, "add.0"),
        ({"remove": ["ok", None]}, "remove.1"),
        ({"add": "p-1"}, "add"),
    ],
    ids=[
        "over 100",
        "in both",
        "twice",
        "malformed",
        "null",
        "not a list",
    ],
)
def test_an_invalid_batch_is_400_naming_the_field_and_changes_nothing(
    client, customer, catalog_http, payload, field
):
    FavoriteFactory(customer=customer, product_id="p-1")

    body = assert_problem(client.post(BATCH_URL, payload, format="json"), 400, "validation_error")

    assert list(body["errors"]) == [field]
    assert favorite_ids(customer) == {"p-1"}
    assert len(catalog_http.calls) == 0


@pytest.mark.parametrize("payload", [{}, {"add": [], "remove": []}])
def test_an_empty_batch_does_nothing(client, customer, catalog_http, payload):
    FavoriteFactory(customer=customer, product_id="p-1")

    response = client.post(BATCH_URL, payload, format="json")

    assert response.json() == {"results": []}
    assert favorite_ids(customer) == {"p-1"}


def test_one_hundred_ids_together_are_accepted(client, customer, catalog_http):
    response = client.post(BATCH_URL, {"remove": [f"p-{n}" for n in range(100)]})

    assert len(statuses(response)) == 100


def test_staff_change_any_customers_list_in_bulk(staff, customer, auth_client, catalog_http):
    FavoriteFactory(customer=customer, product_id="p-1")

    response = auth_client(staff).post(
        f"/api/v1/customers/{customer.pk}/favorites/batch/", {"remove": ["p-1"]}
    )

    assert statuses(response) == [("p-1", "removed")]
    assert favorite_ids(customer) == set()
