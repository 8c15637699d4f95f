"""The events' Prometheus metrics.

Counters and histograms are counted in the process that does the work: events written
where the change commits (web, or the worker of a refresh), deliveries where they are
attempted (a worker; the web process under `make run`). The backlog is read from the
database at each scrape of the web's /metrics.
"""

import logging

from django.db.models import Min
from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from events.models import Delivery, Event

logger = logging.getLogger(__name__)

EVENTS_WRITTEN = Counter(
    "favorites_events_written_total", "Events committed to the outbox, by type.", ["type"]
)
DELIVERY_ATTEMPTS = Counter(
    "favorites_webhook_delivery_attempts_total",
    "Webhook delivery attempts, by outcome: succeeded, retry, failed, disabled (a 410), "
    "refused (an unsafe URL), cancelled (the endpoint is off).",
    ["outcome"],
)
DELIVERY_DURATION = Histogram(
    "favorites_webhook_request_duration_seconds",
    "Time one webhook request took, answered or not.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DELIVERY_LATENCY = Histogram(
    "favorites_webhook_delivery_latency_seconds",
    "From an event to its successful delivery, retries included.",
    buckets=(0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 6 * 3600, 24 * 3600),
)


class BacklogCollector:
    """The outbox's backlog, from its partial indexes: cheap whatever the tables' size."""

    def collect(self):
        try:
            undispatched = Event.objects.filter(dispatched_at__isnull=True).count()
            pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
            pending_count = pending.count()
            due = pending.aggregate(due=Min("next_attempt_at"))["due"]
        except Exception as exc:  # a scrape never fails for the backlog, database down or not
            logger.warning("Events backlog not measured: %s", exc)
            return
        yield GaugeMetricFamily(
            "favorites_events_undispatched",
            "Events committed whose deliveries are not planned yet (the outbox's backlog).",
            value=undispatched,
        )
        yield GaugeMetricFamily(
            "favorites_webhook_deliveries_pending",
            "Webhook deliveries waiting for an attempt (first or retry).",
            value=pending_count,
        )
        overdue = max(0.0, (timezone.now() - due).total_seconds()) if due else 0.0
        yield GaugeMetricFamily(
            "favorites_webhook_oldest_due_seconds",
            "How long the most overdue pending delivery has been due (0: none overdue).",
            value=overdue,
        )
