"""Deliveries end to end: real Celery workers on Redis, a real receiver checking signatures."""

import contextlib
import itertools
import logging
import logging.handlers
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.utils import timezone

from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url
from customers.tests.factories import StaffFactory
from events import webhooks
from events.models import Delivery, Event, WebhookEndpoint
from events.services import (
    delivery_attempt,
    event_record,
    events_dispatch,
    outbox_sweep,
    webhook_endpoint_create,
)
from events.testing import BROKER_DOWN_URL, WebhookReceiver, broker_at, celery_workers
from favorites.models import Favorite
from favorites_project import logs
from favorites_project.celery import app

FAVORITES = "/api/v1/customers/{}/favorites/"


@pytest.fixture
def loopback_webhooks(settings):
    """The receiver is on loopback over plain HTTP: allowed for this test only."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_FIRST_DELAY = 0.05
    settings.WEBHOOK_RETRY_MAX_DELAY = 0.2
    settings.WEBHOOK_TIMEOUT = 2.0
    settings.EVENTS_SWEEP_AFTER = 0
    return settings


@contextlib.contextmanager
def logged_by(name: str) -> Iterator[list[logging.LogRecord]]:
    """The records of logger `name`, with the request id each was written under."""
    handler = logging.handlers.BufferingHandler(capacity=10_000)
    handler.addFilter(logs.RequestContextFilter())
    logger = logging.getLogger(name)
    saved = logger.level, logger.disabled
    logger.setLevel(logging.DEBUG)
    logger.disabled = False
    logger.addHandler(handler)
    try:
        yield handler.buffer
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.disabled = saved[1]


def receiver_endpoint(receiver: WebhookReceiver, **fields) -> WebhookEndpoint:
    endpoint = webhook_endpoint_create(url=receiver.url, event_types=[], **fields)
    receiver.secret = endpoint.secret
    return endpoint


def wait_until(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def delivery_finished() -> Delivery | None:
    return Delivery.objects.exclude(status=Delivery.Status.PENDING).first()


@pytest.mark.django_db(transaction=True)
def test_a_favorite_added_through_the_api_reaches_the_receiver_signed_through_a_worker(
    loopback_webhooks, customer, auth_client, catalog_http
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product(price=1699.0))
    with WebhookReceiver() as receiver, celery_workers(1):
        receiver_endpoint(receiver)

        response = auth_client(customer).post(
            FAVORITES.format(customer.pk), {"product_id": PRODUCT_ID}
        )

        [received] = receiver.wait_for(1)
    assert response.status_code == 201
    event = Event.objects.get()
    assert received == event.payload()
    assert received["data"]["price"] == "1699.00"
    [request] = receiver.requests
    assert request["valid"] is True
    assert request["headers"]["webhook-id"] == str(event.event_id)
    assert request["headers"]["Content-Type"] == "application/json"
    delivery = wait_until(delivery_finished)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert delivery.customer_id == customer.pk
    assert Event.objects.get().dispatched_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_delivery_carries_the_request_id_of_the_change_in_its_request_and_log_lines(
    loopback_webhooks, customer, auth_client, catalog_http
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())
    request_id = "edge-7d1e0c55-0042"
    with (
        WebhookReceiver(answers=[503]) as receiver,
        celery_workers(1),
        logged_by("events.services") as records,
    ):
        receiver_endpoint(receiver)

        response = auth_client(customer).post(
            FAVORITES.format(customer.pk), {"product_id": PRODUCT_ID}, HTTP_X_REQUEST_ID=request_id
        )

        receiver.wait_for(1)
        wait_until(delivery_finished)
    assert response.status_code == 201
    assert Event.objects.get().request_id == request_id
    # The first attempt and its retry, hours later it could be, both carry the id.
    assert [r["status"] for r in receiver.requests] == [503, 200]
    assert all(r["valid"] for r in receiver.requests)
    assert [r["headers"]["X-Request-ID"] for r in receiver.requests] == [request_id] * 2
    [retry] = [r for r in records if r.getMessage().startswith("Webhook delivery")]
    assert retry.request_id == request_id


@pytest.mark.django_db(transaction=True)
def test_failed_attempts_are_retried_with_backoff_until_one_succeeds(loopback_webhooks, customer):
    with WebhookReceiver(answers=[500, 503, 429]) as receiver, celery_workers(1):
        receiver_endpoint(receiver)
        event = event_record(type="customer.deleted", customer_id=customer.pk, data={})

        receiver.wait_for(1)
        delivery = wait_until(delivery_finished)

    assert [r["status"] for r in receiver.requests] == [500, 503, 429, 200]
    assert {r["headers"]["webhook-id"] for r in receiver.requests} == {str(event.event_id)}
    assert all(r["valid"] for r in receiver.requests)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("succeeded", 4, "")
    # Backoff with jitter: each retry waits between half and all of its delay, which doubles
    # from 0.05 s up to the 0.2 s cap: at least 0.025, 0.05 and 0.1 s.
    arrivals = [r["at"] for r in receiver.requests]
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) == 3
    assert all(gap >= least for gap, least in zip(gaps, [0.025, 0.05, 0.1], strict=True)), gaps


@pytest.mark.django_db(transaction=True)
def test_a_delivery_that_keeps_failing_is_marked_failed_when_its_retries_run_out(
    loopback_webhooks, customer
):
    loopback_webhooks.WEBHOOK_RETRY_FOR = 0.6
    with WebhookReceiver(answers=[500] * 1000) as receiver, celery_workers(1):
        receiver_endpoint(receiver)
        event_record(type="customer.deleted", customer_id=customer.pk, data={})

        delivery = wait_until(delivery_finished)

    assert delivery.status == "failed"
    assert delivery.attempts == len(receiver.requests) >= 3
    assert delivery.last_status_code == 500
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.finished_at is not None


@pytest.mark.django_db(transaction=True)
def test_a_410_turns_the_endpoint_off_and_later_events_are_not_sent_to_it(
    loopback_webhooks, customer
):
    with WebhookReceiver(answers=[410]) as receiver, celery_workers(1):
        endpoint = receiver_endpoint(receiver)
        event_record(type="customer.deleted", customer_id=customer.pk, data={})
        delivery = wait_until(delivery_finished)
        later = event_record(type="customer.deleted", customer_id=customer.pk, data={})
        wait_until(lambda: Event.objects.get(pk=later.pk).dispatched_at)

    endpoint.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 410)
    assert endpoint.active is False
    assert "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1
    assert Delivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_while_the_broker_is_down_requests_succeed_and_the_sweeper_delivers_later(
    loopback_webhooks, customer, auth_client, catalog_http
):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())
    with WebhookReceiver() as receiver:
        receiver_endpoint(receiver)
        with broker_at(BROKER_DOWN_URL):
            started = time.monotonic()
            response = auth_client(customer).post(
                FAVORITES.format(customer.pk), {"product_id": PRODUCT_ID}
            )
            took = time.monotonic() - started

        assert response.status_code == 201
        assert took < 2
        assert Favorite.objects.filter(customer=customer).exists()
        event = Event.objects.get()
        assert event.dispatched_at is None
        assert receiver.requests == []

        with celery_workers(1):
            app.tasks["events.sweep"].delay()
            [received] = receiver.wait_for(1)

    assert received["id"] == str(event.event_id)
    assert wait_until(delivery_finished).status == "succeeded"


# Deliveries attempted in this process (the service the tasks call), for what needs no worker.


def planned_delivery(endpoint_url: str, settings) -> Delivery:
    WebhookEndpoint.objects.create(url=endpoint_url, secret=webhooks.secret_generate())
    event = Event.objects.create(type="customer.deleted", customer_id=1)
    [delivery_id] = events_dispatch(event_ids=[event.pk])
    return Delivery.objects.get(pk=delivery_id)


@pytest.mark.django_db
def test_a_delivery_of_a_change_made_outside_a_request_has_no_request_id(loopback_webhooks):
    with WebhookReceiver() as receiver:
        receiver_endpoint(receiver)
        event = event_record(type="customer.deleted", customer_id=1, data={})
        [delivery_id] = events_dispatch(event_ids=[event.pk])

        outcome = delivery_attempt(delivery_id=delivery_id)

    assert (outcome, event.request_id) == ("succeeded", "")
    [request] = receiver.requests
    assert "X-Request-ID" not in request["headers"]


@pytest.mark.django_db
def test_an_address_that_became_private_since_saving_is_refused_at_delivery(
    loopback_webhooks, settings
):
    with WebhookReceiver() as receiver:
        delivery = planned_delivery(receiver.url, settings)
        # As if DNS now answered with a private address (rebinding): the check runs again.
        settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

        outcome = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert outcome == "refused"
    assert (delivery.status, delivery.last_status_code) == ("failed", None)
    assert "not public" in delivery.last_error
    assert receiver.requests == []


@pytest.mark.django_db
def test_a_host_that_does_not_resolve_at_delivery_is_retried_not_failed(
    loopback_webhooks, settings
):
    # DNS that fails for a while is a connection error: the delivery waits for a retry.
    delivery = planned_delivery("http://no-such-host.invalid/hooks", settings)

    outcome = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert outcome == "retry"
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "does not resolve" in delivery.last_error
    assert delivery.next_attempt_at is not None


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(loopback_webhooks, settings):
    with WebhookReceiver(answers=[302]) as receiver:
        delivery = planned_delivery(receiver.url, settings)

        outcome = delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert outcome == "retry"
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_delivery_held_by_a_worker_or_not_yet_due_is_not_attempted_twice(
    loopback_webhooks, settings
):
    with WebhookReceiver() as receiver:
        delivery = planned_delivery(receiver.url, settings)
        Delivery.objects.filter(pk=delivery.pk).update(
            locked_until=timezone.now() + timezone.timedelta(minutes=1)
        )
        held = delivery_attempt(delivery_id=delivery.pk)
        Delivery.objects.filter(pk=delivery.pk).update(
            locked_until=None, next_attempt_at=timezone.now() + timezone.timedelta(minutes=1)
        )
        not_due = delivery_attempt(delivery_id=delivery.pk)

    assert (held, not_due) == (None, None)
    assert receiver.requests == []


@pytest.mark.django_db
def test_the_sweeper_dispatches_events_no_task_picked_up_and_queues_overdue_deliveries(
    loopback_webhooks, settings, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as receiver:
        endpoint = receiver_endpoint(receiver)
        lost = Event.objects.create(type="customer.deleted", customer_id=7)

        with django_capture_on_commit_callbacks(execute=True):
            swept = outbox_sweep()

        [received] = receiver.wait_for(1)
    assert swept == {"events": 1, "deliveries_planned": 1, "overdue": 0}
    assert received["id"] == str(lost.event_id)
    assert Delivery.objects.get().endpoint == endpoint
    assert Delivery.objects.get().status == "succeeded"


@pytest.mark.django_db
def test_the_admin_redelivers_a_failed_delivery(
    client, loopback_webhooks, settings, django_capture_on_commit_callbacks
):
    client.force_login(StaffFactory(is_superuser=True))
    with WebhookReceiver() as receiver:
        delivery = planned_delivery(receiver.url, settings)
        receiver.secret = delivery.endpoint.secret
        Delivery.objects.filter(pk=delivery.pk).update(
            status="failed", attempts=30, next_attempt_at=None, finished_at=timezone.now()
        )

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/admin/events/delivery/",
                {"action": "redeliver", "_selected_action": [delivery.pk]},
            )

        receiver.wait_for(1)
    delivery.refresh_from_db()
    assert response.status_code == 302
    assert (delivery.status, delivery.attempts) == ("succeeded", 31)
    assert client.get("/admin/events/delivery/").status_code == 200


# The HTTP edge: bounded in time and size.


@pytest.fixture
def raw_server():
    """A TCP server on loopback that answers every connection with `behaviour(socket)`."""
    servers = []

    def start(behaviour):
        listener = socket.create_server(("127.0.0.1", 0))
        servers.append(listener)

        def serve():
            while True:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=behaviour, args=(connection,), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"

    yield start
    for listener in servers:
        listener.close()


def endless_answer(connection):
    connection.recv(65536)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    try:
        while True:
            connection.sendall(b"x" * 65536)
    except OSError:
        connection.close()


def silence(connection):
    connection.recv(65536)
    time.sleep(5)
    connection.close()


def test_an_endless_answer_is_read_only_up_to_the_size_cap(loopback_webhooks, raw_server):
    loopback_webhooks.WEBHOOK_MAX_RESPONSE_BYTES = 1024
    url = raw_server(endless_answer)

    started = time.monotonic()
    answer = webhooks.post(url, body=b"{}", headers={})

    assert answer.status == 200
    assert answer.error == ""
    assert time.monotonic() - started < 2


def test_a_receiver_that_never_answers_times_out(loopback_webhooks, raw_server):
    loopback_webhooks.WEBHOOK_TIMEOUT = 0.3
    url = raw_server(silence)

    started = time.monotonic()
    answer = webhooks.post(url, body=b"{}", headers={})

    assert answer.status is None
    assert "timed out" in answer.error.lower()
    assert time.monotonic() - started < 2


def trickled_headers(connection):
    connection.recv(65536)
    connection.sendall(b"HTTP/1.1 200 OK\r\n")
    trickle(connection, b"X-Slow: 1\r\n")


def trickled_body(connection):
    connection.recv(65536)
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    trickle(connection, b"x")


def trickle(connection, piece: bytes) -> None:
    """A piece every 0.1 s for 5 s: every read waits less than its timeout."""
    try:
        for _ in range(50):
            connection.sendall(piece)
            time.sleep(0.1)
    except OSError:
        pass
    connection.close()


@pytest.mark.parametrize("behaviour", [trickled_headers, trickled_body])
def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(
    loopback_webhooks, raw_server, behaviour
):
    loopback_webhooks.WEBHOOK_TIMEOUT = 0.5
    url = raw_server(behaviour)

    started = time.monotonic()
    answer = webhooks.post(url, body=b"{}", headers={})

    assert answer.status is None
    assert "took too long" in answer.error
    assert time.monotonic() - started < 2


def test_a_slow_dns_answer_counts_against_the_timeout(loopback_webhooks, raw_server, monkeypatch):
    loopback_webhooks.WEBHOOK_TIMEOUT = 0.5
    url = raw_server(trickled_body)
    real_getaddrinfo = socket.getaddrinfo

    def slow_dns(*args, **kwargs):  # the edge: a resolver that takes its time
        time.sleep(0.6)
        return real_getaddrinfo(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow_dns)
    started = time.monotonic()
    answer = webhooks.post(url, body=b"{}", headers={})

    assert answer.status is None
    assert "took too long" in answer.error
    assert time.monotonic() - started < 2.5


def garbage_answer(connection):
    connection.recv(65536)
    connection.sendall(b"this is not HTTP\r\n\r\n")
    connection.close()


def test_an_answer_that_is_not_http_is_a_failed_attempt_not_an_exception(
    loopback_webhooks, raw_server
):
    answer = webhooks.post(raw_server(garbage_answer), body=b"{}", headers={})

    assert answer.status is None
    assert answer.refused is False
    assert "BadStatusLine" in answer.error


@pytest.mark.django_db
def test_a_url_with_spaces_or_non_ascii_characters_is_sent_percent_encoded(
    loopback_webhooks, settings
):
    with WebhookReceiver() as receiver:
        delivery = planned_delivery(
            receiver.url.replace("/hooks?", "/caf\u00e9 hooks?q=\u00e9&"), settings
        )
        receiver.secret = delivery.endpoint.secret

        outcome = delivery_attempt(delivery_id=delivery.pk)

    assert outcome == "succeeded"
    assert receiver.requests[0]["path"] == "/caf%C3%A9%20hooks?q=%C3%A9&source=favorites"


@pytest.mark.django_db
def test_a_host_name_in_another_script_is_resolved_and_sent_as_idna(
    loopback_webhooks, settings, monkeypatch
):
    resolved = []
    real_getaddrinfo = socket.getaddrinfo

    def dns(host, *args, **kwargs):  # the edge: this name is the receiver's loopback
        resolved.append(host)
        return real_getaddrinfo("127.0.0.1", *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    with WebhookReceiver() as receiver:
        port = receiver.server.server_address[1]
        delivery = planned_delivery(f"http://пример.example:{port}/hooks", settings)
        receiver.secret = delivery.endpoint.secret

        outcome = delivery_attempt(delivery_id=delivery.pk)

    assert outcome == "succeeded"
    assert resolved[0] == "xn--e1afmkfd.example"  # then the checked address itself
    assert receiver.requests[0]["headers"]["Host"] == f"xn--e1afmkfd.example:{port}"


def test_a_closed_port_is_a_connection_error(loopback_webhooks):
    answer = webhooks.post("http://127.0.0.1:1/hooks", body=b"{}", headers={})

    assert answer.status is None
    assert answer.refused is False
    assert "Connection" in answer.error or "refused" in answer.error.lower()


@pytest.mark.django_db
def test_the_sweeper_queues_deliveries_whose_retry_is_overdue(
    loopback_webhooks, settings, django_capture_on_commit_callbacks
):
    with WebhookReceiver() as receiver:
        delivery = planned_delivery(receiver.url, settings)
        receiver.secret = delivery.endpoint.secret
        overdue = timezone.now() - timezone.timedelta(minutes=5)
        Delivery.objects.filter(pk=delivery.pk).update(attempts=3, next_attempt_at=overdue)

        with django_capture_on_commit_callbacks(execute=True):
            swept = outbox_sweep()

        receiver.wait_for(1)
    delivery.refresh_from_db()
    assert swept == {"events": 0, "deliveries_planned": 0, "overdue": 1}
    assert (delivery.status, delivery.attempts) == ("succeeded", 4)


@pytest.mark.django_db
def test_events_past_their_retention_are_purged_unless_a_delivery_waits(settings):
    settings.EVENTS_RETENTION_DAYS = 30
    long_ago = timezone.now() - timezone.timedelta(days=31)
    endpoint = WebhookEndpoint.objects.create(url="https://93.184.215.14/h", secret="whsec_")
    _, waiting, done = (
        Event.objects.create(type="customer.deleted", customer_id=n, occurred_at=long_ago)
        for n in range(3)
    )
    recent = Event.objects.create(type="customer.deleted", customer_id=9)
    Delivery.objects.create(event=waiting, endpoint=endpoint, status="pending")
    Delivery.objects.create(event=done, endpoint=endpoint, status="succeeded")

    purged = app.tasks["events.purge"].apply().get()

    assert purged == 2
    assert set(Event.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert list(Delivery.objects.values_list("event_id", flat=True)) == [waiting.pk]
