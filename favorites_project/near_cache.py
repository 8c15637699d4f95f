"""Entries of the shared cache kept in each process, for as long as Redis says they are unchanged.

The hot path reads the same few keys over and over: the customer a token names and its
data version (customers/cache.py), the catalog's answer for a product being added
(catalog/caching.py). Each read was a round trip to Redis, the largest share of a list's
cost that was not the list's own work (docs/performance.md). So those reads go through
`get_many`, which keeps what it read in this process and answers from it until Redis says
the key changed.

Redis says so by client-side caching's broadcast mode: one connection per process asks
Redis (`CLIENT TRACKING ON REDIRECT <itself> BCAST PREFIX ...`) for the name of every key
under `PREFIXES` that anyone changes, deletes or lets expire (and for a FLUSHDB). Its
messages are read, in the thread that answers, before any entry is used. A key read while
it changed is not kept (Redis's own recipe: a placeholder per key in flight). This
process's own changes drop its entries at once (`forget`); another process's change is
told by Redis, which writes the message before it answers the change, so it is normally
here before the next request that could depend on it. In any case an entry lives no longer
than its key in Redis (its TTL, read with it) nor `CACHE_NEAR_SECONDS`, which bounds what a
message lost on the way could cost.

The connection is PINGed every second or so while reads come; one that has not answered
the last PING is taken as lost (a connection that died without a word, behind a NAT or left
on a failed-over address, looks merely quiet). Without the connection (Redis down or
restarted, the connection lost, or a Redis that refuses `CLIENT TRACKING`) nothing is kept
and every read goes to Redis; a read then starts making it again in a thread of its own
(a second after a failure to make it, five minutes after a refusal) and does not wait.
At most `CACHE_NEAR_ENTRIES` entries are kept (the oldest go first); 0 turns it off, and it
is off unless the cache is this project's Redis backend on one server (with replicas, reads
would not come from the server that is written).

The values are shared by every caller in the process: never change one.
"""

import logging
import os
import threading
from collections.abc import Iterable
from time import monotonic
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache, caches
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import ResponseError

from favorites_project.caching import CACHE_ERRORS, RedisCache

logger = logging.getLogger(__name__)

# The prefixes whose keys are kept (before Django's key prefix and version).
PREFIXES = ("customers:", "catalog:")
_CHANNEL = b"__redis__:invalidate"
_RETRY_SECONDS = 1.0
_REFUSED_RETRY_SECONDS = 300.0
_PING_SECONDS = 1.0


class NearCache:
    def __init__(self, *, max_entries: int, max_age: float):
        self.max_entries = max_entries
        self.max_age = max_age
        self.listener_id: int | None = None  # the listening connection's, as Redis names it
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Any, float]] = {}  # made key -> (value, expires at)
        self._pending: dict[str, object] = {}  # made key -> the read in flight
        self._connection: Any = None
        self._connecting = False
        self._connector: threading.Thread | None = None
        self._retry_at = 0.0
        self._off_told = False
        self._generation = 0  # bumped by close(): a connection made before is not used
        self._pinged_at = 0.0
        self._pong_due = False

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """`cache.get_many(keys)`, answered from this process where it can be."""
        keys = list(keys)
        made = {key: _made_key(key) for key in keys}
        found, missing, mark = {}, [], object()
        with self._lock:
            listening = self._listening()
            now = monotonic()
            for key in keys if listening else ():
                entry = self._entries.get(made[key])
                if entry is not None and entry[1] > now:
                    found[key] = entry[0]
                else:
                    missing.append(key)
                    self._pending[made[key]] = mark
        if not listening:
            self._connect_when_due()
            return cache.get_many(keys)
        if not missing:
            return found
        fetched: dict[str, tuple[Any, float | None]] = {}
        try:
            fetched = cast(RedisCache, caches["default"]).get_many_with_ttl(missing)
        finally:
            with self._lock:
                # Kept only when no message about the key came while it was read.
                listening = self._listening()
                for key in missing:
                    if self._pending.get(made[key]) is mark:
                        del self._pending[made[key]]
                        if listening and key in fetched:
                            value, ttl = fetched[key]
                            life = self.max_age if ttl is None else min(ttl, self.max_age)
                            self._keep(made[key], value, now + life)
            if not listening:  # lost while this read was out
                self._connect_when_due()
        return {**found, **{key: value for key, (value, _) in fetched.items()}}

    def forget(self, keys: Iterable[str]) -> None:
        """Drop these keys' entries: this process is changing them."""
        made = [_made_key(key) for key in keys]
        with self._lock:
            for key in made:
                self._entries.pop(key, None)
                self._pending.pop(key, None)

    def close(self) -> None:
        """Drop every entry and hang up, and a connection being made with it; the next read
        connects again."""
        with self._lock:
            self._generation += 1
            self._drop()

    # -- under the lock ------------------------------------------------------------------

    def _keep(self, key: str, value: Any, expires_at: float) -> None:
        if expires_at <= monotonic():
            return
        self._entries.pop(key, None)
        if len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (value, expires_at)

    def _listening(self) -> bool:
        """Whether the entries can be trusted: connected, every message applied, the last
        PING answered."""
        if self._connection is None:
            return False
        try:
            while self._connection.can_read(timeout=0):
                self._apply(self._connection.read_response())
            now = monotonic()
            if now - self._pinged_at >= _PING_SECONDS:
                if self._pong_due:
                    raise ConnectionError(f"no answer to a PING in {_PING_SECONDS:g} s")
                self._connection.send_command("PING")
                self._pinged_at, self._pong_due = now, True
        except CACHE_ERRORS as exc:
            logger.warning("Near cache emptied, its connection to Redis lost: %s", exc)
            self._drop()
            return False
        return True

    def _apply(self, message) -> None:
        # ["message", channel, [keys]], keys None when a database was flushed; ["pong", ""].
        if isinstance(message, list) and message[:1] == [b"pong"]:
            self._pong_due = False
            return
        if not (isinstance(message, list) and len(message) == 3 and message[1] == _CHANNEL):
            return
        if message[2] is None:
            self._entries.clear()
            self._pending.clear()
            return
        for key in message[2]:
            # Any bytes may name a key; ours are text.
            name = key.decode(errors="surrogateescape")
            self._entries.pop(name, None)
            self._pending.pop(name, None)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        self._entries.clear()
        self._pending.clear()
        self._retry_at = 0.0
        if connection is not None:
            connection.disconnect()

    # -- connecting (outside the lock: reads go to Redis meanwhile) -----------------------

    def _connect_when_due(self) -> None:
        """Start making the connection, in a thread of its own: no request waits on it (a
        hung Redis would hold it for the socket's timeout, on every try)."""
        with self._lock:
            if self._connection is not None or self._connecting or monotonic() < self._retry_at:
                return
            self._connecting = True
            generation = self._generation
        connector = threading.Thread(
            target=self._connect_now, args=(generation,), name="near-cache-connect", daemon=True
        )
        try:
            connector.start()
        except RuntimeError as exc:  # no thread to be had: the reads go on to Redis
            with self._lock:
                self._connecting = False
            self._off(exc, _RETRY_SECONDS)
            return
        self._connector = connector

    def wait_connected(self, timeout: float) -> bool:
        """Whether the connection is made, once an attempt under way has ended; for whoever
        would rather wait than read Redis meanwhile (tests)."""
        connector = self._connector
        if connector is not None:
            connector.join(timeout)
        with self._lock:
            return self._connection is not None

    def _connect_now(self, generation: int) -> None:
        connection = None
        try:
            connection = self._connect()
        except ResponseError as exc:  # no CLIENT TRACKING (a Redis before 6, an ACL)
            self._off(exc, _REFUSED_RETRY_SECONDS)
        except CACHE_ERRORS as exc:
            self._off(exc, _RETRY_SECONDS)
        except Exception as exc:  # a bug, or a connection class that cannot do this
            logger.exception("Near cache off: its connection could not be made")
            self._off(exc, _REFUSED_RETRY_SECONDS)
        finally:
            with self._lock:
                self._connecting = False
                if connection is not None and generation == self._generation:
                    self._connection, self._off_told = connection, False
                    self._pong_due, self._pinged_at = False, monotonic()
                    connection = None
            if connection is not None:  # closed while it was made
                connection.disconnect()

    def _off(self, exc: Exception, retry_in: float) -> None:
        with self._lock:
            self._retry_at = monotonic() + retry_in
            told, self._off_told = self._off_told, True
        # Once, not at every try while Redis is away.
        (logger.debug if told else logger.warning)("Near cache off until Redis answers: %s", exc)

    def _connect(self):
        # A connection of its own, outside the pool, speaking RESP2, where the messages are
        # a subscription's (`message`, the channel, the keys).
        pool = cache._cache.get_client(write=True).connection_pool
        connection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 2})
        prefixes = [arg for prefix in PREFIXES for arg in ("PREFIX", cache.make_key(prefix))]
        try:
            connection.connect()
            connection.send_command("CLIENT", "ID")
            listener_id = connection.read_response()
            connection.send_command(
                "CLIENT", "TRACKING", "ON", "REDIRECT", listener_id, "BCAST", *prefixes
            )
            connection.read_response()
            connection.send_command("SUBSCRIBE", _CHANNEL)
            connection.read_response()  # the subscription's confirmation
        except BaseException:
            connection.disconnect()
            raise
        self.listener_id = listener_id
        return connection


def _made_key(key: str) -> str:
    if not key.startswith(PREFIXES):
        raise ValueError(f"Only keys under {PREFIXES} are kept near: Redis names no others.")
    # Unvalidated (the validation walks the key): each is validated when read from Redis.
    return cache.make_key(key)


_near: NearCache | None = None
_configured = False
_configuring = threading.Lock()


def get_many(keys: Iterable[str]) -> dict[str, Any]:
    """`cache.get_many(keys)`, from this process's near cache when there is one."""
    near = near_cache()
    return cache.get_many(list(keys)) if near is None else near.get_many(keys)


def forget(keys: Iterable[str]) -> None:
    """Drop these keys from this process's near cache, for a change this process makes."""
    near = near_cache()
    if near is not None:
        near.forget(keys)


def near_cache() -> NearCache | None:
    """This process's near cache, made on first use from the settings (again when a test
    changes them); None when it is off."""
    global _near, _configured
    if _configured:  # every read but the first: no lock on the hot path
        return _near
    with _configuring:
        if not _configured:
            _near = _from_settings()
            _configured = True
        return _near


def _from_settings() -> NearCache | None:
    shared = caches["default"]
    if settings.CACHE_NEAR_ENTRIES <= 0 or not isinstance(shared, RedisCache):
        return None
    if len(getattr(shared, "_servers", ())) != 1:
        return None
    # Redis names the keys that changed under a prefix: the made keys must keep it.
    if not all(shared.make_key(p + "x").startswith(shared.make_key(p)) for p in PREFIXES):
        logger.warning("Near cache off: the cache's KEY_FUNCTION does not keep key prefixes")
        return None
    return NearCache(max_entries=settings.CACHE_NEAR_ENTRIES, max_age=settings.CACHE_NEAR_SECONDS)


def _unconfigure() -> None:
    global _near, _configured
    if _near is not None:
        _near.close()
    _near, _configured = None, False


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs) -> None:
    if setting in ("CACHES", "CACHE_NEAR_ENTRIES", "CACHE_NEAR_SECONDS"):
        _unconfigure()


def _forked() -> None:
    """In a forked child: the parent's connection, lock and entries are not its own."""
    global _near, _configured, _configuring
    _near, _configured, _configuring = None, False, threading.Lock()


os.register_at_fork(after_in_child=_forked)
