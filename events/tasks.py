"""Celery tasks of events: thin wrappers over the services, each safe to run twice."""

from celery import signals

from events.services import (
    DISPATCH_QUEUE,
    delivery_attempt,
    events_dispatch,
    events_purge,
    outbox_sweep,
)
from favorites_project.celery import app


@app.task(name="events.dispatch")
def dispatch(event_ids: list[int]) -> None:
    events_dispatch(event_ids=event_ids)


@app.task(name="events.deliver")
def deliver(delivery_id: int) -> str | None:
    return delivery_attempt(delivery_id=delivery_id)


@app.task(name="events.sweep")
def sweep() -> dict:
    return outbox_sweep()


@app.task(name="events.purge")
def purge() -> int:
    return events_purge()


# Tasks that write events (the refresh's) queue their dispatch like requests do: a worker
# sends what it holds before it goes (a pool's child process ends without waiting).
@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def _send_queued_dispatches(**kwargs) -> None:
    DISPATCH_QUEUE.flush()
