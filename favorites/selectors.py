"""Reads of favorites. None of them calls the catalog."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from customers.models import Customer
from favorites.models import Favorite


def favorite_list(*, customer: Customer, available: bool | None = None) -> QuerySet[Favorite]:
    """The customer's favorites, newest first (served by the favorite_customer_recent index)."""
    favorites = Favorite.objects.filter(customer=customer).order_by("-created_at", "-id")
    if available is not None:
        favorites = favorites.filter(available=available)
    return favorites


def favorite_get(*, customer: Customer, product_id: str) -> Favorite:
    """One of the customer's favorites; Http404 when the product is not among them."""
    return get_object_or_404(Favorite, customer=customer, product_id=product_id)


def favorite_product_ids_to_refresh(
    *, checked_before: datetime, product_ids: Iterable[str] | None = None
) -> list[str]:
    """Each favorited product whose snapshots were last checked before `checked_before`, once."""
    favorites = Favorite.objects.filter(refreshed_at__lt=checked_before)
    if product_ids is not None:
        favorites = favorites.filter(product_id__in=list(product_ids))
    return list(favorites.order_by("product_id").values_list("product_id", flat=True).distinct())
