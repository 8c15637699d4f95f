"""Reads of events."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from events.models import Event


def event_page(*, after: int, limit: int, type: str | None = None) -> list[Event]:
    """Up to `limit` events after the cursor `after` (an event's id), oldest first.

    Only events at least EVENTS_REPLAY_SETTLE seconds old: ids are taken when a row is
    written, not when its transaction commits, so a newer event could otherwise be shown
    before an older one commits, and a consumer's cursor would pass it by.
    """
    settled = timezone.now() - timedelta(seconds=settings.EVENTS_REPLAY_SETTLE)
    events = Event.objects.filter(pk__gt=after, occurred_at__lte=settled)
    if type is not None:
        events = events.filter(type=type)
    return list(events.order_by("pk")[:limit])
