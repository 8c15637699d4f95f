"""The favorites admin as a staff tool: price changes, filters, refresh now, read-only pages."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils.text import Truncator

from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url
from customers.tests.factories import CustomerFactory, StaffFactory
from favorites.admin import TITLE_CHARACTERS
from favorites.models import Favorite
from favorites.tests.etags import data_version, redis_etags
from favorites.tests.factories import FavoriteFactory

CHANGELIST = "/admin/favorites/favorite/"


@pytest.fixture
def staff_admin(client, db):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.fixture
def shared_cache(settings):
    with redis_etags(settings):
        yield


def test_the_changelist_shows_a_price_drop_with_amount_percent_and_a_marker(staff_admin):
    FavoriteFactory(price=Decimal("90.00"), price_when_added=Decimal("100.00"))
    FavoriteFactory(price=Decimal("110.00"), price_when_added=Decimal("100.00"))

    content = staff_admin.get(CHANGELIST).content.decode()

    assert "Price change since added" in content
    assert "▼ -10.00 (-10.0 %)" in content
    assert 'class="price-dropped"' in content
    assert "▲ +10.00 (+10.0 %)" in content


def test_the_price_dropped_filter_keeps_only_favorites_cheaper_than_when_added(staff_admin):
    dropped = FavoriteFactory(price=Decimal("90.00"), price_when_added=Decimal("100.00"))
    same = FavoriteFactory(price=Decimal("100.00"), price_when_added=Decimal("100.00"))
    rose = FavoriteFactory(price=Decimal("120.00"), price_when_added=Decimal("100.00"))

    content = staff_admin.get(CHANGELIST, {"price_dropped": "yes"}).content.decode()

    assert dropped.product_id in content
    assert same.product_id not in content
    assert rose.product_id not in content


def test_the_customer_filter_keeps_one_customers_favorites_and_offers_an_autocomplete(
    staff_admin,
):
    ana, bruno = CustomerFactory(), CustomerFactory()
    hers, his = FavoriteFactory(customer=ana), FavoriteFactory(customer=bruno)

    response = staff_admin.get(CHANGELIST, {"customer__id__exact": str(ana.pk)})

    content = response.content.decode()
    assert hers.product_id in content
    assert his.product_id not in content
    assert 'id="customer-autocomplete-filter"' in content
    assert "admin-autocomplete" in content
    assert f'<option value="{ana.pk}" selected>{ana.email}</option>' in content


def test_the_customer_autocomplete_finds_customers_by_email(staff_admin):
    ana = CustomerFactory(email="ana.souza@example.com")
    CustomerFactory(email="bruno@example.com")

    response = staff_admin.get(
        "/admin/autocomplete/",
        {
            "term": "souza",
            "app_label": "favorites",
            "model_name": "favorite",
            "field_name": "customer",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(ana.pk), "text": ana.email}]


def test_the_changelist_cuts_long_titles_and_lists_the_newest_first(staff_admin):
    older = FavoriteFactory(title="Old")
    newer = FavoriteFactory(title="Cadeira " * 20)

    content = staff_admin.get(CHANGELIST).content.decode()

    assert content.index(newer.product_id) < content.index(older.product_id)
    shown = Truncator(newer.title).chars(TITLE_CHARACTERS)
    assert len(shown) == TITLE_CHARACTERS
    assert f'<span title="{newer.title}">{shown}</span>' in content


def test_the_favorite_page_is_read_only_without_save_buttons(staff_admin):
    favorite = FavoriteFactory()

    content = staff_admin.get(f"{CHANGELIST}{favorite.pk}/change/").content.decode()

    assert 'name="_save"' not in content
    assert 'name="_continue"' not in content
    assert 'name="_addanother"' not in content
    assert favorite.product_id in content


def test_a_favorite_page_cannot_be_changed_by_a_post(staff_admin):
    favorite = FavoriteFactory(title="Kept")

    response = staff_admin.post(f"{CHANGELIST}{favorite.pk}/change/", {"title": "Changed"})

    assert response.status_code == 403
    favorite.refresh_from_db()
    assert favorite.title == "Kept"


def test_the_customer_page_links_to_all_its_favorites_and_deletes_one_back_to_itself(
    staff_admin, customer, shared_cache
):
    favorite = FavoriteFactory(customer=customer)
    kept = FavoriteFactory(customer=customer)
    page = f"/admin/customers/customer/{customer.pk}/change/"
    content = staff_admin.get(page).content.decode()
    assert f"{CHANGELIST}?customer__id__exact={customer.pk}" in content
    delete_url = f"{CHANGELIST}{favorite.pk}/delete/?next={page}"
    assert delete_url in content
    version = data_version(customer)

    response = staff_admin.post(delete_url, {"post": "yes"})

    assert response.status_code == 302
    assert response["Location"] == page
    assert not Favorite.objects.filter(pk=favorite.pk).exists()
    assert Favorite.objects.filter(pk=kept.pk).exists()
    assert data_version(customer) != version


def test_a_delete_does_not_return_to_another_host(staff_admin):
    favorite = FavoriteFactory()

    response = staff_admin.post(
        f"{CHANGELIST}{favorite.pk}/delete/?next=https://evil.example/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert response["Location"] == CHANGELIST


def test_the_refresh_action_updates_the_selected_favorites_and_says_what_changed(
    staff_admin, catalog_http, shared_cache
):
    customer = CustomerFactory()
    favorite = FavoriteFactory(
        customer=customer,
        product_id=PRODUCT_ID,
        price=Decimal("1699.00"),
        price_when_added=Decimal("1699.00"),
    )
    gone = FavoriteFactory(customer=customer, product_id="gone-product")
    catalog_http.get(luizalabs_url(), json=luizalabs_product(price=1499.0))
    catalog_http.get(luizalabs_url("gone-product"), status=404, json={})
    version = data_version(customer)

    response = staff_admin.post(
        CHANGELIST,
        {"action": "refresh_now", "_selected_action": [favorite.pk, gone.pk]},
        follow=True,
    )

    assert response.status_code == 200
    favorite.refresh_from_db()
    gone.refresh_from_db()
    assert favorite.price == Decimal("1499.00")
    assert favorite.price_when_added == Decimal("1699.00")
    assert gone.available is False
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == [
        "Refreshed 2 product(s) from the catalog: 1 changed, 0 unchanged, "
        "1 no longer in the catalog, 0 failed."
    ]
    assert sorted(call.request.url for call in catalog_http.calls) == sorted(
        [luizalabs_url(), luizalabs_url("gone-product")]
    )
    assert data_version(customer) != version


def test_the_refresh_action_counts_a_catalog_outage_as_failed_and_changes_nothing(
    staff_admin, catalog_http
):
    favorite = FavoriteFactory(product_id=PRODUCT_ID, price=Decimal("10.00"))
    catalog_http.get(luizalabs_url(), status=503)

    response = staff_admin.post(
        CHANGELIST, {"action": "refresh_now", "_selected_action": [favorite.pk]}, follow=True
    )

    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == [
        "Refreshed 1 product(s) from the catalog: 0 changed, 0 unchanged, "
        "0 no longer in the catalog, 1 failed."
    ]
    favorite.refresh_from_db()
    assert favorite.price == Decimal("10.00")
    assert len(catalog_http.calls) >= 1


def test_view_site_leads_to_the_api_docs(staff_admin):
    content = staff_admin.get("/admin/").content.decode()

    assert 'href="/api/docs/"' in content
