"""The shared cache: Django's Redis backend, and what calls to it may raise."""

from django.core.cache.backends import redis as django_redis
from redis.exceptions import RedisError

# Callers fall back to the database (or skip the cache) on these, never on a bug of ours.
CACHE_ERRORS = (RedisError, OSError)


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's, keeping one Redis client per connection pool instead of building one per call.

    A redis-py client is thread-safe and cheap to share, but not cheap to make:
    building it was about a third of the CPU of a cached read (see docs/performance.md).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
