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
