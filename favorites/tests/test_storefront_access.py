"""Who may use the storefront endpoints (lookup, batch, refresh): staff on any customer, a
customer on itself only, 404 for anyone else's list, 401 without a token."""

import pytest

from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite
from favorites.tests.factories import FavoriteFactory

PRODUCT_ID = "product-1"
ENDPOINTS = ["lookup", "batch", "refresh"]


@pytest.fixture
def owner(customer):
    return customer


@pytest.fixture
def favorite(owner):
    return FavoriteFactory(customer=owner, product_id=PRODUCT_ID, title="before")


@pytest.fixture(autouse=True)
def _catalog(catalog_http):
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID, title="after"))
    return catalog_http


def call(client, endpoint: str, customer_ref: str):
    base = f"/api/v1/customers/{customer_ref}/favorites/"
    if endpoint == "lookup":
        return client.post(f"{base}lookup/", {"product_ids": [PRODUCT_ID]})
    if endpoint == "batch":
        return client.post(f"{base}batch/", {"remove": [PRODUCT_ID]})
    return client.post(f"{base}{PRODUCT_ID}/refresh/")


def unchanged(owner) -> bool:
    return list(Favorite.objects.filter(customer=owner).values_list("product_id", "title")) == [
        (PRODUCT_ID, "before")
    ]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_callers_get_401(api_client, owner, favorite, catalog_http, endpoint):
    response = call(api_client, endpoint, str(owner.pk))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert unchanged(owner)
    assert len(catalog_http.calls) == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("ref", ["me", "id"])
def test_the_owner_uses_its_own_list(auth_client, owner, favorite, endpoint, ref):
    response = call(auth_client(owner), endpoint, "me" if ref == "me" else str(owner.pk))

    assert response.status_code == 200, response.content
    assert_effect(endpoint, owner, response)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_use_any_customers_list(auth_client, staff, owner, favorite, endpoint):
    response = call(auth_client(staff), endpoint, str(owner.pk))

    assert response.status_code == 200, response.content
    assert_effect(endpoint, owner, response)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_customer_gets_404_and_changes_nothing(
    auth_client, owner, other_customer, favorite, catalog_http, endpoint
):
    response = call(auth_client(other_customer), endpoint, str(owner.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert unchanged(owner)
    assert len(catalog_http.calls) == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_customer_that_does_not_exist_is_404_even_for_staff(auth_client, staff, endpoint):
    assert call(auth_client(staff), endpoint, "999999").status_code == 404


def assert_effect(endpoint: str, owner, response) -> None:
    if endpoint == "lookup":
        assert response.json()["favorites"][PRODUCT_ID] is not None
    elif endpoint == "batch":
        assert response.json()["results"][0]["status"] == "removed"
        assert not Favorite.objects.filter(customer=owner).exists()
    else:
        assert response.json()["title"] == "after"
        assert Favorite.objects.get(customer=owner).title == "after"
