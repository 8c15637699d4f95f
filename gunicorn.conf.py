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

# Environment-driven, as everything else: WEB_CONCURRENCY is the usual name.
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
# gthread, taking new connections only up to each worker's fair share of them all, so a
# burst of keep-alive connections is dealt evenly (favorites_project/gunicorn_worker.py).
worker_class = "favorites_project.gunicorn_worker.FairShareWorker"
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
    """A dead worker's connections and metrics stop counting (its slot among the workers'
    connection counts; prometheus multiprocess mode's live gauges)."""
    from favorites_project import gunicorn_worker  # loaded by now, as the worker class

    gunicorn_worker.slot_free(worker)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def worker_exit(server, worker):
    """A worker gone: its slot free (`child_exit` does too; this also covers a worker the
    master found gone when it came to stop it)."""
    from favorites_project import gunicorn_worker  # loaded by now, as the worker class

    gunicorn_worker.slot_free(worker)


def pre_fork(server, worker):
    """The worker's slot among the workers' connection counts. And what the master loaded
    lives as long as every worker: freeze it (Python's advice for fork without exec), so the
    collector never walks it again in a worker. Shorter pauses: the list's p99 was 81-108 ms
    instead of 101-145 ms in three interleaved wrk rounds."""
    from favorites_project import gunicorn_worker  # loaded by now, as the worker class

    gunicorn_worker.slot_take(server, worker)
    gc.freeze()
