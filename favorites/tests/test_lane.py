"""The favorites URLs' own lane (`favorites.views.own_lane`): a customer's GET of its own
list, and its add to it and remove from it, are answered without DRF's dispatch, exactly as
the viewset answers them; every other request to the URLs is the viewset's."""

import json
from unittest import mock

import pytest
from django.db import connections
from django.test import RequestFactory
from rest_framework_simplejwt.tokens import RefreshToken

from audit.models import StaffAccess
from catalog.products import product_get
from catalog.testing import luizalabs_product, luizalabs_url
from customers.models import Customer
from events.models import Event
from favorites import urls
from favorites.models import Favorite
from favorites.tests.etags import redis_etags
from favorites.tests.factories import FavoriteFactory
from favorites.views import FavoriteViewSet
from favorites_project.testing import assert_no_traceback_logged, assert_problem, database_down

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


# Writes


PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"
LIST_URL = "/api/v1/customers/me/favorites/"
DETAIL_URL = f"{LIST_URL}{PRODUCT_ID}/"


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def add_request(customer, body=None, **headers):
    body = json.dumps({"product_id": PRODUCT_ID} if body is None else body)
    return RequestFactory().post(
        LIST_URL,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=bearer(customer),
        **headers,
    )


def remove_request(customer):
    return RequestFactory().delete(DETAIL_URL, HTTP_AUTHORIZATION=bearer(customer))


@pytest.fixture
def product_cached(catalog_http):
    """The catalog's answer for PRODUCT_ID in the cache, as an earlier add leaves it."""
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))
    product_get(PRODUCT_ID)
    catalog_http.calls.reset()


def test_a_customers_own_add_and_remove_are_answered_in_the_lane(
    auth_client, customer, viewset_calls, catalog_http, product_cached
):
    client = auth_client(customer)
    etag = client.get(LIST_URL)["ETag"]

    added = client.post(LIST_URL, {"product_id": PRODUCT_ID}, format="json")
    listed = client.get(LIST_URL, HTTP_IF_NONE_MATCH=etag)
    removed = client.delete(DETAIL_URL)

    assert added.status_code == 201
    assert added.json()["product_id"] == PRODUCT_ID
    assert added["Content-Type"] == "application/json"
    assert added["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert listed.status_code == 200  # the add retired the list's ETag
    assert listed.json()["count"] == 1
    assert removed.status_code == 204
    assert removed.content == b""
    assert removed["Allow"] == "GET, DELETE, HEAD, OPTIONS"
    assert not Favorite.objects.filter(customer=customer).exists()
    assert viewset_calls.call_count == 0


# Each case: how many favorites are there before the add (1: the product itself), whether
# the catalog's answer for the product is cached, what the catalog answers for it, the answer
# (status, problem code) to both adds, how often the two adds ask the catalog (an answer,
# found or not, is cached; a failure is not), and how many of the two the viewset answers
# (the lane leaves it an add whose catalog answer is not at hand).
FOUND = {"json": luizalabs_product(PRODUCT_ID)}
NEVER_ASKED: dict = {"json": {}}  # refused before the catalog is asked
FAILING = {"status": 500, "body": "Error"}
ADD_CASES = {
    "added": (0, True, FOUND, 201, None, 0, 1),
    "already a favorite": (1, True, NEVER_ASKED, 409, "favorite_exists", 0, 1),
    "list full": (3, True, NEVER_ASKED, 422, "favorites_limit_reached", 0, 1),
    "added, the catalog asked": (0, False, FOUND, 201, None, 1, 2),
    "not in the catalog": (0, False, {"status": 404}, 422, "product_not_found", 1, 2),
    "catalog failing": (0, False, FAILING, 503, "catalog_unavailable", 2, 2),
}


@pytest.mark.parametrize("case", ADD_CASES)
def test_the_lane_adds_as_the_viewset_does(
    request, customer, catalog_http, settings, viewset_calls, case
):
    settings.FAVORITES_MAX_PER_CUSTOMER = 3
    favorites, cached, catalog, status, code, catalog_calls, viewset_answers = ADD_CASES[case]
    FavoriteFactory.create_batch(favorites, customer=customer)
    if favorites == 1:
        Favorite.objects.filter(customer=customer).update(product_id=PRODUCT_ID)
    if cached:
        request.getfixturevalue("product_cached")
        catalog_http.reset()  # the catalog's answer from now on: `catalog`
    catalog_http.get(luizalabs_url(PRODUCT_ID), **catalog)
    viewset = urls.favorite_list.__wrapped__

    answers = []
    for view in (urls.favorite_list, viewset):
        answer = view(add_request(customer), customer_id="me")
        answers.append(answer.render() if hasattr(answer, "render") else answer)
        if answer.status_code == 201:  # the same add again for the viewset
            Favorite.objects.filter(customer=customer, product_id=PRODUCT_ID).delete()
    lane, drf = answers

    assert viewset_calls.call_count == viewset_answers
    assert lane.status_code == drf.status_code == status
    assert {k: v for k, v in lane.items() if k not in VOLATILE} == {
        k: v for k, v in drf.items() if k not in VOLATILE
    }
    assert len(catalog_http.calls) == catalog_calls
    if status == 201:  # a new favorite each time: its timestamps differ
        lane_body, drf_body = json.loads(lane.content), json.loads(drf.content)
        for body in (lane_body, drf_body):
            del body["created_at"], body["refreshed_at"]
        assert lane_body == drf_body
        assert lane_body["product_id"] == PRODUCT_ID
    else:
        assert lane.content == drf.content
        assert json.loads(lane.content)["code"] == code


@pytest.mark.django_db(transaction=True)  # the outage kills the test's connection too
@pytest.mark.parametrize("method", ["add", "remove"])
def test_a_database_outage_in_the_lane_is_the_viewsets_503(
    customer, viewset_calls, product_cached, settings, caplog, method
):
    request, view, kwargs = (
        (add_request, urls.favorite_list, {})
        if method == "add"
        else (remove_request, urls.favorite_detail, {"product_id": PRODUCT_ID})
    )
    # The token's customer cached, so the outage is met by the service, not while
    # authenticating (the problem-details middleware's, tested in test_database_outage).
    assert (
        urls.favorite_list(
            RequestFactory().get(LIST_URL, HTTP_AUTHORIZATION=bearer(customer)), customer_id="me"
        ).status_code
        == 200
    )

    lane_request, drf_request = request(customer), request(customer)  # tokens made first

    try:
        with database_down():
            lane = view(lane_request, customer_id="me", **kwargs)
            drf = view.__wrapped__(drf_request, customer_id="me", **kwargs).render()
    finally:
        connections.close_all()

    assert viewset_calls.call_count == 1
    assert lane.status_code == 503
    assert json.loads(lane.content)["code"] == "service_unavailable"
    assert lane["Retry-After"] == str(settings.DATABASE_RETRY_AFTER)
    assert lane.content == drf.content
    assert dict(lane.items()) == dict(drf.items())
    assert_no_traceback_logged(caplog)  # one warning line each, as the viewset logs it


@pytest.mark.parametrize("present", [True, False], ids=["a favorite", "not a favorite"])
def test_the_lane_removes_as_the_viewset_does(customer, viewset_calls, present):
    viewset = urls.favorite_detail.__wrapped__

    answers = []
    for view in (urls.favorite_detail, viewset):
        if present:
            FavoriteFactory(customer=customer, product_id=PRODUCT_ID)
        answer = view(remove_request(customer), customer_id="me", product_id=PRODUCT_ID)
        answers.append(answer.render() if hasattr(answer, "render") else answer)
    lane, drf = answers

    assert viewset_calls.call_count == 1  # the viewset's own answer only
    assert lane.status_code == drf.status_code == (204 if present else 404)
    assert lane.content == drf.content
    assert dict(lane.items()) == dict(drf.items())
    assert not Favorite.objects.filter(customer=customer).exists()


@pytest.mark.parametrize(
    ("body", "headers", "status", "code", "errors"),
    [
        ({"product_id": "not an id!"}, {}, 400, "validation_error", {"product_id"}),
        ({}, {}, 400, "validation_error", {"product_id"}),
        (["a list"], {}, 400, "validation_error", {"non_field_errors"}),
        ({"product_id": PRODUCT_ID, "note": nested(40)}, {}, 400, "validation_error", None),
        ({"product_id": PRODUCT_ID}, {"HTTP_ACCEPT": "text/csv"}, 406, "not_acceptable", None),
    ],
    ids=["a bad id", "no id", "not an object", "nested too deep", "an unknown Accept"],
)
def test_a_bad_add_is_the_viewsets(
    auth_client,
    customer,
    viewset_calls,
    catalog_http,
    settings,
    body,
    headers,
    status,
    code,
    errors,
):
    settings.JSON_MAX_DEPTH = 32

    response = auth_client(customer).post(
        LIST_URL, json.dumps(body), content_type="application/json", **headers
    )

    problem = assert_problem(response, status, code)
    # The viewset read the body the lane had read: the fields it names, or the parser's word.
    if errors is None:
        assert "errors" not in problem
    else:
        assert set(problem["errors"]) == errors
    assert viewset_calls.call_count == 1
    assert not Favorite.objects.exists()
    assert len(catalog_http.calls) == 0


@pytest.mark.parametrize(
    "case", ["idempotency key", "a charset", "a large body", "staff on a customer"]
)
def test_other_adds_are_the_viewsets(
    auth_client, customer, staff, viewset_calls, catalog_http, case
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))
    caller, url, body = customer, LIST_URL, {"product_id": PRODUCT_ID}
    content_type, headers = "application/json", {}
    if case == "idempotency key":
        headers["HTTP_IDEMPOTENCY_KEY"] = "add-1"
    elif case == "a charset":
        content_type = "application/json; charset=utf-8"
    elif case == "a large body":
        body["note"] = "x" * 2000
    else:
        caller, url = staff, f"/api/v1/customers/{customer.pk}/favorites/"

    response = auth_client(caller).post(url, json.dumps(body), content_type=content_type, **headers)

    assert response.status_code == 201, response.content
    assert viewset_calls.call_count == 1
    assert Favorite.objects.filter(customer=customer, product_id=PRODUCT_ID).exists()


@pytest.mark.django_db(transaction=True)  # each write's own transaction, not a savepoint
@pytest.mark.parametrize(
    "revocation", ["deactivated", "password changed", "deleted", "deactivated past the ORM"]
)
def test_a_revoked_token_writes_nothing_in_the_lane(
    auth_client, customer, viewset_calls, product_cached, revocation
):
    """The lane's writes check the token against the customer's row in their own
    statement: refused there, the viewset answers, reading the customer afresh."""
    FavoriteFactory(customer=customer, product_id="kept-favorite")
    client = auth_client(customer)
    assert client.get(LIST_URL).status_code == 200  # the customer in the cache
    events = Event.objects.count()
    if revocation == "deactivated":
        customer.is_active = False
        customer.save()
    elif revocation == "password changed":
        customer.set_password("a-new-password-nobody-had")
        customer.save()
    elif revocation == "deleted":
        customer.delete()
    else:  # no signal: the cache still holds the customer as active
        Customer.objects.filter(pk=customer.pk).update(is_active=False)

    for response in (
        client.delete(f"{LIST_URL}kept-favorite/"),
        client.post(LIST_URL, {"product_id": PRODUCT_ID}, format="json"),
    ):
        assert_problem(response, 401, "authentication_failed")
    assert viewset_calls.call_count == 2
    assert list(Favorite.objects.values_list("product_id", flat=True)) == (
        [] if revocation == "deleted" else ["kept-favorite"]
    )
    assert Event.objects.count() == events


def test_an_add_whose_catalog_answer_is_not_at_hand_is_the_viewsets(
    auth_client, customer, viewset_calls, catalog_http
):
    catalog_http.get(luizalabs_url(PRODUCT_ID), json=luizalabs_product(PRODUCT_ID))
    client = auth_client(customer)

    first = client.post(LIST_URL, {"product_id": PRODUCT_ID}, format="json")
    client.delete(DETAIL_URL)
    again = client.post(LIST_URL, {"product_id": PRODUCT_ID}, format="json")

    assert first.status_code == again.status_code == 201
    assert viewset_calls.call_count == 1  # the first add only: the second found it cached
    assert len(catalog_http.calls) == 1
