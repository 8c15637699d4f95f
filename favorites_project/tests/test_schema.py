"""The OpenAPI schema documents every status and constraint the API enforces."""

import pytest

from favorites_project.testing import openapi_schema, schema_operations

BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture(scope="module")
def schema():
    return openapi_schema()


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
