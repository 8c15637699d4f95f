import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


class EventType(models.TextChoices):
    FAVORITE_ADDED = "favorite.added"
    FAVORITE_REMOVED = "favorite.removed"
    FAVORITE_PRICE_DROPPED = "favorite.price_dropped"
    FAVORITE_BACK_IN_STOCK = "favorite.back_in_stock"
    FAVORITE_UNAVAILABLE = "favorite.unavailable"
    CUSTOMER_DELETED = "customer.deleted"


class Event(models.Model):
    """One change, written in the transaction that made it (a transactional outbox).

    The row exists exactly when the change committed; `dispatched_at` says that its
    deliveries were planned, and the sweeper dispatches rows whose task never ran.
    `customer_id` is a plain column, not a foreign key: the event of a customer's
    deletion outlives the customer. Erasure finds a customer's events by it.
    """

    # The primary key orders events for the replay API's cursor.
    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="What consumers deduplicate on."
    )
    type = models.CharField(max_length=64, choices=EventType.choices)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    occurred_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its deliveries were planned; empty until then."
    )
    request_id = models.CharField(
        max_length=128,
        blank=True,
        default="",
        help_text="The request that made the change; its deliveries carry it as X-Request-ID.",
    )

    class Meta:
        indexes = [
            # The sweeper's question: what did no task pick up?
            models.Index(
                fields=["occurred_at"],
                condition=Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"

    def payload(self) -> dict:
        """The event as consumers receive it (webhooks and the replay API alike)."""
        return {
            "id": str(self.event_id),
            "type": self.type,
            "occurred_at": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "customer_id": self.customer_id,
            "data": self.data,
        }


class WebhookEndpoint(models.Model):
    """Where events are delivered: an HTTPS URL, the types it wants, and its signing secret."""

    url = models.URLField(max_length=2000, help_text="Receives a POST for each event.")
    description = models.CharField(max_length=255, blank=True)
    event_types = models.JSONField(
        default=list, blank=True, help_text="The event types it receives; empty for all of them."
    )
    active = models.BooleanField(
        default=True, help_text="Off: no new deliveries, and pending ones are cancelled."
    )
    # Shown once, when made; needed in the clear to sign each request.
    secret = models.CharField(max_length=100, editable=False)
    disabled_reason = models.CharField(
        max_length=255, blank=True, help_text="Why the service turned it off (a 410 answer)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class Delivery(models.Model):
    """One event to one endpoint, attempted until a 2xx or until retries run out."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The event's customer, so that erasure finds deliveries without a join.
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    retry_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Failed attempts are retried until then (WEBHOOK_RETRY_FOR after it was "
        "planned or redelivered).",
    )
    # A worker holds the delivery until then: a second copy of its task does nothing.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_event_endpoint"),
        ]
        indexes = [
            # The sweeper's question: which pending deliveries are overdue?
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending_due",
            ),
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint}"
