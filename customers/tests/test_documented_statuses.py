"""The customers endpoints answer only statuses their schema documents (found by `make fuzz`)."""

import pytest
from django.urls import reverse

from customers.tests.factories import PASSWORD, CustomerFactory
from favorites_project.testing import assert_problem, openapi_schema

pytestmark = pytest.mark.django_db

LIST = reverse("customer-list")


@pytest.fixture(scope="module")
def schema():
    return openapi_schema()


def test_a_search_over_254_characters_is_the_400_the_list_documents(schema, staff, auth_client):
    documented = schema["paths"]["/api/v1/customers/"]["get"]["responses"]

    response = auth_client(staff).get(LIST, {"search": "x" * 255})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["search"]
    assert "validation_error" in documented["400"]["description"]
    assert "application/problem+json" in documented["400"]["content"]


def test_a_search_of_254_characters_is_a_search(staff, auth_client):
    response = auth_client(staff).get(LIST, {"search": "x" * 254})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_staff_changing_or_deleting_a_superuser_get_the_403_the_schema_documents(
    schema, staff, auth_client, method
):
    superuser = CustomerFactory(is_staff=True, is_superuser=True)
    documented = schema["paths"]["/api/v1/customers/{id}/"][method]["responses"]

    response = getattr(auth_client(staff), method)(
        reverse("customer-detail", args=[superuser.pk]),
        {"name": "Taken", "email": "taken@example.com", "password": PASSWORD},
    )

    assert_problem(response, 403, "permission_denied")
    assert "permission_denied" in documented["403"]["description"]
    assert "superuser" in documented["403"]["description"]
    assert "application/problem+json" in documented["403"]["content"]
