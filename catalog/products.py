"""The catalog service module's public interface.

Everything outside `catalog/` talks to the product catalog only through these
names: `product_get`, `product_page`, `catalog_status`, the frozen `Product`,
and the errors. Which catalog answers is settings' business, read at every
call: the bundled demo catalog in-process when `CATALOG_URL` is empty, else the
remote catalog in `CATALOG_FORMAT` (`luizalabs` or `fakestore`).
"""

import re
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings

PRODUCT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
PRODUCT_ID_RULE = "A product id is 1 to 64 letters, digits, '-' or '_'."


class InvalidProductId(ValueError):
    """The id can never name a product; no request was made."""


class ProductNotFound(LookupError):
    """The catalog answered that it has no such product."""


class CatalogUnavailable(Exception):
    """The catalog could not answer (down, slow, broken, or the breaker is open)."""

    def __init__(
        self, message: str = "The product catalog is unavailable.", *, retry_after: int = 30
    ):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    price: Decimal
    image_url: str
    brand: str
    review_score: float | None


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    page: int
    has_next: bool
    # How many products the catalog holds: exact for the demo catalog and
    # fakestore, a lower bound for luizalabs (which does not say).
    count: int | None = None
    page_size: int | None = None


_NOT_FOUND = {"found": False}


def product_id_validate(product_id: str) -> str:
    """The id itself if it can name a product, else `InvalidProductId`."""
    if not isinstance(product_id, str) or not PRODUCT_ID_PATTERN.fullmatch(product_id):
        raise InvalidProductId(PRODUCT_ID_RULE)
    return product_id


def product_get(product_id: str, *, fresh: bool = False) -> Product:
    """The product, from the cache or the catalog (`fresh`: from the catalog, whatever the
    cache holds; its answer then replaces the cached one).

    Raises `InvalidProductId` (before any network call), `ProductNotFound`, or
    `CatalogUnavailable` (its `retry_after` says when to try again).
    """
    from catalog import caching, providers

    product_id_validate(product_id)
    provider = providers.current()
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


def product_page(page: int) -> ProductPage:
    """Page `page` (from 1) of the catalog; past the end, an empty page without a next.

    Raises `CatalogUnavailable`.
    """
    from catalog import providers

    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError("page is a whole number from 1")
    return providers.current().page(page)


def catalog_status() -> dict:
    """The catalog as this process last saw it; never makes a network call.

    `reachable` is None until this process has called the catalog.
    """
    from catalog import client, providers

    provider = providers.current()
    if not provider.remote:
        return {"provider": provider.name, "breaker": "closed", "reachable": True}
    breaker = client.peek_breaker(provider.breaker_key)
    if breaker is None:
        return {"provider": provider.name, "breaker": "closed", "reachable": None}
    state = breaker.state()
    last_success, last_failure = breaker.last_success_at, breaker.last_failure_at
    if last_success is None and last_failure is None:
        reachable = None
    else:
        reachable = state == "closed" and (last_failure or 0) <= (last_success or 0)
    return {"provider": provider.name, "breaker": state, "reachable": reachable}
