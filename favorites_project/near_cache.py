"""Entries of the shared cache kept in each process, for as long as Redis says they are unchanged.

The hot path reads the same few keys over and over: the customer a token names and its
data version (customers/cache.py), the catalog's answer for a product being added
(catalog/products.py). Each read is a round trip to Redis, and a round trip was the
largest share of a list's cost that was not the list's own work (docs/performance.md).
So those reads go through `near_cache.get_many`, which keeps what it read, in this
process, and answers from it until Redis says the key changed.

Redis says so by *client-side caching*'s broadcast mode: one connection per process asks
Redis (`CLIENT TRACKING ON REDIRECT <itself> BCAST PREFIX ...`) for the name of every key
under the kept prefixes that anyone changes, deletes or lets expire, and a FLUSHDB. The
messages are read before every answer from memory, in the thread that answers: Redis
writes a change's message to that connection before it replies to the change, so a
client that was answered for its write (a 201, a 204, a revocation) is never answered
from an entry older than it. A key read while it changed is not kept (Redis's own
recipe, a placeholder per key in flight).

Anything wrong with that connection (Redis down, restarted, or dropping it) empties the
near cache and sends every read to Redis until the connection is made again, at most once a
second. Each entry also lasts no longer than its caller's `max_age`, the bound its key has
in Redis. The near cache holds at most `CACHE_NEAR_ENTRIES` entries (the oldest go first); 0
turns it off, and it is off unless the cache is a single Redis server.
"""

import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver

from favorites_project.caching import CACHE_ERRORS

logger = logging.getLogger(__name__)

# The prefixes whose keys may be kept (before Django's key prefix and version).
PREFIXES = ("customers:", "catalog:")
_CHANNEL = b"__redis__:invalidate"
_RETRY_SECONDS = 1.0


class NearCache:
    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Any, float]] = {}  # made key -> (value, expires at)
        self._pending: dict[str, object] = {}  # made key -> the read in flight
        self._connection: Any = None
        self._pid = 0
        self._retry_at = 0.0
        self._off = False
        self.listener_id: int | None = None  # the connection's, as Redis names it

    def get_many(self, keys: Iterable[str], *, max_age: float) -> dict[str, Any]:
        """`cache.get_many(keys)`, answered from this process where it can be."""
        keys = list(keys)
        if not all(key.startswith(PREFIXES) for key in keys):
            raise ValueError(f"Only keys under {PREFIXES} are kept near: Redis names no others.")
        made = {key: cache.make_and_validate_key(key) for key in keys}
        found, missing, mark = {}, [], object()
        now = time.monotonic()
        with self._lock:
            if not self._listening(now):
                return cache.get_many(keys)
            for key in keys:
                entry = self._entries.get(made[key])
                if entry is not None and entry[1] > now:
                    found[key] = entry[0]
                else:
                    missing.append(key)
                    self._pending[made[key]] = mark
        if not missing:
            return found
        fetched: dict[str, Any] = {}
        try:
            fetched = cache.get_many(missing)
        finally:
            with self._lock:
                # Kept only when no message about the key came while it was read.
                listening = self._listening(time.monotonic())
                for key in missing:
                    if self._pending.get(made[key]) is mark:
                        del self._pending[made[key]]
                        if listening and key in fetched:
                            self._keep(made[key], fetched[key], now + max_age)
        return {**found, **fetched}

    def close(self) -> None:
        """Forget every entry and hang up; the next read connects again."""
        with self._lock:
            self._drop()
            self._retry_at = 0.0

    # -- under the lock ------------------------------------------------------------------

    def _keep(self, key: str, value: Any, expires_at: float) -> None:
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (value, expires_at)

    def _listening(self, now: float) -> bool:
        """Whether the entries can be trusted: every message Redis has sent is applied."""
        if self._pid != os.getpid():  # a forked worker: the parent's socket is not ours
            self._connection, self._pid, self._retry_at = None, os.getpid(), 0.0
            self._entries.clear()
            self._pending.clear()
        if self._connection is None:
            if now < self._retry_at:
                return False
            self._retry_at = now + _RETRY_SECONDS
            try:
                self._connection = self._connect()
            except CACHE_ERRORS as exc:
                # Once, not every second while Redis is away.
                (logger.debug if self._off else logger.warning)(
                    "Near cache off until Redis answers: %s", exc
                )
                self._off = True
                return False
            self._off = False
        try:
            while self._connection.can_read(timeout=0):
                self._apply(self._connection.read_response())
        except CACHE_ERRORS as exc:
            logger.warning("Near cache emptied, its connection to Redis lost: %s", exc)
            self._drop()
            return False
        return True

    def _apply(self, message) -> None:
        # ["message", channel, [keys]]; keys None: the whole database was flushed.
        if not (isinstance(message, list) and len(message) == 3 and message[1] == _CHANNEL):
            return
        keys = message[2]
        if keys is None:
            self._entries.clear()
            self._pending.clear()
            return
        for key in keys:
            name = key.decode()
            self._entries.pop(name, None)
            self._pending.pop(name, None)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._entries.clear()
        self._pending.clear()
        if connection is not None:
            connection.disconnect()

    def _connect(self):
        # A connection of its own, outside the pool, speaking RESP2, where the messages are
        # a subscription's (`message`, the channel, the keys).
        pool = cache._cache.get_client(write=True).connection_pool
        connection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 2})
        prefixes = [arg for prefix in PREFIXES for arg in ("PREFIX", cache.make_key(prefix))]
        try:
            connection.connect()
            connection.send_command("CLIENT", "ID")
            self.listener_id = own_id = connection.read_response()
            connection.send_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST", *prefixes
            )
            connection.read_response()  # OK, or a ResponseError (a Redis before 6)
            connection.send_command("SUBSCRIBE", _CHANNEL)
            connection.read_response()  # the subscription's confirmation
        except BaseException:
            connection.disconnect()
            raise
        return connection


_near: NearCache | None = None
_configured = False


def get_many(keys: Iterable[str], *, max_age: float) -> dict[str, Any]:
    """`cache.get_many(keys)`, from this process's near cache when there is one; an entry
    is kept for at most `max_age` seconds."""
    near = _near_cache()
    if near is None:
        return cache.get_many(list(keys))
    return near.get_many(keys, max_age=max_age)


def _near_cache() -> NearCache | None:
    global _near, _configured
    if not _configured:
        size = settings.CACHE_NEAR_ENTRIES
        shared = caches["default"]
        # One server: with replicas, reads would not come from the server that is written.
        single_redis = isinstance(shared, RedisCache) and len(getattr(shared, "_servers", ())) == 1
        _near = NearCache(size) if size > 0 and single_redis else None
        _configured = True
    return _near


@receiver(setting_changed)
def _reconfigure(*, setting: str, **kwargs) -> None:
    global _near, _configured
    if setting in ("CACHE_NEAR_ENTRIES", "CACHES"):
        if _near is not None:
            _near.close()
        _near, _configured = None, False
