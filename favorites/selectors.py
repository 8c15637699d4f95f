"""Reads of favorites. None of them calls the catalog."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import Col
from django.shortcuts import get_object_or_404
from psycopg.types.datetime import TimestamptzLoader

from customers.models import Customer
from favorites.models import API_FIELDS, Favorite


def favorite_list(*, customer: Customer, available: bool | None = None) -> QuerySet[Favorite]:
    """The customer's favorites, newest first (served by the favorite_customer_recent index)."""
    favorites = Favorite.objects.filter(customer=customer).order_by("-created_at", "-id")
    if available is not None:
        favorites = favorites.filter(available=available)
    return favorites


# The list is the service's hot path. Its two statements are the ones the ORM
# would write for `favorite_list()` (test_queries.py holds them to it), kept
# ready-made: compiling the queryset costs more CPU than PostgreSQL spends
# running it.
@dataclass(frozen=True)
class _ListStatements:
    page: str
    count: str
    # (column index, column, converters): SQLite's decimals and datetimes; none on PostgreSQL.
    converters: tuple[tuple[int, Col, tuple[Callable, ...]], ...]


@cache
def _list_statements(vendor: str, filtered: bool) -> _ListStatements:
    quote = connection.ops.quote_name
    meta = Favorite._meta
    fields = [meta.get_field(name) for name in API_FIELDS]
    table = quote(meta.db_table)
    where = f"{quote('customer_id')} = %s" + (f" AND {quote('available')} = %s" if filtered else "")
    converters = []
    for index, field in enumerate(fields):
        column = Col(meta.db_table, field)
        functions = (
            *connection.ops.get_db_converters(column),
            *field.get_db_converters(connection),
        )
        if functions:
            converters.append((index, column, functions))
    return _ListStatements(
        page=(
            f"SELECT {', '.join(quote(field.column) for field in fields)} FROM {table}"
            f" WHERE {where} ORDER BY {quote('created_at')} DESC, {quote('id')} DESC"
            " LIMIT %s OFFSET %s"
        ),
        count=f"SELECT COUNT(*) FROM {table} WHERE {where}",
        converters=tuple(converters),
    )


def favorite_page(
    *, customer_id: int, available: bool | None, offset: int, limit: int
) -> list[dict]:
    """Up to `limit` of the customer's favorites from `offset`, newest first, as dicts."""
    statements = _list_statements(connection.vendor, available is not None)
    params = [customer_id] if available is None else [customer_id, available]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's timestamptz loader is a Python subclass of psycopg's; psycopg's own
            # (compiled, with psycopg[binary]) gives the same aware UTC datetimes faster.
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(statements.page, [*params, limit, offset])
        rows = cursor.fetchall()
    if statements.converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for index, column, functions in statements.converters:
                for function in functions:
                    row[index] = function(row[index], column, connection)
    return [dict(zip(API_FIELDS, row, strict=True)) for row in rows]


def favorite_count(*, customer_id: int, available: bool | None) -> int:
    """How many favorites the customer has (with that availability, when given)."""
    statements = _list_statements(connection.vendor, available is not None)
    params = [customer_id] if available is None else [customer_id, available]
    with connection.cursor() as cursor:
        cursor.execute(statements.count, params)
        return cursor.fetchone()[0]


def favorite_get(*, customer: Customer, product_id: str) -> Favorite:
    """One of the customer's favorites; Http404 when the product is not among them."""
    return get_object_or_404(Favorite, customer=customer, product_id=product_id)


def favorite_product_ids_to_refresh(
    *, checked_before: datetime, product_ids: Iterable[str] | None = None
) -> list[str]:
    """Each favorited product whose snapshots were last checked before `checked_before`, once."""
    favorites = Favorite.objects.filter(refreshed_at__lt=checked_before)
    if product_ids is not None:
        favorites = favorites.filter(product_id__in=list(product_ids))
    return list(favorites.order_by("product_id").values_list("product_id", flat=True).distinct())
