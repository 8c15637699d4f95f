"""Changing one's own email needs the current password, so a stolen token cannot probe emails."""

import pytest
from django.urls import reverse

from customers.testing import set_throttle_rates
from customers.tests.factories import PASSWORD, CustomerFactory
from favorites_project.testing import assert_problem

pytestmark = pytest.mark.django_db

ME = reverse("customer-detail", args=["me"])


def detail(pk) -> str:
    return reverse("customer-detail", args=[pk])


def assert_unchanged(customer) -> None:
    email, name = customer.email, customer.name
    customer.refresh_from_db()
    assert (customer.email, customer.name) == (email, name)


@pytest.mark.parametrize("current_password", [None, "", "not-the-password"])
@pytest.mark.parametrize("method", ["patch", "put"])
def test_changing_ones_own_email_without_the_right_current_password_is_400(
    customer, auth_client, current_password, method
):
    data = {"name": "Changed", "email": "new@example.com"}
    if current_password is not None:
        data["current_password"] = current_password

    response = getattr(auth_client(customer), method)(ME, data)

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["current_password"]
    assert_unchanged(customer)


def test_changing_ones_own_email_with_the_current_password_works(customer, auth_client):
    response = auth_client(customer).patch(
        ME, {"email": "New@Example.com", "current_password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.json()["email"] == "new@example.com"
    customer.refresh_from_db()
    assert customer.email == "new@example.com"


def test_a_taken_email_without_the_current_password_is_400_not_409(
    customer, other_customer, auth_client
):
    """The 409 that told a token holder an email is registered needs the password now."""
    client = auth_client(customer)

    taken = client.patch(ME, {"email": other_customer.email})
    free = client.patch(ME, {"email": "nobody-has-this@example.com"})
    wrong_password = client.patch(
        ME, {"email": other_customer.email, "current_password": "a-guess"}
    )

    assert (taken.status_code, free.status_code, wrong_password.status_code) == (400, 400, 400)
    assert taken.json() == free.json()
    assert_unchanged(customer)


def test_resending_ones_own_email_in_another_case_needs_no_password(customer, auth_client):
    response = auth_client(customer).put(
        ME, {"name": "Renamed", "email": f"  {customer.email.upper()} "}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.name == "Renamed"


def test_staff_change_another_customers_email_without_a_password(staff, customer, auth_client):
    response = auth_client(staff).patch(detail(customer.pk), {"email": "moved@example.com"})

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.email == "moved@example.com"


def test_staff_changing_their_own_email_need_their_current_password(staff, auth_client):
    refused = auth_client(staff).patch(detail(staff.pk), {"email": "boss@example.com"})
    allowed = auth_client(staff).patch(
        detail(staff.pk), {"email": "boss@example.com", "current_password": PASSWORD}
    )

    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["current_password"]
    assert allowed.status_code == 200


def test_email_changes_are_throttled_like_logins(customer, auth_client, settings):
    set_throttle_rates(settings, login="2/min")
    client = auth_client(customer)
    probe = {"email": "probe@example.com", "current_password": "a-guess"}

    statuses = [client.patch(ME, probe).status_code for _ in range(3)]
    right_password = client.patch(ME, {**probe, "current_password": PASSWORD})
    renamed = client.patch(ME, {"name": "Still Allowed"})

    assert statuses == [400, 400, 429]
    assert right_password.status_code == 429
    assert right_password.json()["code"] == "throttled"
    assert int(right_password["Retry-After"]) > 0
    assert renamed.status_code == 200
    customer.refresh_from_db()
    assert customer.email != "probe@example.com"


def test_staff_editing_other_customers_emails_are_not_throttled_as_password_checks(
    staff, auth_client, settings
):
    set_throttle_rates(settings, login="2/min")
    customers = CustomerFactory.create_batch(4)
    client = auth_client(staff)

    statuses = [
        client.patch(detail(c.pk), {"email": f"moved{c.pk}@example.com"}).status_code
        for c in customers
    ]

    assert statuses == [200] * 4
