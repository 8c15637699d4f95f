"""The docs explain themselves and work offline: the index page, the schema in a browser,
summaries, descriptions and examples on every operation."""

import re

import pytest

from favorites_project.testing import openapi_schema, schema_operations

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
OUTSIDE_URL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")


def test_the_index_page_links_to_the_docs_the_schema_and_health(client):
    response = client.get("/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    for link in ("/api/docs/", "/api/redoc/", "/api/schema/?format=json", "/health/ready"):
        assert f'href="{link}"' in content
    assert not OUTSIDE_URL.search(content)


def test_the_schema_as_json_is_plain_json_a_browser_shows(client):
    response = client.get("/api/schema/?format=json", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["info"]["title"] == "Favorites API"


def test_the_schema_is_still_served_as_openapi_json_when_asked_so(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_nothing_from_outside(client, path):
    response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 200
    content = response.content.decode()
    assert not OUTSIDE_URL.search(content), OUTSIDE_URL.search(content)
    assert "fonts.googleapis.com" not in content
    assert "/static/drf_spectacular_sidecar/" in content


def test_swagger_ui_asks_no_outside_validator(client):
    content = client.get("/api/docs/", HTTP_ACCEPT=BROWSER_ACCEPT).content.decode()

    assert '"validatorUrl": null' in content


def test_every_operation_has_a_summary_a_description_and_examples():
    missing = []
    for method, path, operation in schema_operations(openapi_schema()):
        where = f"{method} {path}"
        if not operation.get("summary"):
            missing.append(f"{where}: summary")
        if not operation.get("description"):
            missing.append(f"{where}: description")
        for media_type, body in operation.get("requestBody", {}).get("content", {}).items():
            if "examples" not in body:
                missing.append(f"{where}: request example ({media_type})")
        for status, response in operation["responses"].items():
            for media_type, body in response.get("content", {}).items():
                if "examples" not in body:
                    missing.append(f"{where}: {status} example ({media_type})")

    assert missing == []


def test_problem_examples_carry_the_code_their_description_names():
    schema = openapi_schema()
    responses = schema["paths"]["/api/v1/customers/{customer_id}/favorites/"]["post"]["responses"]

    conflict = responses["409"]["content"]["application/problem+json"]["examples"]
    unauthenticated = responses["401"]["content"]["application/problem+json"]["examples"]

    assert conflict["favorite_exists"]["value"]["status"] == 409
    assert conflict["favorite_exists"]["value"]["code"] == "favorite_exists"
    assert unauthenticated["not_authenticated"]["value"]["status"] == 401


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_forbid_the_browser_any_other_origin(client, path):
    policy = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)["Content-Security-Policy"]

    directives = dict(item.strip().split(" ", 1) for item in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy
