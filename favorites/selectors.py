"""Reads of favorites. None of them calls the catalog."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import cast

from django.db import connection
from django.db.models import Field
from django.db.models.expressions import Col
from django.shortcuts import get_object_or_404
from psycopg.types.datetime import TimestamptzLoader

from customers.models import Customer
from favorites.models import API_FIELDS, Favorite


# The list is the service's hot path, so its statements are written once, here,
# rather than compiled from a queryset on every request (compiling costs more CPU
# than PostgreSQL spends running them). They read the favorite_customer_recent
# index in list order (test_queries.py checks the plans).
@dataclass(frozen=True)
class _ListStatements:
    page: str
    # Past the first page the skipped rows are read from the index alone (a deferred
    # join) and only the page's own rows from the table, so a deep page costs about
    # what the first one does.
    deep_page: str
    count: str
    # (column index, column, converters): SQLite's decimals and datetimes; none on PostgreSQL.
    converters: tuple[tuple[int, Col, tuple[Callable, ...]], ...]


@cache
def _list_statements(vendor: str, filtered: bool) -> _ListStatements:
    quote = connection.ops.quote_name
    meta = Favorite._meta
    # Concrete fields all (no relation among them).
    fields = [cast(Field, meta.get_field(name)) for name in API_FIELDS]
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
    columns = ", ".join(quote(cast(str, field.column)) for field in fields)
    order = f"ORDER BY {quote('created_at')} DESC, {quote('id')} DESC"
    page_ids = f"SELECT {quote('id')} FROM {table} WHERE {where} {order} LIMIT %s OFFSET %s"
    return _ListStatements(
        page=f"SELECT {columns} FROM {table} WHERE {where} {order} LIMIT %s OFFSET %s",
        deep_page=f"SELECT {columns} FROM {table} WHERE {quote('id')} IN ({page_ids}) {order}",
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
        statement = statements.page if offset == 0 else statements.deep_page
        cursor.execute(statement, [*params, limit, offset])
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
