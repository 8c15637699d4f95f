from django.conf import settings
from django.db import models
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
        ]

    def __str__(self):
        return f"{self.product_id} ({self.title})"


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
