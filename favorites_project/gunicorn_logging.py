"""gunicorn's logs in the service's shape (gunicorn.conf.py names this class `logger_class`).

The access line is the one line each request gets: the service's JSON fields (or a plain
line when LOG_FORMAT is plain) with the request id, route pattern and customer id that
Django left in the WSGI environ (favorites_project.middleware, favorites_project.metrics).
gunicorn writes it after the answer is sent, so `duration_ms` is the whole request as
gunicorn saw it, sending included. Any other WSGI app gunicorn serves from this folder
(the mock catalog) logs the same way, with the X-Request-ID the service sent it. (A
request gunicorn refuses before reading it whole gets no access line, but a warning from
gunicorn's error log.)

Access lines to standard output (`GUNICORN_ACCESS_LOG=-`, the default) are kept and
written together every GUNICORN_ACCESS_LOG_FLUSH seconds (0.5 by default), as nginx's
`access_log ... buffer= flush=` does, or at once when 4 KiB are waiting: a write to the
stream for each request cost about 6% of a 200-id lookup's CPU (docs/performance.md).

gunicorn's own messages (workers booting, a worker timing out) go through the same
formatter and filters as the service's.
"""

import atexit
import logging
import os
import sys
import threading
import time

from gunicorn import glogging

from favorites_project import logs

_TRUE = {"true", "on", "ok", "y", "yes", "1"}  # django-environ's, so DEBUG reads the same


def log_format(environ=os.environ) -> str:
    """`json` or `plain`: LOG_FORMAT, else plain with DEBUG on (the settings' rule)."""
    chosen = environ.get("LOG_FORMAT", "").strip().lower()
    if chosen in ("json", "plain"):
        return chosen
    return "plain" if environ.get("DEBUG", "").strip().lower() in _TRUE else "json"


def access_flush_seconds(environ=os.environ) -> float:
    """GUNICORN_ACCESS_LOG_FLUSH: how long an access line may wait in standard output's
    buffer; 0 writes each line at once. 0.5 unless set (a bad value is an error)."""
    value = environ.get("GUNICORN_ACCESS_LOG_FLUSH", "").strip() or "0.5"
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 60:
        raise ValueError(f"GUNICORN_ACCESS_LOG_FLUSH must be 0 to 60 seconds, not {value!r}")
    return seconds


# A pipe takes a write of up to PIPE_BUF bytes (4 KiB on Linux) whole: written in whole lines,
# no more than that at a time, the workers' lines on one standard output never interleave.
CHUNK_BYTES = 4096


class BufferedStreamHandler(logging.StreamHandler):
    """A stream handler that keeps its lines and writes them together: every `interval`
    seconds from a thread of the process's, at once when CHUNK_BYTES are waiting, and when
    the process exits (a worker stopped by SIGTERM writes every line; one killed outright
    loses at most `interval` seconds of them).

    Its own buffer, not the stream's: standard output writes each line through at once
    under PYTHONUNBUFFERED, which the image sets. The thread starts with the first line a
    process writes, so each gunicorn worker has its own; a forked child starts with none
    of its parent's lines."""

    def __init__(self, stream, interval: float):
        super().__init__(stream)
        self.interval = interval
        self._forget()
        os.register_at_fork(after_in_child=self._forget)
        # At exit, by itself: logging's shutdown flushes only the handlers made since the
        # last dictConfig, and Django's settings run one after gunicorn makes this.
        atexit.register(self.flush)

    def _forget(self) -> None:
        self._lines: list[bytes] = []
        self._size = 0
        self._flushing = False

    def emit(self, record):
        # Called with the handler's lock held, as flush() takes it.
        try:
            line = (self.format(record) + self.terminator).encode()
            self._lines.append(line)
            self._size += len(line)
            if self._size >= CHUNK_BYTES:
                self._write()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)
        if not self._flushing:
            self._flushing = True
            threading.Thread(target=self._flush_every, name="access-log", daemon=True).start()

    def flush(self):
        with self.lock:  # made by Handler.__init__
            self._write()

    def _write(self) -> None:
        lines, self._lines, self._size = self._lines, [], 0
        chunk: list[bytes] = []
        size = 0
        for line in lines:
            if chunk and size + len(line) > CHUNK_BYTES:
                self._send(chunk)
                chunk, size = [], 0
            chunk.append(line)
            size += len(line)
        if chunk:
            self._send(chunk)

    def _send(self, chunk: list[bytes]) -> None:
        self.stream.write(b"".join(chunk).decode())
        self.stream.flush()

    def _flush_every(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.flush()
            except Exception as error:  # a closed or broken stream; the lines are gone
                sys.stderr.write(f"Writing access lines failed: {error!r}\n")


class Logger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)
        formatter = logs.JsonFormatter() if log_format() == "json" else logs.PlainFormatter()
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter)
            handler.addFilter(logs.RequestContextFilter())
            handler.addFilter(logs.RedactingFilter())
        # The access line's free text (path, query, user agent) is redacted by `access`:
        # the general filter would cost more than the rest of the line.
        interval = access_flush_seconds()
        for handler in list(self.access_log.handlers):
            handler.setFormatter(formatter)
            if type(handler) is logging.StreamHandler and interval > 0:
                buffered = BufferedStreamHandler(handler.stream, interval)
                buffered.setFormatter(formatter)
                buffered._gunicorn = True  # marks it gunicorn's own, replaced on a reload
                self.access_log.removeHandler(handler)
                self.access_log.addHandler(buffered)

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status
        if isinstance(status, str):
            status = int(status.split(None, 1)[0])
        method = environ.get("REQUEST_METHOD")
        path = logs.redact(environ.get("PATH_INFO", ""))
        fields = {
            # Django's, or for an app that is not Django (the mock catalog), the caller's
            # when sane.
            "request_id": environ.get(logs.ENVIRON_REQUEST_ID)
            or logs.sane_request_id(environ.get("HTTP_X_REQUEST_ID")),
            "method": method,
            "route": environ.get(logs.ENVIRON_ROUTE),
            "path": path,
            "status": status,
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "bytes": getattr(resp, "sent", None),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        customer_id = environ.get(logs.ENVIRON_CUSTOMER_ID)
        if customer_id is not None:
            fields["customer_id"] = customer_id
        trace_id = environ.get(logs.ENVIRON_TRACE_ID)
        if trace_id is not None:
            fields["trace_id"] = trace_id
        query = environ.get("QUERY_STRING")
        if query:
            fields["query"] = logs.redact(query)
        user_agent = environ.get("HTTP_USER_AGENT")
        if user_agent:
            fields["user_agent"] = logs.redact(user_agent)
        try:
            self.access_log.log(
                logging.INFO,
                "%s %s %s %sms",
                method,
                path,
                status,
                fields["duration_ms"],
                extra=fields,
            )
        except Exception:
            self.exception("Writing the access line failed")
