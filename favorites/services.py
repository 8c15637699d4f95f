"""Writes to favorites: adding, removing, and refreshing the product snapshots."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from catalog import products as catalog
from catalog.products import Product
from customers.cache import customer_data_changed
from customers.models import Customer
from favorites.models import SNAPSHOT_FIELDS, Favorite
from favorites_project.errors import DomainError


class FavoriteAlreadyExists(DomainError):
    """The product is already in this customer's favorites."""

    status = 409
    code = "favorite_exists"

    def __init__(self, product_id: str):
        super().__init__(f"Product {product_id} is already in this customer's favorites.")
        self.product_id = product_id


def _snapshot(product: Product) -> dict:
    """The catalog data a favorite keeps, as model field values (the Product's names)."""
    return {field: getattr(product, field) for field in SNAPSHOT_FIELDS}


def favorite_add(*, customer: Customer, product_id: str) -> Favorite:
    """Add a product to the customer's favorites, snapshotting it from the catalog.

    Raises `FavoriteAlreadyExists` (without asking the catalog when the row is
    already there), or the catalog's `InvalidProductId`, `ProductNotFound` and
    `CatalogUnavailable`. Nothing is written unless the favorite is returned.
    """
    catalog.product_id_validate(product_id)
    if Favorite.objects.filter(customer=customer, product_id=product_id).exists():
        raise FavoriteAlreadyExists(product_id)

    # The catalog may be slow: ask it before any transaction is open, so no
    # database connection sits idle in a transaction while we wait.
    product = catalog.product_get(product_id)

    snapshot = _snapshot(product)
    favorite = Favorite(
        customer=customer,
        product_id=product_id,
        price_when_added=snapshot["price"],
        available=True,
        **snapshot,
    )
    # The unique constraint decides concurrent adds of the same product.
    try:
        with transaction.atomic():
            favorite.save(force_insert=True)
            customer_data_changed(customer_ids=[customer.pk])
    except IntegrityError:
        if Favorite.objects.filter(customer=customer, product_id=product_id).exists():
            raise FavoriteAlreadyExists(product_id) from None
        raise
    return favorite


def favorite_remove(*, customer: Customer, product_id: str) -> None:
    """Remove a product from the customer's favorites; Http404 when it is not there."""
    with transaction.atomic():
        deleted, _ = Favorite.objects.filter(customer=customer, product_id=product_id).delete()
        if not deleted:
            raise Http404(f"Product {product_id} is not in this customer's favorites.")
        customer_data_changed(customer_ids=[customer.pk])


def favorites_delete(*, favorites: QuerySet[Favorite]) -> int:
    """Remove these favorites (the admin's delete); returns how many went."""
    with transaction.atomic():
        customer_ids = list(favorites.values_list("customer_id", flat=True).distinct())
        deleted, _ = favorites.delete()
        customer_data_changed(customer_ids=customer_ids)
    return deleted


RefreshOutcome = Literal["updated", "unchanged", "unavailable"]


@dataclass
class RefreshSummary:
    checked: int = 0
    updated: int = 0
    unchanged: int = 0
    unavailable: int = 0
    failed: int = 0

    def count(self, outcome: str) -> None:
        self.checked += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return (
            f"checked {self.checked}, updated {self.updated}, unchanged {self.unchanged}, "
            f"unavailable {self.unavailable}, failed {self.failed}"
        )


def favorite_snapshots_refresh(*, product_id: str, product: Product | None) -> RefreshOutcome:
    """Bring every snapshot of one product up to date, in one transaction.

    `product` is what the catalog answered, or None when it answered that it no
    longer has the product: then the favorites are marked unavailable (never
    deleted) until the product comes back. `price_when_added` never changes.
    """
    now = timezone.now()
    favorites = Favorite.objects.filter(product_id=product_id)
    with transaction.atomic():
        # Every snapshot of the product changes (refreshed_at at least): so does each list.
        customer_data_changed(
            customer_ids=favorites.values_list("customer_id", flat=True).distinct()
        )
        if product is None:
            favorites.update(available=False, refreshed_at=now)
            return "unavailable"
        snapshot = _snapshot(product)
        differs = ~Q(available=True)
        for field, value in snapshot.items():
            differs |= ~Q(**{field: value})
        changed = favorites.filter(differs).update(**snapshot, available=True, refreshed_at=now)
        favorites.filter(refreshed_at__lt=now).update(refreshed_at=now)
    return "updated" if changed else "unchanged"


# The admin's "refresh now" waits for the catalog in the request: a bounded number of products.
REFRESH_NOW_LIMIT = 100


def favorites_refresh_now(*, product_ids: Iterable[str]) -> RefreshSummary:
    """Re-read these products from the catalog now and refresh every snapshot of each.

    A product the catalog no longer has marks its favorites unavailable; one whose
    lookup fails leaves them as they were (counted as `failed`).
    """
    summary = RefreshSummary()
    for product_id in sorted(set(product_ids))[:REFRESH_NOW_LIMIT]:
        try:
            product = catalog.product_get(product_id)
        except catalog.ProductNotFound:
            product = None
        except (catalog.CatalogUnavailable, catalog.InvalidProductId):
            summary.count("failed")
            continue
        summary.count(favorite_snapshots_refresh(product_id=product_id, product=product))
    return summary
