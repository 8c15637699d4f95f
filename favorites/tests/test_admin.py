"""The Django admin: favorites listed, searched and shown inline on their customer."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.testing import customer_change_form_data
from customers.tests.factories import CustomerFactory, StaffFactory
from favorites.tests.factories import FavoriteFactory

CHANGELIST = "/admin/favorites/favorite/"


@pytest.fixture
def staff_admin(client, db):
    client.force_login(StaffFactory(is_superuser=True))
    return client


def test_the_favorites_changelist_lists_favorites_with_their_customer(staff_admin, customer):
    favorite = FavoriteFactory(customer=customer, title="Cadeira Earth Brown")

    response = staff_admin.get(CHANGELIST)

    assert response.status_code == 200
    content = response.content.decode()
    assert favorite.product_id in content
    assert "Cadeira Earth Brown" in content
    assert customer.email in content


@pytest.mark.parametrize("field", ["product_id", "title", "email"])
def test_the_favorites_changelist_searches_by_product_title_and_customer_email(
    staff_admin, customer, field
):
    wanted = FavoriteFactory(customer=customer, title="Cadeira Earth Brown")
    unwanted = FavoriteFactory(title="Mesa")
    term = {"product_id": wanted.product_id, "title": "Earth", "email": customer.email}[field]

    response = staff_admin.get(CHANGELIST, {"q": term})

    assert response.status_code == 200
    content = response.content.decode()
    assert wanted.product_id in content
    assert unwanted.product_id not in content


def test_the_favorites_changelist_filters_by_availability(staff_admin):
    gone = FavoriteFactory(available=False)
    kept = FavoriteFactory(available=True)

    response = staff_admin.get(CHANGELIST, {"available__exact": "0"})

    assert response.status_code == 200
    assert gone.product_id in response.content.decode()
    assert kept.product_id not in response.content.decode()


def test_the_favorites_changelist_runs_as_many_queries_for_50_rows_as_for_5(staff_admin):
    def queries_for(rows: int) -> int:
        FavoriteFactory.create_batch(rows, customer=CustomerFactory())
        with CaptureQueriesContext(connection) as context:
            assert staff_admin.get(CHANGELIST).status_code == 200
        return len(context.captured_queries)

    assert queries_for(5) == queries_for(45)


def test_a_favorite_change_page_shows_the_snapshot_read_only(staff_admin):
    favorite = FavoriteFactory(title="Cadeira Earth Brown")

    response = staff_admin.get(f"{CHANGELIST}{favorite.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Cadeira Earth Brown" in content
    assert 'name="title"' not in content
    assert 'name="price_when_added"' not in content


def test_favorites_are_not_added_through_the_admin(staff_admin):
    assert staff_admin.get(f"{CHANGELIST}add/").status_code == 403


def test_the_customer_change_page_shows_its_favorites_inline(staff_admin, customer):
    favorite = FavoriteFactory(customer=customer, title="Cadeira Earth Brown")
    other = FavoriteFactory()

    response = staff_admin.get(f"/admin/customers/customer/{customer.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert favorite.product_id in content
    assert "Cadeira Earth Brown" in content
    assert other.product_id not in content


def test_the_customer_change_page_still_saves_with_favorites_inline(staff_admin, customer):
    FavoriteFactory.create_batch(3, customer=customer)
    page = staff_admin.get(f"/admin/customers/customer/{customer.pk}/change/")
    data = customer_change_form_data(page, name="Renamed")

    response = staff_admin.post(f"/admin/customers/customer/{customer.pk}/change/", data)

    assert response.status_code == 302, response.context and response.context.get("errors")
    customer.refresh_from_db()
    assert customer.name == "Renamed"
    assert customer.favorites.count() == 3


def test_the_customer_change_page_shows_only_the_latest_50_favorites(staff_admin, customer):
    now = timezone.now()
    favorites = [
        FavoriteFactory(customer=customer, created_at=now - timedelta(minutes=n)) for n in range(55)
    ]

    response = staff_admin.get(f"/admin/customers/customer/{customer.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert all(favorite.product_id in content for favorite in favorites[:50])
    assert not any(favorite.product_id in content for favorite in favorites[50:])
