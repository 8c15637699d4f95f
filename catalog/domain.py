"""The catalog's types and errors; imports nothing of the catalog.

`catalog.products` re-exports every name here: outside `catalog/`, import them
from there. The other catalog modules (client, parsing, providers, demo)
import them from here, so the package has no import cycle.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from favorites_project.errors import DomainError

PRODUCT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
PRODUCT_ID_RULE = "A product id is 1 to 64 letters, digits, '-' or '_'."


class InvalidProductId(DomainError, ValueError):
    """The id can never name a product; no request was made."""

    status = 400
    code = "validation_error"
    field = "product_id"


class ProductNotFound(DomainError, LookupError):
    """The catalog answered that it has no such product."""

    status = 422
    code = "product_not_found"


class CatalogUnavailable(DomainError):
    """The catalog could not answer (down, slow, broken, or the breaker is open)."""

    status = 503
    code = "catalog_unavailable"
    retry_after: int

    def __init__(
        self, message: str = "The product catalog is unavailable.", *, retry_after: int = 30
    ) -> None:
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


def product_id_validate(product_id: str) -> str:
    """The id itself if it can name a product, else `InvalidProductId`."""
    if not isinstance(product_id, str) or not PRODUCT_ID_PATTERN.fullmatch(product_id):
        raise InvalidProductId(PRODUCT_ID_RULE)
    return product_id
