from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import NullIf
from django.utils import timezone

# What a favorite copies from the catalog's product, and what the API shows of it.
SNAPSHOT_FIELDS = ("title", "image_url", "price", "review_score", "brand")
API_FIELDS = (
    "product_id",
    *SNAPSHOT_FIELDS,
    "price_when_added",
    "available",
    "created_at",
    "refreshed_at",
)
# Derived from the price and the price when added, beside every favorite the API shows.
PRICE_CHANGE_FIELDS = ("price_change", "price_change_percent")

# The price's change since it was added, as a fraction of the price then: the order of
# `?ordering=price_change_percent` (the biggest drop first). The list's statements spell
# the same expression, so PostgreSQL reads it from the favorite_customer_price_change index.
PRICE_CHANGE_RATIO_SQL = '("price" - "price_when_added") / NULLIF("price_when_added", 0)'
_PERCENT = Decimal("0.1")


def price_change(price: Decimal, price_when_added: Decimal) -> tuple[Decimal, Decimal | None]:
    """The price minus the price when added, and that as a percentage of the price when
    added to one decimal (negative when cheaper; None when the price then was 0)."""
    change = price - price_when_added
    if not price_when_added:
        return change, None
    return change, (change * 100 / price_when_added).quantize(_PERCENT, rounding=ROUND_HALF_UP)


def with_price_change(row: dict) -> dict:
    """A favorite's row (a dict of API_FIELDS) with its PRICE_CHANGE_FIELDS added."""
    row["price_change"], row["price_change_percent"] = price_change(
        row["price"], row["price_when_added"]
    )
    return row


class Favorite(models.Model):
    """A product on a customer's list, with the catalog data the list shows.

    The snapshot (title, image, price, review, brand) is copied from the catalog
    when the favorite is added and kept fresh by `manage.py refresh_favorites`,
    so listing favorites never needs the catalog.
    """

    # The unique constraint and the list index both lead with customer_id, so
    # the foreign key needs no index of its own.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="favorites",
        db_index=False,
    )
    product_id = models.CharField(max_length=64, help_text="The product's id in the catalog.")
    title = models.TextField()
    image_url = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The last price the catalog gave."
    )
    review_score = models.FloatField(
        null=True, blank=True, help_text="Null when the product has no review."
    )
    brand = models.TextField(blank=True)
    price_when_added = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The price when the favorite was added; frozen."
    )
    price_announced = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=(
            "The price the last favorite.price_dropped event announced; empty until one has. "
            "Drops are measured from it, or from price_when_added while it is empty."
        ),
    )
    available = models.BooleanField(
        default=True, help_text="False while the catalog answers that it no longer has the product."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    refreshed_at = models.DateTimeField(
        default=timezone.now, help_text="When the snapshot was last checked against the catalog."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "product_id"], name="favorite_customer_product_unique"
            ),
        ]
        indexes = [
            # Serves WHERE customer_id = ? ORDER BY created_at DESC, id DESC without a sort.
            models.Index(
                fields=["customer", "-created_at", "-id"], name="favorite_customer_recent"
            ),
            # The refresh updates every snapshot of one product at once.
            models.Index(fields=["product_id"], name="favorite_product_id"),
            # The list's other orderings (favorites/selectors.py), each read in order.
            models.Index(fields=["customer", "price", "id"], name="favorite_customer_price"),
            models.Index(fields=["customer", "title", "id"], name="favorite_customer_title"),
            models.Index(
                F("customer"),
                (F("price") - F("price_when_added")) / NullIf(F("price_when_added"), Value(0)),
                F("id"),
                name="favorite_customer_price_change",
            ),
            # ?price_dropped=true in the default order: only the favorites now cheaper.
            models.Index(
                fields=["customer", "-created_at", "-id"],
                name="favorite_customer_dropped",
                condition=Q(price__lt=F("price_when_added")),
            ),
        ]

    def __str__(self):
        return f"{self.product_id} ({self.title})"

    @property
    def price_change(self) -> Decimal:
        return price_change(self.price, self.price_when_added)[0]

    @property
    def price_change_percent(self) -> Decimal | None:
        return price_change(self.price, self.price_when_added)[1]


class IdempotencyRecord(models.Model):
    """The answer to a request sent with an `Idempotency-Key`, kept so that a replay
    within `IDEMPOTENCY_KEY_TTL` gets it again instead of doing the work twice.

    The unique constraint on (customer, key) lets one request at a time hold a key:
    the first inserts the record (no `status` yet: in progress), the others find it.
    """

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="idempotency_records",
        db_index=False,
    )
    key = models.CharField(max_length=255)
    # SHA-256 of the method, the path and the body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The answer's JSON as it was sent, byte for byte (jsonb would reorder its keys).
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], name="idempotency_customer_key"),
        ]
        indexes = [
            models.Index(fields=["expires_at"], name="idempotency_expires_at"),
        ]

    def __str__(self):
        return f"{self.key} ({self.status or 'in progress'})"


class RefreshRun(models.Model):
    """One scheduled refresh, fanned out over workers in chunks of product ids; its totals
    are the sum of its chunks' as they finish."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A run whose chunks made no progress for a while has its unfinished chunks queued
    # again (their tasks were lost: the broker was down, or a worker's queue was purged).
    progressed_at = models.DateTimeField(default=timezone.now)
    checked_before = models.DateTimeField(
        help_text="Snapshots last checked before this were refreshed."
    )
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    unavailable = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Refresh of {self.started_at:%Y-%m-%d %H:%M}"


class RefreshChunk(models.Model):
    """Some of a run's product ids, refreshed by one task on one worker."""

    run = models.ForeignKey(RefreshRun, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    product_ids = models.JSONField()
    worker = models.CharField(max_length=255, blank=True, help_text="The worker that did it.")
    # A worker holds the chunk until then (renewed after each product): a second copy of
    # its task does nothing meanwhile.
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    unavailable = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="refresh_chunk_run_number"),
        ]

    def __str__(self):
        return f"Chunk {self.number} of {self.run}"
