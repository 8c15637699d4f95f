"""FAVORITES_MAX_PER_CUSTOMER: a list never holds more, even under concurrent adds."""

import threading
from collections import Counter

import pytest
import requests
from django.conf import settings as django_settings
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.products import Product, product_page
from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite
from favorites.services import FavoritesLimitReached, favorite_add
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

LIST_URL = "/api/v1/customers/me/favorites/"


def test_adding_past_the_limit_is_422_and_writes_nothing(
    customer, auth_client, catalog_http, settings
):
    settings.FAVORITES_MAX_PER_CUSTOMER = 3
    FavoriteFactory.create_batch(3, customer=customer)

    response = auth_client(customer).post(LIST_URL, {"product_id": "one-more"})

    body = assert_problem(response, 422, "favorites_limit_reached")
    assert "3" in body["detail"]
    assert Favorite.objects.filter(customer=customer).count() == 3
    assert len(catalog_http.calls) == 0  # a full list asks the catalog nothing


def test_the_last_free_place_can_be_taken(customer, auth_client, catalog_http, settings):
    settings.FAVORITES_MAX_PER_CUSTOMER = 3
    FavoriteFactory.create_batch(2, customer=customer)
    catalog_http.get(luizalabs_url("last-one"), json=luizalabs_product("last-one"))

    response = auth_client(customer).post(LIST_URL, {"product_id": "last-one"})

    assert response.status_code == 201
    assert Favorite.objects.filter(customer=customer).count() == 3


def test_the_limit_is_per_customer(customer, other_customer, catalog_http, settings):
    settings.FAVORITES_MAX_PER_CUSTOMER = 1
    FavoriteFactory(customer=other_customer)
    catalog_http.get(luizalabs_url("mine"), json=luizalabs_product("mine"))

    favorite = favorite_add(customer=customer, product_id="mine")

    assert favorite.pk is not None
    with pytest.raises(FavoritesLimitReached):
        favorite_add(customer=customer, product_id="mine-too")


def test_the_default_limit_is_one_thousand():
    assert django_settings.FAVORITES_MAX_PER_CUSTOMER == 1000


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_against_a_live_server_never_take_a_list_past_its_limit(
    live_server, customer, catalog, settings
):
    """Twenty adds of different products at once, five places left: exactly five win."""
    settings.FAVORITES_MAX_PER_CUSTOMER = 8
    FavoriteFactory.create_batch(3, customer=customer)
    # Every add is past the quick check before any insert: the lock decides.
    catalog.set_faults(latency_ms=300)
    product_ids = [product.id for product in _catalog_products(20)]
    token = str(RefreshToken.for_user(customer).access_token)
    barrier = threading.Barrier(len(product_ids))
    statuses: list = [None] * len(product_ids)

    def add(index: int, product_id: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        # Connected before the barrier: the server's accept queue is never the bottleneck.
        assert session.get(f"{live_server.url}{LIST_URL}", timeout=30).status_code == 200
        barrier.wait(timeout=20)
        response = session.post(
            f"{live_server.url}{LIST_URL}", json={"product_id": product_id}, timeout=30
        )
        statuses[index] = (response.status_code, response.json()["code"] if not response.ok else "")

    threads = [threading.Thread(target=add, args=pair) for pair in enumerate(product_ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(statuses) == {(201, ""): 5, (422, "favorites_limit_reached"): 15}
    assert Favorite.objects.filter(customer=customer).count() == 8


def _catalog_products(count: int) -> list[Product]:
    products: list[Product] = []
    page = 1
    while len(products) < count:
        products += product_page(page).products
        page += 1
    return products[:count]
