"""Reads of favorites. None of them calls the catalog."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import connection
from django.shortcuts import get_object_or_404

from customers.models import Customer
from favorites.models import API_FIELDS, PRICE_CHANGE_RATIO_SQL, Favorite
from favorites_project.sql import columns, fetch, rows


# The list is the service's hot path, so its statements are written once, here,
# rather than compiled from a queryset on every request (favorites_project/sql.py).
# They read the favorite_customer_recent index in list order (test_queries.py checks
# the plans).
@dataclass(frozen=True)
class _ListStatements:
    page: str
    # Past the first page the skipped rows are read from the index alone (a deferred
    # join) and only the page's own rows from the table, so a deep page costs about
    # what the first one does.
    deep_page: str
    count: str


@cache
def _list_statements(vendor: str, filtered: bool) -> _ListStatements:
    quote = connection.ops.quote_name
    table = quote(Favorite._meta.db_table)
    where = f"{quote('customer_id')} = %s" + (f" AND {quote('available')} = %s" if filtered else "")
    selected = columns(Favorite, API_FIELDS)
    order = f"ORDER BY {quote('created_at')} DESC, {quote('id')} DESC"
    page_ids = f"SELECT {quote('id')} FROM {table} WHERE {where} {order} LIMIT %s OFFSET %s"
    return _ListStatements(
        page=f"SELECT {selected} FROM {table} WHERE {where} {order} LIMIT %s OFFSET %s",
        deep_page=f"SELECT {selected} FROM {table} WHERE {quote('id')} IN ({page_ids}) {order}",
        count=f"SELECT COUNT(*) FROM {table} WHERE {where}",
    )


def favorite_page(
    *, customer_id: int, available: bool | None, offset: int, limit: int
) -> list[dict]:
    """Up to `limit` of the customer's favorites from `offset`, newest first, as dicts."""
    statements = _list_statements(connection.vendor, available is not None)
    params = [customer_id] if available is None else [customer_id, available]
    statement = statements.page if offset == 0 else statements.deep_page
    return _favorite_rows(statement, [*params, limit, offset])


def _favorite_rows(statement: str, params: list) -> list[dict]:
    """The rows of a statement that selects API_FIELDS, as dicts of Python values."""
    rows = fetch(statement, params, model=Favorite, names=API_FIELDS)
    return [dict(zip(API_FIELDS, row, strict=True)) for row in rows]


def favorite_count(*, customer_id: int, available: bool | None) -> int:
    """How many favorites the customer has (with that availability, when given)."""
    statements = _list_statements(connection.vendor, available is not None)
    params = [customer_id] if available is None else [customer_id, available]
    return rows(statements.count, params)[0][0]


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


# Lookup: what a product grid shows of each favorite.
LOOKUP_FIELDS = ("product_id", "created_at", "price_when_added", "price")


def favorite_lookup(*, customer_id: int, product_ids: Iterable[str]) -> dict[str, dict | None]:
    """Each asked id -> its favorite's created_at, price_when_added and price, or None
    when the product is not among the customer's favorites. One query, however many ids."""
    asked = dict.fromkeys(product_ids)
    if connection.vendor == "postgresql":
        # One parameter rather than a queryset's `IN` of up to 200: a storefront asks this
        # for every product grid, and compiling the queryset cost more than running it.
        # The ids travel as one comma-separated string (the catalog's id rule has no
        # comma), which costs nothing to send where a 200-element array cost a millisecond
        # of CPU; PostgreSQL splits it and reads the customer's rows by an index.
        rows = fetch(
            _LOOKUP_STATEMENT, [customer_id, ",".join(asked)], model=Favorite, names=LOOKUP_FIELDS
        )
    else:
        rows = list(
            Favorite.objects.filter(
                customer_id=customer_id, product_id__in=list(asked)
            ).values_list(*LOOKUP_FIELDS)
        )
    for product_id, created_at, price_when_added, price in rows:
        if product_id not in asked:  # an id with a comma in it: no product has one
            continue
        asked[product_id] = {
            "created_at": created_at,
            "price_when_added": price_when_added,
            "price": price,
        }
    return asked


_LOOKUP_STATEMENT = (
    f'SELECT {", ".join(LOOKUP_FIELDS)} FROM "{Favorite._meta.db_table}" '
    'WHERE "customer_id" = %s AND "product_id" = ANY(string_to_array(%s, \',\'))'
)


# The list's other orderings and filters (`?ordering=`, `?price_dropped=`, `?search=`):
# statements of their own, each reading an index that delivers its order (docs/performance.md).
ORDERINGS = {
    "-created_at": '"created_at" DESC, "id" DESC',
    "created_at": '"created_at" ASC, "id" ASC',
    "price": '"price" ASC, "id" ASC',
    "-price": '"price" DESC, "id" DESC',
    # The biggest drop first: the most negative change ratio (favorite_customer_price_change).
    "price_change_percent": f'{PRICE_CHANGE_RATIO_SQL} ASC, "id" ASC',
    "title": '"title" ASC, "id" ASC',
}
DEFAULT_ORDERING = "-created_at"
SEARCH_MAX_LENGTH = 100


@dataclass(frozen=True)
class FavoriteListQuery:
    """How a list is asked for; the default one is served by `favorite_page`."""

    available: bool | None = None
    ordering: str = DEFAULT_ORDERING
    price_dropped: bool = False
    search: str = ""

    @property
    def is_plain(self) -> bool:
        """Served by the hand-written statements of the hot path."""
        return self.ordering == DEFAULT_ORDERING and not self.price_dropped and not self.search


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@cache
def _query_statements(
    vendor: str, ordering: str, available: bool, price_dropped: bool, search: bool
) -> tuple[str, str]:
    """(page, count) for one shape of list query; parameters: the customer, then the
    availability, then the search pattern twice, then (page only) limit and offset."""
    table = connection.ops.quote_name(Favorite._meta.db_table)
    where = ['"customer_id" = %s']
    if available:
        where.append('"available" = %s')
    if price_dropped:
        where.append('"price" < "price_when_added"')  # the favorite_customer_dropped predicate
    if search:
        like = "ILIKE %s" if vendor == "postgresql" else "LIKE %s ESCAPE '\\'"
        where.append(f'("title" {like} OR "brand" {like})')
    condition = " AND ".join(where)
    return (
        f"SELECT {columns(Favorite, API_FIELDS)} FROM {table} WHERE {condition} "
        f"ORDER BY {ORDERINGS[ordering]} LIMIT %s OFFSET %s",
        f"SELECT COUNT(*) FROM {table} WHERE {condition}",
    )


def _query_params(customer_id: int, query: FavoriteListQuery) -> list:
    params: list = [customer_id]
    if query.available is not None:
        params.append(query.available)
    if query.search:
        params += [_like_pattern(query.search)] * 2
    return params


def _query_statement_for(query: FavoriteListQuery) -> tuple[str, str]:
    return _query_statements(
        connection.vendor,
        query.ordering,
        query.available is not None,
        query.price_dropped,
        bool(query.search),
    )


def favorite_query_page(
    *, customer_id: int, query: FavoriteListQuery, offset: int, limit: int
) -> list[dict]:
    """Up to `limit` of the customer's favorites from `offset`, as `query` orders and
    filters them, as dicts (the plain query: `favorite_page`)."""
    if query.is_plain:
        return favorite_page(
            customer_id=customer_id, available=query.available, offset=offset, limit=limit
        )
    page, _ = _query_statement_for(query)
    return _favorite_rows(page, [*_query_params(customer_id, query), limit, offset])


def favorite_query_count(*, customer_id: int, query: FavoriteListQuery) -> int:
    if query.is_plain:
        return favorite_count(customer_id=customer_id, available=query.available)
    _, count = _query_statement_for(query)
    with connection.cursor() as cursor:
        cursor.execute(count, _query_params(customer_id, query))
        return cursor.fetchone()[0]
