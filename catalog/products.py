"""The catalog service module's public interface.

Everything outside `catalog/` talks to the product catalog only through these
names: `product_get`, `product_at_hand`, `product_page`, `catalog_status`, the frozen `Product`
and `ProductPage`, the id rule and the errors (defined in `catalog.domain`,
re-exported here). Which catalog answers is settings' business, read at every
call: the bundled demo catalog in-process when `CATALOG_URL` is empty, else the
remote catalog in `CATALOG_FORMAT` (`luizalabs` or `fakestore`).

This is also the one place that caches catalog answers (Django's cache, Redis
in production): single products here, and the listings pages are cut from
through `_through_cache`, which the providers are handed.
"""

from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypedDict

from django.conf import settings

from catalog import caching, client, providers
from catalog.domain import (
    PRODUCT_ID_PATTERN,
    PRODUCT_ID_RULE,
    CatalogUnavailable,
    InvalidProductId,
    Product,
    ProductNotFound,
    ProductPage,
    product_id_validate,
)

__all__ = [
    "PRODUCT_ID_PATTERN",
    "PRODUCT_ID_RULE",
    "CatalogStatus",
    "CatalogUnavailable",
    "InvalidProductId",
    "Product",
    "ProductNotFound",
    "ProductPage",
    "catalog_status",
    "product_at_hand",
    "product_get",
    "product_id_validate",
    "product_page",
]

_NOT_FOUND = {"found": False}


class CatalogStatus(TypedDict):
    provider: str
    breaker: str
    reachable: bool | None


def product_get(product_id: str, *, fresh: bool = False) -> Product:
    """The product, from the cache or the catalog (`fresh`: from the catalog, whatever the
    cache holds; its answer then replaces the cached one).

    Raises `InvalidProductId` (before any network call), `ProductNotFound`, or
    `CatalogUnavailable` (its `retry_after` says when to try again).
    """
    product_id_validate(product_id)
    provider = providers.current()
    product: Product | None
    if not provider.remote:
        product = provider.get(product_id)
    else:
        key = caching.key(provider, "product", product_id)
        cached = None if fresh else caching.read(key)
        if cached is not None:
            product = Product(**cached["product"]) if cached["found"] else None
        else:
            product = provider.get(product_id)
            if product is None:
                caching.write(key, _NOT_FOUND, settings.CATALOG_NOT_FOUND_TTL)
            else:
                caching.write(
                    key, {"found": True, "product": asdict(product)}, settings.CATALOG_CACHE_TTL
                )
    if product is None:
        raise ProductNotFound(f"Product {product_id} is not in the catalog.")
    return product


def product_at_hand(product_id: str) -> Product | None:
    """The product when no call to the catalog is needed to know it: from a bundled
    catalog, or a cached answer that found it. None when only the catalog can tell (or
    its cached answer is that it has no such product): then `product_get` says.

    The add of a favorite asks this first: with the product at hand it need not check,
    before the catalog is asked, whether the add is refused anyway (favorites/services.py).
    """
    product_id_validate(product_id)
    provider = providers.current()
    if not provider.remote:
        return provider.get(product_id)
    cached = caching.read(caching.key(provider, "product", product_id))
    return Product(**cached["product"]) if cached is not None and cached["found"] else None


def product_page(page: int) -> ProductPage:
    """Page `page` (from 1) of the catalog; past the end, an empty page without a next.

    Raises `CatalogUnavailable`.
    """
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError("page is a whole number from 1")
    provider = providers.current()

    def through_cache(
        parts: tuple[str, ...], fetch: Callable[[], providers.Listing]
    ) -> providers.Listing:
        return _through_cache(provider, parts, fetch)

    return provider.page(page, through_cache)


def _through_cache(
    provider: providers.Provider, parts: tuple[str, ...], fetch: Callable[[], providers.Listing]
) -> providers.Listing:
    key = caching.key(provider, *parts)
    cached: Any = caching.read(key)
    if isinstance(cached, dict):
        return [Product(**item) for item in cached["products"]], cached["page_size"]
    products, page_size = fetch()
    value = {"products": [asdict(product) for product in products], "page_size": page_size}
    caching.write(key, value, settings.CATALOG_CACHE_TTL)
    return products, page_size


def catalog_status() -> CatalogStatus:
    """The catalog as this process last saw it; never makes a network call.

    `reachable` is None until this process has called the catalog.
    """
    provider = providers.current()
    if not isinstance(provider, providers.RemoteProvider):
        return {"provider": provider.name, "breaker": "closed", "reachable": True}
    breaker = client.peek_breaker(provider.breaker_key)
    if breaker is None:
        return {"provider": provider.name, "breaker": "closed", "reachable": None}
    state = breaker.state()
    last_success, last_failure = breaker.last_success_at, breaker.last_failure_at
    reachable: bool | None
    if last_success is None and last_failure is None:
        reachable = None
    else:
        reachable = state == "closed" and (last_failure or 0) <= (last_success or 0)
    return {"provider": provider.name, "breaker": state, "reachable": reachable}
