"""Reads of the demand figures."""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from analytics.models import ProductDemand
from analytics.services import product_demand_refresh

# What `?ordering=` accepts, each also with a leading `-` (descending).
ORDERINGS = (
    "customers",
    "last_7_days",
    "last_30_days",
    "unavailable",
    "cheaper_than_added",
    "product_id",
)
DEFAULT_ORDERING = "-customers"


def product_demand_list(*, ordering: str = DEFAULT_ORDERING) -> QuerySet[ProductDemand]:
    """Every favorited product's figures in this order (ties by product id), refreshed
    first when they are older than `STATS_MAX_AGE` seconds (or never computed)."""
    product_demand_refresh_if_stale()
    order = [ordering] if ordering.lstrip("-") == "product_id" else [ordering, "product_id"]
    return ProductDemand.objects.order_by(*order)


def product_demand_refresh_if_stale() -> None:
    computed_at = ProductDemand.objects.values_list("computed_at", flat=True).first()
    fresh_after = timezone.now() - timedelta(seconds=settings.STATS_MAX_AGE)
    if computed_at is None or computed_at < fresh_after:
        # Stale: one request recomputes; concurrent ones answer with what is there.
        product_demand_refresh(wait=computed_at is None)
