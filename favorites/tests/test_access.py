"""Who may do what: staff on any customer, a customer on itself only, 404 for anyone else."""

import pytest

from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite
from favorites.tests.factories import FavoriteFactory

NEW_PRODUCT = "new-product-1"


@pytest.fixture
def owner(customer):
    return customer


@pytest.fixture
def favorite(owner):
    return FavoriteFactory(customer=owner)


@pytest.fixture
def catalog_has_new_product(catalog_http):
    catalog_http.get(luizalabs_url(NEW_PRODUCT), json=luizalabs_product(NEW_PRODUCT))
    return catalog_http


def request(client, endpoint: str, customer_ref: str, favorite):
    base = f"/api/v1/customers/{customer_ref}/favorites/"
    if endpoint == "list":
        return client.get(base)
    if endpoint == "create":
        return client.post(base, {"product_id": NEW_PRODUCT})
    if endpoint == "retrieve":
        return client.get(f"{base}{favorite.product_id}/")
    return client.delete(f"{base}{favorite.product_id}/")


ENDPOINTS = ["list", "create", "retrieve", "destroy"]
SUCCESS = {"list": 200, "create": 201, "retrieve": 200, "destroy": 204}


def owner_state(owner) -> set[str]:
    return set(Favorite.objects.filter(customer=owner).values_list("product_id", flat=True))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_callers_get_401_on_every_favorites_endpoint(
    api_client, owner, favorite, catalog_http, endpoint
):
    response = request(api_client, endpoint, str(owner.pk), favorite)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert owner_state(owner) == {favorite.product_id}
    assert len(catalog_http.calls) == 0


def owner_state_after(endpoint: str, favorite) -> set[str]:
    """The owner's favorite product ids after a successful call to `endpoint`."""
    return {
        "list": {favorite.product_id},
        "retrieve": {favorite.product_id},
        "create": {favorite.product_id, NEW_PRODUCT},
        "destroy": set(),
    }[endpoint]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("by", ["id", "me"])
def test_the_owner_may_use_every_favorites_endpoint_by_id_or_me(
    auth_client, owner, favorite, catalog_has_new_product, endpoint, by
):
    customer_ref = "me" if by == "me" else str(owner.pk)

    response = request(auth_client(owner), endpoint, customer_ref, favorite)

    assert response.status_code == SUCCESS[endpoint], response.content
    assert owner_state(owner) == owner_state_after(endpoint, favorite)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_another_customer_gets_404_on_every_favorites_endpoint_of_someone_else(
    auth_client, owner, other_customer, favorite, catalog_has_new_product, endpoint
):
    response = request(auth_client(other_customer), endpoint, str(owner.pk), favorite)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert owner_state(owner) == {favorite.product_id}
    assert not Favorite.objects.filter(customer=other_customer).exists()
    assert len(catalog_has_new_product.calls) == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_may_use_every_favorites_endpoint_on_any_customer(
    auth_client, owner, staff, favorite, catalog_has_new_product, endpoint
):
    response = request(auth_client(staff), endpoint, str(owner.pk), favorite)

    assert response.status_code == SUCCESS[endpoint], response.content
    assert owner_state(owner) == owner_state_after(endpoint, favorite)
    assert not Favorite.objects.filter(customer=staff).exists()


def test_a_customer_listing_someone_elses_favorites_sees_none_of_them(
    auth_client, owner, other_customer, favorite
):
    response = auth_client(other_customer).get(f"/api/v1/customers/{owner.pk}/favorites/")

    assert response.status_code == 404
    assert favorite.product_id not in response.content.decode()


def test_me_is_always_the_caller_even_for_staff(auth_client, owner, staff, favorite):
    response = auth_client(staff).get("/api/v1/customers/me/favorites/")

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staff_get_404_for_a_customer_that_does_not_exist(
    auth_client, staff, favorite, catalog_has_new_product, endpoint
):
    response = request(auth_client(staff), endpoint, "999999999", favorite)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/abc/favorites/",
        "/api/v1/customers/me/favorites/not%20an%20id/",
        "/api/v1/customers/me/favorites/" + "x" * 65 + "/",
    ],
)
def test_malformed_customer_or_product_ids_in_the_path_answer_404(auth_client, owner, path):
    response = auth_client(owner).get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_bad_filter_on_someone_elses_list_is_still_404(auth_client, owner, other_customer):
    response = auth_client(other_customer).get(
        f"/api/v1/customers/{owner.pk}/favorites/", {"available": "maybe"}
    )

    assert response.status_code == 404
