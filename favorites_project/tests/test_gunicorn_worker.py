"""The fair share of connections each gunicorn worker takes (favorites_project/gunicorn_worker.py).

Served end to end in test_served.py: a burst of 8 keep-alive connections is dealt 4 and 4.
"""

import gc
import itertools
import runpy
import socket
from types import SimpleNamespace

import pytest
from django.conf import settings
from gunicorn.workers.gthread import ThreadWorker

from favorites_project import gunicorn_worker
from favorites_project.gunicorn_worker import FREE, SLOTS, FairShareWorker, fair_share


@pytest.fixture(autouse=True)
def free_slots():
    """Every slot free before and after (the array is the process's, shared with nothing
    here)."""
    held = gunicorn_worker._held
    held[:] = [FREE] * SLOTS
    yield held
    held[:] = [FREE] * SLOTS


def test_the_worker_holding_fewest_connections_may_always_take_one_more():
    for workers in (1, 2, 3):
        for counts in itertools.product(range(7), repeat=workers):
            share = fair_share([FREE, *counts, FREE])
            assert min(counts) < share, counts
            # Shares for all make room for every connection and the coming one, and a share
            # one smaller would not: no worker may take more than its part.
            assert share * workers >= sum(counts) + 1 > (share - 1) * workers, counts


def test_a_burst_is_dealt_evenly_whichever_worker_asks_first():
    held = [0, 0]
    for turn in range(8):
        # Each connection goes to the first worker, by turn, that is within its share.
        order = [turn % 2, 1 - turn % 2]
        taker = next(n for n in order if held[n] < fair_share(held))
        held[taker] += 1
    assert held == [4, 4]


def server_with(*workers):
    return SimpleNamespace(WORKERS={n: worker for n, worker in enumerate(workers)})


def test_each_worker_gets_a_slot_of_its_own_and_an_exited_one_frees_it(free_slots):
    first, second, third = (SimpleNamespace() for _ in range(3))
    gunicorn_worker.slot_take(server_with(), first)
    gunicorn_worker.slot_take(server_with(first), second)
    assert (first.slot, second.slot) == (0, 1)
    free_slots[0], free_slots[1] = 3, 4  # as the workers count themselves in

    gunicorn_worker.slot_free(first)
    assert free_slots[:2] == [FREE, 4]
    gunicorn_worker.slot_take(server_with(second), third)
    assert third.slot == 0


def test_a_worker_still_starting_counts_for_nothing(free_slots):
    free_slots[0] = 7  # a stale count left in the slot
    gunicorn_worker.slot_take(server_with(), SimpleNamespace())
    assert free_slots[0] == FREE
    # The one worker running may take an eighth, not wait for a share the other
    # cannot take yet.
    assert worker_holding(7, slot=1).worker_connections == 8


def test_gunicorn_conf_gives_a_slot_before_the_fork_and_frees_it_when_the_worker_exits(
    monkeypatch, free_slots
):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    hooks = runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py"))
    gone, exited = SimpleNamespace(pid=1), SimpleNamespace(pid=2)
    try:
        hooks["pre_fork"](server_with(), gone)
        hooks["pre_fork"](server_with(gone), exited)
    finally:
        gc.unfreeze()
    free_slots[gone.slot], free_slots[exited.slot] = 5, 6

    hooks["child_exit"](server_with(exited), gone)  # reaped by the master
    hooks["worker_exit"](server_with(), exited)  # or found gone when it came to stop it
    assert free_slots[gone.slot] == free_slots[exited.slot] == FREE


def test_a_worker_past_the_slots_takes_connections_as_plain_gthread_does(free_slots):
    workers = []
    for _ in range(SLOTS):
        worker = SimpleNamespace()
        gunicorn_worker.slot_take(server_with(*workers), worker)
        workers.append(worker)
    assert sorted(worker.slot for worker in workers) == list(range(SLOTS))
    free_slots[:] = [1] * SLOTS  # every worker counted in
    extra = SimpleNamespace()
    gunicorn_worker.slot_take(server_with(*workers), extra)
    assert extra.slot is None
    gunicorn_worker.slot_free(extra)  # nothing to free
    assert free_slots[:] == [1] * SLOTS

    unslotted = worker_holding(3, slot=None)
    assert unslotted.worker_connections == 1000
    assert not unslotted.holding_back


def worker_holding(connections: int, *, slot: int | None, limit: int = 1000) -> FairShareWorker:
    """A FairShareWorker's state without a process around it."""
    worker = FairShareWorker.__new__(FairShareWorker)
    worker.worker_connections = limit
    worker.slot = slot
    worker.nr_conns = connections
    worker.alive = True
    worker.sockets = []
    return worker


def test_a_worker_publishes_what_it_holds_and_holds_back_past_its_share(free_slots):
    free_slots[1] = 3  # the other worker
    worker = worker_holding(5, slot=0)

    assert worker.worker_connections == 5  # ceil((5 + 3 + 1) / 2): no sixth
    assert free_slots[0] == 5
    assert worker.holding_back

    worker.nr_conns = 4
    assert worker.worker_connections == 4  # ceil((4 + 3 + 1) / 2)
    assert worker.holding_back

    free_slots[1] = 6
    assert worker.worker_connections == 6  # the other took more: a fifth is due here
    assert not worker.holding_back


def test_the_configured_limit_still_caps_a_worker(free_slots):
    free_slots[1] = 100
    worker = worker_holding(10, slot=0, limit=10)
    assert worker.worker_connections == 10
    assert not worker.holding_back  # gthread's own limit, not a share: it waits as gthread does


def test_a_worker_holding_back_looks_again_within_the_hold_back_poll(monkeypatch, free_slots):
    waited = []
    monkeypatch.setattr(
        ThreadWorker, "wait_for_and_dispatch_events", lambda self, timeout: waited.append(timeout)
    )
    free_slots[1] = 0
    worker = worker_holding(1, slot=0)
    worker.worker_connections  # noqa: B018 (gthread's loop reads it, then waits)
    worker.wait_for_and_dispatch_events(1.0)
    free_slots[1] = 1
    worker.worker_connections  # noqa: B018
    worker.wait_for_and_dispatch_events(1.0)

    assert waited == [gunicorn_worker.HOLD_BACK_POLL, 1.0]


def test_a_stopping_worker_counts_for_nothing_and_stops_polling(monkeypatch, free_slots):
    monkeypatch.setattr(ThreadWorker, "handle_exit", lambda self, sig, frame: None)
    monkeypatch.setattr(ThreadWorker, "handle_quit", lambda self, sig, frame: None)
    for stop in ("handle_exit", "handle_quit"):
        free_slots[1] = 0
        worker = worker_holding(3, slot=0)
        assert worker.worker_connections == 2
        assert worker.holding_back

        getattr(worker, stop)(None, None)
        assert free_slots[0] == FREE
        assert not worker.holding_back  # its drain waits as gthread's does
        # The other may take every new connection meanwhile.
        assert worker_holding(0, slot=1).worker_connections == 1
        worker.alive = False  # as gthread's own handler leaves it
        assert worker.worker_connections == 1000
        assert free_slots[0] == FREE


@pytest.fixture
def listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


@pytest.fixture
def clock(monkeypatch):
    """The worker's monotonic clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(gunicorn_worker.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture
def holding_back(monkeypatch, free_slots, listener):
    """A worker holding back (one connection, the other worker none) on `listener`, whose
    waits return at once, recording what it accepts."""
    monkeypatch.setattr(ThreadWorker, "wait_for_and_dispatch_events", lambda self, timeout: None)
    accepted: list = []
    monkeypatch.setattr(FairShareWorker, "accept", lambda self, sock: accepted.append(sock))
    free_slots[1] = 0
    worker = worker_holding(1, slot=0)
    worker.sockets = [listener]
    assert worker.worker_connections == 1
    assert worker.holding_back
    return worker, accepted


def test_a_connection_nobody_takes_for_a_while_is_taken_anyway(holding_back, listener, clock):
    """The other worker's count says it may take it, but it does not (it hangs, say)."""
    worker, accepted = holding_back
    worker.wait_for_and_dispatch_events(1.0)  # nothing waiting
    with socket.create_connection(listener.getsockname()):
        worker.wait_for_and_dispatch_events(1.0)  # seen waiting: the other may take it yet
        clock[0] += gunicorn_worker.TAKE_WAITING_AFTER / 2
        worker.wait_for_and_dispatch_events(1.0)
        assert accepted == []
        clock[0] += gunicorn_worker.TAKE_WAITING_AFTER / 2 + 0.001
        worker.wait_for_and_dispatch_events(1.0)  # waited long enough
    assert accepted == [listener]


def test_a_connection_taken_by_the_other_worker_meanwhile_is_left_to_it(
    holding_back, listener, clock
):
    worker, accepted = holding_back
    with socket.create_connection(listener.getsockname()):
        worker.wait_for_and_dispatch_events(1.0)
        listener.accept()[0].close()  # the other worker's accept
        clock[0] += gunicorn_worker.TAKE_WAITING_AFTER
        worker.wait_for_and_dispatch_events(1.0)
        with socket.create_connection(listener.getsockname()):  # a new one: its own wait
            worker.wait_for_and_dispatch_events(1.0)
    assert accepted == []
