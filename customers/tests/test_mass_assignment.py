"""Fields nobody may set through the API are ignored in every writable customer and auth body."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from customers.models import Customer
from customers.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = reverse("auth-register")
TOKEN = reverse("auth-token")
REFRESH = reverse("auth-token-refresh")
BLACKLIST = reverse("auth-token-blacklist")
LIST = reverse("customer-list")
ME = reverse("customer-detail", args=["me"])

LONG_AGO = "2000-01-01T00:00:00Z"
ATTACKER_HASH = make_password("the-attackers-own-passphrase")


def forged_fields(victim_id: int) -> dict:
    """What an attacker adds to a body: privileges, identity, hashes, timestamps."""
    admins, _ = Group.objects.get_or_create(name="admins")
    return {
        "id": 4242,
        "pk": 4242,
        "is_staff": True,
        "is_superuser": True,
        "is_active": False,
        "password_hash": ATTACKER_HASH,
        "hash_password": "0" * 32,
        "token_version": 99,
        "date_joined": LONG_AGO,
        "last_login": LONG_AGO,
        "groups": [admins.pk],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)[:3]),
        "user_id": victim_id,
        "customer_id": victim_id,
    }


def protected_state(customer: Customer) -> tuple:
    customer.refresh_from_db()
    return (
        customer.pk,
        customer.is_staff,
        customer.is_superuser,
        customer.is_active,
        customer.password,
        customer.date_joined,
        customer.last_login,
        list(customer.groups.all()),
        list(customer.user_permissions.all()),
    )


def assert_recent(moment: datetime) -> None:
    assert moment.year > 2000
    assert (datetime.now(UTC) - moment).total_seconds() < 600


def test_registering_ignores_privileges_identity_and_hashes(api_client, customer):
    response = api_client.post(
        REGISTER,
        {
            "name": "Eve",
            "email": "eve@example.com",
            "password": PASSWORD,
            **forged_fields(customer.pk),
        },
    )

    assert response.status_code == 201
    eve = Customer.objects.get(email="eve@example.com")
    assert eve.pk != 4242
    assert (eve.is_staff, eve.is_superuser, eve.is_active) == (False, False, True)
    assert eve.check_password(PASSWORD)
    assert eve.password != ATTACKER_HASH
    assert eve.last_login is None
    assert_recent(eve.date_joined)
    assert not eve.groups.exists()
    assert not eve.user_permissions.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_customer_updating_itself_cannot_set_any_protected_field(
    customer, other_customer, auth_client, method
):
    before = protected_state(customer)
    victim_before = protected_state(other_customer)

    response = getattr(auth_client(customer), method)(
        ME,
        {
            "name": "Renamed",
            "email": customer.email,
            "current_password": PASSWORD,
            **forged_fields(other_customer.pk),
        },
    )

    assert response.status_code == 200
    assert response.json()["is_staff"] is False
    assert protected_state(customer) == before
    assert protected_state(other_customer) == victim_before
    customer.refresh_from_db()
    assert customer.name == "Renamed"


def test_a_password_that_looks_like_a_hash_is_hashed_not_stored(api_client, customer, auth_client):
    response = auth_client(customer).patch(
        ME, {"password": ATTACKER_HASH, "current_password": PASSWORD}
    )

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.password != ATTACKER_HASH
    assert not customer.check_password("the-attackers-own-passphrase")
    assert customer.check_password(ATTACKER_HASH)


def test_staff_creating_a_customer_set_only_the_documented_fields(staff, auth_client, customer):
    response = auth_client(staff).post(
        LIST,
        {"name": "Bia", "email": "bia@example.com", **forged_fields(customer.pk)},
    )

    assert response.status_code == 201
    bia = Customer.objects.get(email="bia@example.com")
    # is_staff and is_active are documented staff fields; the rest is ignored.
    assert (bia.is_staff, bia.is_active) == (True, False)
    assert bia.is_superuser is False
    assert bia.pk != 4242
    assert bia.password != ATTACKER_HASH
    assert not bia.has_usable_password()
    assert bia.last_login is None
    assert_recent(bia.date_joined)
    assert not bia.groups.exists()


@pytest.mark.parametrize("method", ["put", "patch"])
def test_staff_updating_a_customer_set_only_the_documented_fields(
    staff, customer, other_customer, auth_client, method
):
    pk, _, _, _, password, date_joined, last_login, groups, permissions = protected_state(customer)

    response = getattr(auth_client(staff), method)(
        reverse("customer-detail", args=[customer.pk]),
        {"name": "Renamed", "email": customer.email, **forged_fields(other_customer.pk)},
    )

    assert response.status_code == 200
    assert protected_state(customer) == (
        pk,
        True,
        False,
        False,
        password,
        date_joined,
        last_login,
        groups,
        permissions,
    )


def test_a_login_body_cannot_name_another_customer(api_client, customer, other_customer):
    response = api_client.post(
        TOKEN, {"email": customer.email, "password": PASSWORD, **forged_fields(other_customer.pk)}
    )

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(customer.pk)
    assert RefreshToken(response.json()["refresh"])["user_id"] == str(customer.pk)


def test_a_refresh_body_cannot_name_another_customer(api_client, customer, other_customer):
    token = str(RefreshToken.for_user(customer))

    response = api_client.post(REFRESH, {"refresh": token, **forged_fields(other_customer.pk)})

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["user_id"] == str(customer.pk)
    assert RefreshToken(response.json()["refresh"])["user_id"] == str(customer.pk)


def test_a_logout_body_revokes_only_the_token_it_carries(api_client, customer, other_customer):
    mine = str(RefreshToken.for_user(customer))
    theirs = str(RefreshToken.for_user(other_customer))

    response = api_client.post(BLACKLIST, {"refresh": mine, **forged_fields(other_customer.pk)})

    assert response.status_code == 200
    assert api_client.post(REFRESH, {"refresh": theirs}).status_code == 200
    assert api_client.post(REFRESH, {"refresh": mine}).status_code == 401


def test_an_unknown_field_cannot_smuggle_a_second_customer_in(api_client, customer):
    before = Customer.objects.count()

    response = api_client.post(
        REGISTER,
        {
            "name": "Eve",
            "email": "eve@example.com",
            "password": PASSWORD,
            "customers": [{"email": "mallory@example.com", "is_staff": True}],
        },
    )

    assert response.status_code == 201
    assert Customer.objects.count() == before + 1
    assert not Customer.objects.filter(email="mallory@example.com").exists()
