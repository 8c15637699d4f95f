"""POST customers/{id}/favorites/lookup/: membership of a whole product grid in one query."""

from decimal import Decimal

import pytest
from django.db import connection

from favorites.selectors import _LOOKUP_STATEMENT, favorite_lookup
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

LOOKUP_URL = "/api/v1/customers/me/favorites/lookup/"


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


def test_every_asked_id_is_a_key_with_its_favorite_or_null(client, customer, catalog_http):
    saved = FavoriteFactory(
        customer=customer, product_id="p-1", price=Decimal("90.00"), price_when_added=100
    )
    FavoriteFactory(product_id="p-2")  # another customer's favorite

    response = client.post(LOOKUP_URL, {"product_ids": ["p-1", "p-2", "p-3"]})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "favorites": {
            "p-1": {
                "created_at": saved.created_at.isoformat().replace("+00:00", "Z"),
                "price_when_added": "100.00",
                "price": "90.00",
            },
            "p-2": None,
            "p-3": None,
        }
    }
    assert len(catalog_http.calls) == 0  # never the catalog


def test_duplicate_ids_are_answered_once(client, customer):
    FavoriteFactory(customer=customer, product_id="p-1")

    response = client.post(LOOKUP_URL, {"product_ids": ["p-1", "p-9", "p-1", "p-9"]})

    assert response.status_code == 200
    favorites = response.json()["favorites"]
    assert list(favorites) == ["p-1", "p-9"]
    assert favorites["p-1"] is not None
    assert favorites["p-9"] is None


@pytest.mark.parametrize("count", [1, 200])
def test_a_lookup_is_one_query_whatever_the_number_of_ids(
    client, customer, django_assert_num_queries, count
):
    ids = [f"product-{n}" for n in range(count)]
    for product_id in ids[::2]:
        FavoriteFactory(customer=customer, product_id=product_id)
    client.get("/api/v1/customers/me/favorites/")  # the customer is cached from here on

    # The customer comes from the cache; the lookup is the one query.
    with django_assert_num_queries(1):
        response = client.post(LOOKUP_URL, {"product_ids": ids})

    favorites = response.json()["favorites"]
    assert len(favorites) == count
    assert sum(entry is not None for entry in favorites.values()) == len(ids[::2])


def test_over_two_hundred_ids_is_a_validation_error_naming_the_field(client):
    response = client.post(LOOKUP_URL, {"product_ids": [f"p-{n}" for n in range(201)]})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["product_ids"]


@pytest.mark.parametrize(
    "product_ids",
    [["ok", "not ok"], ["ok", 7], ["x" * 65], ["ok", "two\nlines"], ["ok", "ok\n"], ["ok", ""]],
    ids=["a space", "a number", "too long", "a line break", "a trailing line break", "empty"],
)
def test_a_malformed_id_is_a_validation_error_naming_its_index(client, product_ids):
    response = client.post(LOOKUP_URL, {"product_ids": product_ids})

    body = assert_problem(response, 400, "validation_error")
    bad_index = len(product_ids) - 1
    assert list(body["errors"]) == [f"product_ids.{bad_index}"]


@pytest.mark.parametrize(
    "payload",
    [{}, {"product_ids": []}, {"product_ids": "p-1"}, {"product_ids": {"p-1": 1}}, []],
    ids=["missing", "empty", "a string", "an object", "not an object"],
)
def test_no_ids_or_not_a_list_is_a_validation_error(client, payload):
    response = client.post(LOOKUP_URL, payload, format="json")

    assert_problem(response, 400, "validation_error")


def test_staff_look_up_any_customers_favorites(customer, staff, auth_client):
    FavoriteFactory(customer=customer, product_id="p-1")

    response = auth_client(staff).post(
        f"/api/v1/customers/{customer.pk}/favorites/lookup/", {"product_ids": ["p-1"]}
    )

    assert response.status_code == 200
    assert response.json()["favorites"]["p-1"] is not None


def test_get_on_the_lookup_path_is_method_not_allowed(client):
    assert_problem(client.get(LOOKUP_URL), 405, "method_not_allowed")


def test_the_lookup_finds_its_ids_in_the_customer_product_index(customer):
    FavoriteFactory.create_batch(300, customer=customer)
    FavoriteFactory.create_batch(30)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE favorites_favorite")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {_LOOKUP_STATEMENT}", [customer.pk, "a,b,c"])
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Scan using favorite_customer_product_unique" in plan, plan
    assert "product_id" in plan.split("Index Cond:")[1], plan


def test_an_id_with_a_comma_matches_nothing_rather_than_the_ids_it_joins(customer):
    FavoriteFactory(customer=customer, product_id="p-1")
    FavoriteFactory(customer=customer, product_id="p-2")

    found = favorite_lookup(customer_id=customer.pk, product_ids=["p-1,p-2", "p-2"])

    assert found["p-1,p-2"] is None
    assert found["p-2"] is not None
    assert set(found) == {"p-1,p-2", "p-2"}
