"""Celery tasks of events: thin wrappers over the services, each safe to run twice."""

from events.services import delivery_attempt, events_dispatch, events_purge, outbox_sweep
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
