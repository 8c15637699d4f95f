"""The bundled demo catalog, served in-process when `CATALOG_URL` is empty."""

from collections.abc import Callable
from functools import cache

from catalog.data import load_records
from catalog.domain import Product, ProductPage
from catalog.parsing import PAGE_SIZE, luizalabs_product


@cache
def demo_products() -> tuple[Product, ...]:
    """Every bundled product, parsed by the same strict code as a remote answer."""
    return tuple(luizalabs_product(record) for record in load_records())


@cache
def _by_id() -> dict[str, Product]:
    return {product.id: product for product in demo_products()}


class DemoProvider:
    """In memory: nothing to cache, so `page` never calls `through_cache`."""

    name = "demo"
    remote = False
    base_url = ""

    def get(self, product_id: str) -> Product | None:
        return _by_id().get(product_id)

    def page(self, page: int, through_cache: Callable[..., object] | None = None) -> ProductPage:
        products = demo_products()
        start = (page - 1) * PAGE_SIZE
        return ProductPage(
            products=list(products[start : start + PAGE_SIZE]),
            page=page,
            has_next=len(products) > start + PAGE_SIZE,
            count=len(products),
            page_size=PAGE_SIZE,
        )
