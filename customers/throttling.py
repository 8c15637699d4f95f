import logging

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle, with the rates read at call time rather than import time.

    If the shared cache (Redis) is down the request is let through: logging in
    keeps working, and a warning says that throttling is off.
    """

    @property
    def THROTTLE_RATES(self):  # noqa: N802 (DRF's attribute name)
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("Throttling is off: the cache is unreachable", exc_info=True)
            return True


class PasswordCheckThrottle(ScopedRateThrottle):
    """Guesses of the current password, per customer, at the view's chosen rate."""

    scope_attr = "password_check_throttle_scope"
