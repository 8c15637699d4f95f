"""/metrics counts events and deliveries, and reads the outbox's backlog at each scrape."""

import re

import pytest
from django.test import Client

from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url
from events.models import Event
from events.services import delivery_attempt, events_dispatch, webhook_endpoint_create
from events.testing import WebhookReceiver

pytestmark = pytest.mark.django_db


def metric(name: str, labels: str = "") -> float:
    text = Client().get("/metrics").content.decode()
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_events_are_counted_by_type_when_their_transaction_commits(
    customer, auth_client, catalog_http, django_capture_on_commit_callbacks
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())
    name, labels = "favorites_events_written_total", '{type="favorite.added"}'
    before = metric(name, labels)

    with django_capture_on_commit_callbacks(execute=True):
        auth_client(customer).post(
            f"/api/v1/customers/{customer.pk}/favorites/", {"product_id": PRODUCT_ID}
        )

    assert metric(name, labels) == before + 1


def test_the_backlog_is_read_from_the_outbox_at_each_scrape():
    assert metric("favorites_events_undispatched") == 0
    Event.objects.create(type="customer.deleted", customer_id=1)
    Event.objects.create(type="customer.deleted", customer_id=2)

    assert metric("favorites_events_undispatched") == 2
    assert metric("favorites_webhook_deliveries_pending") == 0


def test_deliveries_are_counted_by_outcome_and_timed(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    succeeded = '{outcome="succeeded"}'
    before = metric("favorites_webhook_delivery_attempts_total", succeeded)
    timed = metric("favorites_webhook_request_duration_seconds_count")
    with WebhookReceiver() as receiver:
        receiver.secret = webhook_endpoint_create(url=receiver.url, event_types=[]).secret
        event = Event.objects.create(type="customer.deleted", customer_id=1)
        [delivery_id] = events_dispatch(event_ids=[event.pk])
        assert metric("favorites_webhook_deliveries_pending") == 1

        delivery_attempt(delivery_id=delivery_id)

    assert metric("favorites_webhook_delivery_attempts_total", succeeded) == before + 1
    assert metric("favorites_webhook_request_duration_seconds_count") == timed + 1
    assert metric("favorites_webhook_deliveries_pending") == 0
    assert len(receiver.received) == 1
