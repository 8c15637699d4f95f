"""The catalog's formats: URLs, and which parser reads each answer.

A provider answers `get(product_id) -> Product | None` (None: not in the
catalog) and `page(page, through_cache) -> ProductPage`, and raises
`CatalogUnavailable` for anything else. Providers never touch the cache:
`page` fetches each listing it needs through `through_cache`, which
`catalog.products` (the one place that caches) supplies. `current()` picks a
provider from the settings at call time.
"""

from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog import client
from catalog.demo import DemoProvider
from catalog.domain import Product, ProductPage
from catalog.parsing import (
    PAGE_SIZE,
    InvalidAnswer,
    as_object,
    decode_json,
    fakestore_product,
    luizalabs_product,
    products_list,
    required,
)

T = TypeVar("T")

# A listing as the catalog sent it: its products, and the catalog's page size.
Listing = tuple[list[Product], int]
# `through_cache(key_parts, fetch)`: the cached listing under these key parts, or
# `fetch()`'s (then cached).
ThroughCache = Callable[[tuple[str, ...], Callable[[], Listing]], Listing]


class Provider(Protocol):
    name: str
    remote: bool
    base_url: str

    def get(self, product_id: str) -> Product | None: ...

    def page(self, page: int, through_cache: ThroughCache) -> ProductPage: ...


def current() -> Provider:
    base_url = settings.CATALOG_URL.strip().rstrip("/")
    if not base_url:
        return DemoProvider()
    catalog_format = settings.CATALOG_FORMAT.strip().lower()
    providers: dict[str, type[LuizalabsProvider | FakestoreProvider]] = {
        "luizalabs": LuizalabsProvider,
        "fakestore": FakestoreProvider,
    }
    if catalog_format not in providers:
        raise ImproperlyConfigured(
            f"CATALOG_FORMAT is {settings.CATALOG_FORMAT!r}; use 'luizalabs' or 'fakestore'."
        )
    if not base_url.startswith(("http://", "https://")):
        raise ImproperlyConfigured("CATALOG_URL must be an http:// or https:// URL.")
    return providers[catalog_format](base_url)


class RemoteProvider:
    name = ""
    remote = True

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    @property
    def breaker_key(self) -> str:
        return f"{self.name}:{self.base_url}"

    def fetch(
        self, path: str, parse: Callable[[client.RawResponse], T], *, max_bytes: int | None = None
    ) -> T:
        return client.fetch(
            self.base_url + path, parse=parse, breaker_key=self.breaker_key, max_bytes=max_bytes
        )


class LuizalabsProvider(RemoteProvider):
    """`GET /api/product/{id}/` and `GET /api/product/?page=N`."""

    name = "luizalabs"

    def get(self, product_id: str) -> Product | None:
        def parse(response: client.RawResponse) -> Product | None:
            if response.status == 404:
                return None
            return luizalabs_product(decode_json(response), expected_id=product_id)

        return self.fetch(f"/api/product/{quote(product_id, safe='')}/", parse)

    def page(self, page: int, through_cache: ThroughCache) -> ProductPage:
        def listing(number: int) -> Listing:
            return through_cache(("page", str(number)), lambda: self._fetch_page(number))

        products, page_size = listing(page)
        has_next = False
        next_count = 0
        # A full page may be the last one: look at the next (cached, reused when asked).
        if products and len(products) >= page_size:
            next_products, _ = listing(page + 1)
            has_next = bool(next_products)
            next_count = len(next_products)
        return ProductPage(
            products=products,
            page=page,
            has_next=has_next,
            count=(page - 1) * page_size + len(products) + next_count,
            page_size=page_size,
        )

    def _fetch_page(self, page: int) -> Listing:
        def parse(response: client.RawResponse) -> Listing:
            if response.status == 404:  # past the end
                return [], PAGE_SIZE
            body = as_object(decode_json(response), "the page")
            meta = as_object(required(body, "meta"), "meta")
            page_number, page_size = required(meta, "page_number"), required(meta, "page_size")
            for field, value in (("page_number", page_number), ("page_size", page_size)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise InvalidAnswer(f"meta.{field} is {value!r}, not a whole number")
            if page_number != page:
                raise InvalidAnswer(f"asked for page {page}, got page {page_number}")
            products = products_list(required(body, "products"), luizalabs_product, "products")
            return products, page_size

        return self.fetch(f"/api/product/?page={page}", parse)


class FakestoreProvider(RemoteProvider):
    """`GET /products/{id}` and `GET /products` (the whole list: we page it ourselves)."""

    name = "fakestore"

    def get(self, product_id: str) -> Product | None:
        # Fakestore ids are whole numbers; any other id names nothing.
        if not product_id.isdigit() or product_id != str(int(product_id)):
            return None

        def parse(response: client.RawResponse) -> Product | None:
            # Fakestore answers an unknown id with 200 and an empty or `null` body.
            if response.status == 404 or not response.body.strip():
                return None
            data: Any = decode_json(response)
            if data is None:
                return None
            return fakestore_product(data, expected_id=product_id)

        return self.fetch(f"/products/{quote(product_id, safe='')}", parse)

    def page(self, page: int, through_cache: ThroughCache) -> ProductPage:
        products, _ = through_cache(("list",), self._fetch_all)
        start = (page - 1) * PAGE_SIZE
        return ProductPage(
            products=products[start : start + PAGE_SIZE],
            page=page,
            has_next=len(products) > start + PAGE_SIZE,
            count=len(products),
            page_size=PAGE_SIZE,
        )

    def _fetch_all(self) -> Listing:
        def parse(response: client.RawResponse) -> Listing:
            if response.status == 404:
                raise InvalidAnswer("the product list answered 404")
            return products_list(decode_json(response), fakestore_product, "products"), PAGE_SIZE

        return self.fetch("/products", parse, max_bytes=settings.CATALOG_MAX_LIST_RESPONSE_BYTES)
