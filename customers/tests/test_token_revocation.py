"""Access tokens stop working as soon as their customer changes: password, activity, deletion.

The authentication reads customers through the cache (customers/cache.py), and with
Redis through each process's near cache (favorites_project/near_cache.py); every change
through the ORM drops the cached row, and anything else is seen within AUTH_CACHE_SECONDS.
"""

import time
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from customers.cache import KEY, customer_get_cached
from customers.models import Customer
from customers.tests.factories import PASSWORD
from favorites_project.testing import assert_problem, redis_cache

ME = "/api/v1/customers/me/"


@pytest.fixture(autouse=True, params=["memory", "redis"])
def shared_cache(request, settings):
    """Each rule with each process's own memory, and with Redis and the near cache, as
    production has them."""
    if request.param == "memory":
        yield
        return
    with redis_cache(settings):
        yield


@pytest.fixture
def client(customer, auth_client):
    client = auth_client(customer)
    # The customer is now in the cache, and with Redis in this process's near cache too
    # (the first read found it in neither and put it in Redis; the second kept it).
    for _ in range(2):
        assert client.get(ME).status_code == 200
    return client


def test_a_password_change_revokes_the_access_tokens_at_once(client, customer, staff, auth_client):
    response = auth_client(staff).patch(
        f"/api/v1/customers/{customer.pk}/", {"password": "a-brand-new-passphrase"}
    )
    assert response.status_code == 200

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_a_token_issued_after_the_password_change_works(client, customer, auth_client):
    customer.set_password("a-brand-new-passphrase")
    customer.save()

    assert client.get(ME).status_code == 401
    assert auth_client(customer).get(ME).status_code == 200


def test_deactivating_a_customer_refuses_its_tokens_at_once(client, customer, staff, auth_client):
    response = auth_client(staff).patch(f"/api/v1/customers/{customer.pk}/", {"is_active": False})
    assert response.status_code == 200

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_deleting_a_customer_refuses_its_tokens_at_once(client, customer):
    assert client.delete(ME, {"current_password": PASSWORD}).status_code == 204

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_a_change_that_bypasses_the_orm_shows_within_auth_cache_seconds(
    customer, auth_client, settings
):
    settings.AUTH_CACHE_SECONDS = 1
    client = auth_client(customer)
    assert client.get(ME).status_code == 200  # cached for a second

    Customer.objects.filter(pk=customer.pk).update(is_active=False)  # no signal
    assert client.get(ME).status_code == 200  # the bound, not a promise
    time.sleep(1.1)

    assert_problem(client.get(ME), 401, "authentication_failed")


@pytest.mark.parametrize(
    "user_id", ["abc", "1.5", "-1", "", " 1", "1" * 19, 1.5, True, None, ["1"], {"id": 1}]
)
def test_a_signed_token_whose_user_id_is_no_customer_id_is_401(api_client, customer, user_id):
    token = AccessToken.for_user(customer)
    token["user_id"] = user_id
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_problem(api_client.get(ME), 401, "authentication_failed")


def test_a_signed_token_with_an_integer_user_id_names_the_customer(api_client, customer):
    token = AccessToken.for_user(customer)
    token["user_id"] = customer.pk
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert api_client.get(ME).json()["id"] == customer.pk


def test_a_token_without_the_password_digest_is_refused(api_client, customer):
    token = AccessToken.for_user(customer)
    del token["hash_password"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert_problem(api_client.get(ME), 401, "authentication_failed")


def test_an_access_token_made_from_an_old_refresh_token_is_refused_after_a_password_change(
    api_client, customer
):
    refresh = RefreshToken.for_user(customer)
    customer.set_password("a-brand-new-passphrase")
    customer.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")

    assert_problem(api_client.get(ME), 401, "authentication_failed")


def test_a_customer_edits_its_row_as_it_is_not_as_it_was_cached(client, customer):
    Customer.objects.filter(pk=customer.pk).update(name="Renamed elsewhere")  # cache not told

    response = client.patch(ME, {})

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed elsewhere"


def test_a_token_checked_before_is_refused_once_it_expires(api_client, customer):
    token = AccessToken.for_user(customer)
    token.set_exp(lifetime=timedelta(seconds=2))  # whole seconds: 1 to 2 s left
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(ME).status_code == 200  # its signature is now checked and kept

    time.sleep(2.1)

    assert_problem(api_client.get(ME), 401, "authentication_failed")


def test_a_token_with_another_signature_is_refused_after_the_real_one_was_checked(
    api_client, customer
):
    token = str(AccessToken.for_user(customer))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get(ME).status_code == 200
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert_problem(api_client.get(ME), 401, "authentication_failed")


def test_deactivating_a_customer_with_an_orm_save_as_the_admin_does_refuses_at_once(
    client, customer
):
    customer.is_active = False
    customer.save()  # what the admin's change form does

    assert_problem(client.get(ME), 401, "authentication_failed")


def test_a_customer_read_past_the_cache_is_the_row_as_the_orm_reads_it(customer):
    customer.last_login = timezone.now()
    customer.save()
    cache.delete(KEY.format(customer.pk))  # the miss: read by the statement written once

    cached = customer_get_cached(customer_id=customer.pk)

    expected = Customer.objects.get(pk=customer.pk)
    assert cached is not None
    assert {f.attname: getattr(cached, f.attname) for f in Customer._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Customer._meta.concrete_fields
    }
    assert isinstance(cached.date_joined, datetime)
    assert cached.date_joined.tzinfo is not None
    assert customer_get_cached(customer_id=customer.pk + 1000) is None
