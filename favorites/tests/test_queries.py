"""The list is one indexed query for the page and one for the count, whatever the page size."""

import pytest
from django.db import connection

from favorites.models import Favorite
from favorites.selectors import _list_statements, favorite_page
from favorites.tests.factories import FavoriteFactory


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_listing_runs_three_queries_whatever_the_page_size(
    auth_client, customer, django_assert_num_queries, page_size
):
    FavoriteFactory.create_batch(120, customer=customer)
    client = auth_client(customer)

    # The authenticated-user lookup, the count, the page.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/customers/me/favorites/", {"page_size": page_size})

    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_listing_with_the_availability_filter_runs_three_queries(
    auth_client, customer, django_assert_num_queries, page_size
):
    FavoriteFactory.create_batch(120, customer=customer, available=False)
    client = auth_client(customer)

    with django_assert_num_queries(3):
        response = client.get(
            f"/api/v1/customers/{customer.pk}/favorites/",
            {"page_size": page_size, "available": "false"},
        )

    assert len(response.json()["results"]) == page_size


def _plan(statement: str, params: list) -> str:
    with connection.cursor() as cursor:
        # Tiny test tables make a scan and a sort cheapest; rule those out to see
        # whether the index alone can deliver the rows in list order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {statement}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _orm_page(customer, offset: int, limit: int) -> list[str]:
    favorites = Favorite.objects.filter(customer=customer).order_by("-created_at", "-id")
    return list(favorites.values_list("product_id", flat=True)[offset : offset + limit])


def _page(customer, offset: int, limit: int) -> list[str]:
    rows = favorite_page(customer_id=customer.pk, available=None, offset=offset, limit=limit)
    return [row["product_id"] for row in rows]


def test_the_list_query_reads_the_customer_index_in_order_without_a_sort(customer):
    FavoriteFactory.create_batch(30, customer=customer)
    FavoriteFactory.create_batch(30)

    plan = _plan(_list_statements(connection.vendor, False).page, [customer.pk, 20, 0])

    assert "favorite_customer_recent" in plan
    assert "Index Scan" in plan
    assert "Sort" not in plan
    assert _page(customer, 0, 20) == _orm_page(customer, 0, 20)


def test_a_deep_page_skips_its_offset_in_the_index_alone(customer):
    FavoriteFactory.create_batch(60, customer=customer)
    FavoriteFactory.create_batch(30)

    plan = _plan(_list_statements(connection.vendor, False).deep_page, [customer.pk, 20, 40])

    assert "Index Only Scan using favorite_customer_recent" in plan
    assert _page(customer, 40, 20) == _orm_page(customer, 40, 20)
    assert _page(customer, 50, 20) == _orm_page(customer, 50, 20)
