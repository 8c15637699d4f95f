"""JSON for any client that does not ask otherwise; what DRF does for the rest."""

import pytest

from favorites_project.testing import assert_problem

ME = "/api/v1/customers/me/"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*"])
def test_a_client_that_takes_json_gets_json(customer, auth_client, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = auth_client(customer).get(ME, **headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["id"] == customer.pk


def test_a_client_that_takes_only_html_gets_406(customer, auth_client):
    response = auth_client(customer).get(ME, HTTP_ACCEPT="text/html")

    assert_problem(response, 406, "not_acceptable")


def test_the_schema_still_answers_in_the_format_asked(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    # Plain JSON, which a browser shows (test_docs_offline.py has the OpenAPI media type).
    assert response["Content-Type"] == "application/json"
    assert response.json()["openapi"].startswith("3.")
