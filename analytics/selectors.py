"""Reads of the demand figures."""

from django.db.models import QuerySet

from analytics.models import ProductDemand

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
    """Every favorited product's figures in this order (ties by product id), as last
    computed (`analytics.services.product_demand_refresh_if_stale` first keeps them fresh)."""
    order = [ordering] if ordering.lstrip("-") == "product_id" else [ordering, "product_id"]
    return ProductDemand.objects.order_by(*order)
