"""Text fields of the customers and auth bodies take strings only, and follow their schema.

Found by `make fuzz`: a number was taken as a password (DRF's CharField turns it
into a string), and a name or password of spaces only was refused as blank where
the schema allowed it.
"""

import re

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.serializers import NOT_ONLY_WHITESPACE
from customers.tests.factories import PASSWORD, CustomerFactory
from favorites_project.testing import assert_problem, openapi_schema

pytestmark = pytest.mark.django_db

REGISTER = reverse("auth-register")
TOKEN = reverse("auth-token")
REFRESH = reverse("auth-token-refresh")
BLACKLIST = reverse("auth-token-blacklist")
LIST = reverse("customer-list")
ME = reverse("customer-detail", args=["me"])

NOT_STRINGS = [41835610218461390.5, 42, True, ["x" * 12], {"text": "x" * 12}]
PASSPHRASE = "  a passphrase with its spaces  "


@pytest.fixture(scope="module")
def schema():
    return openapi_schema()


def request_body_schema(schema: dict, path: str, method: str = "post") -> dict:
    operation = schema["paths"][path][method]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def valid_register_body() -> dict:
    return {"name": "Ana", "email": "ana@example.com", "password": PASSWORD}


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
@pytest.mark.parametrize("field", ["name", "email", "password"])
def test_register_refuses_a_text_field_that_is_not_a_string(api_client, field, value):
    response = api_client.post(REGISTER, {**valid_register_body(), field: value})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == [field]
    assert not Customer.objects.exists()


def test_the_fuzzers_numeric_password_opens_no_account(api_client):
    response = api_client.post(
        REGISTER, {"name": "N", "email": "num@example.com", "password": 41835610218461390.5}
    )

    body = assert_problem(response, 400, "validation_error")
    assert body["errors"] == {"password": ["Not a valid string."]}
    assert not Customer.objects.filter(email="num@example.com").exists()


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
@pytest.mark.parametrize("field", ["email", "password"])
def test_login_refuses_credentials_that_are_not_strings(api_client, field, value):
    customer = CustomerFactory(email="12345@example.com")
    credentials = {"email": customer.email, "password": PASSWORD}

    response = api_client.post(TOKEN, {**credentials, field: value})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == [field]


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
@pytest.mark.parametrize("path", [REFRESH, BLACKLIST])
def test_refresh_and_logout_refuse_a_refresh_token_that_is_not_a_string(api_client, path, value):
    response = api_client.post(path, {"refresh": value})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["refresh"]


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
@pytest.mark.parametrize("field", ["name", "email", "password"])
def test_staff_creating_a_customer_send_text_fields_as_strings(staff, auth_client, field, value):
    body = {"name": "Bea", "email": "bea@example.com", "password": PASSWORD}

    response = auth_client(staff).post(LIST, {**body, field: value})

    problem = assert_problem(response, 400, "validation_error")
    assert list(problem["errors"]) == [field]
    assert not Customer.objects.filter(email="bea@example.com").exists()


@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
@pytest.mark.parametrize("field", ["name", "email", "password", "current_password"])
def test_a_customer_update_refuses_text_fields_that_are_not_strings(
    customer, auth_client, field, value
):
    before = (customer.name, customer.email, customer.password)

    response = auth_client(customer).patch(ME, {field: value})

    problem = assert_problem(response, 400, "validation_error")
    assert list(problem["errors"]) == [field]
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.password) == before


@pytest.mark.parametrize("name", [" ", "   ", "\t", " \t\n ", "\x1e", "\u3000 \xa0"])
def test_a_name_of_whitespace_only_is_refused_as_the_schemas_pattern_says(api_client, schema, name):
    pattern = request_body_schema(schema, "/api/v1/auth/register/")["properties"]["name"]["pattern"]

    response = api_client.post(REGISTER, {**valid_register_body(), "name": name})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["name"]
    assert re.search(pattern, name) is None
    assert re.search(pattern, " Ana ") is not None


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/auth/register/", "post"),
        ("/api/v1/customers/", "post"),
        ("/api/v1/customers/{id}/", "put"),
        ("/api/v1/customers/{id}/", "patch"),
    ],
)
def test_every_body_with_a_name_documents_that_it_needs_a_non_whitespace_character(
    schema, path, method
):
    name = request_body_schema(schema, path, method)["properties"]["name"]

    assert name["pattern"] == NOT_ONLY_WHITESPACE


def test_the_not_blank_pattern_matches_exactly_the_characters_trimming_keeps():
    # Written as an explicit class, so ECMA 262 (the schema's dialect) reads it as Python does.
    pattern = re.compile(NOT_ONLY_WHITESPACE)
    code_points = range(0x110000)

    mismatched = [c for c in code_points if (pattern.fullmatch(chr(c)) is None) != chr(c).isspace()]

    assert mismatched == []
    assert r"\s" not in NOT_ONLY_WHITESPACE.lower()


def test_a_name_of_an_invisible_non_whitespace_character_is_kept_as_the_pattern_allows(
    api_client,
):
    response = api_client.post(REGISTER, {**valid_register_body(), "name": " \ufeff "})

    assert response.status_code == 201
    assert response.json()["name"] == "\ufeff"
    assert re.search(NOT_ONLY_WHITESPACE, "\ufeff") is not None


def test_a_name_over_255_characters_as_sent_is_refused_even_if_trimming_would_fit_it(api_client):
    response = api_client.post(REGISTER, {**valid_register_body(), "name": "x" * 255 + " "})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["name"]


def test_a_password_keeps_its_leading_and_trailing_spaces(api_client):
    registered = api_client.post(REGISTER, {**valid_register_body(), "password": PASSPHRASE})

    as_typed = api_client.post(TOKEN, {"email": "ana@example.com", "password": PASSPHRASE})
    trimmed = api_client.post(TOKEN, {"email": "ana@example.com", "password": PASSPHRASE.strip()})

    assert registered.status_code == 201
    assert Customer.objects.get(email="ana@example.com").check_password(PASSPHRASE)
    assert as_typed.status_code == 200
    assert_problem(trimmed, 401, "authentication_failed")


@pytest.mark.parametrize("password", [" ", "   ", "\t"])
def test_a_password_of_whitespace_only_is_judged_by_the_password_validators(api_client, password):
    response = api_client.post(REGISTER, {**valid_register_body(), "password": password})

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["password"]
    assert body["errors"]["password"][0].startswith("This password is too short.")
    assert not Customer.objects.exists()


def test_a_current_password_is_checked_as_typed(auth_client):
    customer = CustomerFactory()
    customer.set_password(PASSPHRASE)
    customer.save()

    trimmed = auth_client(customer).patch(
        ME, {"email": "new@example.com", "current_password": PASSPHRASE.strip()}
    )
    as_typed = auth_client(customer).patch(
        ME, {"email": "new@example.com", "current_password": PASSPHRASE}
    )

    body = assert_problem(trimmed, 400, "validation_error")
    assert list(body["errors"]) == ["current_password"]
    assert as_typed.status_code == 200
    customer.refresh_from_db()
    assert customer.email == "new@example.com"


def test_a_staff_set_password_keeps_its_spaces(staff, auth_client, customer):
    response = auth_client(staff).patch(
        reverse("customer-detail", args=[customer.pk]), {"password": PASSPHRASE}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.check_password(PASSPHRASE)
    assert not customer.check_password(PASSPHRASE.strip())


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/auth/register/", "post"),
        ("/api/v1/customers/", "post"),
        ("/api/v1/customers/{id}/", "patch"),
    ],
)
def test_emails_are_described_by_their_format_alone(schema, path, method):
    email = request_body_schema(schema, path, method)["properties"]["email"]

    # A pattern beside the format makes generators build addresses Django refuses (`0@0.a`).
    assert email["format"] == "email"
    assert "pattern" not in email


@pytest.mark.parametrize("value", [1, 0, "true", "yes", [], {}], ids=repr)
@pytest.mark.parametrize("field", ["is_staff", "is_active"])
def test_staff_flags_are_true_or_false_only(staff, customer, auth_client, field, value):
    before = (customer.is_staff, customer.is_active)

    response = auth_client(staff).patch(
        reverse("customer-detail", args=[customer.pk]), {field: value}
    )

    problem = assert_problem(response, 400, "validation_error")
    assert list(problem["errors"]) == [field]
    customer.refresh_from_db()
    assert (customer.is_staff, customer.is_active) == before


@pytest.mark.parametrize("value", [1, "true", [], {}], ids=repr)
def test_staff_creating_a_customer_send_the_flags_as_booleans(staff, auth_client, value):
    body = {"name": "Bea", "email": "bea@example.com", "is_staff": value}

    response = auth_client(staff).post(LIST, body)

    problem = assert_problem(response, 400, "validation_error")
    assert list(problem["errors"]) == ["is_staff"]
    assert not Customer.objects.filter(email="bea@example.com").exists()


def test_a_customer_sending_a_staff_flag_of_the_wrong_type_gets_400_as_the_schema_says(
    customer, auth_client
):
    # The fuzzer's case: one body schema for everybody, so its types hold for a customer too.
    response = auth_client(customer).patch(ME, {"name": "Renamed", "is_staff": []})

    problem = assert_problem(response, 400, "validation_error")
    assert list(problem["errors"]) == ["is_staff"]
    customer.refresh_from_db()
    assert customer.name != "Renamed"


def test_a_customer_sending_well_typed_staff_flags_changes_only_what_it_may(customer, auth_client):
    response = auth_client(customer).patch(
        ME, {"name": "Renamed", "is_staff": True, "is_active": False}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.name, customer.is_staff, customer.is_active) == ("Renamed", False, True)
