"""The events' Prometheus metrics, counted in the process that does the work (web or worker)."""

from prometheus_client import Counter, Histogram

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
