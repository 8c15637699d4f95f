"""Idempotency-Key on POST .../favorites/ and .../favorites/batch/: a replay does nothing."""

import json
import threading
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.products import product_page
from catalog.testing import luizalabs_product, luizalabs_url
from customers.services import customer_delete
from favorites.idempotency import request_fingerprint
from favorites.models import Favorite, IdempotencyRecord
from favorites.tests.factories import FavoriteFactory, expired_and_live_idempotency_records
from favorites_project.testing import assert_problem, openapi_schema

LIST_URL = "/api/v1/customers/me/favorites/"
BATCH_URL = "/api/v1/customers/me/favorites/batch/"


@pytest.fixture
def client(customer, auth_client):
    return auth_client(customer)


@pytest.fixture
def catalog_has(catalog_http):
    def register(*product_ids):
        for product_id in product_ids:
            catalog_http.get(luizalabs_url(product_id), json=luizalabs_product(product_id))

    return register


def post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def favorite_ids(customer) -> set[str]:
    return set(Favorite.objects.filter(customer=customer).values_list("product_id", flat=True))


def test_a_replayed_batch_returns_the_first_answer_unchanged_and_does_nothing(
    client, customer, catalog_http, catalog_has
):
    catalog_has("p-1", "p-2")
    FavoriteFactory(customer=customer, product_id="old")
    body = {"add": ["p-1", "p-2"], "remove": ["old"]}

    first = post(client, BATCH_URL, body, "key-1")
    calls = len(catalog_http.calls)
    # Changed since: a real re-run would now answer differently.
    Favorite.objects.filter(customer=customer, product_id="p-1").delete()
    FavoriteFactory(customer=customer, product_id="old")
    replay = post(client, BATCH_URL, body, "key-1")

    assert first.status_code == 200
    assert replay.status_code == 200
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert len(catalog_http.calls) == calls
    assert favorite_ids(customer) == {"p-2", "old"}


def test_the_same_key_with_another_body_is_422_and_does_nothing(client, customer, catalog_has):
    catalog_has("p-1", "p-2")
    post(client, BATCH_URL, {"add": ["p-1"]}, "key-1")

    response = post(client, BATCH_URL, {"add": ["p-2"]}, "key-1")

    assert_problem(response, 422, "idempotency_key_reused")
    assert favorite_ids(customer) == {"p-1"}


def test_the_same_key_on_another_endpoint_is_422(client, customer, catalog_has):
    catalog_has("p-1")
    post(client, BATCH_URL, {"add": ["p-1"]}, "key-1")

    response = post(client, LIST_URL, {"product_id": "p-1"}, "key-1")

    assert_problem(response, 422, "idempotency_key_reused")


def test_the_same_json_spelled_differently_is_the_same_request(client, customer, catalog_has):
    catalog_has("p-1")
    first = client.post(
        BATCH_URL,
        b'{"add": ["p-1"], "remove": []}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    replay = client.post(
        BATCH_URL,
        b'{"remove":[],"add":["p-1"]}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"


def test_a_single_add_with_a_key_is_replayed_as_its_201(
    client, customer, catalog_http, catalog_has
):
    catalog_has("p-1")

    first = post(client, LIST_URL, {"product_id": "p-1"}, "add-p-1")
    replay = post(client, LIST_URL, {"product_id": "p-1"}, "add-p-1")
    without_key = client.post(LIST_URL, {"product_id": "p-1"})

    assert first.status_code == 201
    assert replay.status_code == 201
    assert replay.content == first.content
    assert len(catalog_http.calls) == 1
    assert_problem(without_key, 409, "favorite_exists")


def test_a_failed_request_frees_its_key_for_a_retry(client, customer, catalog_http):
    catalog_http.get(luizalabs_url("p-1"), status=500)

    failed = post(client, LIST_URL, {"product_id": "p-1"}, "retry-me")
    catalog_http.replace("GET", luizalabs_url("p-1"), json=luizalabs_product("p-1"))
    retried = post(client, LIST_URL, {"product_id": "p-1"}, "retry-me")

    assert_problem(failed, 503, "catalog_unavailable")
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert favorite_ids(customer) == {"p-1"}


def test_keys_belong_to_one_customer(client, customer, other_customer, auth_client, catalog_has):
    catalog_has("p-1")
    post(client, LIST_URL, {"product_id": "p-1"}, "shared-key")

    theirs = post(auth_client(other_customer), LIST_URL, {"product_id": "p-1"}, "shared-key")

    assert theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert favorite_ids(other_customer) == {"p-1"}


def test_an_answer_older_than_a_day_is_not_replayed(client, customer, catalog_has):
    catalog_has("p-1")
    post(client, BATCH_URL, {"add": ["p-1"]}, "old-key")
    IdempotencyRecord.objects.filter(key="old-key").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    again = post(client, BATCH_URL, {"add": ["p-1"]}, "old-key")

    assert "Idempotent-Replayed" not in again
    assert again.json()["results"][0]["status"] == "already_present"


def test_a_record_expires_a_day_after_its_request(client, customer, catalog_has):
    catalog_has("p-1")
    post(client, BATCH_URL, {"add": ["p-1"]}, "k")

    record = IdempotencyRecord.objects.get(customer=customer, key="k")

    assert record.expires_at - record.created_at == timedelta(hours=24)
    assert record.status == 200


def test_a_request_still_in_progress_is_409_with_retry_after(client, customer):
    IdempotencyRecord.objects.create(
        customer=customer,
        key="busy",
        fingerprint=_fingerprint_of_batch({"remove": ["p-1"]}),
        expires_at=timezone.now() + timedelta(hours=24),
    )

    response = post(client, BATCH_URL, {"remove": ["p-1"]}, "busy")

    assert_problem(response, 409, "request_in_progress")
    assert response["Retry-After"] == "1"


def test_a_request_abandoned_in_progress_is_taken_over(client, customer, settings):
    FavoriteFactory(customer=customer, product_id="p-1")
    long_ago = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_LOCK_SECONDS + 1)
    IdempotencyRecord.objects.create(
        customer=customer,
        key="crashed",
        fingerprint=_fingerprint_of_batch({"remove": ["p-1"]}),
        created_at=long_ago,
        expires_at=long_ago + timedelta(hours=24),
    )

    response = post(client, BATCH_URL, {"remove": ["p-1"]}, "crashed")

    assert response.json()["results"] == [
        {"product_id": "p-1", "status": "removed", "favorite": None}
    ]


def _fingerprint_of_batch(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return request_fingerprint(operation="favorites.batch", body=canonical.encode())


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "tab\there", "é"], ids=["empty", "too long", "control", "non-ascii"]
)
def test_a_malformed_key_is_400_naming_the_header(client, customer, key):
    response = client.post(
        BATCH_URL, {"remove": ["p-1"]}, format="json", headers={"Idempotency-Key": key}
    )

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert not IdempotencyRecord.objects.exists()


def test_a_key_of_255_printable_characters_is_taken(client, customer):
    key = "".join(chr(32 + n % 95) for n in range(255))

    response = client.post(
        BATCH_URL, {"remove": ["p-1"]}, format="json", headers={"Idempotency-Key": key}
    )

    assert response.status_code == 200
    assert IdempotencyRecord.objects.get(customer=customer).key == key


def test_erasing_a_customer_erases_its_idempotency_records(client, customer, catalog_has):
    catalog_has("p-1")
    post(client, BATCH_URL, {"add": ["p-1"]}, "k")
    assert IdempotencyRecord.objects.filter(customer=customer).exists()

    customer_delete(customer=customer)

    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_against_a_live_server_run_once(
    live_server, customer, catalog, settings
):
    """Eight copies of one batch at once: one runs, the others wait for nothing and say so
    (409 request_in_progress) or, once it is done, replay its answer."""
    ids = [product.id for product in product_page(1).products[:3]]
    catalog.set_faults(latency_ms=500)  # the first request is still running as the rest arrive
    served = catalog.requests_served
    token = str(RefreshToken.for_user(customer).access_token)
    barrier = threading.Barrier(8)
    answers: list = [None] * 8

    def send(index: int) -> None:
        barrier.wait(timeout=10)
        response = requests.post(
            f"{live_server.url}{BATCH_URL}",
            json={"add": ids},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "one-key"},
            timeout=30,
        )
        answers[index] = response

    threads = [threading.Thread(target=send, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    replay = requests.post(
        f"{live_server.url}{BATCH_URL}",
        json={"add": ids},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "one-key"},
        timeout=30,
    )

    runs = [r for r in answers if r.status_code == 200 and "Idempotent-Replayed" not in r.headers]
    assert len(runs) == 1
    winner = runs[0]
    assert [result["status"] for result in winner.json()["results"]] == ["added"] * 3
    # The others arrived while it ran (most, with the catalog 500 ms slow) or, on a busy
    # machine, after it: never a second run.
    others = Counter(
        "replayed" if r.content == winner.content else r.json().get("code")
        for r in answers
        if r is not winner
    )
    assert set(others) <= {"request_in_progress", "replayed"}
    assert others["request_in_progress"] >= 1
    assert replay.status_code == 200
    assert replay.content == winner.content
    assert favorite_ids(customer) == set(ids)
    assert catalog.requests_served - served == 3  # each product looked up once
    assert IdempotencyRecord.objects.get(customer=customer).status == 200


def test_the_purge_command_deletes_only_expired_records(customer):
    expired_and_live_idempotency_records(customer)
    out = StringIO()

    call_command("purge_idempotency_records", stdout=out)

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["live"]
    assert "Deleted 1 " in out.getvalue()


@pytest.mark.parametrize(
    ("path", "success"),
    [
        ("/api/v1/customers/{customer_id}/favorites/", "201"),
        ("/api/v1/customers/{customer_id}/favorites/batch/", "200"),
    ],
)
def test_the_schema_documents_the_headers_these_answers_carry(path, success):
    responses = openapi_schema()["paths"][path]["post"]["responses"]

    assert "request_in_progress" in responses["409"]["description"]
    assert "Retry-After" in responses["409"]["headers"]
    assert responses[success]["headers"]["Idempotent-Replayed"]["schema"]["enum"] == ["true"]
