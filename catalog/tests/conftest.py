"""Fixtures: the catalog's HTTP edge mocked with `responses`; a real Redis for cache tests.

The helpers the tests import (URLs, answers, `called_urls`) are in `catalog.testing`.
"""

import pytest
import redis
from django.test import override_settings

from favorites_project.testing import REDIS_URL
from favorites_project.testing import redis_cache as project_redis_cache


@pytest.fixture
def catalog_settings(settings):
    """Quick retries, so the failure tests do not sleep; the rest as in production."""
    settings.CATALOG_RETRIES = 2
    settings.CATALOG_RETRY_BACKOFF = 0.001
    settings.CATALOG_TOTAL_TIMEOUT = 3.0
    settings.CATALOG_BREAKER_THRESHOLD = 5
    settings.CATALOG_BREAKER_COOLDOWN = 30.0
    settings.CATALOG_MAX_RESPONSE_BYTES = 1024 * 1024
    return settings


@pytest.fixture
def luizalabs(catalog_settings, catalog_http):
    """The root `catalog_http` (luizalabs at CATALOG_URL), with quick retries."""
    return catalog_http


@pytest.fixture
def fakestore(catalog_settings, catalog_http):
    """The same, in fakestore's format."""
    catalog_settings.CATALOG_FORMAT = "fakestore"
    return catalog_http


@pytest.fixture
def demo(catalog_settings, catalog_http):
    """The bundled catalog; the mock proves no request leaves the process."""
    catalog_settings.CATALOG_URL = ""
    return catalog_http


def _redis_cache(location: str, prefix: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }


@pytest.fixture
def redis_cache(settings):
    """Django's cache as production has it, on the real Redis under a prefix of its own
    (deleted afterwards): a client of Redis's own, and the prefix."""
    client = redis.Redis.from_url(REDIS_URL)
    with project_redis_cache(settings) as prefix:
        yield client, prefix
    client.close()


@pytest.fixture
def dead_redis_cache():
    """Django's cache on a Redis that is not there: every cache call fails."""
    with override_settings(CACHES=_redis_cache("redis://127.0.0.1:1/0", "test-catalog-dead")):
        yield
