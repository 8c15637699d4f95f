"""GET /api/v1/stats/products/: demand figures per favorited product, for staff only."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.services import product_demand_refresh
from customers.tests.factories import CustomerFactory, StaffFactory
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

URL = "/api/v1/stats/products/"
FIELDS = {
    "product_id",
    "title",
    "brand",
    "customers",
    "last_7_days",
    "last_30_days",
    "unavailable",
    "cheaper_than_added",
    "computed_at",
}


@pytest.fixture
def staff_client(auth_client, db):
    return auth_client(StaffFactory())


@pytest.fixture
def demand(db, settings):
    """Two products with figures worked out by hand."""
    settings.STATS_MAX_AGE = 0
    now = timezone.now()

    def favorite(product_id, days_ago, *, price="100.00", added="100.00", available=True):
        return FavoriteFactory(
            product_id=product_id,
            title=f"Title of {product_id}",
            brand="acme",
            created_at=now - timedelta(days=days_ago),
            price=Decimal(price),
            price_when_added=Decimal(added),
            available=available,
        )

    favorite("chair", 3, price="90.00")  # cheaper than when added, this week
    favorite("chair", 20, available=False)  # this month, gone from the catalog
    favorite("chair", 60, price="120.00")  # older, dearer
    favorite("table", 10, price="80.00", added="80.00")
    for days_ago in (1, 2):
        favorite("lamp", days_ago, price="50.00", added="55.00")
    return {
        "chair": {
            "customers": 3,
            "last_7_days": 1,
            "last_30_days": 2,
            "unavailable": 1,
            "cheaper_than_added": 1,
        },
        "lamp": {
            "customers": 2,
            "last_7_days": 2,
            "last_30_days": 2,
            "unavailable": 0,
            "cheaper_than_added": 2,
        },
        "table": {
            "customers": 1,
            "last_7_days": 0,
            "last_30_days": 1,
            "unavailable": 0,
            "cheaper_than_added": 0,
        },
    }


def figures(rows) -> dict:
    return {
        row["product_id"]: {
            key: row[key]
            for key in row
            if key not in ("product_id", "title", "brand", "computed_at")
        }
        for row in rows
    }


def test_the_figures_match_the_ones_worked_out_by_hand(staff_client, demand):
    response = staff_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert figures(body["results"]) == demand
    assert [row["product_id"] for row in body["results"]] == ["chair", "lamp", "table"]
    assert body["results"][0]["title"] == "Title of chair"


def test_the_rows_hold_no_customer_data(staff_client, demand):
    rows = staff_client.get(URL).json()["results"]

    assert all(set(row) == FIELDS for row in rows)


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("-customers", ["chair", "lamp", "table"]),
        ("customers", ["table", "lamp", "chair"]),
        ("-last_7_days", ["lamp", "chair", "table"]),
        ("last_30_days", ["table", "chair", "lamp"]),
        ("-unavailable", ["chair", "lamp", "table"]),
        ("-cheaper_than_added", ["lamp", "chair", "table"]),
        ("product_id", ["chair", "lamp", "table"]),
        ("-product_id", ["table", "lamp", "chair"]),
    ],
)
def test_any_figure_orders_the_list_ties_by_product_id(staff_client, demand, ordering, expected):
    response = staff_client.get(URL, {"ordering": ordering})

    assert [row["product_id"] for row in response.json()["results"]] == expected


def test_the_list_is_paginated(staff_client, demand):
    first = staff_client.get(URL, {"page_size": 2}).json()
    second = staff_client.get(URL, {"page_size": 2, "page": 2}).json()

    assert [row["product_id"] for row in first["results"]] == ["chair", "lamp"]
    assert "page=2" in first["next"]
    assert [row["product_id"] for row in second["results"]] == ["table"]


def test_an_unknown_ordering_is_a_400(staff_client, demand):
    response = staff_client.get(URL, {"ordering": "email"})

    assert "ordering" in assert_problem(response, 400, "validation_error")["errors"]


def test_customers_may_not_see_the_analytics(auth_client, demand):
    assert_problem(auth_client(CustomerFactory()).get(URL), 403, "permission_denied")


def test_anonymous_clients_may_not_see_the_analytics(api_client, demand):
    assert_problem(api_client.get(URL), 401, "not_authenticated")


def test_figures_younger_than_stats_max_age_are_served_as_they_are(staff_client, demand, settings):
    staff_client.get(URL)
    settings.STATS_MAX_AGE = 300
    FavoriteFactory(product_id="sofa")

    before = staff_client.get(URL).json()
    product_demand_refresh()
    after = staff_client.get(URL).json()

    assert before["count"] == 3
    assert after["count"] == 4


def test_stale_figures_are_recomputed_by_the_read(staff_client, demand, settings):
    staff_client.get(URL)
    FavoriteFactory(product_id="sofa")

    assert staff_client.get(URL).json()["count"] == 4


def test_the_admin_shows_the_same_table_read_only(client, demand):
    client.force_login(StaffFactory(is_superuser=True))

    listing = client.get("/admin/analytics/productdemand/")
    page = client.get("/admin/analytics/productdemand/chair/change/")

    assert listing.status_code == 200
    content = listing.content.decode()
    assert "Title of chair" in content
    assert "Title of table" in content
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/admin/analytics/productdemand/add/").status_code == 403


def test_the_command_recomputes_the_figures(demand, settings):
    out = StringIO()

    call_command("refresh_product_demand", stdout=out)

    assert "recomputed" in out.getvalue()
