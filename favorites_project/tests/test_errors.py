"""Every error answers RFC 9457 problem details with a stable code, DEBUG on or off."""

import pytest
from django.urls import reverse

from customers.tests.factories import PASSWORD
from favorites_project.testing import assert_problem

pytestmark = pytest.mark.django_db


def test_validation_errors_list_messages_by_field(api_client):
    response = api_client.post(
        reverse("auth-register"), {"email": "not-an-email", "password": PASSWORD}
    )

    body = assert_problem(response, 400, "validation_error")
    assert set(body["errors"]) == {"email", "name"}
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


def test_a_malformed_json_body_is_a_validation_error(api_client):
    response = api_client.generic(
        "POST", reverse("auth-register"), "{broken", content_type="application/json"
    )

    assert_problem(response, 400, "validation_error")


def test_a_non_json_body_is_415(api_client):
    response = api_client.post(
        reverse("auth-register"), "name=a", content_type="application/x-www-form-urlencoded"
    )

    assert_problem(response, 415, "unsupported_media_type")


def test_no_token_is_401_not_authenticated(api_client):
    assert_problem(api_client.get(reverse("customer-list")), 401, "not_authenticated")


def test_a_garbage_token_is_401_authentication_failed(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    assert_problem(api_client.get(reverse("customer-list")), 401, "authentication_failed")


def test_a_customer_creating_customers_is_403(customer, auth_client):
    response = auth_client(customer).post(
        reverse("customer-list"), {"name": "x", "email": "x@x.io"}
    )

    assert_problem(response, 403, "permission_denied")


def test_an_unknown_api_path_is_a_problem_404(api_client):
    assert_problem(api_client.get("/api/v1/nothing-here/"), 404, "not_found")


def test_a_missing_trailing_slash_is_a_404_that_says_so(api_client):
    body = assert_problem(api_client.get("/api/v1/customers"), 404, "not_found")

    assert "/api/v1/customers/" in body["detail"]


def test_an_unknown_path_is_a_problem_404_even_with_debug_on(api_client, settings):
    settings.DEBUG = True

    assert_problem(api_client.get("/no/such/page"), 404, "not_found")


def test_a_wrong_method_is_405(customer, auth_client):
    response = auth_client(customer).post(reverse("customer-detail", args=["me"]), {})

    assert_problem(response, 405, "method_not_allowed")


def test_a_conflict_is_409_with_its_own_code(api_client, customer):
    response = api_client.post(
        reverse("auth-register"), {"name": "A", "email": customer.email, "password": PASSWORD}
    )

    assert_problem(response, 409, "email_taken")


def test_throttling_is_429_with_retry_after(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"login": "1/min", "register": "1/min"},
    }
    credentials = {"email": "nobody@example.com", "password": "whatever"}
    api_client.post(reverse("auth-token"), credentials)

    response = api_client.post(reverse("auth-token"), credentials)

    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.urls("favorites_project.tests.urls_with_failing_view")
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/v1/boom/", "/boom/"])
def test_an_unhandled_error_is_a_500_problem_without_details(settings, caplog, debug, path):
    from django.test import Client

    settings.DEBUG = debug
    client = Client(raise_request_exception=False)

    response = client.get(path)

    body = assert_problem(response, 500, "server_error")
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"]
    assert "secret internal detail" in caplog.text


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_host_is_a_400_problem(api_client, settings, debug):
    settings.DEBUG = debug
    settings.ALLOWED_HOSTS = ["favorites.example.com"]

    response = api_client.get("/health/live", HTTP_HOST="evil.example.net")

    assert_problem(response, 400, "bad_request")


def test_the_probes_answer_on_loopback_whatever_allowed_hosts_says(api_client):
    response = api_client.get("/health/live", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200


@pytest.mark.urls("favorites_project.tests.urls_with_failing_view")
def test_a_new_domain_error_is_answered_by_its_own_status_code_and_retry_after(api_client):
    response = api_client.get("/api/v1/shelf/")

    body = assert_problem(response, 409, "shelf_full")
    assert body["detail"] == "The shelf holds 3 things at most."
    assert response["Retry-After"] == "12"


@pytest.mark.urls("favorites_project.tests.urls_with_failing_view")
def test_a_domain_error_about_one_field_is_a_validation_error_naming_it(api_client):
    response = api_client.get("/api/v1/quota/")

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"quota": ["A quota is a whole number."]}
    assert "Retry-After" not in response
