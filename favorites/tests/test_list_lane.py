"""The favorites list's own lane (`favorites.views.own_list_lane`): a customer's GET of its
own list is answered without DRF's dispatch, exactly as the viewset answers it; every other
request to the URL is the viewset's, errors included."""

from unittest import mock

import pytest
from django.test import RequestFactory
from rest_framework_simplejwt.tokens import RefreshToken

from audit.models import StaffAccess
from favorites import urls
from favorites.tests.etags import redis_etags
from favorites.tests.factories import FavoriteFactory
from favorites.views import FavoriteViewSet
from favorites_project.testing import assert_problem

# Headers that differ between any two answers (or that middleware adds, outside the views).
VOLATILE = {"X-Request-ID", "Date"}


@pytest.fixture(autouse=True)
def _shared_cache(settings):
    """ETags on, the cache in a real Redis, as in production."""
    with redis_etags(settings):
        yield


@pytest.fixture
def viewset_calls():
    """How many requests reached the viewset's dispatch (its `initial`)."""
    with mock.patch.object(
        FavoriteViewSet, "initial", autospec=True, side_effect=FavoriteViewSet.initial
    ) as initial:
        yield initial


def bearer(customer) -> str:
    return f"Bearer {RefreshToken.for_user(customer).access_token}"


@pytest.mark.parametrize("ref", ["me", "own id"])
def test_a_customer_reads_its_own_list_in_the_lane(auth_client, customer, viewset_calls, ref):
    FavoriteFactory.create_batch(3, customer=customer)
    ref = "me" if ref == "me" else customer.pk

    response = auth_client(customer).get(f"/api/v1/customers/{ref}/favorites/")

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert viewset_calls.call_count == 0
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"]
    assert response["ETag"]


@pytest.mark.parametrize(
    "params",
    [{}, {"page": 2, "page_size": 2}, {"ordering": "price"}, {"available": "true"}],
    ids=["first page", "second page", "ordered", "filtered"],
)
def test_the_lane_answers_as_the_viewset_does(customer, params):
    FavoriteFactory.create_batch(3, customer=customer)
    request = RequestFactory().get(
        "/api/v1/customers/me/favorites/", params, HTTP_AUTHORIZATION=bearer(customer)
    )
    viewset = urls.favorite_list.__wrapped__  # the URL's view is the lane around the viewset

    lane = urls.favorite_list(request, customer_id="me")
    drf = viewset(request, customer_id="me")

    assert lane.status_code == drf.status_code == 200
    assert lane.content == drf.content
    assert dict(lane.items()) == dict(drf.items())


@pytest.mark.parametrize("accept", ["*/*", "application/json"])
def test_an_accept_that_json_satisfies_stays_in_the_lane(
    auth_client, customer, viewset_calls, accept
):
    response = auth_client(customer).get("/api/v1/customers/me/favorites/", HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert viewset_calls.call_count == 0


def test_a_304_is_answered_in_the_lane(auth_client, customer, viewset_calls):
    FavoriteFactory(customer=customer)
    client = auth_client(customer)
    etag = client.get("/api/v1/customers/me/favorites/")["ETag"]

    response = client.get("/api/v1/customers/me/favorites/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["ETag"] == etag
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert viewset_calls.call_count == 0


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "not_authenticated"),
        ({"HTTP_AUTHORIZATION": "Bearer not.a.token"}, 401, "authentication_failed"),
        ({"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}, 401, "not_authenticated"),
    ],
    ids=["no token", "a bad token", "another scheme"],
)
def test_a_refused_caller_is_answered_by_the_viewset(
    api_client, viewset_calls, headers, status, code
):
    response = api_client.get("/api/v1/customers/me/favorites/", **headers)

    assert_problem(response, status, code)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert viewset_calls.call_count == 1


def test_a_deactivated_customers_token_is_refused(auth_client, customer, viewset_calls):
    client = auth_client(customer)
    customer.is_active = False
    customer.save()

    assert_problem(client.get("/api/v1/customers/me/favorites/"), 401, "authentication_failed")
    assert viewset_calls.call_count == 1


def test_anybody_elses_list_is_the_viewsets_404(
    auth_client, customer, other_customer, viewset_calls
):
    FavoriteFactory(customer=other_customer)

    response = auth_client(customer).get(f"/api/v1/customers/{other_customer.pk}/favorites/")

    assert_problem(response, 404, "not_found")
    assert viewset_calls.call_count == 1


def test_staff_on_a_customers_list_go_through_the_viewset_and_leave_a_record(
    auth_client, staff, customer, viewset_calls
):
    FavoriteFactory(customer=customer)

    response = auth_client(staff).get(f"/api/v1/customers/{customer.pk}/favorites/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert viewset_calls.call_count == 1
    assert StaffAccess.objects.filter(actor=staff).count() == 1


@pytest.mark.parametrize(
    ("params", "headers", "status", "code"),
    [
        ({"ordering": "nonsense"}, {}, 400, "validation_error"),
        ({"page_size": "0"}, {}, 400, "validation_error"),
        ({"page": 5}, {}, 404, "not_found"),
        ({}, {"HTTP_ACCEPT": "text/csv"}, 406, "not_acceptable"),
    ],
    ids=["a bad ordering", "a bad page size", "past the last page", "an unknown Accept"],
)
def test_an_error_on_the_own_list_is_the_viewsets(
    auth_client, customer, viewset_calls, params, headers, status, code
):
    FavoriteFactory(customer=customer)

    response = auth_client(customer).get("/api/v1/customers/me/favorites/", params, **headers)

    assert_problem(response, status, code)
    assert viewset_calls.call_count == 1


def test_other_methods_are_the_viewsets(auth_client, customer, viewset_calls):
    response = auth_client(customer).options("/api/v1/customers/me/favorites/")

    assert response.status_code == 200
    assert viewset_calls.call_count == 1
