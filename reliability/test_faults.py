"""Faults against a live gunicorn: the catalog, Redis, PostgreSQL and a worker, each failing.

Run with `make faults` (not part of `make test`): the stack is private to the
run (reliability/faults.py). Each test states the bound it asserts; the
timings go to the "fault figures" section at the end of the run.
"""

import os
import signal
import time
from decimal import Decimal

import pytest

from reliability import stack as processes
from reliability.client import percentile
from reliability.faults import (
    CATALOG_BUDGET,
    CATALOG_READ_TIMEOUT,
    Load,
    adder,
    lister,
)

pytestmark = pytest.mark.faults

# Slack on top of the catalog budget: gunicorn, Django and the client on 2 busy cores.
MARGIN = 1.5
LIST_P95_BOUND = 1.0  # seconds: lists while the catalog hangs
LIST_BOUND_REDIS_DOWN = 5.0  # seconds, each list without Redis (a hung one: 0.5 s a cache call)
RECOVERY_BOUND = 15.0  # seconds from PostgreSQL back to the first acknowledged write


def assert_catalog_unavailable(reply):
    assert reply.status == 503, reply
    assert reply.code == "catalog_unavailable", reply
    assert reply.headers.get("content-type", "").startswith("application/problem+json"), reply
    assert "retry-after" in reply.headers, reply
    assert reply.seconds < CATALOG_BUDGET + MARGIN, reply


def assert_no_server_error(results):
    failures = [item.reply for item in results if item.reply.status >= 500]
    failures = [reply for reply in failures if reply.status != 503 or reply.code is None]
    assert not failures, "\n".join(map(str, failures[:5]))


# The catalog ---------------------------------------------------------------------------

CATALOG_FAULTS = {
    "500": {"status": 500},
    "503": {"status": 503},
    "malformed": {"malformed": True},
    "slow": {"latency_ms": int((CATALOG_READ_TIMEOUT + 0.5) * 1000)},
}


@pytest.mark.parametrize("fault", CATALOG_FAULTS)
def test_an_add_answers_503_within_the_catalog_budget_and_writes_nothing_when_the_catalog_fails(
    stack, shopper, figures, fault
):
    stack.catalog.set_faults(**CATALOG_FAULTS[fault])
    products = [product["id"] for product in stack.fresh_products(3)]
    api = stack.api()
    replies = [api.add(shopper.tokens.access, product_id) for product_id in products]
    api.close()

    for reply in replies:
        assert_catalog_unavailable(reply)
    assert stack.rows(shopper.id, products) == {}
    figures[f"catalog {fault}: add answered 503 in (s)"] = [round(r.seconds, 3) for r in replies]


def test_an_add_still_succeeds_when_the_catalog_is_slow_within_its_timeout(stack, shopper):
    stack.catalog.set_faults(latency_ms=int(CATALOG_READ_TIMEOUT * 1000 / 4))
    product = stack.fresh_products(1)[0]
    api = stack.api()
    reply = api.add(shopper.tokens.access, product["id"])
    api.close()

    assert reply.status == 201, reply
    assert stack.rows(shopper.id, [product["id"]])[product["id"]]["title"] == product["title"]


def test_lists_stay_fast_and_adds_answer_503_in_budget_while_the_catalog_hangs(
    stack, shopper, figures
):
    stack.catalog.set_faults(hang=True)
    adds = Load(stack, threads=4, step=adder(stack, shopper)).start()
    lists = Load(stack, threads=2, step=lister(shopper)).start()
    time.sleep(2 * CATALOG_BUDGET)
    list_results = lists.stop()
    add_results = adds.stop()
    stack.catalog.clear_faults()

    assert add_results
    assert list_results
    for item in add_results:
        assert_catalog_unavailable(item.reply)
    assert stack.rows(shopper.id, [item.product_id for item in add_results]) == {}
    assert all(item.reply.status == 200 for item in list_results), [
        str(item.reply) for item in list_results if item.reply.status != 200
    ][:5]
    list_p95 = percentile([item.reply.seconds for item in list_results], 0.95)
    assert list_p95 < LIST_P95_BOUND
    figures["catalog hang: adds (all 503)"] = len(add_results)
    figures["catalog hang: slowest add (s)"] = round(max(i.reply.seconds for i in add_results), 3)
    figures["catalog hang: lists (all 200)"] = len(list_results)
    figures["catalog hang: list p95 / max (s)"] = (
        round(list_p95, 3),
        round(max(item.reply.seconds for item in list_results), 3),
    )


def test_an_add_answers_503_while_the_catalog_is_killed_and_201_once_it_is_back(
    stack, shopper, figures
):
    stack.catalog.kill()
    products = [product["id"] for product in stack.fresh_products(3)]
    api = stack.api()
    down = [api.add(shopper.tokens.access, product_id) for product_id in products]
    stack.catalog.start()
    back = api.add(shopper.tokens.access, products[0])
    api.close()

    for reply in down:
        assert_catalog_unavailable(reply)
    assert back.status == 201, back
    assert set(stack.rows(shopper.id, products)) == {products[0]}
    figures["catalog killed: add answered 503 in (s)"] = [round(r.seconds, 3) for r in down]


# Redis ---------------------------------------------------------------------------------


def register_victim(stack) -> str:
    """A customer whose password is guessed: its email."""
    email = f"victim-{time.monotonic_ns()}@example.com"
    api = stack.api()
    reply = api.register(email=email, password="V1ctim-password-x")
    api.close()
    assert reply.status == 201, reply
    return email


def exercise_without_redis(stack, shopper, victim_email, figures, label):
    """Lists, an add and a token refresh work; wrong passwords still meet a 429."""
    api = stack.api()
    lists = [api.favorites(shopper.tokens.access) for _ in range(5)]
    product = stack.fresh_products(1)[0]
    added = api.add(shopper.tokens.access, product["id"])
    refreshed = api.refresh(shopper.tokens.refresh)
    if refreshed.status == 200:
        shopper.tokens.refresh = refreshed.json()["refresh"]
    guesses = []
    started = time.monotonic()
    # Two workers count on their own while Redis is away: at most 2 x 10 guesses pass a minute.
    while len(guesses) < 40 and time.monotonic() - started < 60:
        guesses.append(api.login(email=victim_email, password="not-the-password"))
        if guesses[-1].status == 429:
            break
    api.close()

    every = [*lists, added, refreshed, *guesses]
    assert not [reply for reply in every if reply.status >= 500 or reply.status == 0]
    assert all(reply.status == 200 for reply in lists), lists
    assert max(reply.seconds for reply in lists) < LIST_BOUND_REDIS_DOWN
    assert added.status == 201, added
    assert refreshed.status == 200, refreshed
    assert {reply.status for reply in guesses[:-1]} <= {401}, guesses
    # Brute-force protection survives the outage: the per-process fallback limiter.
    assert guesses[-1].status == 429, f"{len(guesses)} wrong passwords and no 429"
    assert "retry-after" in guesses[-1].headers
    figures[f"{label}: list max (s)"] = round(max(reply.seconds for reply in lists), 3)
    figures[f"{label}: add (s)"] = round(added.seconds, 3)
    figures[f"{label}: wrong passwords before the 429"] = len(guesses) - 1


def test_redis_stopped_no_5xx_and_logins_still_throttled(stack, shopper, figures):
    victim_email = register_victim(stack)
    stack.redis.stop()

    exercise_without_redis(stack, shopper, victim_email, figures, "redis stopped")

    stack.redis.start()
    api = stack.api()
    assert api.favorites(shopper.tokens.access).status == 200
    api.close()


def test_redis_hung_no_5xx_and_logins_still_throttled(stack, shopper, figures):
    victim_email = register_victim(stack)
    stack.redis.hang()
    try:
        exercise_without_redis(stack, shopper, victim_email, figures, "redis hung")
    finally:
        stack.redis.resume()


# PostgreSQL ----------------------------------------------------------------------------


def assert_served_or_refused(results):
    """Each request was served, or refused with 503 `service_unavailable` and Retry-After."""
    for item in results:
        reply = item.reply
        if reply.status not in (200, 201):
            assert reply.status == 503, reply
            assert reply.code == "service_unavailable", reply
            assert "retry-after" in reply.headers, reply


def requests_inside(results, start, end):
    return [item.reply for item in results if start < item.started and item.ended < end]


def assert_acknowledged_writes_kept(stack, account, results):
    acknowledged = [item.product_id for item in results if item.reply.status == 201]
    rows = stack.rows(account.id, [item.product_id for item in results])
    assert acknowledged
    assert not set(acknowledged) - set(rows), "acknowledged favorites missing after the outage"
    return acknowledged, rows


def first_write_after(results, moment):
    after = [item for item in results if item.started >= moment and item.reply.status == 201]
    return min((item.ended for item in after), default=None)


def test_a_fast_postgres_restart_loses_no_acknowledged_write_and_heals_by_itself(stack, figures):
    shopper = stack.sign_up("restart")
    master = stack.server.process.pid
    workers = stack.server.worker_pids()
    writes = Load(stack, threads=3, step=adder(stack, shopper)).start()
    time.sleep(1.5)
    began = time.monotonic()
    stack.postgres.restart("fast")
    back = time.monotonic()
    time.sleep(4)
    results = writes.stop()

    assert_served_or_refused(results)
    acknowledged, _ = assert_acknowledged_writes_kept(stack, shopper, results)
    healed = first_write_after(results, back)
    assert healed is not None
    assert healed - back < RECOVERY_BOUND
    assert stack.server.process.pid == master
    assert stack.server.worker_pids() == workers
    figures["postgres restart -m fast: took (s)"] = round(back - began, 3)
    figures["postgres restart: writes acknowledged / answered 503 / no answer"] = (
        len(acknowledged),
        sum(item.reply.status == 503 for item in results),
        sum(item.reply.status == 0 for item in results),
    )
    figures["postgres restart: first acknowledged write after (s)"] = round(healed - back, 3)


def test_postgres_stopped_for_seconds_answers_503_and_loses_no_acknowledged_write(stack, figures):
    shopper = stack.sign_up("outage")
    outage = 3.0
    writes = Load(stack, threads=3, step=adder(stack, shopper)).start()
    lists = Load(stack, threads=1, step=lister(shopper)).start()
    time.sleep(1.5)
    stack.postgres.stop("immediate")  # as a crash: recovery replays the WAL
    down = time.monotonic()
    api = stack.api()
    ready_while_down = api.request("GET", "/health/ready")
    api.close()
    time.sleep(outage)
    restarting = time.monotonic()
    stack.postgres.start()
    up = time.monotonic()
    time.sleep(4)
    results = writes.stop() + lists.stop()

    assert ready_while_down.status == 503, ready_while_down
    assert_served_or_refused(results)
    inside = requests_inside(results, down, restarting)
    assert len(inside) >= 3, "the outage was not exercised"
    assert all(reply.status == 503 for reply in inside), [str(r) for r in inside][:5]
    acknowledged, _ = assert_acknowledged_writes_kept(stack, shopper, results)
    healed = first_write_after(results, up)
    assert healed is not None
    assert healed - up < RECOVERY_BOUND
    figures["postgres stopped (immediate) for (s)"] = round(up - down, 3)
    figures["postgres stopped: requests answered 503 inside the outage"] = len(inside)
    figures["postgres stopped: slowest 503 (s)"] = round(max(r.seconds for r in inside), 3)
    figures["postgres stopped: writes acknowledged (all kept)"] = len(acknowledged)
    figures["postgres stopped: first acknowledged write after start (s)"] = round(healed - up, 3)


# A worker ------------------------------------------------------------------------------


def test_a_worker_killed_with_sigkill_leaves_the_others_serving_and_no_half_written_row(
    stack, figures
):
    shopper = stack.sign_up("sigkill")
    victim, survivor = stack.server.worker_pids()
    writes = Load(stack, threads=3, step=adder(stack, shopper)).start()
    lists = Load(stack, threads=1, step=lister(shopper)).start()
    time.sleep(2)
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()
    respawn = processes.wait_for(
        lambda: len(stack.server.worker_pids()) == 2 and victim not in stack.server.worker_pids(),
        timeout=30,
        what="gunicorn replacing the killed worker",
    )
    time.sleep(3)
    results = writes.stop() + lists.stop()

    assert survivor in stack.server.worker_pids()
    assert_no_server_error(results)
    after = [item for item in results if item.started > killed]
    assert sum(item.reply.status in (200, 201) for item in after) > 10
    # A client whose keep-alive connection was to the killed worker loses one request
    # (in flight, or sent on the dead connection) and gets no answer; nothing else fails.
    failed = [item for item in after if item.reply.status not in (200, 201)]
    assert all(item.reply.status == 0 for item in failed), [str(item.reply) for item in failed]
    assert len({item.thread for item in failed}) == len(failed), [str(i.reply) for i in failed]
    acknowledged, rows = assert_acknowledged_writes_kept(stack, shopper, results)
    # A row is whole or absent: every one holds the catalog's data for its product.
    for product_id, row in rows.items():
        product = stack.product(product_id)
        assert (row["title"], row["brand"]) == (product["title"], product["brand"]), row
        assert row["price"] == row["price_when_added"] == Decimal(str(product["price"])), row
    lost = [item for item in results if item.reply.status == 0]
    figures["worker SIGKILL: replaced in (s)"] = round(respawn, 3)
    figures["worker SIGKILL: requests without an answer (in flight on the killed worker)"] = len(
        lost
    )
    figures["worker SIGKILL: requests answered after the kill (all 2xx)"] = len(after)
    figures["worker SIGKILL: writes acknowledged (all rows, all whole)"] = len(acknowledged)
