"""gunicorn's threaded worker, taking new connections only up to its fair share.

Every worker listens on the one socket the master binds. A keep-alive connection stays
with the worker that accepted it for as long as it lives, so the way a burst of new
connections is dealt (a load balancer's pool, a benchmark's) decides how the load is
shared until they close. Left to themselves, the workers race for each connection and a
worker whose threads hold the interpreter lock reaches `accept` late: one of two workers
took all 32 of wrk's connections at times. A socket per worker (`reuse_port`, which this
replaces) dealt them by a hash of their addresses instead: 8 connections went 6 and 2,
or 7 and 1, about one time in four, and the lookup's p99 then doubled
(docs/performance.md, "Connections among the workers").

Here each worker publishes the number of connections it holds in a small array that the
master and every worker share (the master gives each worker a slot of its own before the
fork and frees it when the worker exits), and accepts only while it holds fewer than its
fair share of them all, the coming one included: ceil((held by all + 1) / workers), over
the workers that are taking connections (one still starting, or stopping, counts for none).
A worker that holds back reads the counts again every `HOLD_BACK_POLL` seconds (gthread
otherwise sleeps up to a second between turns of its loop when nothing happens), so a share
that grew meanwhile is taken within that time; and the share is a preference, not a rule: a
connection that no worker has taken for `TAKE_WAITING_AFTER` seconds (counts left by a
worker that hangs, say) is taken by one that sees it waiting.
"""

import ctypes
import select
import time
from collections.abc import Iterable
from multiprocessing.sharedctypes import RawArray

from gunicorn.workers.gthread import ThreadWorker

# Workers tracked at once (a replacement overlaps the worker it replaces); one past them
# takes connections as plain gthread does.
SLOTS = 64
# A free slot. A worker's slot holds the number of connections it holds.
FREE = -1
HOLD_BACK_POLL = 0.01  # seconds
# A connection waiting this long, with no worker taking it, is taken by one holding back.
# Longer than the others take to accept a burst while answering it (at 10 ms, a burst of 8
# went 3/5 at times).
TAKE_WAITING_AFTER = 0.1  # seconds

# Made in the master when gunicorn loads this class, before any fork: shared by every worker.
_held = RawArray(ctypes.c_int, [FREE] * SLOTS)


def fair_share(held: Iterable[int]) -> int:
    """The connections a worker may hold, the coming one included: ceil((held by all + 1) /
    workers), over the slots in use (the asking worker's among them). At least one more
    than the fewest any worker holds."""
    counts = [n for n in held if n != FREE]
    return -(-(sum(counts) + 1) // max(1, len(counts)))


def slot_take(server, worker) -> None:
    """gunicorn's `pre_fork`, in the master: the first slot no live worker has. Left free
    until the worker counts itself in at the first turn of its loop: one still starting
    takes no connections, and counted as holding none it would hold the others back."""
    taken = {getattr(other, "slot", None) for other in server.WORKERS.values()}
    worker.slot = next((n for n in range(SLOTS) if n not in taken), None)
    if worker.slot is not None:
        _held[worker.slot] = FREE


def slot_free(worker) -> None:
    """gunicorn's `child_exit` and `worker_exit`: the worker's connections went with it."""
    slot = getattr(worker, "slot", None)
    if slot is not None:
        _held[slot] = FREE


def _readable(listener) -> bool:
    return bool(select.select([listener], [], [], 0)[0])


class FairShareWorker(ThreadWorker):
    slot: int | None = None  # given by `slot_take`, before the fork
    holding_back = False
    _waiting_since: float | None = None

    # gthread compares its connections with `worker_connections` at each turn of its
    # loop, and accepts while it holds fewer: here, fewer than its fair share too.
    @property
    def worker_connections(self) -> int:
        limit = self._configured_connections
        if self.slot is None or not self.alive:
            self.holding_back = False
            return limit
        _held[self.slot] = self.nr_conns
        share = min(limit, fair_share(_held[:]))  # a list: a third of the CPU
        self.holding_back = share <= self.nr_conns < limit
        return share

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._configured_connections = value

    def wait_for_and_dispatch_events(self, timeout):
        if not self.holding_back:
            super().wait_for_and_dispatch_events(timeout)
            return
        super().wait_for_and_dispatch_events(min(timeout, HOLD_BACK_POLL))
        waiting = next((listener for listener in self.sockets if _readable(listener)), None)
        if waiting is None:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = time.monotonic()
        elif time.monotonic() - self._waiting_since >= TAKE_WAITING_AFTER:
            self._waiting_since = None
            self.accept(waiting)  # no other worker took it

    def handle_exit(self, sig, frame):
        self._leave()
        super().handle_exit(sig, frame)

    def handle_quit(self, sig, frame):
        self._leave()
        super().handle_quit(sig, frame)

    def _leave(self) -> None:
        """Stopping: no new connections here, so none counted for this worker either."""
        slot_free(self)
        self.holding_back = False
