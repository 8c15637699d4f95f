import pytest


@pytest.fixture
def throttle_store_down(settings):
    """Django's cache on a Redis that is not there: every throttle count fails to reach it.

    Through `settings`, so it unwinds in order with the test's other overrides.
    """
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
