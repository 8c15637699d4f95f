"""Throttles: DRF's, with rates read at call time and a per-process fallback store.

The counts live in the shared cache (Redis in production), so every app server
sees the same ones. When Redis fails, throttling does not turn off: the counts
move to this process's memory at the same rates (each worker then counts on its
own) and a warning is logged, until Redis answers again.
"""

import hashlib
import logging
from collections.abc import Mapping

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from rest_framework import throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from customers.models import normalize_email
from favorites_project.caching import CACHE_ERRORS

logger = logging.getLogger(__name__)

# Errors of an unreachable or hung Redis.

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
        except CACHE_ERRORS as exc:
            _fall_back(self, exc)
            return super().allow_request(request, view)


class LoginAddressThrottle(ScopedRateThrottle):
    """Logins per client address, logged in or not: the API's and the admin's share the count.

    The address is the socket peer unless `TRUSTED_PROXY_COUNT` says how many
    proxies append to `X-Forwarded-For` (DRF's `NUM_PROXIES`), so a forged header
    changes nothing.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PasswordCheckThrottle(ScopedRateThrottle):
    """Guesses of the current password, per customer, at the view's chosen rate."""

    scope_attr = "password_check_throttle_scope"


def _login_email(request, view) -> str | None:
    """The account a login names: `email` in the API's JSON, the admin form's `username`."""
    data = request.data if isinstance(request, Request) else request.POST
    if not isinstance(data, Mapping):
        return None
    email = data.get(getattr(view, "login_email_field", "email"))
    if not isinstance(email, str) or not email.strip():
        return None
    return normalize_email(email)


class LoginAccountThrottle(throttling.SimpleRateThrottle):
    num_requests: int
    duration: int

    """Failed password logins per account, from any number of addresses.

    Only failures count (`record_failure`, once the password proved wrong), so
    the owner's own logins never lock the account. While an account has
    `LOGIN_ACCOUNT_THROTTLE_RATE` failures within the period, every login to it
    is refused before the password is checked, the right one included. Refused
    attempts are not counted, so the lock lifts by itself at most one period
    after the failures that caused it.
    """

    scope = "login_account"

    def get_rate(self):
        return settings.LOGIN_ACCOUNT_THROTTLE_RATE

    def get_cache_key(self, request, view):
        email = _login_email(request, view)
        if email is None:
            return None
        # Hashed: any string fits in a cache key, and no email sits in Redis.
        ident = hashlib.sha256(email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        try:
            self.history = self._recent_failures()
        except CACHE_ERRORS as exc:
            _fall_back(self, exc)
            self.history = self._recent_failures()
        return len(self.history) < self.num_requests

    def record_failure(self, request, view) -> None:
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return
        self.now = self.timer()
        try:
            self._add_failure()
        except CACHE_ERRORS as exc:
            _fall_back(self, exc)
            self._add_failure()

    def wait(self):
        """Seconds until enough failures leave the period for one more attempt."""
        expiring = self.history[self.num_requests - 1]
        return max(expiring + self.duration - self.now, 1)

    def _recent_failures(self) -> list[float]:
        """Times of the failures within the period, newest first."""
        history = self.cache.get(self.key, [])
        return sorted(
            (moment for moment in history if moment > self.now - self.duration), reverse=True
        )

    def _add_failure(self) -> None:
        history = self._recent_failures()
        history.insert(0, self.now)
        self.cache.set(self.key, history, self.duration)
