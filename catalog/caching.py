"""Catalog answers in Django's cache, which may fail: then lookups go to the catalog.

Only `catalog.products` calls these (it is the one place that caches).
"""

import hashlib
import logging
from typing import Any, Protocol

from django.core.cache import cache

from favorites_project import near_cache
from favorites_project.caching import CACHE_ERRORS

logger = logging.getLogger("catalog")

KEY_VERSION = "v1"


class _Named(Protocol):
    name: str
    base_url: str


def key(provider: _Named, *parts: str) -> str:
    """A key naming the provider and its base URL, so two catalogs never share entries."""
    url_hash = hashlib.sha256(provider.base_url.encode()).hexdigest()[:16]
    return ":".join(["catalog", KEY_VERSION, provider.name, url_hash, *parts])


def read(cache_key: str) -> Any:
    """The cached answer, or None; never change it (it may be shared: kept in the
    process while Redis says it is unchanged, favorites_project/near_cache.py)."""
    try:
        return near_cache.get_many([cache_key]).get(cache_key)
    except CACHE_ERRORS as exc:
        logger.warning("Catalog cache read failed, asking the catalog: %s", exc)
        return None


def write(cache_key: str, value: Any, ttl: float) -> None:
    try:
        cache.set(cache_key, value, ttl)
    except CACHE_ERRORS as exc:
        logger.warning("Catalog cache write failed: %s", exc)
    # After the write: a read of this process's in between is not kept (near_cache.py).
    near_cache.forget([cache_key])
