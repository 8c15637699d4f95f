"""One refresh token, used many times at once: the database lets exactly one use win."""

import threading

import jwt
import pytest
import requests
from django.conf import settings
from django.urls import reverse
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from customers.tests.factories import CustomerFactory

REFRESH = reverse("auth-token-refresh")
BLACKLIST = reverse("auth-token-blacklist")


def post_all_at_once(calls: list[tuple[str, dict]]) -> list[requests.Response]:
    """POSTs every (url, body) from its own thread, released together."""
    barrier = threading.Barrier(len(calls))
    responses: list[requests.Response | None] = [None] * len(calls)

    def post(index, url, body):
        barrier.wait()
        responses[index] = requests.post(url, json=body, timeout=30)

    threads = [
        threading.Thread(target=post, args=(index, url, body))
        for index, (url, body) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses  # type: ignore[return-value]  # every thread has answered


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_refreshes_of_one_token_give_exactly_one_new_pair(live_server):
    customer = CustomerFactory()
    token = str(RefreshToken.for_user(customer))
    outstanding_before = OutstandingToken.objects.filter(user=customer).count()

    responses = post_all_at_once([(live_server.url + REFRESH, {"refresh": token})] * 20)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 19
    assert {r.json()["code"] for r in responses if r.status_code == 401} == {
        "authentication_failed"
    }
    winner = next(response.json() for response in responses if response.status_code == 200)
    assert AccessToken(winner["access"])["user_id"] == str(customer.pk)
    # One new chain, and only it: the winner's refresh token works, the old one does not.
    assert OutstandingToken.objects.filter(user=customer).count() == outstanding_before + 1
    again = requests.post(
        live_server.url + REFRESH, json={"refresh": winner["refresh"]}, timeout=10
    )
    assert again.status_code == 200
    old = requests.post(live_server.url + REFRESH, json={"refresh": token}, timeout=10)
    assert old.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_logout_racing_refreshes_of_one_token_lets_exactly_one_of_them_win(live_server):
    customer = CustomerFactory()
    token = str(RefreshToken.for_user(customer))
    calls = [(live_server.url + BLACKLIST, {"refresh": token})]
    calls += [(live_server.url + REFRESH, {"refresh": token})] * 9

    responses = post_all_at_once(calls)

    assert sorted(response.status_code for response in responses) == [200] + [401] * 9
    assert OutstandingToken.objects.filter(user=customer).count() <= 2


# Logout, one request at a time.


@pytest.mark.django_db
def test_logging_out_twice_with_one_token_is_401_the_second_time(api_client, customer):
    token = str(RefreshToken.for_user(customer))

    first = api_client.post(BLACKLIST, {"refresh": token})
    second = api_client.post(BLACKLIST, {"refresh": token})

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()["code"] == "authentication_failed"


@pytest.mark.django_db
def test_a_rotated_out_token_cannot_log_out_but_its_successor_can(api_client, customer):
    token = str(RefreshToken.for_user(customer))
    successor = api_client.post(REFRESH, {"refresh": token}).json()["refresh"]

    assert api_client.post(BLACKLIST, {"refresh": token}).status_code == 401
    assert api_client.post(BLACKLIST, {"refresh": successor}).status_code == 200
    assert api_client.post(REFRESH, {"refresh": successor}).status_code == 401


@pytest.mark.django_db
def test_a_logged_out_token_cannot_be_refreshed(api_client, customer):
    token = str(RefreshToken.for_user(customer))

    assert api_client.post(BLACKLIST, {"refresh": token}).status_code == 200
    assert api_client.post(REFRESH, {"refresh": token}).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("user_id", ["not-a-number", "1.5", "-1", "", None, True, ["1"]])
def test_a_validly_signed_refresh_token_naming_no_customer_id_is_401(api_client, customer, user_id):
    refresh = RefreshToken.for_user(customer)
    payload = {**refresh.payload, "user_id": user_id}
    forged = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")

    response = api_client.post(REFRESH, {"refresh": forged})

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
