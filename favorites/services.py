"""Writes to favorites: adding, removing, and refreshing the product snapshots."""

import functools
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from catalog import products as catalog
from catalog.products import Product
from customers.cache import customer_data_changed
from customers.models import Customer
from customers.tokens import HOLDS_SQL, TokenCustomer, TokenRevoked, holds
from events.models import EventType
from events.services import (
    OUTBOX_COLUMNS,
    OUTBOX_TABLE,
    OUTBOX_VALUES,
    NewEvent,
    event_record,
    events_record,
    events_written,
    money,
    outbox_params,
)
from favorites.models import SNAPSHOT_FIELDS, Favorite
from favorites_project.errors import DomainError
from favorites_project.sql import rows


class FavoriteAlreadyExists(DomainError):
    """The product is already in this customer's favorites."""

    status = 409
    code = "favorite_exists"

    def __init__(self, product_id: str):
        super().__init__(f"Product {product_id} is already in this customer's favorites.")
        self.product_id = product_id


class FavoritesLimitReached(DomainError):
    """The customer's list already holds `FAVORITES_MAX_PER_CUSTOMER` favorites."""

    status = 422
    code = "favorites_limit_reached"

    def __init__(self, limit: int):
        super().__init__(f"This customer's list already holds its limit of {limit} favorites.")
        self.limit = limit


def _snapshot(product: Product) -> dict:
    """The catalog data a favorite keeps, as model field values (the Product's names)."""
    return {field: getattr(product, field) for field in SNAPSHOT_FIELDS}


# The add's and the remove's statements, written once (favorites_project/sql.py): they are
# the writes of the hot path, and compiling a queryset for each cost more than PostgreSQL
# spent running it.
_FAVORITES = f'"{Favorite._meta.db_table}"'
# The customer's count and whether the product is among its favorites: one read of its
# entries in favorite_customer_product_unique.
_COUNT_AND_HAS = (
    f'SELECT COUNT(*) AS "saved", COUNT(*) FILTER (WHERE "product_id" = %s) AS "present" '
    f"FROM {_FAVORITES} "
    'WHERE "customer_id" = %s'
)
# Every column a new favorite fills, in `Favorite`'s field order.
_INSERTED = tuple(field for field in Favorite._meta.concrete_fields if not field.primary_key)
_INSERTED_COLUMNS = ", ".join(f'"{field.column}"' for field in _INSERTED)


def _holder(checked: bool) -> str:
    """The customer's row, while it is there; `checked`: and while it holds the caller's
    token, whose digest is the second parameter (customers/tokens.py)."""
    holding = f" AND {HOLDS_SQL}" if checked else ""
    return f'SELECT 1 FROM "{Customer._meta.db_table}" WHERE "id" = %s{holding}'


@functools.cache
def _add_sql(checked: bool) -> str:
    """PostgreSQL's add, once the customer's row is locked: the count and the duplicate
    check, the insert when neither refuses it and the customer is still there (`_holder`),
    and its event, in one statement (one round trip where the ORM took three). Answers
    (whether the customer was there, count, present, the favorite's id or null, the
    event's id)."""
    return (
        f"WITH holder AS ({_holder(checked)}), list AS ({_COUNT_AND_HAS}), "
        f"favorite AS (INSERT INTO {_FAVORITES} ({_INSERTED_COLUMNS}) "
        f"SELECT {', '.join(['%s'] * len(_INSERTED))} FROM list "
        "WHERE list.saved < %s AND list.present = 0 AND EXISTS (SELECT 1 FROM holder) "
        'RETURNING "id"), '
        f'event AS (INSERT INTO "{OUTBOX_TABLE}" ({OUTBOX_COLUMNS}) '
        f'SELECT {OUTBOX_VALUES} FROM favorite RETURNING "id") '
        "SELECT EXISTS (SELECT 1 FROM holder), list.saved, list.present, favorite.id, event.id "
        "FROM list LEFT JOIN favorite ON TRUE LEFT JOIN event ON TRUE"
    )


# PostgreSQL's remove: the row and its event in one statement, which needs no transaction
# of its own (a statement is one). Answers the event's id, or no row.
_GONE = f'DELETE FROM {_FAVORITES} WHERE "customer_id" = %s AND "product_id" = %s'
_EVENT_OF_GONE = (
    f'INSERT INTO "{OUTBOX_TABLE}" ({OUTBOX_COLUMNS}) SELECT {OUTBOX_VALUES} FROM gone '
    'RETURNING "id"'
)
_REMOVE = f'WITH gone AS ({_GONE} RETURNING "id") {_EVENT_OF_GONE}'
# The same, made only while the caller's token holds (customers/tokens.py). Answers whether
# it held, and the event's id or null.
_REMOVE_CHECKED = (
    f"WITH holder AS ({_holder(True)}), "
    f'gone AS ({_GONE} AND EXISTS (SELECT 1 FROM holder) RETURNING "id"), '
    f"event AS ({_EVENT_OF_GONE}) "
    'SELECT EXISTS (SELECT 1 FROM holder), (SELECT "id" FROM event)'
)


@functools.cache
def _lock_customer(vendor: str) -> str:
    """The customer's row, locked until the transaction ends (where the database locks
    rows: SQLite locks the whole file for a write). No key update: inserts whose foreign
    key points to the row are not held up."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    lock = (
        connection.ops.for_update_sql(no_key=True)
        if connection.features.has_select_for_update
        else ""
    )
    return f'SELECT 1 FROM {table} WHERE "id" = %s {lock}'.rstrip()


def _token_held(customer_id: int, token: TokenCustomer) -> bool:
    """Outside PostgreSQL, inside the write's transaction: whether the token still holds."""
    state = Customer.objects.filter(pk=customer_id).values_list("is_active", "password").first()
    return state is not None and holds(
        is_active=state[0], password=state[1], digest=token.password_digest
    )


def _check_token(token: TokenCustomer | None, customer: Customer) -> None:
    if token is not None and token.id != customer.pk:
        raise ValueError("The token names another customer.")


def _not_held(token: TokenCustomer | None) -> Exception:
    """The error of a write whose customer's row was not there to lock (deleted while the
    catalog answered), or did not hold the caller's token."""
    return Http404("No such customer.") if token is None else TokenRevoked()


def _refuse(*, count: int, present: int, limit: int, product_id: str) -> None:
    if present:
        raise FavoriteAlreadyExists(product_id)
    if count >= limit:
        raise FavoritesLimitReached(limit)


@functools.cache
def _lock_and_add_sql(checked: bool) -> str:
    """PostgreSQL's add, in one round trip: the customer's row locked, then `_add_sql`.

    Sent as one query of two statements, which PostgreSQL runs as one transaction (or as a
    part of the caller's). At READ COMMITTED, Django's and PostgreSQL's default level,
    each statement takes its own snapshot, so the second sees every add committed before
    the lock was granted; at REPEATABLE READ or above the snapshot would be the first
    statement's, so the project leaves the level at its default. An atomic block would
    cost three round trips more (BEGIN, the lock, COMMIT) and its Python on every add. A
    query of several statements needs the client-side binding of Django's cursors (the
    default; not `server_side_binding`), so it is parsed and planned on each add, unlike
    the prepared `_REMOVE`: PostgreSQL spent no more CPU per write for it
    (docs/performance.md, "Writes").
    """
    return f"{_lock_customer(connection.vendor)}; {_add_sql(checked)}"


def _add_on_postgresql(
    favorite: Favorite, *, limit: int, event: dict, token: TokenCustomer | None
) -> None:
    """Insert `favorite` and its event (`_lock_and_add_sql`), or refuse it."""
    customer_id, product_id = favorite.customer_id, favorite.product_id
    values = [
        field.get_db_prep_save(getattr(favorite, field.attname), connection) for field in _INSERTED
    ]
    outbox = outbox_params(type=EventType.FAVORITE_ADDED, customer_id=customer_id, data=event)
    holding = [] if token is None else [token.password_digest]
    with connection.cursor() as cursor:
        cursor.execute(
            _lock_and_add_sql(token is not None),
            [customer_id, customer_id, *holding, product_id, customer_id, *values, limit, *outbox],
        )
        locked = cursor.fetchone() is not None
        if not cursor.nextset():
            raise RuntimeError("The add's query answered one result, not two.")
        held, count, present, favorite.pk, event_id = cursor.fetchone()
    if not (locked and held):  # the add inserted nothing
        raise _not_held(token)
    _refuse(count=count, present=present, limit=limit, product_id=product_id)
    favorite._state.adding = False
    favorite._state.db = connection.alias
    events_written(ids=[event_id], types=[EventType.FAVORITE_ADDED.value])


def favorite_add(
    *,
    customer: Customer,
    product_id: str,
    product: Product | None = None,
    token: TokenCustomer | None = None,
) -> Favorite:
    """Add a product to the customer's favorites, snapshotting it from the catalog.

    `product`, when given, is the catalog's answer for `product_id` already fetched (the
    bulk change looks its products up together): then the catalog is not called again.
    Raises `FavoriteAlreadyExists` (without asking the catalog when the row is already
    there), `FavoritesLimitReached`, or the catalog's `InvalidProductId`,
    `ProductNotFound` and `CatalogUnavailable`. Nothing is written unless the favorite
    is returned.

    `token`, when given, is the caller's (`customers.authentication.token_customer`), and
    `customer` the customer it names, whose row need not have been read: the add is then
    made only while the token holds, checked against the customer's row in the add's own
    transaction, and raises `TokenRevoked` otherwise. It takes `product`: the catalog is
    not asked, nor is anything read, for a caller not yet checked.
    """
    _check_token(token, customer)
    if token is not None and product is None:
        raise ValueError("An add checking a token takes the product at hand.")
    catalog.product_id_validate(product_id)
    limit = settings.FAVORITES_MAX_PER_CUSTOMER
    if product is None:
        product = catalog.product_at_hand(product_id)
    if product is None:
        # The catalog must be asked, and it may be slow or down: not for an add that is
        # refused anyway (the check that counts is the transaction's, below). And before
        # any transaction is open, so no connection sits idle in one while it answers.
        count, present = rows(_COUNT_AND_HAS, [product_id, customer.pk])[0]
        _refuse(count=count, present=present, limit=limit, product_id=product_id)
        product = catalog.product_get(product_id)

    now = timezone.now()
    snapshot = _snapshot(product)
    favorite = Favorite(
        customer=customer,
        product_id=product_id,
        price_when_added=snapshot["price"],
        available=True,
        created_at=now,
        refreshed_at=now,
        **snapshot,
    )
    event = {"product_id": product_id, "title": favorite.title, "price": money(favorite.price)}
    # The customer's row, locked for the transaction, makes concurrent adds to one list
    # count one at a time, so none can take it past the limit nor add a product twice (the
    # statement after the lock sees every add committed before it: a check, then an insert,
    # that nothing can come between), and a customer deleted meanwhile is a 404. The unique
    # constraint is still the last word on a duplicate, for a writer that takes no lock.
    try:
        if connection.vendor == "postgresql":
            # Inside the caller's transaction, a savepoint: a refused insert leaves it usable.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                _add_on_postgresql(favorite, limit=limit, event=event, token=token)
        else:
            with transaction.atomic():
                if not rows(_lock_customer(connection.vendor), [customer.pk]) or (
                    token is not None and not _token_held(customer.pk, token)
                ):
                    raise _not_held(token)
                count, present = rows(_COUNT_AND_HAS, [product_id, customer.pk])[0]
                _refuse(count=count, present=present, limit=limit, product_id=product_id)
                favorite.save(force_insert=True)
                event_record(type=EventType.FAVORITE_ADDED, customer_id=customer.pk, data=event)
    except IntegrityError:
        if Favorite.objects.filter(customer=customer, product_id=product_id).exists():
            raise FavoriteAlreadyExists(product_id) from None
        raise
    # Once committed (at commit, if the caller's transaction holds this one): a list read
    # before then read the rows as they were, under the version it may have made.
    customer_data_changed(customer_ids=[customer.pk])
    return favorite


def favorite_remove(
    *, customer: Customer, product_id: str, token: TokenCustomer | None = None
) -> None:
    """Remove a product from the customer's favorites; Http404 when it is not there.

    `token`: as `favorite_add`'s (`TokenRevoked` when it no longer holds).
    """
    _check_token(token, customer)
    data = {"product_id": product_id}
    if connection.vendor == "postgresql":
        # One statement: a transaction of its own, or a part of the caller's.
        outbox = outbox_params(type=EventType.FAVORITE_REMOVED, customer_id=customer.pk, data=data)
        if token is None:
            written = rows(_REMOVE, [customer.pk, product_id, *outbox])
            event_id = written[0][0] if written else None
        else:
            params = [customer.pk, token.password_digest, customer.pk, product_id, *outbox]
            held, event_id = rows(_REMOVE_CHECKED, params)[0]
            if not held:
                raise TokenRevoked()
        if event_id is None:
            raise Http404(f"Product {product_id} is not in this customer's favorites.")
        customer_data_changed(customer_ids=[customer.pk])
        events_written(ids=[event_id], types=[EventType.FAVORITE_REMOVED.value])
        return
    with transaction.atomic():
        if token is not None and not _token_held(customer.pk, token):
            raise TokenRevoked()
        deleted, _ = Favorite.objects.filter(customer=customer, product_id=product_id).delete()
        if not deleted:
            raise Http404(f"Product {product_id} is not in this customer's favorites.")
        customer_data_changed(customer_ids=[customer.pk])
        event_record(type=EventType.FAVORITE_REMOVED, customer_id=customer.pk, data=data)


def favorites_delete(*, favorites: QuerySet[Favorite]) -> int:
    """Remove these favorites (the admin's delete); returns how many went."""
    with transaction.atomic():
        # Locked first: a concurrent remove of one of them waits, then finds it gone.
        rows = list(favorites.select_for_update().values_list("pk", "customer_id", "product_id"))
        deleted, _ = Favorite.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
        customer_data_changed(customer_ids=[customer_id for _, customer_id, _ in rows])
        events_record(
            events=[
                NewEvent(EventType.FAVORITE_REMOVED, customer_id, {"product_id": product_id})
                for _, customer_id, product_id in rows
            ]
        )
    return deleted


RefreshOutcome = Literal["updated", "unchanged", "unavailable"]


@dataclass
class RefreshSummary:
    checked: int = 0
    updated: int = 0
    unchanged: int = 0
    unavailable: int = 0
    failed: int = 0

    def count(self, outcome: str) -> None:
        self.checked += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return (
            f"checked {self.checked}, updated {self.updated}, unchanged {self.unchanged}, "
            f"unavailable {self.unavailable}, failed {self.failed}"
        )


def _snapshots_update(
    favorites: QuerySet[Favorite], product_id: str, product: Product | None
) -> RefreshOutcome:
    """Bring these snapshots (of one product) up to what the catalog answered, with the
    events they owe; inside the caller's transaction. `product` None: the catalog no
    longer has it.

    Events: `favorite.unavailable` and `favorite.back_in_stock` for each favorite whose
    availability flips, `favorite.price_dropped` for each whose price fell at least
    PRICE_DROP_MIN_PERCENT below the price last announced for it (`price_drop`). The
    rows they are read from are locked, so a concurrent refresh announces nothing twice.
    """
    now = timezone.now()
    if product is None:
        flipped = list(
            favorites.filter(available=True).select_for_update().values_list("customer_id", "title")
        )
        favorites.update(available=False, refreshed_at=now)
        events_record(
            events=[
                NewEvent(
                    EventType.FAVORITE_UNAVAILABLE,
                    customer_id,
                    {"product_id": product_id, "title": title},
                )
                for customer_id, title in flipped
            ]
        )
        return "unavailable"
    events = _availability_and_price_events(favorites, product_id, product)
    snapshot = _snapshot(product)
    differs = ~Q(available=True)
    for field, value in snapshot.items():
        differs |= ~Q(**{field: value})
    changed = favorites.filter(differs).update(**snapshot, available=True, refreshed_at=now)
    favorites.filter(refreshed_at__lt=now).update(refreshed_at=now)
    events_record(events=events)
    return "updated" if changed else "unchanged"


def favorite_snapshots_refresh(*, product_id: str, product: Product | None) -> RefreshOutcome:
    """Bring every snapshot of one product up to date, in one transaction, with its events
    (`_snapshots_update`).

    `product` is what the catalog answered, or None when it answered that it no
    longer has the product: then the favorites are marked unavailable (never
    deleted) until the product comes back. `price_when_added` never changes.
    """
    favorites = Favorite.objects.filter(product_id=product_id)
    with transaction.atomic():
        # Every snapshot of the product changes (refreshed_at at least): so does each list.
        customer_data_changed(
            customer_ids=favorites.values_list("customer_id", flat=True).distinct()
        )
        return _snapshots_update(favorites, product_id, product)


def favorite_refresh(*, customer: Customer, product_id: str) -> Favorite:
    """Re-read one of the customer's favorites from the catalog now and update its snapshot.

    The catalog is asked past the product cache, before any transaction is open. As
    `refresh_favorites` does: `price_when_added` never changes, and a product the catalog
    no longer has is marked unavailable. Raises Http404 when the product is not among the
    customer's favorites, `CatalogUnavailable` (the snapshot is left as it was).
    """
    favorites = Favorite.objects.filter(customer=customer, product_id=product_id)
    if not favorites.exists():
        raise Http404(f"Product {product_id} is not in this customer's favorites.")
    try:
        product = catalog.product_get(product_id, fresh=True)
    except catalog.ProductNotFound:
        product = None
    with transaction.atomic():
        customer_data_changed(customer_ids=[customer.pk])
        _snapshots_update(favorites, product_id, product)
    favorite = favorites.first()
    if favorite is None:  # removed while the catalog answered
        raise Http404(f"Product {product_id} is not in this customer's favorites.")
    return favorite


def price_drop(*, announced: Decimal, new: Decimal) -> Decimal | None:
    """The drop from the last announced price, in percent (two decimals), when it is
    worth announcing: at least PRICE_DROP_MIN_PERCENT, and a real drop. None otherwise.

    Measured from the last announcement, not from the last price seen, so a price
    that wobbles around one level announces nothing, and one that slides a little
    at a time is announced once the slide adds up.
    """
    if announced <= 0 or new >= announced:
        return None
    percent = (announced - new) * 100 / announced
    if percent < Decimal(str(settings.PRICE_DROP_MIN_PERCENT)):
        return None
    return percent.quantize(Decimal("0.01"))


def _availability_and_price_events(
    favorites: QuerySet[Favorite], product_id: str, product: Product
) -> list[NewEvent]:
    """The events a refresh to `product` owes, read under lock; marks announced prices."""
    new_price = product.price
    due = list(
        favorites.annotate(announced=Coalesce("price_announced", "price_when_added"))
        .filter(Q(available=False) | Q(announced__gt=new_price))
        .select_for_update(of=("self",))
        .values("pk", "customer_id", "price", "price_when_added", "announced", "available")
    )
    events, dropped = [], []
    for row in due:
        if not row["available"]:
            events.append(
                NewEvent(
                    EventType.FAVORITE_BACK_IN_STOCK,
                    row["customer_id"],
                    {"product_id": product_id, "title": product.title, "price": money(new_price)},
                )
            )
        percent = price_drop(announced=row["announced"], new=new_price)
        if percent is None:
            continue
        dropped.append(row["pk"])
        added = row["price_when_added"]
        since_added = (added - new_price) * 100 / added if added > 0 else Decimal(0)
        events.append(
            NewEvent(
                EventType.FAVORITE_PRICE_DROPPED,
                row["customer_id"],
                {
                    "product_id": product_id,
                    "title": product.title,
                    "old_price": money(row["price"]),
                    "new_price": money(new_price),
                    "price_when_added": money(row["price_when_added"]),
                    "last_notified_price": money(row["announced"]),
                    "drop_percent": str(percent),
                    "drop_percent_since_added": str(since_added.quantize(Decimal("0.01"))),
                },
            )
        )
    if dropped:
        Favorite.objects.filter(pk__in=dropped).update(price_announced=new_price)
    return events


# The admin's "refresh now" waits for the catalog in the request: a bounded number of products.
REFRESH_NOW_LIMIT = 100


def favorites_refresh_now(*, product_ids: Iterable[str]) -> RefreshSummary:
    """Re-read these products from the catalog now (past the product cache) and refresh
    every snapshot of each.

    A product the catalog no longer has marks its favorites unavailable; one whose
    lookup fails leaves them as they were (counted as `failed`).
    """
    summary = RefreshSummary()
    for product_id in sorted(set(product_ids))[:REFRESH_NOW_LIMIT]:
        try:
            product = catalog.product_get(product_id, fresh=True)
        except catalog.ProductNotFound:
            product = None
        except (catalog.CatalogUnavailable, catalog.InvalidProductId):
            summary.count("failed")
            continue
        summary.count(favorite_snapshots_refresh(product_id=product_id, product=product))
    return summary
