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

The cached instance is a snapshot: services that change a customer re-read it
first (see `customers.services.customer_update`).
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from customers.models import Customer
from favorites_project.caching import CACHE_ERRORS

logger = logging.getLogger(__name__)

KEY = "customers:v1:customer:{}"
_FIELDS = tuple(field.attname for field in Customer._meta.concrete_fields)


def customer_get_cached(*, customer_id: int) -> Customer | None:
    """The customer with this id, or None when there is none."""
    key = KEY.format(customer_id)
    try:
        values = cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("Customer cache read failed, reading the database: %s", exc)
        return Customer.objects.filter(pk=customer_id).first()
    if values is None:
        values = Customer.objects.filter(pk=customer_id).values_list(*_FIELDS).first()
        if values is None:
            return (
                None  # not cached: an id of a customer about to be created is not refused for long
            )
        try:
            cache.set(key, values, settings.AUTH_CACHE_SECONDS)
        except CACHE_ERRORS as exc:
            logger.warning("Customer cache write failed: %s", exc)
    return Customer.from_db("default", _FIELDS, values)


def customer_forget(*, customer_id: int) -> None:
    """Drop the cached customer, now and when the transaction that changed it commits."""

    def forget():
        try:
            cache.delete(KEY.format(customer_id))
        except CACHE_ERRORS as exc:
            logger.warning(
                "Customer cache delete failed; the change shows within %s s: %s",
                settings.AUTH_CACHE_SECONDS,
                exc,
            )

    # Now, and again at commit: a request in between may have cached the row as it was.
    forget()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget)


@receiver(post_save, sender=Customer, dispatch_uid="customers.cache.saved")
@receiver(post_delete, sender=Customer, dispatch_uid="customers.cache.deleted")
def _customer_changed(sender, instance: Customer, **kwargs) -> None:
    customer_forget(customer_id=instance.pk)
