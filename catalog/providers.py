"""The catalog's formats: URLs, strict parsing of their JSON into `Product`s.

A provider answers `get(product_id) -> Product | None` (None: not in the
catalog) and `page(page) -> ProductPage`, and raises `CatalogUnavailable` for
anything else. `current()` picks one from the settings at call time.
"""

import json
import math
from dataclasses import asdict
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog import caching, client
from catalog.products import CatalogUnavailable, Product, ProductPage

# The pages we cut ourselves (demo catalog, fakestore's unpaged list).
PAGE_SIZE = 20
MAX_PRICE = Decimal("99999999.99")  # fits DecimalField(max_digits=12, decimal_places=2)
CENTS = Decimal("0.01")
MAX_TITLE_LENGTH = 255
MAX_BRAND_LENGTH = 255
MAX_IMAGE_URL_LENGTH = 2048


class InvalidAnswer(CatalogUnavailable):
    """The catalog answered something we cannot accept; `reason` says what."""

    def __init__(self, reason: str):
        super().__init__("The product catalog gave an invalid answer.", retry_after=5)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.reason})"


def current():
    base_url = settings.CATALOG_URL.strip().rstrip("/")
    if not base_url:
        from catalog.demo import DemoProvider

        return DemoProvider()
    catalog_format = settings.CATALOG_FORMAT.strip().lower()
    providers = {"luizalabs": LuizalabsProvider, "fakestore": FakestoreProvider}
    if catalog_format not in providers:
        raise ImproperlyConfigured(
            f"CATALOG_FORMAT is {settings.CATALOG_FORMAT!r}; use 'luizalabs' or 'fakestore'."
        )
    if not base_url.startswith(("http://", "https://")):
        raise ImproperlyConfigured("CATALOG_URL must be an http:// or https:// URL.")
    return providers[catalog_format](base_url)


# Parsing: every check names what was wrong, for the log line.


def decode_json(response: client.RawResponse) -> Any:
    def reject_constant(name: str):
        raise ValueError(f"{name} is not a number")

    try:
        return json.loads(response.body, parse_float=Decimal, parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidAnswer(f"the body is not valid JSON: {exc}") from exc


def _object(data: Any, what: str) -> dict:
    if not isinstance(data, dict):
        raise InvalidAnswer(f"{what} is a {type(data).__name__}, not an object")
    return data


def _required(data: dict, field: str) -> Any:
    if field not in data or data[field] is None:
        raise InvalidAnswer(f"{field} is missing")
    return data[field]


def _text(data: dict, field: str, *, max_length: int, allow_empty: bool = False) -> str:
    value = _required(data, field)
    if not isinstance(value, str):
        raise InvalidAnswer(f"{field} is a {type(value).__name__}, not a string")
    value = value.strip()
    if not value and not allow_empty:
        raise InvalidAnswer(f"{field} is empty")
    if len(value) > max_length:
        raise InvalidAnswer(f"{field} is longer than {max_length} characters")
    return value


def _number(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise InvalidAnswer(f"{field} is a {type(value).__name__}, not a number")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise InvalidAnswer(f"{field} is not finite")
    if number < 0:
        raise InvalidAnswer(f"{field} is negative")
    return number


def _price(data: dict) -> Decimal:
    price = _number(_required(data, "price"), "price")
    if price > MAX_PRICE:
        raise InvalidAnswer(f"price is over {MAX_PRICE}")
    try:
        return abs(price).quantize(CENTS, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # pragma: no cover - bounded above
        raise InvalidAnswer("price cannot be rounded to cents") from exc


def _review_score(value: Any, field: str) -> float | None:
    if value is None:
        return None
    score = float(_number(value, field))
    if not math.isfinite(score) or score > 5:
        raise InvalidAnswer(f"{field} is not between 0 and 5")
    return score


def _image_url(data: dict, field: str) -> str:
    url = _text(data, field, max_length=MAX_IMAGE_URL_LENGTH)
    if not url.startswith(("http://", "https://")):
        raise InvalidAnswer(f"{field} is not an http(s) URL")
    return url


def luizalabs_product(data: Any, *, expected_id: str | None = None) -> Product:
    """A product in luizalabs' shape (also the bundled demo catalog's)."""
    data = _object(data, "the product")
    product_id = _required(data, "id")
    if not isinstance(product_id, str):
        raise InvalidAnswer(f"id is a {type(product_id).__name__}, not a string")
    if expected_id is not None and product_id != expected_id:
        raise InvalidAnswer(f"asked for {expected_id}, got {product_id[:80]!r}")
    return Product(
        id=product_id,
        title=_text(data, "title", max_length=MAX_TITLE_LENGTH),
        price=_price(data),
        image_url=_image_url(data, "image"),
        brand=_text(data, "brand", max_length=MAX_BRAND_LENGTH, allow_empty=True),
        review_score=_review_score(data.get("reviewScore"), "reviewScore"),
    )


def fakestore_product(data: Any, *, expected_id: str | None = None) -> Product:
    data = _object(data, "the product")
    product_id = _required(data, "id")
    if isinstance(product_id, bool) or not isinstance(product_id, int) or product_id < 0:
        raise InvalidAnswer(f"id is {product_id!r}, not a whole number")
    if expected_id is not None and str(product_id) != expected_id:
        raise InvalidAnswer(f"asked for {expected_id}, got {product_id}")
    review_score = None
    rating = data.get("rating")
    if rating is not None:
        rating = _object(rating, "rating")
        count = _required(rating, "count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidAnswer(f"rating.count is {count!r}, not a whole number")
        rate = _review_score(_required(rating, "rate"), "rating.rate")
        review_score = rate if count > 0 else None
    return Product(
        id=str(product_id),
        title=_text(data, "title", max_length=MAX_TITLE_LENGTH),
        price=_price(data),
        image_url=_image_url(data, "image"),
        brand=_text(data, "category", max_length=MAX_BRAND_LENGTH, allow_empty=True),
        review_score=review_score,
    )


def _products(items: Any, parse, what: str) -> list[Product]:
    if not isinstance(items, list):
        raise InvalidAnswer(f"{what} is a {type(items).__name__}, not a list")
    products = []
    for index, item in enumerate(items):
        try:
            products.append(parse(item))
        except InvalidAnswer as exc:
            raise InvalidAnswer(f"{what}[{index}]: {exc.reason}") from exc
    return products


def _cache_products(products: list[Product]) -> list[dict]:
    return [asdict(product) for product in products]


def _cached_products(items: list[dict]) -> list[Product]:
    return [Product(**item) for item in items]


class RemoteProvider:
    name = ""
    remote = True

    def __init__(self, base_url: str):
        self.base_url = base_url

    @property
    def breaker_key(self) -> str:
        return f"{self.name}:{self.base_url}"

    def fetch(self, path: str, parse, *, max_bytes: int | None = None):
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

    def page(self, page: int) -> ProductPage:
        products, page_size = self._page(page)
        has_next = False
        next_count = 0
        # A full page may be the last one: look at the next (cached, reused when asked).
        if products and len(products) >= page_size:
            next_products, _ = self._page(page + 1)
            has_next = bool(next_products)
            next_count = len(next_products)
        return ProductPage(
            products=products,
            page=page,
            has_next=has_next,
            count=(page - 1) * page_size + len(products) + next_count,
            page_size=page_size,
        )

    def _page(self, page: int) -> tuple[list[Product], int]:
        key = caching.key(self, "page", str(page))
        cached = caching.read(key)
        if cached is not None:
            return _cached_products(cached["products"]), cached["page_size"]

        def parse(response: client.RawResponse) -> tuple[list[Product], int]:
            if response.status == 404:  # past the end
                return [], PAGE_SIZE
            body = _object(decode_json(response), "the page")
            meta = _object(_required(body, "meta"), "meta")
            page_number, page_size = _required(meta, "page_number"), _required(meta, "page_size")
            for field, value in (("page_number", page_number), ("page_size", page_size)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise InvalidAnswer(f"meta.{field} is {value!r}, not a whole number")
            if page_number != page:
                raise InvalidAnswer(f"asked for page {page}, got page {page_number}")
            return _products(_required(body, "products"), luizalabs_product, "products"), page_size

        products, page_size = self.fetch(f"/api/product/?page={page}", parse)
        caching.write(
            key,
            {"products": _cache_products(products), "page_size": page_size},
            settings.CATALOG_CACHE_TTL,
        )
        return products, page_size


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
            data = decode_json(response)
            if data is None:
                return None
            return fakestore_product(data, expected_id=product_id)

        return self.fetch(f"/products/{quote(product_id, safe='')}", parse)

    def page(self, page: int) -> ProductPage:
        products = self._all()
        start = (page - 1) * PAGE_SIZE
        return ProductPage(
            products=products[start : start + PAGE_SIZE],
            page=page,
            has_next=len(products) > start + PAGE_SIZE,
            count=len(products),
            page_size=PAGE_SIZE,
        )

    def _all(self) -> list[Product]:
        key = caching.key(self, "all")
        cached = caching.read(key)
        if cached is not None:
            return _cached_products(cached)

        def parse(response: client.RawResponse) -> list[Product]:
            if response.status == 404:
                raise InvalidAnswer("the product list answered 404")
            return _products(decode_json(response), fakestore_product, "products")

        products = self.fetch(
            "/products", parse, max_bytes=settings.CATALOG_MAX_LIST_RESPONSE_BYTES
        )
        caching.write(key, _cache_products(products), settings.CATALOG_CACHE_TTL)
        return products
