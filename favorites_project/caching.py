"""The shared cache: Django's Redis backend, and what calls to it may raise."""

from typing import Any, cast

from django.core.cache.backends import redis as django_redis
from redis.exceptions import RedisError

# Callers fall back to the database (or skip the cache) on these, never on a bug of ours.
CACHE_ERRORS = (RedisError, OSError)


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's, keeping one Redis client per connection pool instead of building one per call.

    A redis-py client is thread-safe and cheap to share, but not cheap to make:
    building it was about a third of the CPU of a cached read (see docs/performance.md).
    """

    _serializer: Any  # Django's, set by its __init__

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def get_many_with_ttl(self, keys: list[str]) -> dict[str, tuple[Any, float | None]]:
        """Each present key's value and the seconds it has left (None: no expiry; 0: gone
        between the two reads), in one round trip."""
        pipeline = self.get_client(None).pipeline(transaction=False)
        pipeline.mget(keys)
        for key in keys:
            pipeline.pttl(key)
        values, *lives = pipeline.execute()
        return {
            key: (self._serializer.loads(value), None if life == -1 else max(life, 0) / 1000)
            for key, value, life in zip(keys, values, lives, strict=True)
            if value is not None
        }


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def get_many_with_ttl(self, keys: list[str]) -> dict[str, tuple[Any, float | None]]:
        """`get_many`, with the seconds each key has left in Redis (None: no expiry)."""
        made = {self.make_and_validate_key(key): key for key in keys}
        found = cast(RedisCacheClient, self._cache).get_many_with_ttl(list(made))
        return {made[key]: answer for key, answer in found.items()}
