"""Rows read by hand-written statements on the hot paths, as the ORM would give them.

A queryset is compiled to SQL on every use, which on the favorites list and the
authentication of every request cost more CPU than PostgreSQL spends running the
statement. Those paths write their statements once and read them here: a model's
columns, in the order asked, converted as the ORM converts them (SQLite's
datetimes and decimals; nothing on PostgreSQL), and on PostgreSQL prepared once per
connection rather than parsed and planned on every request.
"""

from collections.abc import Callable, Sequence
from functools import cache
from typing import cast

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Col
from psycopg.types.datetime import TimestamptzLoader

from favorites_project.postgresql import base as postgresql_backend

Converter = tuple[int, Col, tuple[Callable, ...]]


def columns(model: type[Model], names: Sequence[str]) -> str:
    """The quoted columns of these fields (concrete, by name), for a SELECT list."""
    meta = model._meta
    return ", ".join(
        connection.ops.quote_name(cast(str, cast(Field, meta.get_field(name)).column))
        for name in names
    )


@cache
def _converters(model: type[Model], names: tuple[str, ...], vendor: str) -> tuple[Converter, ...]:
    meta = model._meta
    found = []
    for index, name in enumerate(names):
        field = cast(Field, meta.get_field(name))
        column = Col(meta.db_table, field)
        functions = (
            *connection.ops.get_db_converters(column),
            *field.get_db_converters(connection),
        )
        if functions:
            found.append((index, column, functions))
    return tuple(found)


def _cursor():
    """A cursor for the statements written once: on PostgreSQL one that keeps them prepared
    (favorites_project/postgresql/), so they are not parsed and planned on every request."""
    if connection.vendor == "postgresql":
        return cast(postgresql_backend.DatabaseWrapper, connection).prepared_cursor()
    return connection.cursor()


def rows(statement: str, params: Sequence) -> list[tuple]:
    """The rows of a statement of plain values (counts, ids, locks)."""
    with _cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def fetch(statement: str, params: Sequence, *, model: type[Model], names: tuple[str, ...]) -> list:
    """The rows of `statement`, which selects the fields `names` of `model` in that order."""
    with _cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's timestamptz loader is a Python subclass of psycopg's; psycopg's own
            # (compiled, with psycopg[binary]) gives the same aware UTC datetimes faster.
            cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    converters = _converters(model, names, connection.vendor)
    if converters:
        rows = [list(row) for row in rows]
        for row in rows:
            for index, column, functions in converters:
                for function in functions:
                    row[index] = function(row[index], column, connection)
    return rows
