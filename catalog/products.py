"""The catalog service module's public interface.

Everything outside `catalog/` talks to the product catalog only through these
names: `product_get`, `product_page`, the frozen `Product`, and the errors.
"""

from dataclasses import dataclass
from decimal import Decimal


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
