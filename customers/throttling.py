"""Throttles: DRF's, with rates read at call time and a per-process fallback store.

The counts live in the shared cache (Redis in production), so every app server
sees the same ones. When Redis fails, throttling does not turn off: the counts
move to this process's memory at the same rates (each worker then counts on its
own) and a warning is logged, until Redis answers again.
"""

import logging

from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)

# Errors of an unreachable or hung Redis.
STORE_ERRORS = (RedisError, OSError)

# Where the counts go while the shared cache is down: this process's memory.
FALLBACK_CACHE = LocMemCache("favorites-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 50_000}})


def _fall_back(throttle: throttling.SimpleRateThrottle, exc: Exception) -> None:
    logger.warning(
        "The throttle store is unreachable (%s: %s): counting in this process only",
        type(exc).__name__,
        exc,
    )
    throttle.cache = FALLBACK_CACHE


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's scoped throttle (requests per client address, or per customer when logged in)."""

    @property
    def THROTTLE_RATES(self):  # noqa: N802 (DRF's attribute name)
        return api_settings.DEFAULT_THROTTLE_RATES

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except STORE_ERRORS as exc:
            _fall_back(self, exc)
            return super().allow_request(request, view)


class PasswordCheckThrottle(ScopedRateThrottle):
    """Guesses of the current password, per customer, at the view's chosen rate."""

    scope_attr = "password_check_throttle_scope"
