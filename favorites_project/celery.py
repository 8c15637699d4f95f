"""The Celery app: background work on workers, Redis as the broker (docs/operations.md).

    celery -A favorites_project --quiet worker --pool threads --concurrency 8   (make worker)
    celery -A favorites_project --quiet beat                                    (make beat)

Configuration is Django's settings under the CELERY_ prefix. Without a broker
(`make run`) tasks run eagerly, in the process that sends them.
"""

import logging
import os
import time

from celery import Celery, signals
from django.conf import settings
from prometheus_client import start_http_server

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "favorites_project.settings")

logger = logging.getLogger(__name__)

app = Celery("favorites")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_paused_until = 0.0


def publish(task, *, args: list, countdown: float | None = None) -> bool:
    """Queue a task; False (logged, never raised) when the broker cannot take it.

    Callers keep what the task would do in the database (the outbox), so a task that
    could not be queued is done later by the sweeper. After a refusal, sends pause for
    CELERY_PUBLISH_PAUSE seconds, so that requests are not slowed while the broker is down.
    """
    global _paused_until
    if time.monotonic() < _paused_until:
        return False
    try:
        task.apply_async(args=args, countdown=countdown)
    except Exception as exc:  # the broker's errors are many (kombu, redis, OS)
        _paused_until = time.monotonic() + settings.CELERY_PUBLISH_PAUSE
        logger.warning("Task %s not queued, left to the sweeper: %s", task.name, exc)
        return False
    return True


def publish_resume() -> None:
    """Forget an earlier refusal (tests, and the sweeper once the broker answers)."""
    global _paused_until
    _paused_until = 0.0


def broker_status() -> str:
    """`in-process` (no broker: eager), `ok` or `unreachable`; never raises."""
    if app.conf.task_always_eager:
        return "in-process"
    try:
        with app.connection_for_write() as connection:
            timeout = settings.CELERY_BROKER_CONNECTION_TIMEOUT
            connection.ensure_connection(max_retries=0, timeout=timeout)
    except Exception as exc:
        logger.warning("Readiness: the broker is unreachable: %s", exc)
        return "unreachable"
    return "ok"


@signals.worker_init.connect
def _serve_worker_metrics(**kwargs) -> None:
    port = settings.CELERY_WORKER_METRICS_PORT
    if port:
        start_http_server(port)
        logger.info("Worker metrics on port %s", port)


@signals.beat_init.connect
def _log_beat_schedule(**kwargs) -> None:
    """Say what beat sends, once its scheduler is built.

    Until this line, a SIGTERM lands while Celery builds the scheduler, and its
    handler (which saves the schedule) fails and exits 1; from it on, beat stops cleanly.
    """
    sends = ", ".join(
        f"{entry['task']} every {entry['schedule']:g} s"
        for entry in app.conf.beat_schedule.values()
    )
    logger.info("beat: Ready; sends %s", sends)
