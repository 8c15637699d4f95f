from django.db import models

# What each row tells, in the order the API and the admin show it.
FIGURES = (
    "product_id",
    "title",
    "brand",
    "customers",
    "last_7_days",
    "last_30_days",
    "unavailable",
    "cheaper_than_added",
    "computed_at",
)


class ProductDemand(models.Model):
    """How much each favorited product is wanted: one row per product, no customer in it.

    Not a table: on PostgreSQL a materialized view over the favorites, refreshed when a
    read finds it older than `STATS_MAX_AGE` seconds (analytics/selectors.py) or by
    `manage.py refresh_product_demand`; on SQLite (the embedded default) a plain view.
    The 7- and 30-day counts are as of `computed_at`.
    """

    product_id = models.CharField(max_length=64, primary_key=True)
    title = models.TextField(help_text="The product's title in its latest snapshot.")
    brand = models.TextField()
    customers = models.BigIntegerField(help_text="Customers who have it as a favorite.")
    last_7_days = models.BigIntegerField(help_text="Of those, favorited in the last 7 days.")
    last_30_days = models.BigIntegerField(help_text="Of those, favorited in the last 30 days.")
    unavailable = models.BigIntegerField(help_text="Favorites of it the catalog no longer has.")
    cheaper_than_added = models.BigIntegerField(
        help_text="Favorites of it whose price is now below the price when added."
    )
    computed_at = models.DateTimeField(help_text="When these figures were computed.")

    class Meta:
        managed = False
        db_table = "analytics_productdemand"
        verbose_name = "product demand"
        verbose_name_plural = "product demand"

    def __str__(self):
        return self.product_id
