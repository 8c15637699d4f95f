"""The favorites API through HTTP, with the catalog's HTTP mocked at the edge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.products import product_page
from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite
from favorites.testing import money
from favorites.tests.factories import FavoriteFactory
from favorites_project.testing import assert_problem

PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"
LIST_URL = "/api/v1/customers/me/favorites/"
FAVORITE_FIELDS = {
    "product_id",
    "title",
    "image_url",
    "price",
    "review_score",
    "brand",
    "price_when_added",
    "available",
    "created_at",
    "refreshed_at",
    "price_change",
    "price_change_percent",
}


def detail_url(product_id: str, customer_ref: str = "me") -> str:
    return f"/api/v1/customers/{customer_ref}/favorites/{product_id}/"


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


# Adding


def test_customer_adds_a_favorite_with_a_snapshot_of_the_catalog_product(
    client, customer, catalog_http
):
    catalog_http.get(
        luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID, reviewScore=4.35)
    )

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FAVORITE_FIELDS
    assert body["product_id"] == PRODUCT_ID
    assert body["title"] == "Cadeira para Auto Iseos Bébé Confort Earth Brown"
    assert body["image_url"] == f"http://challenge-api.luizalabs.com/images/{PRODUCT_ID}.jpg"
    assert body["price"] == "1699.00"
    assert body["price_when_added"] == "1699.00"
    assert body["review_score"] == 4.35
    assert body["brand"] == "bébé confort"
    assert body["available"] is True
    favorite = Favorite.objects.get()
    assert favorite.customer == customer
    assert favorite.price == favorite.price_when_added == money("1699.00")
    assert [call.request.url for call in catalog_http.calls] == [luizalabs_url(PRODUCT_ID)]


def test_a_product_without_a_review_score_is_saved_with_a_null_review_score(client, catalog_http):
    product = luizalabs_product(PRODUCT_ID)
    assert "reviewScore" not in product
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=product)

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert response.status_code == 201, response.content
    assert response.json()["review_score"] is None
    assert Favorite.objects.get().review_score is None


def test_adding_a_product_already_in_favorites_answers_409_without_calling_the_catalog(
    client, customer, catalog_http
):
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    body = assert_problem(response, 409, "favorite_exists")
    assert PRODUCT_ID in body["detail"]
    assert len(catalog_http.calls) == 0
    assert Favorite.objects.count() == 1


def test_the_same_product_may_be_a_favorite_of_two_customers(client, other_customer, catalog_http):
    FavoriteFactory(customer=other_customer, product_id=PRODUCT_ID)
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert response.status_code == 201, response.content
    assert Favorite.objects.filter(product_id=PRODUCT_ID).count() == 2


def test_adding_a_product_the_catalog_does_not_have_answers_422_and_writes_nothing(
    client, catalog_http
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), status=404, json={"detail": "Not found."})

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert_problem(response, 422, "product_not_found")
    assert Favorite.objects.count() == 0
    assert [call.request.url for call in catalog_http.calls] == [luizalabs_url(PRODUCT_ID)]


def test_adding_while_the_catalog_fails_answers_503_with_retry_after_and_writes_nothing(
    client, catalog_http
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), status=500, body="Internal Server Error")

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert_problem(response, 503, "catalog_unavailable")
    assert int(response["Retry-After"]) > 0
    assert Favorite.objects.count() == 0
    assert catalog_http.calls[0].request.url == luizalabs_url(PRODUCT_ID)


def test_adding_while_the_catalog_answers_garbage_answers_503_and_writes_nothing(
    client, catalog_http
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), body="<html>maintenance</html>")

    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert_problem(response, 503, "catalog_unavailable")
    assert Favorite.objects.count() == 0
    assert catalog_http.calls[0].request.url == luizalabs_url(PRODUCT_ID)


@pytest.mark.parametrize(
    "payload",
    [
        {"product_id": ""},
        {"product_id": "x" * 65},
        {"product_id": "has space"},
        {"product_id": "../../admin"},
        {"product_id": "caf\u00e9"},
        {"product_id": None},
        {},
    ],
)
def test_a_malformed_product_id_answers_400_without_calling_the_catalog(
    client, catalog_http, payload
):
    response = client.post(LIST_URL, payload)

    body = assert_problem(response, 400, "validation_error")
    assert "product_id" in body["errors"]
    assert len(catalog_http.calls) == 0
    assert Favorite.objects.count() == 0


def test_a_malformed_json_body_answers_400(client):
    response = client.post(LIST_URL, "product_id=1", content_type="application/json")

    assert_problem(response, 400, "validation_error")
    assert Favorite.objects.count() == 0


def test_a_form_body_answers_415(client):
    response = client.post(
        LIST_URL, "product_id=1", content_type="application/x-www-form-urlencoded"
    )

    assert_problem(response, 415, "unsupported_media_type")
    assert Favorite.objects.count() == 0


# Listing


def test_listing_shows_the_customers_favorites_newest_first_twenty_a_page(client, customer):
    now = timezone.now()
    favorites = [
        FavoriteFactory(customer=customer, created_at=now - timedelta(minutes=minutes))
        for minutes in range(25)
    ]
    FavoriteFactory()  # someone else's

    first = client.get(LIST_URL).json()
    second = client.get(first["next"]).json()

    assert first["count"] == 25
    assert first["previous"] is None
    assert [item["product_id"] for item in first["results"] + second["results"]] == [
        favorite.product_id for favorite in favorites
    ]
    assert len(first["results"]) == 20
    assert second["next"] is None
    assert set(first["results"][0]) == FAVORITE_FIELDS


def test_favorites_added_at_the_same_instant_are_listed_newest_id_first(client, customer):
    now = timezone.now()
    older, newer = FavoriteFactory.create_batch(2, customer=customer, created_at=now)

    results = client.get(LIST_URL).json()["results"]

    assert [item["product_id"] for item in results] == [newer.product_id, older.product_id]


def test_page_size_chooses_the_page_length_up_to_100(client, customer):
    FavoriteFactory.create_batch(105, customer=customer)

    assert len(client.get(LIST_URL, {"page_size": 5}).json()["results"]) == 5
    assert len(client.get(LIST_URL, {"page_size": 500}).json()["results"]) == 100


def test_a_page_past_the_end_answers_404(client, customer):
    FavoriteFactory(customer=customer)

    assert_problem(client.get(LIST_URL, {"page": 2}), 404, "not_found")


@pytest.mark.parametrize(("available", "expected"), [("true", "in stock"), ("false", "gone")])
def test_listing_filters_by_availability(client, customer, available, expected):
    FavoriteFactory(customer=customer, title="in stock", available=True)
    FavoriteFactory(customer=customer, title="gone", available=False)

    response = client.get(LIST_URL, {"available": available})

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["results"]] == [expected]


@pytest.mark.parametrize("value", ["yes", "1", "True", "", "maybe"])
def test_an_availability_filter_other_than_true_or_false_answers_400(client, customer, value):
    FavoriteFactory(customer=customer)

    body = assert_problem(client.get(LIST_URL, {"available": value}), 400, "validation_error")
    assert "available" in body["errors"]


def test_listing_never_calls_the_catalog(client, customer, catalog_http):
    FavoriteFactory.create_batch(3, customer=customer)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert len(catalog_http.calls) == 0


# One favorite


def test_reading_one_favorite_answers_its_snapshot(client, customer):
    favorite = FavoriteFactory(customer=customer, price="10.50", price_when_added="12.00")

    response = client.get(detail_url(favorite.product_id))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FAVORITE_FIELDS
    assert body["product_id"] == favorite.product_id
    assert (body["price"], body["price_when_added"]) == ("10.50", "12.00")


def test_reading_a_product_that_is_not_a_favorite_answers_404(client, customer):
    FavoriteFactory(product_id=PRODUCT_ID)  # another customer's

    assert_problem(client.get(detail_url(PRODUCT_ID)), 404, "not_found")


def test_removing_a_favorite_deletes_only_that_favorite(client, customer):
    kept, removed = FavoriteFactory.create_batch(2, customer=customer)
    FavoriteFactory(product_id=removed.product_id)  # the same product, another customer

    response = client.delete(detail_url(removed.product_id))

    assert response.status_code == 204
    assert not Favorite.objects.filter(pk=removed.pk).exists()
    assert Favorite.objects.filter(pk=kept.pk).exists()
    assert Favorite.objects.filter(product_id=removed.product_id).count() == 1


def test_removing_a_product_that_is_not_a_favorite_answers_404(client, customer):
    other = FavoriteFactory(product_id=PRODUCT_ID)

    assert_problem(client.delete(detail_url(PRODUCT_ID)), 404, "not_found")
    assert Favorite.objects.filter(pk=other.pk).exists()


def test_a_favorite_can_be_added_again_after_it_was_removed(client, customer, catalog_http):
    FavoriteFactory(customer=customer, product_id=PRODUCT_ID)
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))

    assert client.delete(detail_url(PRODUCT_ID)).status_code == 204
    response = client.post(LIST_URL, {"product_id": PRODUCT_ID})

    assert response.status_code == 201, response.content
    assert Favorite.objects.filter(customer=customer, product_id=PRODUCT_ID).count() == 1


def test_adding_a_product_from_the_bundled_demo_catalog_works_without_a_catalog_url(
    client, customer, settings
):
    settings.CATALOG_URL = ""
    products = product_page(1).products[:2]

    for product in products:
        response = client.post(LIST_URL, {"product_id": product.id})
        assert response.status_code == 201, response.content
    listed = client.get(LIST_URL).json()

    assert [item["product_id"] for item in listed["results"]] == [p.id for p in reversed(products)]
    assert listed["results"][0]["title"] == products[1].title


@pytest.mark.parametrize("page", ["", "abc", "0", "-1", "1.5", "٣", "170741965229235528747974656"])
def test_a_page_that_is_no_page_number_answers_404(client, customer, page):
    FavoriteFactory(customer=customer)

    assert_problem(client.get(LIST_URL, {"page": page}), 404, "not_found")


@pytest.mark.parametrize("page_size", ["", "abc", "0", "-252", "null", "1.5"])
def test_a_page_size_that_is_no_whole_number_from_1_answers_400(client, customer, page_size):
    body = assert_problem(client.get(LIST_URL, {"page_size": page_size}), 400, "validation_error")

    assert "page_size" in body["errors"]


def test_page_last_is_the_last_page(client, customer):
    FavoriteFactory.create_batch(45, customer=customer)

    body = client.get(LIST_URL, {"page": "last"}).json()

    assert body["count"] == 45
    assert len(body["results"]) == 5
    assert body["next"] is None
