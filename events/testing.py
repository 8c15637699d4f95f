"""Helpers for tests of events: a real webhook receiver, and real Celery workers on Redis."""

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connections

from events.receiver import verify
from events.services import DISPATCH_QUEUE
from favorites_project.celery import app, publish_resume

# Tests' broker: Redis database 11, under a key prefix of each test's own.
TEST_BROKER_URL = "redis://127.0.0.1:6379/11"


class WebhookReceiver:
    """An HTTP server on loopback that receives webhooks and checks their signatures.

    `answers` is the list of statuses to answer, one per request, then 200 for the rest
    (a status of 302 answers with a Location). `secret` must be set before requests come.
    `received` holds the verified events; `requests` every request (headers, path, body,
    valid, the status answered, and `at`, when it came: time.monotonic()).
    """

    def __init__(self, answers: list[int] | None = None, *, body: bytes = b"ok"):
        self.answers = list(answers or [])
        self.body = body
        self.secret = ""
        self.received: list[dict] = []
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver._record(self, body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?source=favorites"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _record(self, handler, body: bytes) -> None:
        try:
            event = verify(self.secret, handler.headers, body)
            valid = True
        except ValueError:
            event, valid = None, False
        with self._lock:
            status = self.answers.pop(0) if self.answers else 200
            self.requests.append(
                {
                    "headers": dict(handler.headers),
                    "path": handler.path,
                    "body": body,
                    "valid": valid,
                    "status": status,
                    "at": time.monotonic(),
                }
            )
            if event is not None and 200 <= status < 300:
                self.received.append(event)
            self._arrived.notify_all()
        handler.send_response(status)
        if status == 302:
            handler.send_header("Location", "http://127.0.0.1:1/elsewhere")
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """Wait until `count` events were received (verified and answered 2xx)."""
        with self._lock:
            self._arrived.wait_for(lambda: len(self.received) >= count, timeout)
            return list(self.received)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _close_connections(**kwargs) -> None:
    # Tasks run on the worker's thread: its database connections go when each task ends,
    # so none is left open on the test database.
    connections.close_all()


def _reset_producers() -> None:
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str, *, key_prefix: str = "") -> Iterator[None]:
    """Tasks are sent to the broker at `url` (not run eagerly), under `key_prefix`, for the
    while; a closed port such as `redis://127.0.0.1:1/0` is a broker that is down."""
    saved = app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options
    app.conf.update(
        broker_url=url,
        task_always_eager=False,
        broker_transport_options={**saved[2], "global_keyprefix": key_prefix},
    )
    _reset_producers()
    publish_resume()
    try:
        yield
    finally:
        DISPATCH_QUEUE.flush()  # what was committed meanwhile goes to this broker, now
        app.conf.update(
            broker_url=saved[0], task_always_eager=saved[1], broker_transport_options=saved[2]
        )
        _reset_producers()
        publish_resume()


BROKER_DOWN_URL = "redis://127.0.0.1:1/0"


@contextmanager
def celery_workers(count: int = 1, **conf) -> Iterator[list]:
    """`count` real Celery workers (threads of this process, each with its own consumer)
    on the Redis broker, with tasks sent there rather than run eagerly. `conf` overrides
    Celery settings for the while. Tests using them need `django_db(transaction=True)`:
    the workers read the database on connections of their own."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", *conf)}
    saved["broker_transport_options"] = app.conf.broker_transport_options
    saved["worker_hijack_root_logger"] = app.conf.worker_hijack_root_logger
    app.conf.update(
        broker_url=TEST_BROKER_URL,
        task_always_eager=False,
        worker_hijack_root_logger=False,
        broker_transport_options={
            **app.conf.broker_transport_options,
            "global_keyprefix": f"test-{uuid.uuid4().hex}:",
        },
        **conf,
    )
    _reset_producers()
    publish_resume()
    task_postrun.connect(_close_connections, weak=False)
    # An embedded worker sets up logging as a worker process would: put it back after.
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    try:
        with ExitStack() as stack:
            workers = [
                stack.enter_context(
                    start_worker(
                        app,
                        pool="solo",
                        perform_ping_check=False,
                        hostname=f"test-worker-{number}@{uuid.uuid4().hex[:8]}",
                        shutdown_timeout=30,
                    )
                )
                for number in range(count)
            ]
            try:
                yield workers
            finally:
                DISPATCH_QUEUE.flush()  # what was committed meanwhile goes to these workers
    finally:
        logging.root.setLevel(root_level)
        logging.root.handlers[:] = root_handlers
        task_postrun.disconnect(_close_connections)
        app.conf.update(saved)
        _reset_producers()
        publish_resume()


def database_url() -> str:
    """The URL of the database the tests run on (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def worker_processes(count: int, env: dict[str, str]) -> Iterator[str]:
    """`count` Celery workers as production runs them (`celery -A favorites_project worker`),
    each a process of its own, on the Redis broker under a key prefix of their own, which
    it yields: send them tasks within `broker_at(TEST_BROKER_URL, key_prefix=prefix)`.
    `env` adds settings for the workers. They read the test database: tests need
    `django_db(transaction=True)`."""
    prefix = f"test-{uuid.uuid4().hex}:"
    worker_env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": TEST_BROKER_URL,
        "CELERY_BROKER_KEY_PREFIX": prefix,
        "SECRET_KEY": "test-only-secret-key-for-the-worker-processes",
        "DEBUG": "false",
        "CELERY_SKIP_CHECKS": "1",
        **env,
    }
    command = [sys.executable, "-m", "celery", "-A", "favorites_project", "worker"]
    command += ["--pool", "solo", "--without-mingle", "--without-gossip", "--without-heartbeat"]
    command += ["--loglevel", "INFO"]
    processes = [
        subprocess.Popen(
            [*command, "--hostname", f"test-worker-{number}@%h"],
            cwd=settings.BASE_DIR,
            env=worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(count)
    ]
    try:
        for process in processes:
            _wait_until_ready(process)
        yield prefix
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def _wait_until_ready(process: subprocess.Popen, timeout: float = 30.0) -> None:
    lines: list[str] = []

    assert process.stderr is not None

    def read():
        for line in process.stderr:
            lines.append(line)
            if " ready." in line:
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if not lines or " ready." not in lines[-1]:
        raise RuntimeError("a Celery worker did not start:\n" + "".join(lines[-30:]))
    # Keep draining its log, so that a full pipe never blocks the worker.
    threading.Thread(target=process.stderr.read, daemon=True).start()
