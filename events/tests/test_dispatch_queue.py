"""Committed events go to the workers as one `events.dispatch` task per window
(events.services.EventDispatchQueue), not one per commit."""

import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import transaction

from events.models import Event, EventType
from events.services import DISPATCH_QUEUE, EventDispatchQueue, event_record
from events.testing import BROKER_DOWN_URL, broker_at
from favorites_project.celery import app


@pytest.fixture
def sent():
    """The id lists of the `events.dispatch` tasks sent (never to a broker), the thread
    that sent each, and an event set at each send, with a brokered (not eager) app for the
    while."""
    calls: list[list[int]] = []
    senders: list[threading.Thread] = []
    done = threading.Event()

    def publish(task, *, args):
        assert task.name == "events.dispatch"
        calls.append(args[0])
        senders.append(threading.current_thread())
        done.set()
        return True

    with mock.patch("events.services.publish", side_effect=publish), eager(False):
        yield calls, senders, done


@contextmanager
def eager(value: bool):
    saved = app.conf.task_always_eager
    app.conf.update(task_always_eager=value)
    try:
        yield
    finally:
        app.conf.update(task_always_eager=saved)


def test_commits_within_the_window_go_as_one_task(settings, sent):
    calls, _, done = sent
    settings.EVENTS_DISPATCH_WINDOW = 1.0  # long enough that a loaded machine stays inside it
    queue = EventDispatchQueue()

    queue.add([1])
    queue.add([2, 3])
    assert calls == []  # nothing sent before the window closes

    assert done.wait(5)
    time.sleep(0.3)  # and nothing more after it
    assert calls == [[1, 2, 3]]


def test_a_commit_after_a_window_closed_opens_another(settings, sent):
    calls, _, done = sent
    settings.EVENTS_DISPATCH_WINDOW = 0.05
    queue = EventDispatchQueue()

    queue.add([1])
    assert done.wait(2)
    done.clear()
    queue.add([2])
    assert done.wait(2)

    assert calls == [[1], [2]]


def test_flush_sends_what_is_queued_at_once_and_only_once(settings, sent):
    calls, _, _ = sent
    settings.EVENTS_DISPATCH_WINDOW = 0.1
    queue = EventDispatchQueue()
    queue.add([7, 8])

    queue.flush()
    time.sleep(0.25)

    assert calls == [[7, 8]]


def test_a_window_of_zero_sends_a_task_per_commit(settings, sent):
    calls, _, _ = sent
    settings.EVENTS_DISPATCH_WINDOW = 0

    queue = EventDispatchQueue()
    queue.add([1])
    queue.add([2])

    assert calls == [[1], [2]]


def test_eager_tasks_run_at_each_commit(settings, sent):
    calls, _, _ = sent
    settings.EVENTS_DISPATCH_WINDOW = 10

    with eager(True):
        EventDispatchQueue().add([5])

    assert calls == [[5]]


def test_a_forked_worker_starts_with_nothing_queued(settings, sent):
    calls, _, _ = sent
    settings.EVENTS_DISPATCH_WINDOW = 5
    DISPATCH_QUEUE.add([1])  # queued in the parent, its send pending

    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked from a master holding ids
        queue = DISPATCH_QUEUE
        clean = queue._ids == [] and not queue._pending and queue._sender is None
        os._exit(0 if clean and queue._lock.acquire(timeout=1) else 1)
    _, status = os.waitpid(pid, 0)
    DISPATCH_QUEUE.flush()

    assert os.waitstatus_to_exitcode(status) == 0
    assert calls == [[1]]  # the parent's, sent once, by the parent


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_while_the_broker_is_down_is_left_to_the_sweeper():
    with broker_at(BROKER_DOWN_URL), transaction.atomic():
        event_record(type=EventType.CUSTOMER_DELETED, customer_id=1, data={})
    time.sleep(0.3)  # past the window: nothing queued is sent later, eagerly or otherwise

    assert Event.objects.get().dispatched_at is None


def test_successive_windows_are_sent_by_one_thread_of_their_own(settings, sent):
    calls, senders, done = sent
    settings.EVENTS_DISPATCH_WINDOW = 0.05
    queue = EventDispatchQueue()

    for ids in ([1], [2]):
        done.clear()
        queue.add(ids)
        assert done.wait(2)

    assert calls == [[1], [2]]
    assert senders[0] is senders[1]  # the same thread, not another that reused its id
    assert senders[0] is not threading.current_thread()


def test_a_process_that_exits_sends_what_it_holds_first():
    script = (
        "import django; django.setup()\n"
        "from events import services\n"
        "from favorites_project.celery import app\n"
        "app.conf.task_always_eager = False\n"
        "services.publish = lambda task, args: print('sent', task.name, args[0], flush=True)\n"
        "services.DISPATCH_QUEUE.add([4, 5])\n"
        "print('exiting', flush=True)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "favorites_project.settings"}
    env["EVENTS_DISPATCH_WINDOW"] = "0.3"

    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["exiting", "sent events.dispatch [4, 5]"]
