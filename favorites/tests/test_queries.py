"""The list is one indexed query for the page and one for the count, whatever the page size."""

import pytest
from django.db import connection

from favorites.models import Favorite
from favorites.selectors import favorite_list
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


def test_the_list_query_reads_the_customer_index_in_order_without_a_sort(customer):
    FavoriteFactory.create_batch(30, customer=customer)
    FavoriteFactory.create_batch(30)
    page = favorite_list(customer=customer)[:20]

    with connection.cursor() as cursor:
        # Tiny test tables make a scan and a sort cheapest; rule those out to see
        # whether the index alone can deliver the rows in list order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = page.explain()

    assert "favorite_customer_recent" in plan
    assert "Index Scan" in plan
    assert "Sort" not in plan
    assert list(page) == list(
        Favorite.objects.filter(customer=customer).order_by("-created_at", "-id")[:20]
    )
