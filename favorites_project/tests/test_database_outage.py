"""A PostgreSQL outage is a 503 `service_unavailable` with Retry-After, never a 500.

The outage is real (`database_down`): PostgreSQL terminates the connections and
refuses new ones. It is logged as one warning line without a traceback, and the
service recovers by itself once the database is back.
"""

import json
import logging

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from rest_framework_simplejwt.tokens import RefreshToken

from customers.tests.factories import PASSWORD
from favorites_project.testing import (
    assert_no_traceback_logged,
    assert_problem,
    database_connections_killed,
    database_down,
    raw_request,
    wsgi_request,
)
from favorites_project.wsgi import application

# The outage kills every connection, the test's own included: no test transaction
# to roll back, the tables are emptied after each test instead.
pytestmark = pytest.mark.django_db(transaction=True)

QUERYING_MIDDLEWARE = "favorites_project.tests.querying_middleware.QueryingMiddleware"


@pytest.fixture(autouse=True)
def _fresh_connections_afterwards():
    """The test client never replaces a dead connection: drop it before the tables are emptied."""
    yield
    connections.close_all()


def assert_unavailable(response, settings, caplog) -> None:
    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(settings.DATABASE_RETRY_AFTER)
    warnings = [
        record
        for record in caplog.records
        if record.name == "favorites_project.exceptions" and record.levelno == logging.WARNING
    ]
    assert len(warnings) == 1
    assert "database is unavailable" in warnings[0].getMessage()
    assert_no_traceback_logged(caplog)


def test_a_lost_database_while_authenticating_is_a_503(customer, auth_client, settings, caplog):
    client = auth_client(customer)

    with database_down():
        response = client.get(reverse("favorite-list", kwargs={"customer_id": "me"}))

    assert_unavailable(response, settings, caplog)


def test_a_lost_database_on_login_is_a_503(customer, api_client, settings, caplog):
    with database_down():
        response = api_client.post(
            reverse("auth-token"), {"email": customer.email, "password": PASSWORD}
        )

    assert_unavailable(response, settings, caplog)


def test_a_lost_database_in_a_plain_django_view_is_a_503(staff, client, settings, caplog):
    client.force_login(staff)  # the admin then reads the session from PostgreSQL

    with database_down():
        response = client.get("/admin/")

    assert_unavailable(response, settings, caplog)


def test_a_lost_database_in_a_middleware_is_a_503(settings, caplog):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, QUERYING_MIDDLEWARE]
    # Django answers it through handler500; the test client would re-raise it.
    client = Client(raise_request_exception=False)

    with database_down():
        response = client.get("/health/live")

    assert_unavailable(response, settings, caplog)


def test_a_kept_connection_lost_in_an_outage_is_replaced_when_the_database_is_back(
    customer, settings, caplog
):
    # Through the real WSGI application, which keeps connections between requests
    # (CONN_MAX_AGE) as gunicorn's threads do.
    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(customer).access_token}"}
    url = reverse("favorite-list", kwargs={"customer_id": "me"})
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0

    before, _, _ = wsgi_request(application, "GET", url, headers)
    with database_down():
        during, during_headers, during_body = wsgi_request(application, "GET", url, headers)
    after, _, after_body = wsgi_request(application, "GET", url, headers)

    assert before.startswith("200 ")
    assert during.startswith("503 ")
    assert during_headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER)
    assert json.loads(during_body)["code"] == "service_unavailable"
    assert after.startswith("200 ")
    assert json.loads(after_body)["results"] == []
    assert_no_traceback_logged(caplog)


def test_a_kept_connection_killed_between_requests_is_replaced_without_an_error(customer, caplog):
    # A failover that is over by the next request: the connection's health check
    # (CONN_HEALTH_CHECKS) sees it dead and opens a new one.
    headers = {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(customer).access_token}"}
    url = reverse("favorite-list", kwargs={"customer_id": "me"})

    before, _, _ = wsgi_request(application, "GET", url, headers)
    database_connections_killed()
    after, _, _ = wsgi_request(application, "GET", url, headers)

    assert (before[:3], after[:3]) == ("200", "200")
    assert_no_traceback_logged(caplog)


def test_a_live_server_answers_503_during_an_outage_and_200_once_the_database_is_back(
    live_server, customer, settings, caplog
):
    headers = {"Authorization": f"Bearer {RefreshToken.for_user(customer).access_token}"}
    path = reverse("favorite-list", kwargs={"customer_id": "me"})

    before, _, _ = raw_request(live_server.url, "GET", path, headers=headers)
    with database_down():
        during, during_headers, during_body = raw_request(
            live_server.url, "GET", path, headers=headers
        )
    after, _, _ = raw_request(live_server.url, "GET", path, headers=headers)

    assert (before, during, after) == (200, 503, 200)
    assert during_headers["Content-Type"] == "application/problem+json"
    assert during_headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER)
    assert json.loads(during_body)["code"] == "service_unavailable"
    assert not [record for record in caplog.records if record.exc_info]
