"""Log lines: one JSON object each in production, plain text under `make run`.

Every line, whoever writes it, passes two filters on its way out (settings.LOGGING and
gunicorn.conf.py attach them to every handler):

- `RequestContextFilter` adds the request's id (and its trace and span ids when traces
  are on), so all the lines of one request share them;
- `RedactingFilter` takes out what must never be logged: passwords, tokens, secrets,
  `Authorization` values, JWTs and credentials in URLs, whether in the message, in a
  field passed with `extra=` or in an exception's text.

`JsonFormatter` is python-json-logger's orjson formatter with the field names of
docs/operations.md and the exception as a field of its own (type, message, traceback).

Imports nothing of Django: gunicorn's configuration and `wsgi.py` load it before Django
is set up.
"""

import contextvars
import logging
import logging.config
import re
from collections.abc import Callable

from pythonjsonlogger.orjson import OrjsonFormatter

# The id of the request this thread is answering (favorites_project.middleware sets it).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# Set by favorites_project.telemetry when traces are on: (trace id, span id) of the current
# span, or None. Left None, a log line costs nothing more.
current_trace_ids: Callable[[], tuple[str, str] | None] | None = None

# Where Django leaves what the access line needs, in the WSGI environ gunicorn logs from.
ENVIRON_REQUEST_ID = "favorites.request_id"
ENVIRON_ROUTE = "favorites.route"
ENVIRON_CUSTOMER_ID = "favorites.customer_id"
ENVIRON_TRACE_ID = "favorites.trace_id"

# What a caller's X-Request-ID may be for it to be kept (a load balancer's or a client's
# uuid, trace-style ids); anything else is replaced, so a log line never carries a
# caller's arbitrary text.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def sane_request_id(value: str | None) -> str | None:
    """`value` if it may serve as a request id (8 to 128 of `A-Za-z0-9._:-`), else None."""
    if value is not None and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


REDACTED = "[redacted]"

# Names whose values are secret wherever they appear: form fields, query parameters,
# JSON keys, headers, `extra=` fields.
_SECRET_NAME = (
    r"[\w-]*(?:password|passwd|secret|token|authorization|api[_-]?key|signature|cookie"
    r"|credential)[\w-]*"
)
_SECRET_KEY = re.compile(rf"^{_SECRET_NAME}$", re.IGNORECASE)
# One quick look for anything the patterns below could replace; most text has none.
_MAYBE_SECRET = re.compile(
    r"password|passwd|secret|token|authoriz|api.?key|signature|cookie|credential|bearer"
    r"|basic|eyJ|://|whsec_",
    re.IGNORECASE,
)
_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # "password": "x", password=x, token: x, Authorization: Bearer x (quoted or not), and
    # the reprs of a QueryDict or an error dict, {'password': ['x']}, or of bytes, b'x'
    (
        re.compile(
            rf"""(?P<key>["']?{_SECRET_NAME}["']?\s*[:=]\s*)"""
            r"""(?P<value>\[[^\]]*\]|b?"(?:[^"\\]|\\.)*"|b?'(?:[^'\\]|\\.)*'"""
            r"""|(?:bearer|basic|token)\s+[^\s&,;"']+|[^\s&,;"'}]+)""",
            re.IGNORECASE,
        ),
        lambda match: match["key"] + _quoted_like(match["value"], REDACTED),
    ),
    # A webhook signing secret anywhere (Standard Webhooks' `whsec_` and base64).
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=]+"), REDACTED),
    # A scheme's credentials anywhere: Bearer <token>, Basic <base64>.
    (re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), rf"\1 {REDACTED}"),
    # A JWT anywhere (header.payload.signature, base64url).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Credentials in a URL: scheme://user:password@host
    (re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE), r"\g<scheme>***@"),
]


def _quoted_like(original: str, replacement: str) -> str:
    quote = original[0]
    return f"{quote}{replacement}{quote}" if quote in "\"'" else replacement


def redact(text: str) -> str:
    """`text` with every secret in it replaced."""
    if _MAYBE_SECRET.search(text) is None:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value):
    """A field's value for a log line: hidden when its name says it is secret."""
    if _MAYBE_SECRET.search(key) is not None and _SECRET_KEY.match(key):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


def configure(config: dict) -> None:
    """settings.LOGGING_CONFIG: Django's dictConfig, with Python's warnings as log records
    too (the `py.warnings` logger), so that they are JSON lines like the rest."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


# What a LogRecord always has; everything else on it came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "trace_id",
    "span_id",
}


class RequestContextFilter(logging.Filter):
    """Adds `request_id` (and `trace_id`, `span_id` when traces are on) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if current_trace_ids is not None and not hasattr(record, "trace_id"):
            ids = current_trace_ids()
            if ids is not None:
                record.trace_id, record.span_id = ids
        return True


class RedactingFilter(logging.Filter):
    """Takes secrets out of a record's message, its `extra=` fields and its exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, redact_value(key, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class PlainFormatter(logging.Formatter):
    """`time level logger [request id] message`, for a developer's terminal."""

    def __init__(self, fmt=None, datefmt=None, style="%", validate=True, **kwargs):
        super().__init__(
            fmt or "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            datefmt,
            style,
            validate,
            **kwargs,
        )

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:  # a copy: other handlers see None
            record = logging.makeLogRecord({**vars(record), "request_id": "-"})
        return super().format(record)


class JsonFormatter(OrjsonFormatter):
    """One JSON object a line: timestamp, level, logger, message, then the record's fields.

    An exception is `{"type", "message", "traceback"}` under `exception`, the traceback's
    text redacted (RedactingFilter) and kept on one line by JSON's escaping.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("timestamp", "timestamp")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        exc_info, exc_text = record.exc_info, record.exc_text
        if exc_info:
            error = exc_info[1]
            vars(record)["exception"] = {
                "type": type(error).__qualname__ if error is not None else None,
                "message": redact(str(error)) if error is not None else None,
                "traceback": exc_text or redact(str(self.formatException(exc_info))),
            }
        # Left on the record, python-json-logger would add them as one multi-line string.
        record.exc_info = record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text = exc_info, exc_text
            if exc_info:
                del vars(record)["exception"]

    def add_fields(self, log_data, record, message_dict) -> None:
        super().add_fields(log_data, record, message_dict)
        # `request` is Django's request object (django.request's records): the line's own
        # fields already say which request it was.
        log_data.pop("request", None)
        if log_data.get("request_id") is None:
            log_data.pop("request_id", None)
