"""ETags as production has them, for the favorites tests: a real Redis (a key prefix of
each test's own, deleted after it), ETAGS_ENABLED on."""

import uuid
from contextlib import contextmanager

import redis

from customers.cache import customer_data_version
from customers.models import Customer

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def redis_etags(settings):
    prefix = f"test-etags-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "favorites_project.caching.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    settings.ETAGS_ENABLED = True
    try:
        yield
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def data_version(customer: Customer) -> str | None:
    """The customer's current data version (the basis of its lists' ETags), read afresh."""
    return customer_data_version(customer=Customer.objects.get(pk=customer.pk))
