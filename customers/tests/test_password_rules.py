"""Passwords are kept as sent; one made of spaces alone is refused."""

import pytest

from customers.models import Customer
from favorites_project.testing import assert_problem

REGISTER = "/api/v1/auth/register/"


@pytest.mark.parametrize("password", [" " * 12, "\t" * 10, " \n " * 5])
def test_a_password_of_whitespace_alone_is_refused(api_client, db, password):
    response = api_client.post(
        REGISTER, {"name": "Ana", "email": "ana@example.com", "password": password}
    )

    body = assert_problem(response, 400, "validation_error")
    assert "password" in body["errors"]
    assert not Customer.objects.exists()


def test_a_passphrase_with_spaces_inside_and_around_is_kept_as_sent(api_client, db):
    password = "  a long passphrase with spaces  "

    response = api_client.post(
        REGISTER, {"name": "Ana", "email": "ana@example.com", "password": password}
    )

    assert response.status_code == 201, response.content
    assert Customer.objects.get().check_password(password)
