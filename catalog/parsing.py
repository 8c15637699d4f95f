"""Strict parsing of the catalog's JSON answers into `Product`s.

Every check names what was wrong (`InvalidAnswer.reason`), for the log line.
Used by the remote providers and by the bundled demo catalog, whose data file
is in luizalabs' shape.
"""

import json
import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NoReturn

from catalog.client import RawResponse
from catalog.domain import CatalogUnavailable, Product

# The pages we cut ourselves (demo catalog, fakestore's unpaged list).
PAGE_SIZE = 20
MAX_PRICE = Decimal("99999999.99")  # fits DecimalField(max_digits=12, decimal_places=2)
CENTS = Decimal("0.01")
MAX_TITLE_LENGTH = 255
MAX_BRAND_LENGTH = 255
MAX_IMAGE_URL_LENGTH = 2048


class InvalidAnswer(CatalogUnavailable):
    """The catalog answered something we cannot accept; `reason` says what."""

    def __init__(self, reason: str) -> None:
        super().__init__("The product catalog gave an invalid answer.", retry_after=5)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.args[0]} ({self.reason})"


def decode_json(response: RawResponse) -> Any:
    def reject_constant(name: str) -> NoReturn:
        raise ValueError(f"{name} is not a number")

    try:
        return json.loads(response.body, parse_float=Decimal, parse_constant=reject_constant)
    except (ValueError, RecursionError) as exc:
        raise InvalidAnswer(f"the body is not valid JSON: {exc}") from exc


def as_object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidAnswer(f"{what} is a {type(data).__name__}, not an object")
    return data


def required(data: dict[str, Any], field: str) -> Any:
    if field not in data or data[field] is None:
        raise InvalidAnswer(f"{field} is missing")
    return data[field]


def _text(data: dict[str, Any], field: str, *, max_length: int, allow_empty: bool = False) -> str:
    value = required(data, field)
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


def _price(data: dict[str, Any]) -> Decimal:
    price = _number(required(data, "price"), "price")
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


def _image_url(data: dict[str, Any], field: str) -> str:
    url = _text(data, field, max_length=MAX_IMAGE_URL_LENGTH)
    if not url.startswith(("http://", "https://")):
        raise InvalidAnswer(f"{field} is not an http(s) URL")
    return url


def luizalabs_product(data: Any, *, expected_id: str | None = None) -> Product:
    """A product in luizalabs' shape (also the bundled demo catalog's)."""
    data = as_object(data, "the product")
    product_id = required(data, "id")
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
    """A product in fakestore's shape (integer ids, `category` as the brand)."""
    data = as_object(data, "the product")
    product_id = required(data, "id")
    if isinstance(product_id, bool) or not isinstance(product_id, int) or product_id < 0:
        raise InvalidAnswer(f"id is {product_id!r}, not a whole number")
    if expected_id is not None and str(product_id) != expected_id:
        raise InvalidAnswer(f"asked for {expected_id}, got {product_id}")
    review_score = None
    rating = data.get("rating")
    if rating is not None:
        rating = as_object(rating, "rating")
        count = required(rating, "count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidAnswer(f"rating.count is {count!r}, not a whole number")
        rate = _review_score(required(rating, "rate"), "rating.rate")
        review_score = rate if count > 0 else None
    return Product(
        id=str(product_id),
        title=_text(data, "title", max_length=MAX_TITLE_LENGTH),
        price=_price(data),
        image_url=_image_url(data, "image"),
        brand=_text(data, "category", max_length=MAX_BRAND_LENGTH, allow_empty=True),
        review_score=review_score,
    )


def products_list(items: Any, parse: Callable[[Any], Product], what: str) -> list[Product]:
    """Every item parsed by `parse`; the first bad one names its index."""
    if not isinstance(items, list):
        raise InvalidAnswer(f"{what} is a {type(items).__name__}, not a list")
    products = []
    for index, item in enumerate(items):
        try:
            products.append(parse(item))
        except InvalidAnswer as exc:
            raise InvalidAnswer(f"{what}[{index}]: {exc.reason}") from exc
    return products
