"""HTTP to the product catalog: one pooled session, timeouts, retries, a breaker.

This is the only module in the project that imports `requests`. It knows
nothing about products: it fetches a URL within a time budget and hands the
status and body to a parser, which turns them into a result or raises
`CatalogUnavailable`. The breaker counts both transport failures and answers
the parser rejects.
"""

import logging
import math
import os
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter

from catalog.domain import CatalogUnavailable
from favorites_project.logs import REQUEST_ID

logger = logging.getLogger("catalog")

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({502, 503, 504})
# Retry-After for a failure the breaker has not (yet) turned into a cool-down.
TRANSIENT_RETRY_AFTER = 5
READ_SIZE = 64 * 1024
# Only what `_read_capped` decodes itself; requests would also offer br and zstd
# whenever their packages happen to be installed.
ACCEPT_ENCODING = "gzip"

_session: requests.Session | None = None
_session_pid: int | None = None
_session_lock = threading.Lock()


def get_session() -> requests.Session:
    """The process's pooled session (a new one after a fork, e.g. gunicorn --preload)."""
    global _session, _session_pid
    pid = os.getpid()
    if _session is None or _session_pid != pid:
        with _session_lock:
            if _session is None or _session_pid != pid:
                session = requests.Session()
                # An internal service: no proxies or .netrc from the environment.
                session.trust_env = False
                session.headers.update(
                    {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
                )
                adapter = HTTPAdapter(
                    pool_connections=4, pool_maxsize=settings.CATALOG_POOL_SIZE, max_retries=0
                )
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                _session, _session_pid = session, pid
    return _session


class CircuitBreaker:
    """Closed -> (threshold failures in a row) -> open -> (cool-down) -> half-open.

    Half-open lets exactly one trial call through; its outcome closes or
    reopens the breaker. Thread-safe; one per catalog per process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started_at: float | None = None
        self.last_success_at: float | None = None
        self.last_failure_at: float | None = None

    def before_call(self) -> None:
        """Raise `CatalogUnavailable` if the call must not go out."""
        cooldown = settings.CATALOG_BREAKER_COOLDOWN
        with self._lock:
            if self._opened_at is None:
                return
            now = time.monotonic()
            reopen_in = self._opened_at + cooldown - now
            trial_running = (
                self._trial_started_at is not None
                and now - self._trial_started_at < max(cooldown, settings.CATALOG_TOTAL_TIMEOUT)
            )
            if reopen_in <= 0 and not trial_running:
                self._trial_started_at = now
                return
        raise CatalogUnavailable(
            "The product catalog is unavailable (failing fast while it recovers).",
            retry_after=max(1, math.ceil(reopen_in)),
        )

    def record_success(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                logger.info("Catalog breaker closed: the trial call succeeded")
            self._failures = 0
            self._opened_at = None
            self._trial_started_at = None
            self.last_success_at = time.time()

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self.last_failure_at = time.time()
            half_open = self._trial_started_at is not None
            if half_open or self._failures >= settings.CATALOG_BREAKER_THRESHOLD:
                if self._opened_at is None or half_open:
                    logger.warning(
                        "Catalog breaker open for %ss after %d failures in a row",
                        settings.CATALOG_BREAKER_COOLDOWN,
                        self._failures,
                    )
                self._opened_at = time.monotonic()
                self._trial_started_at = None

    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if time.monotonic() >= self._opened_at + settings.CATALOG_BREAKER_COOLDOWN:
                return "half_open"
            return "open"


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(key: str) -> CircuitBreaker:
    with _breakers_lock:
        breaker = _breakers.get(key)
        if breaker is None:
            breaker = _breakers[key] = CircuitBreaker()
        return breaker


def peek_breaker(key: str) -> CircuitBreaker | None:
    """The breaker for `key` if a call was ever made to it (never creates one)."""
    with _breakers_lock:
        return _breakers.get(key)


def reset_breakers() -> None:
    """Forget every breaker's state (tests, and after a configuration change)."""
    with _breakers_lock:
        _breakers.clear()


def redact_url(url: str) -> str:
    """`url` for a log line: credentials in it (user:password@) become `***@`."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: bytes
    url: str


class _Failure(Exception):
    """One attempt failed; `retryable` says whether another attempt may help."""

    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.retryable = retryable


def fetch(
    url: str,
    *,
    parse: Callable[[RawResponse], T],
    breaker_key: str,
    max_bytes: int | None = None,
) -> T:
    """GET `url` and return `parse(response)`, or raise `CatalogUnavailable`.

    `parse` sees every 2xx and 404 answer; it raises `CatalogUnavailable` for a
    body it cannot accept. Everything else (timeouts, refused connections,
    3xx, other 4xx and 5xx, oversized bodies) is `CatalogUnavailable` here.
    """
    breaker = breaker_for(breaker_key)
    breaker.before_call()
    succeeded = False
    try:
        response = _get_with_retries(url, max_bytes or settings.CATALOG_MAX_RESPONSE_BYTES)
        try:
            result = parse(response)
        except CatalogUnavailable as exc:
            logger.warning("Catalog answer refused: GET %s: %s", redact_url(url), exc)
            raise
        succeeded = True
        return result
    finally:
        # Any outcome, expected or not, settles the breaker (and frees a half-open trial).
        if succeeded:
            breaker.record_success()
        else:
            breaker.record_failure()


def _get_with_retries(url: str, max_bytes: int) -> RawResponse:
    deadline = time.monotonic() + settings.CATALOG_TOTAL_TIMEOUT
    attempts = 1 + max(0, settings.CATALOG_RETRIES)
    for attempt in range(1, attempts + 1):
        try:
            return _attempt(url, max_bytes=max_bytes, deadline=deadline, attempt=attempt)
        except _Failure as failure:
            logger.warning(
                "Catalog call failed: GET %s (attempt %d): %s", redact_url(url), attempt, failure
            )
            if not failure.retryable or attempt == attempts:
                raise CatalogUnavailable(retry_after=TRANSIENT_RETRY_AFTER) from failure
            backoff = settings.CATALOG_RETRY_BACKOFF * 2 ** (attempt - 1)
            backoff *= random.uniform(0.5, 1.0)  # jitter, so workers do not retry in step
            if time.monotonic() + backoff >= deadline:
                logger.warning(
                    "Catalog call abandoned: GET %s: out of time budget", redact_url(url)
                )
                raise CatalogUnavailable(retry_after=TRANSIENT_RETRY_AFTER) from failure
            time.sleep(backoff)
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(url: str, *, max_bytes: int, deadline: float, attempt: int) -> RawResponse:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Failure("out of time budget", retryable=False)
    timeout = (
        min(settings.CATALOG_CONNECT_TIMEOUT, remaining),
        min(settings.CATALOG_READ_TIMEOUT, remaining),
    )
    started = time.monotonic()
    status = None
    # The request being answered, so the catalog's logs can be matched with ours.
    request_id = REQUEST_ID.get()
    headers = {"X-Request-ID": request_id} if request_id is not None else None
    try:
        with get_session().get(
            url, headers=headers, timeout=timeout, stream=True, allow_redirects=False
        ) as resp:
            status = resp.status_code
            if resp.is_redirect or 300 <= status < 400:
                location = redact_url(resp.headers.get("Location", "?"))
                raise _Failure(f"redirect ({status}) to {location} refused", retryable=False)
            if status in RETRYABLE_STATUSES:
                raise _Failure(f"status {status}", retryable=True)
            if not (200 <= status < 300 or status == 404):
                raise _Failure(f"status {status}", retryable=False)
            body = _read_capped(resp, max_bytes=max_bytes, deadline=deadline)
    except requests.ConnectionError as exc:  # refused, reset, DNS, connect timeout
        raise _Failure(f"connection error: {exc}", retryable=True) from exc
    except requests.Timeout as exc:  # read timeout: the catalog is slow, not gone
        raise _Failure(f"timed out: {exc}", retryable=False) from exc
    except requests.RequestException as exc:
        raise _Failure(f"{type(exc).__name__}: {exc}", retryable=False) from exc
    finally:
        logger.debug(
            "Catalog GET %s -> %s in %.1f ms (attempt %d)",
            redact_url(url),
            status,
            (time.monotonic() - started) * 1000,
            attempt,
        )
    return RawResponse(status=status, body=body, url=url)


def _read_capped(resp: requests.Response, *, max_bytes: int, deadline: float) -> bytes:
    """The body, decoded, or `_Failure` once it passes `max_bytes` or the deadline.

    The deadline is checked after every socket read, so a catalog that drips its
    body overshoots the budget by at most one read timeout. That is why this reads
    `resp.raw.read1` (one underlying read at most) rather than `iter_content`
    (which blocks until a whole chunk arrives), and why it decodes gzip itself:
    urllib3's decoding keeps reading until the decoder yields output, and a dripped
    gzip header alone takes several reads.
    """
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _Failure(
            f"body of {declared} bytes is over the {max_bytes}-byte cap", retryable=False
        )
    decoder = _decoder_for(resp.headers.get("Content-Encoding", ""))
    body = bytearray()
    received = 0
    try:
        while data := resp.raw.read1(READ_SIZE, decode_content=False):
            received += len(data)
            if decoder is not None:
                if decoder.eof:
                    raise _Failure("data after the end of the compressed body", retryable=False)
                # One byte past the cap is enough to refuse; a zip bomb never inflates.
                data = decoder.decompress(data, max_bytes - len(body) + 1)
            body += data
            if len(body) > max_bytes:
                raise _Failure(f"body is over the {max_bytes}-byte cap", retryable=False)
            if time.monotonic() > deadline:
                raise _Failure("out of time budget while reading the body", retryable=False)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # A read timeout, reset or short body mid-answer: the catalog did answer,
        # so this is a slow or broken answer, not a refused connection.
        raise _Failure(f"reading the body failed: {exc}", retryable=False) from exc
    except zlib.error as exc:
        raise _Failure(f"the compressed body is invalid: {exc}", retryable=False) from exc
    if decoder is not None and received:
        if not decoder.eof:
            raise _Failure("the compressed body is truncated", retryable=False)
        if decoder.unused_data:
            raise _Failure("data after the end of the compressed body", retryable=False)
    return bytes(body)


def _decoder_for(content_encoding: str) -> "zlib._Decompress | None":
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):  # the only encoding the client asks for
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    raise _Failure(f"unsupported Content-Encoding {content_encoding!r}", retryable=False)
