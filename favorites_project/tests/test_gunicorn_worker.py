"""The fair share of connections each gunicorn worker takes (favorites_project/gunicorn_worker.py).

Served end to end in test_served.py: a burst of 8 keep-alive connections is dealt 4 and 4.
"""

import itertools
from types import SimpleNamespace

import pytest
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
            # And no worker may take more than its part of them all, the coming one included.
            assert share == -(-(sum(counts) + 1) // workers), counts


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
    assert free_slots[:3] == [0, 0, FREE]

    gunicorn_worker.slot_free(first)
    assert free_slots[0] == FREE
    gunicorn_worker.slot_take(server_with(second), third)
    assert third.slot == 0


def test_a_worker_past_the_slots_takes_connections_as_plain_gthread_does(free_slots):
    workers = []
    for _ in range(SLOTS):
        worker = SimpleNamespace()
        gunicorn_worker.slot_take(server_with(*workers), worker)
        workers.append(worker)
    extra = SimpleNamespace()
    gunicorn_worker.slot_take(server_with(*workers), extra)
    assert extra.slot is None
    gunicorn_worker.slot_free(extra)  # nothing to free
    assert FREE not in free_slots[:]

    unslotted = worker_holding(3, slot=None)
    assert unslotted.worker_connections == 1000
    assert not unslotted.holding_back


def worker_holding(connections: int, *, slot: int | None, limit: int = 1000) -> FairShareWorker:
    """A FairShareWorker's state without a process around it."""
    worker = FairShareWorker.__new__(FairShareWorker)
    worker.worker_connections = limit
    worker.slot = slot
    worker.nr_conns = connections
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
