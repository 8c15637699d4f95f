"""Simultaneous adds, with real threads on their own database connections."""

import json
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from catalog.testing import luizalabs_product, luizalabs_url
from favorites.models import Favorite

CLIENTS = 20


def post_all_at_once(make_client, payloads: list[dict]) -> list:
    """POST each payload from its own thread, all released at the same moment."""
    barrier = threading.Barrier(len(payloads))
    results: list = [None] * len(payloads)

    def add(index: int, payload: dict) -> None:
        client = make_client()
        try:
            barrier.wait(timeout=10)
            results[index] = client.post("/api/v1/customers/me/favorites/", payload)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=add, args=(index, payload))
        for index, payload in enumerate(payloads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def slow_product(request):
    """The catalog takes a moment (long enough on a loaded machine), so the threads are past
    the duplicate check before the first add commits."""
    product_id = request.url.rstrip("/").rsplit("/", 1)[-1]
    time.sleep(1.0)
    return 200, {}, json.dumps(luizalabs_product(product_id))


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_adds_of_one_product_give_one_201_and_409s(
    customer, auth_client, catalog_http
):
    product_id = "c0ffee00-0000-4000-8000-000000000001"
    catalog_http.add_callback("GET", luizalabs_url(product_id), callback=slow_product)

    responses = post_all_at_once(
        lambda: auth_client(customer), [{"product_id": product_id}] * CLIENTS
    )

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: CLIENTS - 1}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"favorite_exists"}
    assert Favorite.objects.filter(customer=customer, product_id=product_id).count() == 1
    # More than one request got past the duplicate check: the database decided the race.
    assert len(catalog_http.calls) > 1


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_adds_of_different_products_all_succeed(
    customer, auth_client, catalog_http
):
    product_ids = [f"product-{n}" for n in range(CLIENTS)]
    for product_id in product_ids:
        catalog_http.add_callback("GET", luizalabs_url(product_id), callback=slow_product)

    responses = post_all_at_once(
        lambda: auth_client(customer), [{"product_id": pid} for pid in product_ids]
    )

    assert [response.status_code for response in responses] == [201] * CLIENTS
    assert set(Favorite.objects.filter(customer=customer).values_list("product_id", flat=True)) == (
        set(product_ids)
    )
