"""Writes of events: the outbox, webhook endpoints, and deliveries."""

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from events import webhooks
from events.metrics import (
    DELIVERY_ATTEMPTS,
    DELIVERY_DURATION,
    DELIVERY_LATENCY,
    EVENTS_WRITTEN,
)
from events.models import Delivery, Event, EventType, WebhookEndpoint
from favorites_project.celery import app, publish
from favorites_project.logs import REQUEST_ID

logger = logging.getLogger(__name__)

# A worker holds a delivery this long: more than one request can take.
DELIVERY_LEASE = timedelta(minutes=2)
SWEEP_BATCH = 500


@dataclass(frozen=True)
class NewEvent:
    type: EventType
    customer_id: int | None
    data: dict = field(default_factory=dict)


def money(amount: Decimal) -> str:
    """Prices travel as strings with two decimals ("89.90"): JSON numbers lose cents."""
    return str(Decimal(amount).quantize(Decimal("0.01")))


# -- The outbox -------------------------------------------------------------------------------


def events_record(*, events: Iterable[NewEvent]) -> list[Event]:
    """Write these events in the caller's transaction: they exist if and only if it commits.

    Call it inside the `transaction.atomic()` block that makes the change the events
    report; outside one, the events commit on their own. Once committed, a task
    dispatches them; if it cannot be queued, the sweeper does it later. Made while a
    request is answered, they keep its id for their deliveries (docs/operations.md).
    """
    request_id = REQUEST_ID.get() or ""
    rows = [
        Event(type=e.type, customer_id=e.customer_id, data=e.data, request_id=request_id)
        for e in events
    ]
    if not rows:
        return []
    # Joins the caller's transaction without a savepoint: the events and the change
    # stand or fall together.
    with transaction.atomic(savepoint=False):
        Event.objects.bulk_create(rows)
        events_written(ids=[row.pk for row in rows], types=[row.type for row in rows])
    return rows


def event_record(*, type: EventType, customer_id: int | None, data: dict) -> Event:
    """One event; see `events_record`."""
    return events_record(events=[NewEvent(type=type, customer_id=customer_id, data=data)])[0]


# An event written by the statement that makes its change (on PostgreSQL, the favorites'
# add and remove: favorites/services.py), rather than by an INSERT of its own: that
# statement inserts `OUTBOX_VALUES` into `OUTBOX_COLUMNS` of OUTBOX_TABLE, then calls
# `events_written` with the new row's id. The same row as `events_record` writes.
OUTBOX_TABLE = Event._meta.db_table
OUTBOX_COLUMNS = ", ".join(
    f'"{name}"' for name in ("event_id", "type", "customer_id", "data", "occurred_at", "request_id")
)
OUTBOX_VALUES = "%s, %s, %s, %s, %s, %s"


def outbox_params(*, type: EventType, customer_id: int | None, data: dict) -> list:
    """`OUTBOX_VALUES`' parameters for one event, as the ORM would send them."""
    return [
        uuid.uuid4(),
        type.value,
        customer_id,
        Event._meta.get_field("data").get_db_prep_save(data, connection),
        timezone.now(),
        REQUEST_ID.get() or "",
    ]


def events_written(*, ids: list[int], types: list[str]) -> None:
    """These events, written in the caller's transaction, are dispatched once it commits
    (at once outside a transaction, where the statement that wrote them has committed)."""
    transaction.on_commit(lambda: _committed(ids, types))


def _committed(ids: list[int], types: list[str]) -> None:
    for type in types:
        EVENTS_WRITTEN.labels(type).inc()
    DISPATCH_QUEUE.add(ids)


class EventDispatchQueue:
    """The ids of the events this process commits, sent to the workers as one
    `events.dispatch` task per EVENTS_DISPATCH_WINDOW (50 ms) rather than a task per commit.

    Under load a write then no longer pays for a broker message of its own (a fifth of
    an add's CPU, docs/performance.md), and the workers plan many events' deliveries in
    one transaction; a lone commit waits the window. The tasks are sent by one thread of
    the process's, kept for its life: Celery's publish cost twice as much CPU from a new
    thread each time (1.4 against 0.7 ms), as it builds its per-thread state again. A
    process that exits sends what it holds first (Python joins that thread at exit;
    Celery's workers flush on shutdown, events/tasks.py). An id whose task never went
    (the broker refused it, the process was killed) is an undispatched row like any
    other: the sweeper dispatches it. With tasks run eagerly (no broker) or a window of
    0, each commit sends its own task at once.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Nothing queued, no send pending, no sender thread, a free lock (a forked
        child's state: its parent's thread is not in it)."""
        self._lock = threading.Lock()
        self._ids: list[int] = []
        self._pending = False
        self._sender: ThreadPoolExecutor | None = None

    def add(self, ids: list[int]) -> None:
        window = settings.EVENTS_DISPATCH_WINDOW
        if window <= 0 or app.conf.task_always_eager:
            publish(app.tasks["events.dispatch"], args=[ids])
            return
        with self._lock:
            self._ids += ids
            if self._pending:
                return
            try:
                if self._sender is None:
                    self._sender = ThreadPoolExecutor(1, thread_name_prefix="events-dispatch")
                self._sender.submit(self._flush_after, window)
            except RuntimeError as exc:  # the interpreter is exiting; no thread starts
                logger.warning("Events left to the sweeper, not sent: %s", exc)
                self._ids = []
                return
            self._pending = True

    def _flush_after(self, window: float) -> None:
        time.sleep(window)
        try:
            self.flush()
        except Exception:  # publish() logs the broker's refusals; anything else is a bug
            logger.exception("Sending the events' dispatch task failed")

    def flush(self) -> None:
        """Send what is queued now, as one task."""
        with self._lock:
            ids, self._ids = self._ids, []
            self._pending = False
        if ids:
            publish(app.tasks["events.dispatch"], args=[ids])


DISPATCH_QUEUE = EventDispatchQueue()
# A forked child (a gunicorn worker) starts with nothing queued and a free lock.
os.register_at_fork(after_in_child=DISPATCH_QUEUE.reset)


def events_dispatch(*, event_ids: Iterable[int]) -> list[int]:
    """Plan one delivery per event and active endpoint that wants it; queue them.

    Each event is dispatched once: rows already dispatched, or locked by a concurrent
    dispatch, are skipped. Returns the new deliveries' ids.
    """
    now = timezone.now()
    with transaction.atomic():
        events = list(
            Event.objects.filter(pk__in=list(event_ids), dispatched_at__isnull=True)
            .select_for_update(skip_locked=True)
            .order_by("pk")
        )
        if not events:
            return []
        endpoints = list(WebhookEndpoint.objects.filter(active=True))
        deliveries = Delivery.objects.bulk_create(
            [
                Delivery(
                    event=event,
                    endpoint=endpoint,
                    customer_id=event.customer_id,
                    next_attempt_at=now,
                    retry_until=now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR),
                )
                for event in events
                for endpoint in endpoints
                if endpoint.wants(event.type)
            ]
        )
        Event.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
        delivery_ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(lambda: _queue_deliveries(delivery_ids))
    return delivery_ids


def _queue_deliveries(delivery_ids: list[int], countdown: float | None = None) -> None:
    for delivery_id in delivery_ids:
        if not publish(app.tasks["events.deliver"], args=[delivery_id], countdown=countdown):
            return  # the broker is down: the sweeper takes the rest


# -- Deliveries -------------------------------------------------------------------------------


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt, after `attempts` failed ones: exponential backoff
    from WEBHOOK_RETRY_FIRST_DELAY, capped at WEBHOOK_RETRY_MAX_DELAY, with jitter (the
    upper half of the delay at random) so that many failures do not retry in step."""
    delay = min(
        settings.WEBHOOK_RETRY_MAX_DELAY,
        settings.WEBHOOK_RETRY_FIRST_DELAY * 2 ** (attempts - 1),
    )
    return random.uniform(delay / 2, delay)


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Attempt one delivery if it is due and no one else holds it; the outcome, or None.

    A 2xx ends it; a 410 turns the endpoint off; an unsafe URL fails it at once;
    anything else (another status, a timeout, a connection error) is retried with
    backoff until its `retry_until` (WEBHOOK_RETRY_FOR after it was planned).
    """
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + DELIVERY_LEASE)
    )
    if not claimed:
        return None
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    # The attempt's log lines and its request carry the id of the request that made the
    # change, so one id follows it from the edge to the receiver.
    token = REQUEST_ID.set(delivery.event.request_id or None)
    try:
        return _attempt(delivery)
    finally:
        REQUEST_ID.reset(token)


def _attempt(delivery: Delivery) -> str:
    endpoint, event = delivery.endpoint, delivery.event
    if not endpoint.active:
        _finish(delivery, Delivery.Status.CANCELLED, error="The endpoint is turned off.")
        DELIVERY_ATTEMPTS.labels("cancelled").inc()
        return "cancelled"

    message_id = str(event.event_id)
    timestamp = int(timezone.now().timestamp())
    body = webhooks.body_encode(event.payload())
    headers = {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhooks.signature(
            secret=endpoint.secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }
    if event.request_id:
        headers["X-Request-ID"] = event.request_id
    answer = webhooks.post(endpoint.url, body=body, headers=headers)
    DELIVERY_DURATION.observe(answer.duration)
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.last_status_code = answer.status
    delivery.last_error = answer.error
    delivery.last_duration_ms = round(answer.duration * 1000)

    if answer.status is not None and 200 <= answer.status < 300:
        finished = _finish(delivery, Delivery.Status.SUCCEEDED)
        DELIVERY_LATENCY.observe((finished - event.occurred_at).total_seconds())
        outcome = "succeeded"
    elif answer.status == 410:
        with transaction.atomic():
            _finish(delivery, Delivery.Status.FAILED)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                active=False,
                disabled_reason=f"Answered 410 at {delivery.last_attempt_at:%Y-%m-%d %H:%M} UTC.",
                updated_at=timezone.now(),
            )
        logger.warning("Webhook endpoint %s answered 410: turned off", endpoint.pk)
        outcome = "disabled"
    elif answer.refused:
        _finish(delivery, Delivery.Status.FAILED)
        logger.warning("Webhook to endpoint %s refused: %s", endpoint.pk, answer.error)
        outcome = "refused"
    else:
        delay = retry_delay(delivery.attempts)
        next_at = timezone.now() + timedelta(seconds=delay)
        retry_until = delivery.retry_until or delivery.created_at + timedelta(
            seconds=settings.WEBHOOK_RETRY_FOR
        )
        if next_at > retry_until:
            _finish(delivery, Delivery.Status.FAILED)
            outcome = "failed"
        else:
            delivery.next_attempt_at = next_at
            delivery.locked_until = None
            delivery.save()
            outcome = "retry"
            # Eager tasks would run the countdown's task at once: the sweeper retries them.
            if not app.conf.task_always_eager and delay <= settings.WEBHOOK_RETRY_QUEUE_LIMIT:
                _queue_deliveries([delivery.pk], countdown=delay)
        logger.info(
            "Webhook delivery %s to endpoint %s: %s (%s)",
            delivery.pk,
            endpoint.pk,
            outcome,
            answer.error,
        )
    DELIVERY_ATTEMPTS.labels(outcome).inc()
    return outcome


def _finish(delivery: Delivery, status: str, *, error: str | None = None) -> datetime:
    finished = timezone.now()
    delivery.status = status
    delivery.finished_at = finished
    delivery.next_attempt_at = None
    delivery.locked_until = None
    if error is not None:
        delivery.last_error = error
    delivery.save()
    return finished


def deliveries_redeliver(*, deliveries: QuerySet[Delivery]) -> int:
    """Attempt these deliveries again now, whatever became of them, and retry them for
    another WEBHOOK_RETRY_FOR if they fail; how many."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(deliveries.values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING,
            next_attempt_at=now,
            retry_until=now + timedelta(seconds=settings.WEBHOOK_RETRY_FOR),
            locked_until=None,
            finished_at=None,
        )
        transaction.on_commit(lambda: _queue_deliveries(ids))
    return len(ids)


def outbox_sweep() -> dict:
    """Dispatch events that no task dispatched, and queue deliveries overdue by more than
    EVENTS_SWEEP_AFTER seconds (their task was lost, or their retry was left to us)."""
    before = timezone.now() - timedelta(seconds=settings.EVENTS_SWEEP_AFTER)
    event_ids = list(
        Event.objects.filter(dispatched_at__isnull=True, occurred_at__lte=before)
        .order_by("occurred_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    planned = events_dispatch(event_ids=event_ids) if event_ids else []
    overdue = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=before)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=timezone.now()))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    _queue_deliveries(overdue)
    if event_ids or overdue:
        logger.info(
            "Sweeper: %s events dispatched, %s overdue deliveries queued",
            len(event_ids),
            len(overdue),
        )
    return {"events": len(event_ids), "deliveries_planned": len(planned), "overdue": len(overdue)}


def events_purge() -> int:
    """Delete the events older than EVENTS_RETENTION_DAYS, with their deliveries, but for
    those a delivery still waits on; how many events went."""
    before = timezone.now() - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    old = Event.objects.filter(occurred_at__lt=before).exclude(
        deliveries__status=Delivery.Status.PENDING
    )
    _, by_model = old.delete()
    return by_model.get(Event._meta.label, 0)


# -- Endpoints --------------------------------------------------------------------------------


def webhook_endpoint_create(
    *, url: str, event_types: list[str], description: str = "", active: bool = True
) -> WebhookEndpoint:
    """A new endpoint with a new secret (the caller shows it once). The URL must pass
    `webhooks.url_check`, which raises `UnsafeURL`."""
    webhooks.url_check(url)
    return WebhookEndpoint.objects.create(
        url=url,
        event_types=sorted(set(event_types)),
        description=description,
        active=active,
        secret=webhooks.secret_generate(),
    )


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Changes only what is given; turning an endpoint on again clears why it was off."""
    if url is not None:
        webhooks.url_check(url)
        endpoint.url = url
    if event_types is not None:
        endpoint.event_types = sorted(set(event_types))
    if description is not None:
        endpoint.description = description
    if active is not None:
        endpoint.active = active
        if active:
            endpoint.disabled_reason = ""
    endpoint.updated_at = timezone.now()
    endpoint.save()
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret, effective for the next request; the old one stops at once."""
    endpoint.secret = webhooks.secret_generate()
    endpoint.updated_at = timezone.now()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """The endpoint and its deliveries' history."""
    endpoint.delete()
