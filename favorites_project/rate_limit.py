"""A rate limit shared by every process through Redis: at most N acquisitions a second.

Each acquisition takes the next free slot, 1/N s after the one before it; the slot
is kept in one Redis key, moved on atomically by a script, with Redis's own clock,
so workers on many hosts with drifting clocks share one pace. A caller sleeps until
its slot. Without Redis (or while it cannot be reached) each process paces itself.
"""

import logging
import threading
import time
from functools import cache

import redis

logger = logging.getLogger(__name__)

# Returns how many microseconds the caller waits for its slot.
_TAKE_SLOT = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local slot = math.max(now_us, tonumber(redis.call('GET', KEYS[1]) or '0'))
local ttl_ms = math.floor((slot + interval - now_us) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX', ttl_ms)
return slot - now_us
"""

_local_lock = threading.Lock()
_local_next: dict[str, float] = {}


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)


def rate_limit_wait(*, key: str, per_second: float, redis_url: str = "") -> float:
    """Wait for the next slot of the limit `key` (`per_second` at most, 0 for none); the
    seconds waited."""
    if per_second <= 0:
        return 0.0
    interval = 1.0 / per_second
    wait = None
    if redis_url:
        try:
            client = _client(redis_url)
            wait = client.eval(_TAKE_SLOT, 1, key, int(interval * 1_000_000)) / 1_000_000
        except redis.RedisError as exc:
            logger.warning("Shared rate limit %s unavailable, pacing this process: %s", key, exc)
    if wait is None:
        with _local_lock:
            now = time.monotonic()
            slot = max(now, _local_next.get(key, 0.0))
            _local_next[key] = slot + interval
            wait = slot - now
    if wait > 0:
        time.sleep(wait)
    return max(wait, 0.0)
