"""`make soak`: bounded mixed traffic against a live gunicorn, then the books are checked.

    .venv/bin/python -m reliability.soak [--seconds 180] [--threads 4] [--customers 12]
        [--pause 0.01] [--database-url postgres://postgres@127.0.0.1:5432/fav_suites_soak]
        [--report soak.json]

It recreates the database (its name starts `fav_suites`), starts a private
Redis, the mock catalog and gunicorn (the repository's gunicorn.conf.py, two
workers, DEBUG off) on free loopback ports, signs up the customers, then has
`--threads` client threads send, for `--seconds`, a mix of

    list 60 %  (GET customers/me/favorites/)
    add 20 %   (POST a product the customer does not have)
    delete 15 % (DELETE one it has)
    login/refresh 5 % (alternately POST auth/token/ and auth/token/refresh/)

Each thread owns its customers, so it knows exactly which favorites each one
has. The run fails on any 5xx, unanswered request or unexpected status, when
a customer's rows in PostgreSQL differ from what the acknowledgements say
(every 201 a row, every 204 gone), when a worker was replaced, or when a
worker's resident memory (VmRSS) grew by 10 % or more between the end of the
first minute (a third of the run when it is shorter than three minutes) and
the end. Everything stays on 127.0.0.1 and stops by itself.
"""

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from catalog.demo_data import load_records
from reliability import stack
from reliability.client import Api, Tokens, percentile

# Lists stay this short (adds turn to deletes), well under the default limit of 1,000.
LIST_CEILING = 500
MIX = (("list", 60), ("add", 20), ("delete", 15), ("auth", 5))
EXPECTED = {"list": {200}, "add": {201}, "delete": {204}, "login": {200}, "refresh": {200}}
RSS_GROWTH_LIMIT = 0.10
RSS_SAMPLE_SECONDS = 5.0
PASSWORD = "Soak-password-of-a-decent-length-9"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--customers", type=int, default=12)
    parser.add_argument(
        "--pause", type=float, default=0.01, help="seconds a thread waits between requests"
    )
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/fav_suites_soak"
    )
    parser.add_argument("--report", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args(argv)
    if not 5 <= args.seconds <= 4 * 3600:
        parser.error("--seconds is 5 .. 14400")
    if not 1 <= args.threads <= 32 or not args.threads <= args.customers <= 1000:
        parser.error("--threads is 1..32 and --customers from --threads to 1000")
    if not 0 <= args.pause <= 5:
        parser.error("--pause is 0..5 seconds")
    return args


@dataclass
class Customer:
    id: int
    email: str
    tokens: Tokens
    favorites: set[str] = field(default_factory=set)
    refresh_next: bool = True


@dataclass
class Tally:
    """One thread's counts: requests by kind and status, latencies, the unexpected."""

    statuses: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unexpected: list[str] = field(default_factory=list)

    def record(self, kind: str, reply) -> bool:
        self.statuses[(kind, reply.status)] += 1
        self.latencies[kind].append(reply.seconds)
        if reply.status not in EXPECTED[kind]:
            if len(self.unexpected) < 20:
                self.unexpected.append(f"{kind}: {reply}")
            return False
        return True


def sign_up(server: stack.Gunicorn, count: int, threads: int) -> list[Customer]:
    """Register and log in `count` customers, `threads` at a time (password hashing is slow)."""
    customers: list[Customer | None] = [None] * count

    def work(numbers: range) -> None:
        api = Api(server.url)
        try:
            for number in numbers:
                email = f"soak-{number}@example.com"
                customer_id, tokens = api.sign_up(email=email, password=PASSWORD)
                customers[number] = Customer(customer_id, email, tokens)
        finally:
            api.close()

    workers = [
        threading.Thread(target=work, args=(range(n, count, threads),)) for n in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
    missing = [number for number, customer in enumerate(customers) if customer is None]
    if missing:
        raise SystemExit(f"soak: could not sign up customers {missing}")
    return customers


def client(
    server: stack.Gunicorn,
    customers: list[Customer],
    products: list[str],
    deadline: float,
    pause: float,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(seed)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    api = Api(server.url)
    try:
        while time.monotonic() < deadline:
            customer = rng.choice(customers)
            kind = rng.choices(kinds, weights)[0]
            if kind == "delete" and not customer.favorites:
                kind = "add"
            elif kind == "add" and len(customer.favorites) >= LIST_CEILING:
                kind = "delete"  # a long soak stays under FAVORITES_MAX_PER_CUSTOMER
            if kind == "list":
                tally.record(kind, api.favorites(customer.tokens.access))
            elif kind == "add":
                product_id = rng.choice(products)
                while product_id in customer.favorites:
                    product_id = rng.choice(products)
                if tally.record(kind, api.add(customer.tokens.access, product_id)):
                    customer.favorites.add(product_id)
            elif kind == "delete":
                product_id = rng.choice(sorted(customer.favorites))
                if tally.record(kind, api.remove(customer.tokens.access, product_id)):
                    customer.favorites.discard(product_id)
            elif customer.refresh_next:
                reply = api.refresh(customer.tokens.refresh)
                if tally.record("refresh", reply):
                    data = reply.json()
                    customer.tokens = Tokens(data["access"], data["refresh"])
                customer.refresh_next = False
            else:
                reply = api.login(email=customer.email, password=PASSWORD)
                if tally.record("login", reply):
                    data = reply.json()
                    customer.tokens = Tokens(data["access"], data["refresh"])
                customer.refresh_next = True
            time.sleep(pause)
    finally:
        api.close()


class RssSampler(threading.Thread):
    """VmRSS of each gunicorn worker every few seconds; `at(t)`: the sample nearest t."""

    def __init__(self, server: stack.Gunicorn, started: float, until: float):
        super().__init__(daemon=True)
        self.server = server
        self.started = started
        self.until = until
        self.samples: list[tuple[float, dict[int, int]]] = []
        self.pids_seen: set[int] = set()

    def sample(self) -> None:
        pids = self.server.worker_pids()
        self.pids_seen.update(pids)
        rss = {}
        for pid in pids:
            try:
                rss[pid] = stack.rss_kib(pid)
            except (OSError, RuntimeError):
                continue
        self.samples.append((time.monotonic() - self.started, rss))

    def run(self) -> None:
        while time.monotonic() < self.until:
            self.sample()
            time.sleep(RSS_SAMPLE_SECONDS)

    def at(self, elapsed: float) -> dict[int, int]:
        return min(self.samples, key=lambda sample: abs(sample[0] - elapsed))[1]


def database_favorites(database_url: str, customer_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    with psycopg.connect(database_url, connect_timeout=10) as connection:
        rows = connection.execute(
            "SELECT customer_id, product_id FROM favorites_favorite WHERE customer_id = ANY(%s)",
            [customer_ids],
        )
        for customer_id, product_id in rows:
            found[customer_id].add(product_id)
    return found


def run(args) -> dict:
    stack.recreate_database(args.database_url)
    workdir = Path(tempfile.mkdtemp(prefix="suites-soak-"))
    redis_server = stack.RedisServer()
    catalog = stack.MockCatalog()
    server = None
    try:
        redis_server.start()
        catalog.start()
        env = stack.server_env(
            database_url=args.database_url,
            cache_url=redis_server.url,
            catalog_url=catalog.base_url,
            # Logins are 5 % of the traffic, all from 127.0.0.1: the per-address limits
            # would answer most of them 429, so they are lifted for the soak.
            LOGIN_THROTTLE_RATE="1000000/min",
            REGISTER_THROTTLE_RATE="1000000/min",
        )
        stack.migrate(env)
        server = stack.Gunicorn(env, log_path=workdir / "gunicorn.log")
        server.start()
        customers = sign_up(server, args.customers, args.threads)
        products = [record["id"] for record in load_records()]

        print(
            f"soak: {args.seconds:g} s, {args.threads} client threads, {args.customers} "
            f"customers, gunicorn {server.workers} workers on {server.url}",
            flush=True,
        )
        started = time.monotonic()
        deadline = started + args.seconds
        baseline_at = min(60.0, args.seconds / 3)
        sampler = RssSampler(server, started, deadline)
        sampler.start()
        tallies = [Tally() for _ in range(args.threads)]
        threads = [
            threading.Thread(
                target=client,
                args=(
                    server,
                    customers[n :: args.threads],
                    products,
                    deadline,
                    args.pause,
                    args.seed + n,
                    tallies[n],
                ),
            )
            for n in range(args.threads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + 120)
        elapsed = time.monotonic() - started
        sampler.join(RSS_SAMPLE_SECONDS * 2)
        sampler.sample()
        workers_at_end = server.worker_pids()
        stored = database_favorites(args.database_url, [c.id for c in customers])
        tracebacks = server.log_text().count("Traceback (most recent call last)")
    finally:
        for process in (server, catalog, redis_server):
            if process is not None:
                process.close()

    statuses: Counter = Counter()
    latencies: dict[str, list[float]] = defaultdict(list)
    unexpected: list[str] = []
    for tally in tallies:
        statuses.update(tally.statuses)
        for kind, values in tally.latencies.items():
            latencies[kind].extend(values)
        unexpected.extend(tally.unexpected)
    mismatched = {
        c.email: {
            "acknowledged_not_stored": sorted(c.favorites - stored.get(c.id, set())),
            "stored_not_acknowledged": sorted(stored.get(c.id, set()) - c.favorites),
        }
        for c in customers
        if stored.get(c.id, set()) != c.favorites
    }
    first = sampler.at(baseline_at)
    last = sampler.samples[-1][1]
    growth = {
        pid: (last[pid] - first[pid]) / first[pid] for pid in first if pid in last and first[pid]
    }
    return {
        "seconds": round(elapsed, 1),
        "threads": args.threads,
        "customers": args.customers,
        "requests": sum(statuses.values()),
        "requests_per_second": round(sum(statuses.values()) / elapsed, 1),
        "by_kind": {
            kind: {
                "requests": len(values),
                "p50_ms": round(percentile(values, 0.50) * 1000, 1),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
                "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            }
            for kind, values in sorted(latencies.items())
        },
        "statuses": {
            f"{kind} {status}": count for (kind, status), count in sorted(statuses.items())
        },
        "server_errors": sum(count for (_, status), count in statuses.items() if status >= 500),
        "unanswered": sum(count for (_, status), count in statuses.items() if status == 0),
        "unexpected": unexpected,
        "favorites_acknowledged_at_end": sum(len(c.favorites) for c in customers),
        "favorites_mismatched": mismatched,
        "tracebacks_in_log": tracebacks,
        "workers_replaced": sorted(sampler.pids_seen - set(workers_at_end)),
        "rss_kib_at_baseline": {str(pid): kib for pid, kib in first.items()},
        "rss_baseline_at_seconds": round(baseline_at, 1),
        "rss_kib_at_end": {str(pid): kib for pid, kib in last.items()},
        "rss_growth_percent": {str(pid): round(share * 100, 2) for pid, share in growth.items()},
        "server_log": str(workdir / "gunicorn.log"),
    }


def failures(figures: dict) -> list[str]:
    found = []
    if figures["server_errors"]:
        found.append(f"{figures['server_errors']} responses were 5xx")
    if figures["unanswered"]:
        found.append(f"{figures['unanswered']} requests got no answer")
    if figures["unexpected"]:
        found.append(f"unexpected answers, e.g. {figures['unexpected'][:3]}")
    if figures["favorites_mismatched"]:
        found.append(f"the database disagrees with the replies: {figures['favorites_mismatched']}")
    if figures["tracebacks_in_log"]:
        found.append(f"{figures['tracebacks_in_log']} tracebacks in {figures['server_log']}")
    if figures["workers_replaced"]:
        found.append(f"workers were replaced: {figures['workers_replaced']}")
    grown = {
        pid: p for pid, p in figures["rss_growth_percent"].items() if p >= 100 * RSS_GROWTH_LIMIT
    }
    if grown or not figures["rss_growth_percent"]:
        found.append(f"worker RSS grew {RSS_GROWTH_LIMIT:.0%} or more (or was not read): {grown}")
    return found


def main(argv=None) -> None:
    args = parse_args(argv)
    figures = run(args)
    print(json.dumps(figures, indent=2))
    if args.report:
        args.report.write_text(json.dumps(figures, indent=2) + "\n")
    found = failures(figures)
    if found:
        print("soak FAILED:\n- " + "\n- ".join(found), file=sys.stderr)
        raise SystemExit(1)
    shutil.rmtree(Path(figures["server_log"]).parent, ignore_errors=True)
    print(
        f"soak: OK: {figures['requests']} requests in {figures['seconds']} s, no error; "
        f"worker RSS growth after {figures['rss_baseline_at_seconds']} s: "
        f"{figures['rss_growth_percent']} %"
    )


if __name__ == "__main__":
    main()
