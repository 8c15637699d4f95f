"""gunicorn's configuration: read from the working directory by every `gunicorn` start
(the image, docker-compose, CI, `make bench`); flags on the command line win.

Threaded workers (gthread): a request that waits on the catalog (at most
CATALOG_TOTAL_TIMEOUT seconds, less once the breaker opens) holds one thread,
not a whole worker, so the favorites list, which never calls the catalog, keeps
answering while the catalog hangs. Keep-alive connections from the load balancer
are served without a new TCP handshake per request.
"""

import gc
import os
import socket

# Environment-driven, as everything else: WEB_CONCURRENCY is the usual name.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "gthread"
# Eight threads. Four answer a tenth more list requests a second (less contention for the
# GIL), but while the catalog hangs, the adds waiting on it took all four of a worker's
# threads and lists on that worker timed out (`make bench`, its hang scenario).
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker silent for this long is killed and replaced.
timeout = 30
# On SIGTERM: stop accepting, finish in-flight requests for up to this long, exit 0
# (docs/operations.md; favorites_project/tests/test_served.py). Longer than the
# slowest request the service makes on purpose (a catalog lookup: CATALOG_TOTAL_TIMEOUT),
# shorter than an orchestrator's grace period (Kubernetes: 30 s) so it never kills first.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))
keepalive = 15

# Request limits (gunicorn answers past them with a 400, 414 or 431 of its own, before Django).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Logs: one access line per request, to standard output, in the service's JSON shape (with
# the request id, route and customer id Django leaves in the environ); gunicorn's own
# messages to standard error in the same shape (favorites_project/gunicorn_logging.py).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
logger_class = "favorites_project.gunicorn_logging.Logger"

# Load the application once in the master, so workers share its memory pages.
preload_app = True

# No runtime control socket: it is one path per user (~/.gunicorn), so a second gunicorn
# on the same host (the mock catalog, a test server) would take it over.
control_socket_disable = True


def child_exit(server, worker):
    """A dead worker's metrics stop counting as live gauges (prometheus multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_starting(server):
    """A listening socket per worker (`reuse_port`, SO_REUSEPORT), among which the kernel deals
    new connections by a hash of their addresses.

    On one shared socket, whichever worker woke first took a burst of keep-alive connections
    (a load balancer's pool, wrk's 32) and kept them while the other idled: the list's three
    rounds in ../shared/bench/perf_list.sh answered 280, 437 and 533 req/s, then 475, 556 and
    502 with a socket per worker (docs/performance.md; what it costs: docs/operations.md).

    Decided here, on the addresses gunicorn binds (the command line's `--bind` included):
    TCP only (where the platform has SO_REUSEPORT), as a Unix socket has no hash to deal
    by. And tried here once: a worker that cannot bind exits to be started again, forever,
    where this stops the start.
    """
    per_worker = hasattr(socket, "SO_REUSEPORT") and all(
        isinstance(address, tuple) for address in server.cfg.address
    )
    server.cfg.set("reuse_port", per_worker)
    if not per_worker:
        return
    for host, port, *_ in server.cfg.address:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                server.log.error("Cannot listen at %s:%s: %s", host, port, error)
                raise SystemExit(1) from error
    addresses = ", ".join(f"http://{bound}" for bound in server.cfg.bind)
    server.log.info("Listening at: %s (a socket per worker)", addresses)


def pre_fork(server, worker):
    """What the master loaded lives as long as every worker: freeze it (Python's advice for
    fork without exec), so the collector never walks it again in a worker. Shorter pauses:
    the list's p99 was 81-108 ms instead of 101-145 ms in three interleaved wrk rounds."""
    gc.freeze()
