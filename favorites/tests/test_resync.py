"""POST customers/{id}/favorites/{product_id}/refresh/: one favorite re-read now."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from catalog.products import product_get, product_page
from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite
from favorites.tests.etags import data_version, redis_etags
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"


def refresh_url(product_id: str = PRODUCT_ID, customer_ref: str = "me") -> str:
    return f"/api/v1/customers/{customer_ref}/favorites/{product_id}/refresh/"


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


@pytest.fixture
def favorite(customer):
    return FavoriteFactory(
        customer=customer,
        product_id=PRODUCT_ID,
        title="Old title",
        price=Decimal("100.00"),
        price_when_added=Decimal("100.00"),
    )


def test_a_changed_price_is_taken_past_the_product_cache(client, favorite, catalog_http):
    catalog_http.get(luizalabs_url(), json=luizalabs_product(price=100.0, title="Old title"))
    product_get(PRODUCT_ID)  # now in the product cache at 100.00
    catalog_http.replace("GET", luizalabs_url(), json=luizalabs_product(price=80.0, title="New"))

    response = client.post(refresh_url())

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["price"] == "80.00"
    assert body["title"] == "New"
    assert body["price_when_added"] == "100.00"  # never changes
    assert body["price_change"] == "-20.00"
    assert body["price_change_percent"] == "-20.0"
    assert body["available"] is True
    favorite.refresh_from_db()
    assert favorite.price == Decimal("80.00")
    assert favorite.refreshed_at > favorite.created_at
    assert len(catalog_http.calls) == 2  # the cache was not read for the refresh
    assert product_get(PRODUCT_ID).price == Decimal("80.00")  # and holds the fresh answer


def test_a_product_the_catalog_no_longer_has_is_marked_unavailable(client, favorite, catalog_http):
    catalog_http.get(luizalabs_url(), status=404, json={"detail": "not found"})

    response = client.post(refresh_url())

    assert response.status_code == 200
    assert response.json()["available"] is False
    favorite.refresh_from_db()
    assert favorite.available is False
    assert favorite.price == Decimal("100.00")
    assert Favorite.objects.filter(pk=favorite.pk).exists()  # never deleted


def test_a_failing_catalog_is_503_with_retry_after_and_leaves_the_snapshot(
    client, favorite, catalog
):
    catalog.set_faults(status=500)
    before = Favorite.objects.values().get(pk=favorite.pk)

    response = client.post(refresh_url())

    assert_problem(response, 503, "catalog_unavailable")
    assert int(response["Retry-After"]) > 0
    assert Favorite.objects.values().get(pk=favorite.pk) == before
    assert catalog.requests_served >= 1


def test_a_refresh_from_the_mock_catalog_server_updates_the_snapshot(client, customer, catalog):
    product = product_get_first_of(catalog)
    FavoriteFactory(customer=customer, product_id=product.id, title="stale", price=Decimal("1.00"))

    response = client.post(refresh_url(product.id))

    assert response.status_code == 200
    assert response.json()["title"] == product.title
    assert Decimal(response.json()["price"]) == product.price


def product_get_first_of(catalog):
    return product_page(1).products[0]


def test_a_product_not_among_the_favorites_is_404_without_a_catalog_call(client, catalog_http):
    response = client.post(refresh_url("not-a-favorite"))

    assert_problem(response, 404, "not_found")
    assert len(catalog_http.calls) == 0


def test_refreshes_are_throttled_per_customer(
    client, favorite, other_customer, auth_client, catalog_http, settings
):
    settings.FAVORITE_REFRESH_THROTTLE_RATE = "2/min"
    catalog_http.get(luizalabs_url(), json=luizalabs_product())
    FavoriteFactory(customer=other_customer, product_id=PRODUCT_ID)

    statuses = [client.post(refresh_url()).status_code for _ in range(3)]
    throttled = client.post(refresh_url())
    others = auth_client(other_customer).post(refresh_url())

    assert statuses == [200, 200, 429]
    assert_problem(throttled, 429, "throttled")
    assert int(throttled["Retry-After"]) > 0
    assert others.status_code == 200  # the other customer has its own count


def test_the_default_refresh_rate_is_thirty_a_minute():
    assert django_settings.FAVORITE_REFRESH_THROTTLE_RATE == "30/min"


def test_a_refresh_gives_the_list_a_new_etag(client, customer, favorite, catalog_http, settings):
    with redis_etags(settings):
        catalog_http.get(luizalabs_url(), json=luizalabs_product(price=90.0))
        list_url = "/api/v1/customers/me/favorites/"
        etag = client.get(list_url)["ETag"]
        version = data_version(customer)

        assert client.post(refresh_url()).status_code == 200

        assert data_version(customer) != version
        after = client.get(list_url, HTTP_IF_NONE_MATCH=etag)
        assert after.status_code == 200
        assert after.json()["results"][0]["price"] == "90.00"
