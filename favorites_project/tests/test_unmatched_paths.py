"""A path that names nothing is a 404 problem whatever the method; CSRF never answers HTML.

Django's CSRF check runs before the view, so an unsafe method on an unmatched
path (`POST /api/v1/auth/token`, a missing slash) used to answer its HTML
"CSRF verification failed" page instead of the 404.
"""

import pytest
from django.test import Client

from favorites_project.testing import PROBLEM_CONTENT_TYPE, assert_problem

pytestmark = pytest.mark.django_db

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND"]

# Unmatched paths, and the path the 404 suggests when only the trailing slash is missing.
UNMATCHED = [
    ("/api/v1/auth/token", "/api/v1/auth/token/"),
    ("/api/v1/auth/register", "/api/v1/auth/register/"),
    ("/api/v1/customers/me", "/api/v1/customers/me/"),
    ("/api/v1/customers/me/favorites", "/api/v1/customers/me/favorites/"),
    ("/api/v1/nothing-here/", None),
    ("/api/v2/customers/", None),
    ("/api/v1/customers/me/favorites/bad id!/", None),
    ("/no/such/page", None),
]


@pytest.fixture
def csrf_checking_client():
    """A client like a browser's: Django's CSRF check is not switched off for it."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("path", "suggested"), UNMATCHED)
def test_an_unmatched_path_is_a_404_problem_whatever_the_method(
    csrf_checking_client, method, path, suggested
):
    response = csrf_checking_client.generic(
        method, path, b'{"email": "a@b.c"}', content_type="application/json"
    )

    if method == "HEAD":  # no body, by definition
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
        return
    body = assert_problem(response, 404, "not_found")
    if suggested:
        assert body["detail"].endswith(f"Did you mean {suggested} ?")
    else:
        assert "Did you mean" not in body["detail"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unmatched_path_is_a_404_even_with_a_session_cookie_and_debug_on(
    csrf_checking_client, settings, method
):
    settings.DEBUG = True
    csrf_checking_client.cookies["sessionid"] = "not-a-session"
    csrf_checking_client.cookies["csrftoken"] = "x" * 32

    response = csrf_checking_client.generic(method, "/api/v1/auth/token")

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize("debug", [False, True])
def test_a_csrf_failure_in_the_admin_is_a_403_problem(csrf_checking_client, settings, debug):
    settings.DEBUG = debug

    response = csrf_checking_client.post(
        "/admin/login/", {"username": "a@b.c", "password": "x", "next": "/admin/"}
    )

    body = assert_problem(response, 403, "permission_denied")
    assert body["detail"].startswith("CSRF verification failed")
    assert b"<html" not in response.content.lower()


@pytest.mark.urls("favorites_project.tests.urls_with_plain_view")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_csrf_failure_on_a_plain_view_under_the_api_is_a_403_problem(
    csrf_checking_client, method
):
    response = csrf_checking_client.generic(
        method, "/api/v1/plain/", b"{}", content_type="application/json"
    )

    assert_problem(response, 403, "permission_denied")


@pytest.mark.urls("favorites_project.tests.urls_with_plain_view")
def test_the_plain_view_answers_when_csrf_is_not_checked():
    # The failure above is the CSRF check, not the view.
    response = Client().post("/api/v1/plain/", b"{}", content_type="application/json")

    assert response.status_code == 200
