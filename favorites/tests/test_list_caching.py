"""The list's ETag: 304 without PostgreSQL, and a new ETag after every write path.

A customer always reads its own writes: a list right after a 201 or 204 shows
it, whatever ETag the client still holds.
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from catalog.products import Product
from catalog.testing import luizalabs_product, luizalabs_url
from customers.cache import customer_data_version, customer_get_cached
from favorites.models import Favorite
from favorites.serializers import FavoriteSerializer
from favorites.services import favorite_remove, favorite_snapshots_refresh
from favorites.tests.etags import redis_etags
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

LIST_URL = "/api/v1/customers/me/favorites/"
PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"


@pytest.fixture(autouse=True)
def _shared_cache(settings):
    """ETags as production has them: on, with the cache in a real Redis (a prefix per test)."""
    with redis_etags(settings):
        yield


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


def etag_of(client, url: str = LIST_URL, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response["ETag"]


def conditional_get(client, etag: str, url: str = LIST_URL, **params):
    return client.get(url, params, HTTP_IF_NONE_MATCH=etag)


def test_a_list_carries_a_strong_etag_and_is_private(client, customer):
    FavoriteFactory.create_batch(3, customer=customer)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert response["ETag"].endswith('"')
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"]


def test_the_same_etag_answers_304_without_a_query(client, customer, django_assert_num_queries):
    FavoriteFactory.create_batch(3, customer=customer)
    etag = etag_of(client)

    with django_assert_num_queries(0):
        response = conditional_get(client, etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "private, no-cache"


def test_another_page_or_filter_has_another_etag(client, customer):
    FavoriteFactory.create_batch(30, customer=customer)
    first = etag_of(client)

    assert etag_of(client, page=2) != first
    assert etag_of(client, available="true") != first
    assert conditional_get(client, first, page=2).status_code == 200


def test_a_stale_etag_gets_the_new_list_after_an_add(client, customer, catalog_http):
    FavoriteFactory(customer=customer)
    etag = etag_of(client)
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))

    assert client.post(LIST_URL, {"product_id": PRODUCT_ID}).status_code == 201
    response = conditional_get(client, etag)

    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert response.json()["results"][0]["product_id"] == PRODUCT_ID
    assert response["ETag"] != etag


def test_a_stale_etag_gets_the_new_list_after_a_delete(client, customer):
    favorite = FavoriteFactory(customer=customer)
    etag = etag_of(client)

    assert client.delete(f"{LIST_URL}{favorite.product_id}/").status_code == 204
    response = conditional_get(client, etag)

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_failed_add_keeps_the_etag(client, customer, catalog_http):
    FavoriteFactory(customer=customer)
    etag = etag_of(client)
    catalog_http.get(luizalabs_url(PRODUCT_ID), status=404)

    assert client.post(LIST_URL, {"product_id": PRODUCT_ID}).status_code == 422

    assert conditional_get(client, etag).status_code == 304


def test_a_refresh_of_the_snapshots_changes_the_etag_of_every_list_holding_the_product(
    customer, other_customer, auth_client
):
    mine = FavoriteFactory(customer=customer, product_id="p-1", price=Decimal("10.00"))
    FavoriteFactory(customer=other_customer, product_id="p-1", price=Decimal("10.00"))
    FavoriteFactory(customer=other_customer, product_id="p-2")
    client, other = auth_client(customer), auth_client(other_customer)
    etags = etag_of(client), etag_of(other)
    product = FavoriteSerializer(mine).data | {"price": Decimal("8.00")}
    snapshot = {field: product[field] for field in ("title", "image_url", "price", "brand")}

    favorite_snapshots_refresh(
        product_id="p-1",
        product=Product(id="p-1", review_score=None, **snapshot),
    )

    for http, etag in zip((client, other), etags, strict=True):
        response = conditional_get(http, etag)
        assert response.status_code == 200
        prices = {row["product_id"]: row["price"] for row in response.json()["results"]}
        assert prices["p-1"] == "8.00"


def test_the_refresh_command_changes_the_etag(client, customer, catalog_http):
    FavoriteFactory(customer=customer, product_id="p-1", refreshed_at=timezone.now())
    etag = etag_of(client)
    catalog_http.get(luizalabs_url("p-1"), json=luizalabs_product("p-1", price=1.5))

    call_command("refresh_favorites", "--stale-after", "0", stdout=StringIO())

    response = conditional_get(client, etag)
    assert response.status_code == 200
    assert response.json()["results"][0]["price"] == "1.50"


def test_deleting_a_favorite_in_the_admin_changes_the_etag(client, customer, staff):
    favorite = FavoriteFactory(customer=customer)
    FavoriteFactory(customer=customer)
    etag = etag_of(client)
    admin = _admin_client(staff)

    response = admin.post(f"/admin/favorites/favorite/{favorite.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Favorite.objects.filter(pk=favorite.pk).exists()
    assert conditional_get(client, etag).json()["count"] == 1


def test_the_admin_bulk_delete_action_changes_the_etag_of_each_list(
    customer, other_customer, staff, auth_client
):
    favorites = [FavoriteFactory(customer=customer), FavoriteFactory(customer=other_customer)]
    client, other = auth_client(customer), auth_client(other_customer)
    etags = etag_of(client), etag_of(other)

    response = _admin_client(staff).post(
        "/admin/favorites/favorite/",
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [favorite.pk for favorite in favorites],
        },
    )

    assert response.status_code == 302
    assert not Favorite.objects.exists()
    for http, etag in zip((client, other), etags, strict=True):
        assert conditional_get(http, etag).json()["count"] == 0


def test_a_deleted_customers_etag_gets_401_not_304(client, customer):
    FavoriteFactory(customer=customer)
    etag = etag_of(client)

    customer.delete()

    assert_problem(conditional_get(client, etag), 401, "authentication_failed")


def test_staff_and_the_customer_get_304_for_the_same_list(client, customer, staff, auth_client):
    FavoriteFactory(customer=customer)
    url = f"/api/v1/customers/{customer.pk}/favorites/"
    etag = etag_of(client, url)

    assert conditional_get(auth_client(staff), etag, url).status_code == 304


def test_another_customer_with_the_etag_gets_404(client, customer, other_customer, auth_client):
    FavoriteFactory(customer=customer)
    url = f"/api/v1/customers/{customer.pk}/favorites/"
    etag = etag_of(client, url)

    assert_problem(conditional_get(auth_client(other_customer), etag, url), 404, "not_found")


def test_the_list_is_served_without_an_etag_while_redis_is_down(client, customer, settings, caplog):
    FavoriteFactory(customer=customer)
    settings.CACHES = {
        "default": {
            "BACKEND": "favorites_project.caching.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    response = client.get(LIST_URL)
    not_modified = client.get(LIST_URL, HTTP_IF_NONE_MATCH='"anything"')

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert "ETag" not in response
    assert not_modified.status_code == 200
    assert "serving without an ETag" in caplog.text


def test_the_list_body_is_what_the_favorite_serializer_gives(client, customer):
    FavoriteFactory(customer=customer, review_score=None, price=Decimal("1699.00"))
    FavoriteFactory(customer=customer, created_at=timezone.now().replace(microsecond=0))
    FavoriteFactory(customer=customer, available=False, price=Decimal("0.10"))

    results = client.get(LIST_URL).json()["results"]

    expected = FavoriteSerializer(
        Favorite.objects.filter(customer=customer).order_by("-created_at", "-id"), many=True
    ).data
    assert results == [dict(row) for row in expected]


def _admin_client(staff) -> Client:
    staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.django_db(transaction=True)
def test_a_version_made_before_the_write_commits_is_retired_at_commit(customer):
    favorite = FavoriteFactory(customer=customer)

    def version():
        return customer_data_version(customer=customer_get_cached(customer_id=customer.pk))

    before = version()
    with transaction.atomic():
        favorite_remove(customer=customer, product_id=favorite.product_id)
        # A reader between the write and its commit still sees the row.
        during = version()
    after = version()

    assert len({before, during, after}) == 3
    assert version() == after


def test_without_a_shared_cache_there_is_no_etag(client, customer, settings):
    settings.ETAGS_ENABLED = False
    FavoriteFactory(customer=customer)

    response = client.get(LIST_URL)
    again = client.get(LIST_URL, HTTP_IF_NONE_MATCH=response.get("ETag", '"x"'))

    assert response.status_code == 200
    assert "ETag" not in response
    assert again.status_code == 200
