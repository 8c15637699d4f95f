"""The customers that tokens name, kept in the shared cache between requests.

Every authenticated request needs its customer (active? staff? password
changed since the token was issued?). Reading it from PostgreSQL each time is
a query per request on the hot path, so the row is kept in Django's cache
(Redis in production) for at most `AUTH_CACHE_SECONDS`, and dropped from the
cache as soon as the row changes or goes (the signal handlers below, which see
every save and delete through the ORM: the API's services, the admin, Django's
own password forms and commands). A change that bypasses the ORM
(`QuerySet.update()`, raw SQL) shows up within `AUTH_CACHE_SECONDS`; so does
any change while the cache cannot be reached.

Both are read through each process's near cache (favorites_project/near_cache.py),
which keeps an entry no longer than its key lives in Redis, drops it when Redis says the
key changed, and at once for this process's own changes (`customer_forget`,
`customer_data_changed`).

The cached instance is a snapshot: services that change a customer re-read it
first (see `customers.services.customer_update`).

Beside each customer the cache keeps its data version: a random token that
stands for the current state of what the customer owns (its favorites), the
basis of their ETags. It is read in the same round trip as the customer, made
by the first read that finds none, and retired by every write path
(`customer_data_changed`) once its change has committed (inside a transaction: at
the write, for reads within it, and again when it commits).
A request reads it before it reads any row, so an ETag is never newer than its
data. While the cache cannot be reached there is no version, hence no ETag;
one that could not be retired expires after `ETAG_VERSION_TTL` seconds.
"""

import functools
import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from customers.models import Customer
from favorites_project import near_cache
from favorites_project.caching import CACHE_ERRORS
from favorites_project.sql import columns, fetch

logger = logging.getLogger(__name__)

KEY = "customers:v1:customer:{}"
VERSION_KEY = "customers:v1:data-version:{}"
_FIELDS = tuple(field.attname for field in Customer._meta.concrete_fields)


@functools.cache
def _row_statement(vendor: str) -> str:
    """The customer's row by id. A miss comes once per customer every AUTH_CACHE_SECONDS,
    on the request path: a statement written once (favorites_project/sql.py)."""
    quote = connection.ops.quote_name
    table = quote(Customer._meta.db_table)
    return f"SELECT {columns(Customer, _FIELDS)} FROM {table} WHERE {quote('id')} = %s"


def customer_get_cached(*, customer_id: int) -> Customer | None:
    """The customer with this id (its `data_version` read alongside), or None when there is none."""
    key, version_key = KEY.format(customer_id), VERSION_KEY.format(customer_id)
    try:
        found = near_cache.get_many([key, version_key])
    except CACHE_ERRORS as exc:
        logger.warning("Customer cache read failed, reading the database: %s", exc)
        return Customer.objects.filter(pk=customer_id).first()
    values = found.get(key)
    if values is None:
        rows = fetch(
            _row_statement(connection.vendor), [customer_id], model=Customer, names=_FIELDS
        )
        if not rows:
            # Not cached: the id of a customer about to be created is not refused for long.
            return None
        values = tuple(rows[0])
        try:
            cache.set(key, values, settings.AUTH_CACHE_SECONDS)
        except CACHE_ERRORS as exc:
            logger.warning("Customer cache write failed: %s", exc)
    customer = Customer.from_db("default", _FIELDS, values)
    customer.data_version = found.get(version_key)
    return customer


def customer_data_version(*, customer: Customer) -> str | None:
    """The version of what the customer owns; None while the cache cannot be reached, or
    when the cache is not shared by every process (ETAGS_ENABLED)."""
    if not settings.ETAGS_ENABLED:
        return None
    version = getattr(customer, "data_version", None)
    if version is not None:
        return version
    key = VERSION_KEY.format(customer.pk)
    try:
        version = secrets.token_urlsafe(12)
        # Two first readers agree: the one that loses the race reads the winner's.
        if not cache.add(key, version, settings.ETAG_VERSION_TTL):
            version = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("Customer data version unavailable, serving without an ETag: %s", exc)
        return None
    customer.data_version = version
    return version


def customer_data_changed(*, customer_ids: Iterable[int]) -> None:
    """Retire these customers' data versions, now and, inside a transaction, again when
    it commits. A write outside one calls it once its change has committed."""
    keys = [VERSION_KEY.format(customer_id) for customer_id in set(customer_ids)]
    if not keys:
        return

    def retire():
        try:
            cache.delete_many(keys)
        except CACHE_ERRORS as exc:
            logger.warning(
                "Customer data versions not retired; ETags may stay valid for up to %s s: %s",
                settings.ETAG_VERSION_TTL,
                exc,
            )
        # This process's readers, at once; the others' when Redis tells them.
        near_cache.forget(keys)

    # Now, for reads inside this transaction, and again at commit: a reader that made a
    # new version in between may have read the rows as they were before the commit.
    retire()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(retire)


def customer_forget(*, customer_id: int) -> None:
    """Drop the cached customer, now and when the transaction that changed it commits."""

    def forget():
        key = KEY.format(customer_id)
        try:
            cache.delete(key)
        except CACHE_ERRORS as exc:
            logger.warning(
                "Customer cache delete failed; the change shows within %s s: %s",
                settings.AUTH_CACHE_SECONDS,
                exc,
            )
        near_cache.forget([key])

    # Now, and again at commit: a request in between may have cached the row as it was.
    forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget)


@receiver(post_save, sender=Customer, dispatch_uid="customers.cache.saved")
@receiver(post_delete, sender=Customer, dispatch_uid="customers.cache.deleted")
def _customer_changed(sender, instance: Customer, **kwargs) -> None:
    customer_forget(customer_id=instance.pk)
