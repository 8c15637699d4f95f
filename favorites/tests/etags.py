"""ETags as production has them, for the favorites tests: a real Redis (a key prefix of
each test's own, deleted after it, and the near cache), ETAGS_ENABLED on."""

from contextlib import contextmanager

from customers.cache import customer_data_version
from customers.models import Customer
from favorites_project.testing import redis_cache


@contextmanager
def redis_etags(settings):
    with redis_cache(settings):
        settings.ETAGS_ENABLED = True
        yield


def data_version(customer: Customer) -> str | None:
    """The customer's current data version (the basis of its lists' ETags), read afresh."""
    return customer_data_version(customer=Customer.objects.get(pk=customer.pk))
