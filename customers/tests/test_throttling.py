"""The throttles themselves: the per-process fallback while Redis is down."""

import logging

import pytest
from django.urls import reverse

from customers.testing import api_login, set_throttle_rates
from customers.tests.factories import PASSWORD
from customers.throttling import FALLBACK_CACHE

pytestmark = pytest.mark.django_db

ME = reverse("customer-detail", args=["me"])
REGISTER = reverse("auth-register")


def test_logins_stay_throttled_per_address_in_process_memory_while_redis_is_down(
    api_client, customer, settings, throttle_store_down, caplog
):
    set_throttle_rates(settings, login="3/min")

    with caplog.at_level(logging.WARNING, logger="customers.throttling"):
        guesses = [api_login(api_client, customer.email, "wrong").status_code for _ in range(3)]
        right_password = api_login(api_client, customer.email)

    assert guesses == [401, 401, 401]
    assert right_password.status_code == 429
    assert right_password.json()["code"] == "throttled"
    assert int(right_password["Retry-After"]) > 0
    assert "throttle store is unreachable" in caplog.text
    assert [record.levelname for record in caplog.records] == ["WARNING"] * len(caplog.records)


def test_the_first_logins_still_work_while_redis_is_down(
    api_client, customer, settings, throttle_store_down
):
    set_throttle_rates(settings, login="3/min")

    assert api_login(api_client, customer.email).status_code == 200
    assert api_login(api_client, customer.email, address="198.51.100.7").status_code == 200


def test_registrations_stay_throttled_while_redis_is_down(
    api_client, settings, throttle_store_down
):
    set_throttle_rates(settings, register="2/min")

    statuses = [
        api_client.post(
            REGISTER, {"name": "N", "email": f"n{i}@example.com", "password": PASSWORD}
        ).status_code
        for i in range(3)
    ]

    assert statuses == [201, 201, 429]


def test_current_password_guesses_stay_throttled_while_redis_is_down(
    customer, auth_client, settings, throttle_store_down
):
    set_throttle_rates(settings, login="2/min")
    guess = {"password": "a-brand-new-passphrase", "current_password": "a-guess"}
    client = auth_client(customer)

    assert [client.patch(ME, guess).status_code for _ in range(3)] == [400, 400, 429]


def test_counts_go_back_to_redis_when_it_answers_again(api_client, customer, settings):
    """Only a failing store sends counts to the fallback: with Redis up it stays empty."""
    set_throttle_rates(settings, login="3/min")

    api_login(api_client, customer.email, "wrong")

    assert FALLBACK_CACHE._cache == {}
