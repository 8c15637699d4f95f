"""The OpenAPI schema documents every status and constraint the API enforces."""

import pytest
from django.urls import reverse

from catalog.products import PRODUCT_ID_PATTERN
from favorites_project.testing import assert_problem, openapi_schema, schema_operations

BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture(scope="module")
def schema():
    return openapi_schema()


def resolve(schema: dict, node: dict) -> dict:
    """A schema object, following its `$ref` into the components."""
    if "$ref" in node:
        return schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_operation_with_a_body_documents_413_and_415(schema):
    with_body = [
        (method, path, operation)
        for method, path, operation in schema_operations(schema)
        if method in BODY_METHODS
    ]

    assert len(with_body) >= 8
    for method, path, operation in with_body:
        responses = operation["responses"]
        assert "payload_too_large" in responses["413"]["description"], (method, path)
        assert "unsupported_media_type" in responses["415"]["description"], (method, path)
        assert "application/problem+json" in responses["413"]["content"], (method, path)


def test_every_api_operation_documents_503_service_unavailable_with_retry_after(schema):
    api_operations = [
        (method, path, operation)
        for method, path, operation in schema_operations(schema)
        if path.startswith("/api/")
    ]

    assert len(api_operations) >= 16
    for method, path, operation in api_operations:
        unavailable = operation["responses"]["503"]
        assert "service_unavailable" in unavailable["description"], (method, path)
        assert "Retry-After" in unavailable["headers"], (method, path)


def test_the_catalogs_503_keeps_its_own_description_beside_the_databases(schema):
    description = schema["paths"]["/api/v1/products/{product_id}/"]["get"]["responses"]["503"][
        "description"
    ]

    assert "catalog_unavailable" in description
    assert "service_unavailable" in description


@pytest.mark.parametrize(
    "path", ["/api/v1/customers/", "/api/v1/customers/{customer_id}/favorites/"]
)
def test_every_paginated_list_documents_404_for_a_page_past_the_end(schema, path):
    operation = schema["paths"][path]["get"]

    assert "page" in {parameter["name"] for parameter in operation["parameters"]}
    assert "past the end" in operation["responses"]["404"]["description"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/customers/?page=99",
        "/api/v1/customers/?page=x",
        "/api/v1/customers/me/favorites/?page=99",
        "/api/v1/customers/me/favorites/?page=0",
    ],
)
def test_a_page_past_the_end_is_a_404_as_documented(customer, auth_client, path):
    response = auth_client(customer).get(path)

    assert_problem(response, 404, "not_found")


def test_every_list_operation_with_a_page_parameter_documents_404(schema):
    paged = [
        (method, path, operation)
        for method, path, operation in schema_operations(schema)
        if any(parameter["name"] == "page" for parameter in operation.get("parameters", []))
    ]

    assert len(paged) >= 3
    for method, path, operation in paged:
        assert "404" in operation["responses"], (method, path)


@pytest.mark.parametrize("method", ["put", "patch"])
def test_customer_updates_document_429_with_retry_after(schema, method):
    throttled = schema["paths"]["/api/v1/customers/{id}/"][method]["responses"]["429"]

    assert "throttled" in throttled["description"]
    assert "Retry-After" in throttled["headers"]


def test_the_product_detail_path_documents_the_product_id_pattern(schema):
    parameters = schema["paths"]["/api/v1/products/{product_id}/"]["get"]["parameters"]
    product_id = next(p for p in parameters if p["name"] == "product_id" and p["in"] == "path")

    assert product_id["schema"]["pattern"] == f"^{PRODUCT_ID_PATTERN.pattern}$"


def test_the_favorites_body_documents_the_product_id_pattern(schema):
    operation = schema["paths"]["/api/v1/customers/{customer_id}/favorites/"]["post"]
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])

    assert body["properties"]["product_id"]["pattern"] == f"^{PRODUCT_ID_PATTERN.pattern}$"
    assert body["properties"]["product_id"]["maxLength"] == 64


@pytest.mark.parametrize("path", ["/api/v1/auth/token/refresh/", "/api/v1/auth/token/blacklist/"])
def test_the_refresh_token_bodies_require_a_non_empty_refresh(schema, path):
    operation = schema["paths"][path]["post"]
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])

    assert "refresh" in body["required"]
    assert body["properties"]["refresh"]["minLength"] == 1


@pytest.mark.parametrize("product_id", ["", "bad id!", "x" * 65, "ã", "a/b"])
def test_a_product_id_outside_the_pattern_is_refused_with_the_catalogs_rule(
    customer, auth_client, product_id
):
    response = auth_client(customer).post(
        reverse("favorite-list", kwargs={"customer_id": "me"}), {"product_id": product_id}
    )

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["product_id"]


def test_problem_responses_are_problem_json_and_the_readiness_probes_503_is_plain_json(schema):
    problems = [
        (method, path, status)
        for method, path, operation in schema_operations(schema)
        for status, response in operation["responses"].items()
        if status.startswith(("4", "5")) and path.startswith("/api/")
        for media_type in response["content"]
        if media_type != "application/problem+json"
    ]
    ready = schema["paths"]["/health/ready"]["get"]["responses"]["503"]["content"]

    assert problems == []
    assert list(ready) == ["application/json"]


def test_every_paginated_list_documents_page_and_page_size_from_1(schema):
    lists = [
        operation
        for path in schema["paths"].values()
        for method, operation in path.items()
        if method == "get"
        and any(p["name"] == "page_size" for p in operation.get("parameters", []))
    ]

    assert len(lists) >= 2
    for operation in lists:
        bounds = {
            p["name"]: p["schema"].get("minimum")
            for p in operation["parameters"]
            if p["name"] in ("page", "page_size")
        }
        assert bounds == {"page": 1, "page_size": 1}, operation["operationId"]
