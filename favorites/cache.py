"""Each customer's favorites list has a version: the ETag of its pages.

The version is a random token in Django's cache (Redis in production), made by
the first read after a change and deleted by every write path, at the write and
again once its transaction commits (`favorite_lists_changed`, called by the
services). A read
takes the version *before* it reads the rows, so a page is never labelled with
a version newer than its data, and a client that sends the ETag it holds gets
304 only while nothing has changed since. When the cache cannot be reached the
list is served without an ETag; a version that could not be retired (the cache
was unreachable at the moment of the write) expires after
`FAVORITES_LIST_VERSION_TTL` seconds.
"""

import logging
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from favorites_project.caching import CACHE_ERRORS

logger = logging.getLogger(__name__)

KEY = "favorites:v1:list-version:{}"


def favorite_list_version(*, customer_id: int) -> str | None:
    """The current version of the customer's list, or None when the cache is down."""
    key = KEY.format(customer_id)
    try:
        version = cache.get(key)
        if version is None:
            version = secrets.token_urlsafe(12)
            # Two first readers agree: the one that loses the race reads the winner's.
            if not cache.add(key, version, settings.FAVORITES_LIST_VERSION_TTL):
                version = cache.get(key)
        return version
    except CACHE_ERRORS as exc:
        logger.warning("Favorites list version unavailable, serving without an ETag: %s", exc)
        return None


def favorite_lists_changed(*, customer_ids: Iterable[int]) -> None:
    """Retire the versions of these customers' lists, now and when the transaction commits."""
    keys = [KEY.format(customer_id) for customer_id in set(customer_ids)]
    if not keys:
        return

    def retire():
        try:
            cache.delete_many(keys)
        except CACHE_ERRORS as exc:
            logger.warning(
                "Favorites list versions not retired; ETags may stay valid for up to %s s: %s",
                settings.FAVORITES_LIST_VERSION_TTL,
                exc,
            )

    # Now, for reads inside this transaction, and again at commit: a reader that made a
    # new version in between may have read the rows as they were before the commit.
    retire()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(retire)
