"""Tokens and personal data are never stored by a browser, a proxy or a CDN.

Every answer under auth/ and customers/ carries `Cache-Control: no-store`, errors
included. The favorites endpoints' successful answers are their views' business
(a private, revalidated cache); their errors are no-store too.
"""

import pytest
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from customers.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def assert_no_store(response, status: int) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Cache-Control"] == "no-store"


def test_auth_answers_are_no_store_whatever_the_outcome(api_client, customer):
    refresh = str(RefreshToken.for_user(customer))
    login = {"email": customer.email, "password": PASSWORD}

    assert_no_store(api_client.post(reverse("auth-token"), login), 200)
    assert_no_store(api_client.post(reverse("auth-token"), {**login, "password": "wrong"}), 401)
    assert_no_store(api_client.post(reverse("auth-token-refresh"), {"refresh": refresh}), 200)
    assert_no_store(api_client.post(reverse("auth-token-refresh"), {"refresh": refresh}), 401)
    assert_no_store(api_client.post(reverse("auth-token-refresh"), {}), 400)
    assert_no_store(api_client.post(reverse("auth-token-blacklist"), {"refresh": "x"}), 401)
    assert_no_store(api_client.get(reverse("auth-token")), 405)
    registration = {"name": "Ana", "email": "ana@example.com", "password": PASSWORD}
    assert_no_store(api_client.post(reverse("auth-register"), registration), 201)
    assert_no_store(api_client.post(reverse("auth-register"), registration), 409)


def test_a_logout_is_no_store(api_client, customer):
    refresh = str(RefreshToken.for_user(customer))

    response = api_client.post(reverse("auth-token-blacklist"), {"refresh": refresh})

    assert_no_store(response, 200)


def test_customer_answers_are_no_store_whatever_the_outcome(
    api_client, customer, other_customer, staff, auth_client
):
    own = auth_client(customer)
    me = reverse("customer-detail", kwargs={"pk": "me"})

    assert_no_store(own.get(reverse("customer-list")), 200)
    assert_no_store(own.get(me), 200)
    assert_no_store(own.patch(me, {"name": "New Name"}), 200)
    assert_no_store(own.get(reverse("customer-detail", kwargs={"pk": other_customer.pk})), 404)
    assert_no_store(own.post(reverse("customer-list"), {"name": "x", "email": "x@x.io"}), 403)
    assert_no_store(api_client.get(me), 401)
    staff_client = auth_client(staff)
    other = reverse("customer-detail", kwargs={"pk": other_customer.pk})
    assert_no_store(staff_client.get(other), 200)
    assert_no_store(staff_client.delete(other), 204)


def test_an_unmatched_path_under_auth_is_no_store(api_client):
    assert_no_store(api_client.post("/api/v1/auth/token"), 404)


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("anonymous", "get", "/api/v1/customers/me/favorites/", 401),
        ("customer", "get", "/api/v1/customers/{other}/favorites/", 404),
        ("customer", "get", "/api/v1/customers/me/favorites/?available=maybe", 400),
        ("customer", "get", "/api/v1/customers/me/favorites/?page=99", 404),
        ("customer", "get", "/api/v1/customers/me/favorites/nope/", 404),
        ("customer", "put", "/api/v1/customers/me/favorites/", 405),
        ("customer", "post", "/api/v1/customers/me/favorites/", 400),
    ],
)
def test_favorites_errors_are_no_store(
    api_client, customer, other_customer, auth_client, who, method, path, status
):
    client = api_client if who == "anonymous" else auth_client(customer)

    response = getattr(client, method)(path.format(other=other_customer.pk), {})

    assert_no_store(response, status)


def test_a_favorites_list_is_left_to_its_view(customer, auth_client):
    response = auth_client(customer).get(reverse("favorite-list", kwargs={"customer_id": "me"}))

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/products/", "/api/schema/"])
def test_answers_without_personal_data_are_not_marked(customer, auth_client, path):
    response = auth_client(customer).get(path)

    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
