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
