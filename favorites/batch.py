"""Bulk changes to one customer's favorites: each add and remove on its own.

Every item goes through the same services as the single endpoints (`favorite_add`,
`favorite_remove`), so each is its own transaction with the same rules, ETag retirement
and events; a failure on one item never undoes another. The catalog lookups for the adds
run first, together on a bounded pool of threads within one time budget, and no
transaction is open while the catalog answers.
"""

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db import connections
from django.http import Http404

from catalog import products as catalog
from catalog.products import CatalogUnavailable, Product, ProductNotFound
from customers.models import Customer
from favorites.models import Favorite
from favorites.services import (
    FavoriteAlreadyExists,
    FavoritesLimitReached,
    favorite_add,
    favorite_remove,
)

logger = logging.getLogger(__name__)

BatchStatus = Literal[
    "added",
    "already_present",
    "removed",
    "not_present",
    "product_not_found",
    "catalog_unavailable",
    "limit_reached",
]


@dataclass(frozen=True)
class BatchResult:
    product_id: str
    status: BatchStatus
    favorite: Favorite | None = None


def _look_up(product_id: str) -> Product | Exception:
    """Runs in a worker thread: only the catalog call, never a database write."""
    try:
        return catalog.product_get(product_id)
    except (ProductNotFound, CatalogUnavailable) as exc:
        return exc
    except Exception as exc:  # a bug in one lookup is that item's failure, not the batch's
        logger.exception("Lookup of product %s failed", product_id)
        return CatalogUnavailable(str(exc))
    finally:
        # Anything in the call that touched the database did so on this thread's own
        # connection; close it rather than leave it to the server's timeout.
        connections.close_all()


def _look_up_all(product_ids: list[str]) -> dict[str, Product | Exception]:
    """Every product's catalog answer (or its error), asked concurrently; a lookup still
    running when the budget (`FAVORITES_BATCH_CATALOG_BUDGET`) runs out is unavailable."""
    if not product_ids:
        return {}
    workers = max(1, min(settings.FAVORITES_BATCH_CATALOG_WORKERS, len(product_ids)))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="favorites-batch")
    try:
        # Each lookup runs in a copy of the request's context: its catalog call carries the
        # request's id, and with traces on its span joins the request's trace.
        futures = {
            pool.submit(contextvars.copy_context().run, _look_up, product_id): product_id
            for product_id in product_ids
        }
        done, _ = wait(futures, timeout=settings.FAVORITES_BATCH_CATALOG_BUDGET)
    finally:
        # A lookup past the budget is left to its own timeout; nothing waits for it.
        pool.shutdown(wait=False, cancel_futures=True)
    return {
        product_id: (
            future.result()
            if future in done
            else CatalogUnavailable("The catalog did not answer within the batch's time budget.")
        )
        for future, product_id in futures.items()
    }


def _add(customer: Customer, product_id: str, answer: Product | Exception) -> BatchResult:
    if isinstance(answer, ProductNotFound):
        return BatchResult(product_id, "product_not_found")
    if isinstance(answer, Exception):
        return BatchResult(product_id, "catalog_unavailable")
    try:
        favorite = favorite_add(customer=customer, product_id=product_id, product=answer)
    except FavoriteAlreadyExists:
        return BatchResult(product_id, "already_present")
    except FavoritesLimitReached:
        return BatchResult(product_id, "limit_reached")
    return BatchResult(product_id, "added", favorite)


def favorites_batch(*, customer: Customer, add: list[str], remove: list[str]) -> list[BatchResult]:
    """Add then remove these products (ids already checked, none in both lists), each on
    its own; one result per id, the adds first, each list in its order."""
    present = set(
        Favorite.objects.filter(customer=customer, product_id__in=add).values_list(
            "product_id", flat=True
        )
    )
    full = Favorite.objects.filter(customer=customer).count() >= (
        settings.FAVORITES_MAX_PER_CUSTOMER
    )
    # A full list asks the catalog nothing; each add below still checks under its lock.
    to_look_up = [] if full else [product_id for product_id in add if product_id not in present]
    answers = _look_up_all(to_look_up)

    results = []
    for product_id in add:
        if product_id in present:
            results.append(BatchResult(product_id, "already_present"))
        elif product_id not in answers:
            results.append(BatchResult(product_id, "limit_reached"))
        else:
            results.append(_add(customer, product_id, answers[product_id]))
    for product_id in remove:
        try:
            favorite_remove(customer=customer, product_id=product_id)
        except Http404:
            results.append(BatchResult(product_id, "not_present"))
        else:
            results.append(BatchResult(product_id, "removed"))
    return results
