"""`make bench`: the favorites service under load, beside the floor and the design it replaced.

    .venv/bin/python bench/run.py [--duration 10] [--rounds 3] [--customers 200]
    .venv/bin/python bench/run.py --smoke        # a few seconds, 20 customers: CI's check

It recreates a PostgreSQL database (BENCH_DATABASE_URL, default .../favorites_bench; its name
must contain "bench"), migrates it, and COPYs customers (one real password hash) and their
favorites (products of the bundled demo catalog, the ids the mock catalog serves). Then, on
127.0.0.1 ports of their own: the mock catalog, the API as production runs it (`gunicorn
favorites_project.wsgi:application -w 2` from the repository's root, so gunicorn.conf.py
applies; DEBUG off, Redis cache, the mock catalog), the floor (bench/floor/: a bare Django view
on a copy of the same rows, one raw query, no auth; gunicorn, 2 sync workers) and the reference
(bench/reference/: FastAPI + SQLAlchemy + Pydantic + PyJWT, uvicorn, 2 workers) when
requirements/bench.lock is installed.

Scenarios, `wrk -t2 -c32` for --duration seconds per round, --rounds rounds interleaved
between the servers, medians reported:

  list         GET customers/{id}/favorites/, each customer with its own token; floor; reference
  conditional  the same with each list's current ETag in If-None-Match (a 304 is a good answer)
  write        POST customers/{id}/favorites/ then DELETE .../{product_id}/ over a cycle of
               (customer, product) pairs never in flight twice; catalog cache warm
  hang         the list while the mock catalog hangs and a few adds keep calling it
  lookup       POST customers/{id}/favorites/lookup/ with 200 ids at 8 connections

A response is an error unless it is a 2xx page with the customer's real count (or a 304 in the
conditional scenario, a 201/204 in the write one). Figures: req/s, p50, p99, errors, PostgreSQL
transactions per request, the API workers' memory. The table goes to stdout, the figures to
bench/results/latest.json and the table into docs/performance.md (not with --smoke). The
databases are dropped at the end (--keep keeps them). Exit status: 0, or 1 when a request
to the API or the floor failed (the reference's own errors are reported), or 2 when the harness
itself could not run; never a timing.
"""

import argparse
import contextlib
import itertools
import json
import os
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.harness import BENCH_DIR, BIN, REPO_ROOT, HarnessError, log

PAGE_SIZE = 20
WRK_TIMEOUT = "2 s"  # wrk's default, as in the team's harness
LIST_PATH = "/api/v1/customers/{}/favorites/"
DOC_PATH = REPO_ROOT / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- bench:start -->", "<!-- bench:end -->"
DOC_INTRO = """# Performance

How fast the favorites service answers, measured by `make bench` (bench/run.py) on one machine,
in one run, beside two baselines serving the same rows: the floor (bench/floor/: a bare Django
view, one raw query, no authentication) and the design this project replaced (bench/reference/:
FastAPI + SQLAlchemy + Pydantic + PyJWT under uvicorn). Compare ratios from one run, not
absolute figures across runs: the machine is shared and noisy.

`make bench` takes about eight minutes with its defaults (`BENCH_ARGS="--duration 10 --rounds
3"`); it recreates the database `BENCH_DATABASE_URL` (default `favorites_bench`) and flushes the
Redis database `BENCH_CACHE_URL` (default 8). It serves the working tree; `BENCH_ARGS="--ref
HEAD"` serves a commit's export instead, so edits made meanwhile cannot change what it measures.
bench/results/latest.json holds every round's figures. The part between the markers is rewritten
by every full run.
"""
BACKGROUND_ADD_THREADS = 4
BACKGROUND_ADD_INTERVAL = 0.25  # seconds between one background thread's adds, at least
RSS_LIMIT_MIB = 120
RSS_GROWTH_LIMIT = 0.05


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--favorites", type=int, default=20, help="per customer")
    parser.add_argument(
        "--warmup",
        type=float,
        help="seconds of load per server before the list, and before the lookup (default: "
        "duration)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=10.5,
        help="quiet seconds before reading PostgreSQL's counters (its backends publish them "
        "within 10 s of going idle); 0 gives approximate SQL/request figures",
    )
    parser.add_argument(
        "--soak",
        type=float,
        default=120,
        help="seconds of mixed load (list, write, lookup in turn) after the scenarios, over "
        "which the workers' RSS must not grow; 0: none",
    )
    parser.add_argument("--smoke", action="store_true", help="CI's check: small and short")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--no-hang", action="store_true")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", harness.DEFAULT_DATABASE_URL),
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", harness.DEFAULT_CACHE_URL),
        help="the API's Redis database, flushed at the start",
    )
    parser.add_argument("--output", type=Path, help="default: bench/results/latest.json")
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    parser.add_argument(
        "--ref",
        metavar="REVISION",
        help="serve a commit (exported from git) instead of the working tree, e.g. HEAD",
    )
    args = parser.parse_args()
    if args.smoke:
        args.duration, args.rounds, args.customers = 2, 1, min(args.customers, 20)
        args.no_reference = args.no_hang = True
        args.soak = 0
        args.warmup = 1 if args.warmup is None else args.warmup
        args.settle = 0
    if args.warmup is None:
        args.warmup = args.duration
    if not 1 <= args.duration <= 300 or not 1 <= args.rounds <= 20:
        parser.error("--duration is 1..300 seconds and --rounds 1..20")
    if not 4 <= args.customers <= 100_000 or not 1 <= args.favorites <= 500:
        parser.error("--customers is 4..100000 and --favorites 1..500")
    if not args.smoke and args.output is None:
        args.output = harness.RESULTS_DIR / "latest.json"
    return args


class Bench:
    def __init__(self, args: argparse.Namespace, stack: harness.Stack):
        self.args = args
        self.stack = stack
        self.work = stack.workdir
        self.db_url = harness.checked_database_url(args.database_url)
        self.baseline_url = harness.with_database(
            self.db_url, harness.database_name(self.db_url) + "_baseline"
        )
        self.secret = "bench-only-secret-" + secrets.token_hex(24)
        self.ports = {name: harness.free_port() for name in ("api", "mock", "floor", "ref")}
        self.results: dict = {"scenarios": {}, "notes": []}
        self.errors = 0
        if args.ref:
            harness.use_revision(args.ref, self.work)
        self.with_reference = not args.no_reference and all(
            find_spec(name) for name in ("fastapi", "sqlalchemy", "uvicorn", "jwt")
        )
        if not args.no_reference and not self.with_reference:
            self.note("reference skipped: requirements/bench.lock is not installed")

    def note(self, text: str) -> None:
        log(text)
        self.results["notes"].append(text)

    def url(self, server: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[server]}{path}"

    # -- setting up ------------------------------------------------------------------------

    def env(self) -> dict:
        return harness.api_env(
            database_url=self.db_url,
            secret_key=self.secret,
            cache_url=self.args.cache_url,
            catalog_url=self.url("mock"),
            workdir=self.work,
        )

    def seed(self) -> None:
        import psycopg

        args = self.args
        started = time.monotonic()
        log(f"recreating {harness.database_name(self.db_url)} and migrating")
        harness.recreate_database(self.db_url)
        harness.migrate(self.env())
        harness.setup_django(self.env())
        products = harness.catalog_products()
        if len(products) < 3000:
            raise HarnessError(f"the demo catalog has {len(products)} products; 3000 expected")
        self.rows = harness.FavoriteRows(products)
        with psycopg.connect(self.db_url) as connection:
            self.list_ids = harness.copy_customers(connection, args.customers, prefix="list")
            self.writer_ids = harness.copy_customers(connection, args.customers, prefix="writer")
            self.warm_id, self.hang_id = harness.copy_customers(connection, 2, prefix="extra")
            owners = self.list_ids + self.writer_ids
            # Added over time as real lists grow: round j gives every customer its j-th favorite,
            # customers in a shuffled order, so no list sits in one block of the table.
            order = harness.shuffled(range(len(owners)), seed=7)

            def favorites():
                serial = itertools.count()
                for j in range(args.favorites):
                    for n in order:
                        yield owners[n], self.favorite_index(n, j), next(serial)

            self.rows.copy(connection, favorites(), len(owners) * args.favorites, "favorites")
            connection.execute("ANALYZE")
            connection.commit()
        self.tokens = harness.access_tokens([*owners, self.warm_id, self.hang_id])
        # The floor and the reference read an identical copy: the API's database then counts
        # only the API's transactions.
        harness.recreate_database(self.baseline_url, template=harness.database_name(self.db_url))
        self.make_files()
        self.results["seed_seconds"] = round(time.monotonic() - started, 1)
        log(f"seeded in {self.results['seed_seconds']} s")

    def favorite_index(self, owner_number: int, j: int) -> int:
        """The catalog index of an owner's j-th seeded favorite (indexes 0-999)."""
        return (owner_number * 7 + j) % 1000

    def make_files(self) -> None:
        products = self.rows.products
        self.files = {}

        def write(name: str, lines: list[str]) -> None:
            path = self.work / name
            path.write_text("".join(lines))
            self.files[name] = str(path)

        write(
            "api.txt",
            [f"{LIST_PATH.format(cid)}\t{self.tokens[cid]}\n" for cid in self.list_ids],
        )
        write("floor.txt", [f"/favorites/{cid}/\t\n" for cid in self.list_ids])
        # Write pairs: products 1000-1399 (never seeded), 20 per writer, pair g = j * W + w.
        writers = len(self.writer_ids)
        pool = max(20, min(400, writers * 20 // 10))
        self.write_products = [products[1000 + n].id for n in range(pool)]
        self.write_pairs = [
            (cid, products[1000 + (w * 20 + j) % pool].id)
            for j in range(20)
            for w, cid in enumerate(self.writer_ids)
        ]
        write(
            "write.txt",
            [f"{LIST_PATH.format(c)}\t{self.tokens[c]}\t{p}\n" for c, p in self.write_pairs],
        )
        # Lookup bodies: each list customer's favorites among 200 ids (the rest never seeded).
        lines = []
        for n, cid in enumerate(self.list_ids):
            own = [products[self.favorite_index(n, j)].id for j in range(self.args.favorites)]
            others = [products[1400 + (n + k) % 600].id for k in range(200 - len(own))]
            ids = harness.shuffled([*own, *others][:200], seed=n)
            body = json.dumps({"product_ids": ids}, separators=(",", ":"))
            lines.append(f"{LIST_PATH.format(cid)}lookup/\t{self.tokens[cid]}\t{body}\n")
        write("lookup.txt", lines)
        self.hang_products = [products[n].id for n in range(2000, 3000)]

    def start_servers(self) -> None:
        env = self.env()
        gunicorn = str(BIN / "gunicorn")
        bind = {name: ["-b", f"127.0.0.1:{port}"] for name, port in self.ports.items()}
        mock = self.stack.start(
            "mock-catalog",
            [gunicorn, "catalog.mock_server:app", "-w", "1", "-k", "gthread", "--threads", "32"]
            + bind["mock"],
            cwd=harness.APP_ROOT,
            env={**env, "PROMETHEUS_MULTIPROC_DIR": ""},
        )
        self.api = harness.start_api(self.stack, env, self.ports["api"])
        floor_env = {**env, "DATABASE_URL": self.baseline_url}
        floor = self.stack.start(
            "floor",
            [gunicorn, "floorapp:application", "-w", "2"] + bind["floor"],
            cwd=BENCH_DIR / "floor",
            env=floor_env,
        )
        ref = None
        if self.with_reference:
            uvicorn = [str(BIN / "uvicorn"), "app:app", "--workers", "2", "--loop", "uvloop"]
            options = ["--http", "httptools", "--no-access-log", "--log-level", "warning"]
            address = ["--host", "127.0.0.1", "--port", str(self.ports["ref"])]
            ref = self.stack.start(
                "reference",
                uvicorn + options + address,
                cwd=BENCH_DIR / "reference",
                env=floor_env,
            )
        mock.wait_ready(self.url("mock", "/health"))
        self.api.wait_ready(self.url("api", "/health/live"))
        first = self.list_ids[0]
        floor.wait_ready(self.url("floor", f"/favorites/{first}/"))
        if ref:
            ref.wait_ready(
                self.url("ref", LIST_PATH.format(first)),
                headers={"Authorization": f"Bearer {self.tokens[first]}"},
            )
        self.servers = {"api": self.api, "floor": floor, "ref": ref, "mock": mock}
        self.preflight()

    def preflight(self) -> None:
        """Every list answers with the customer's real page before any load."""
        expected = self.args.favorites

        def check(cid: int) -> str | None:
            status, _, body = harness.http(
                "GET", self.url("api", LIST_PATH.format(cid)), token=self.tokens[cid]
            )
            if status != 200:
                return f"customer {cid}: {status} {body[:300]!r}"
            page = json.loads(body)
            if page.get("count") != expected or len(page["results"]) != min(PAGE_SIZE, expected):
                return f"customer {cid}: count {page.get('count')}, {len(page['results'])} rows"
            return None

        with ThreadPoolExecutor(8) as pool:
            problems = [p for p in pool.map(check, self.list_ids) if p]
        if problems:
            raise HarnessError(
                f"{len(problems)} lists are not the seeded pages, e.g. {problems[:3]}\n"
                f"api log:\n{self.api.log_tail()}"
            )

    # -- measuring -------------------------------------------------------------------------

    def load(self, server: str, script: str, env: dict, *, connections: int = 32, duration=None):
        return harness.wrk(
            self.url(server),
            script,
            duration=duration or self.args.duration,
            connections=connections,
            env=env,
        )

    def list_load(self, server: str, **kwargs) -> harness.Load:
        name = "floor.txt" if server == "floor" else "api.txt"
        expect = min(PAGE_SIZE, self.args.favorites) if server == "floor" else self.args.favorites
        env = {"ROTATE_FILE": self.files[name], "EXPECT_COUNT": str(expect)}
        return self.load(server, "rotate.lua", env, **kwargs)

    def settle(self) -> None:
        if self.args.settle > 0:
            time.sleep(self.args.settle)

    def scenario(self, name: str, runs: dict, *, extra_requests=None, own_transactions=None):
        """Interleave the named runs for --rounds rounds; medians, errors, SQL per request."""
        self.settle()
        before = harness.transactions(self.db_url)
        rounds: dict[str, list[harness.Load]] = {label: [] for label in runs}
        for number in range(self.args.rounds):
            for label, run in runs.items():
                load = run()
                rounds[label].append(load)
                log(
                    f"{name} round {number + 1} {label}: {load.rps:.0f} req/s, "
                    f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, errors {load.errors}"
                    + (
                        f" (e.g. {example[:160]})"
                        if (example := load.detail.get("wrong_answer_example"))
                        else ""
                    )
                )
        self.settle()
        counted = harness.transactions(self.db_url) - before - (own_transactions or (lambda: 0))()
        rss = self.sampler.sample()
        summary = {label: summarize(loads) for label, loads in rounds.items()}
        api_requests = (
            sum(
                load.requests
                for label, loads in rounds.items()
                if label.startswith("api")
                for load in loads
            )
            + (extra_requests or (lambda: 0))()
        )
        for label, figures in summary.items():
            if label == "ref":  # the baseline's own timeouts are reported, not ours to fail on
                if figures["errors"]:
                    timeouts = sum(r["timeouts"] for r in figures["rounds"])
                    self.note(
                        f"{name}: the reference had {figures['errors']} errors "
                        f"({timeouts} of them wrk's {WRK_TIMEOUT} timeouts)"
                    )
            else:
                self.errors += figures["errors"]
        result = {
            "servers": summary,
            "sql_per_request": round(counted / api_requests, 3) if api_requests else None,
            "sql_transactions": counted,
            "api_requests": api_requests,
            "rss_mib_after": {str(pid): harness.mib(kib) for pid, kib in rss.items()},
        }
        self.results["scenarios"][name] = result
        return result

    def run_list(self) -> None:
        servers = ["api", "floor"] + (["ref"] if self.with_reference else [])
        for server in servers:  # warm-up, not measured
            self.list_load(server, duration=self.args.warmup)
        self.scenario("list", {s: (lambda s=s: self.list_load(s)) for s in servers})

    def run_conditional(self) -> None:
        def etag(cid: int) -> str:
            status, headers, _ = harness.http(
                "GET", self.url("api", LIST_PATH.format(cid)), token=self.tokens[cid]
            )
            return headers.get("ETag", "") if status == 200 else ""

        with ThreadPoolExecutor(8) as pool:
            etags = list(pool.map(etag, self.list_ids))
        if not all(etags):
            self.note(f"conditional: {etags.count('')} lists gave no ETag (sent without one)")
        path = self.work / "api-etag.txt"
        path.write_text(
            "".join(
                f"{LIST_PATH.format(cid)}\t{self.tokens[cid]}\t{tag}\n"
                for cid, tag in zip(self.list_ids, etags, strict=True)
            )
        )
        env = {"ROTATE_FILE": str(path), "EXPECT_COUNT": str(self.args.favorites)}
        self.scenario(
            "conditional",
            {
                "api": lambda: self.load("api", "rotate.lua", env),
                "floor": lambda: self.list_load("floor"),
            },
        )

    def warm_catalog_cache(self) -> int:
        """Add and remove every write product once (a customer of its own): the catalog cache
        is then warm for all of them. Returns the number of requests."""
        cid, token = self.warm_id, self.tokens[self.warm_id]

        def add_remove(product_id: str) -> str | None:
            base = self.url("api", LIST_PATH.format(cid))
            added = harness.http("POST", base, body={"product_id": product_id}, token=token)
            removed = harness.http("DELETE", f"{base}{product_id}/", token=token)
            if added[0] != 201 or removed[0] != 204:
                return f"{product_id}: add {added[0]} {added[2][:200]!r}, delete {removed[0]}"
            return None

        with ThreadPoolExecutor(8) as pool:
            problems = [p for p in pool.map(add_remove, self.write_products) if p]
        if problems:
            raise HarnessError(f"warming the catalog cache failed: {problems[:3]}")
        return 2 * len(self.write_products)

    def reset_write_pairs(self, connection) -> None:
        """The state write.lua starts from: in each thread's share of the pairs, the first half
        present and the rest absent. One transaction, then a vacuum of the table."""
        from favorites.models import Favorite

        threads = harness.WRK_THREADS
        present = []
        for t in range(threads):
            share = self.write_pairs[t::threads]
            present += share[: len(share) // 2]
        index = {p.id: n for n, p in enumerate(self.rows.products)}
        lines = "".join(
            self.rows.line(cid, index[product], serial)
            for serial, (cid, product) in enumerate(present)
        )
        table = Favorite._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {table} WHERE customer_id = ANY(%s) AND product_id = ANY(%s)",
                [self.writer_ids, self.write_products],
            )
            statement = f"COPY {table} ({', '.join(self.rows.columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                copy.write(lines)
        connection.commit()
        # The pairs leave a dead row for every write. Production's autovacuum clears them as
        # they come; a PostgreSQL running without it (this machine's: `machine` in the
        # results) piles them up, and every later round's writes (and lists) scanned more
        # of them: one run's three write rounds fell from 1,020 to 895 req/s. So the
        # table is vacuumed between rounds, outside their time.
        connection.autocommit = True
        try:
            connection.execute(f"VACUUM (ANALYZE) {table}")
        finally:
            connection.autocommit = False

    def run_write(self) -> None:
        import psycopg

        counts = {"resets": 0, "warm_requests": self.warm_catalog_cache()}
        with psycopg.connect(self.db_url) as connection:

            def write_round() -> harness.Load:
                self.reset_write_pairs(connection)
                counts["resets"] += 1
                return self.load("api", "write.lua", {"WRITE_FILE": self.files["write.txt"]})

            self.scenario(
                "write",
                {"api": write_round, "floor": lambda: self.list_load("floor")},
                extra_requests=lambda: counts["warm_requests"],
                own_transactions=lambda: counts["resets"],
            )
        self.results["scenarios"]["write"]["pairs"] = len(self.write_pairs)

    def run_hang(self) -> None:
        statuses: Counter = Counter()
        lock = threading.Lock()
        numbers = itertools.count()
        token = self.tokens[self.hang_id]
        base = self.url("api", LIST_PATH.format(self.hang_id))

        def add_in_background(stop: threading.Event) -> None:
            while not stop.is_set():
                started = time.monotonic()
                product = self.hang_products[next(numbers) % len(self.hang_products)]
                try:
                    status = harness.http("POST", base, body={"product_id": product}, token=token)[
                        0
                    ]
                except OSError:
                    status = 0
                with lock:
                    statuses[status] += 1
                stop.wait(max(0.0, BACKGROUND_ADD_INTERVAL - (time.monotonic() - started)))

        def faults(method: str, body=None) -> None:
            status = harness.http(method, self.url("mock", "/__faults__"), body=body)[0]
            if status not in (200, 204):
                raise HarnessError(f"the mock catalog's {method} /__faults__ answered {status}")

        def hung() -> harness.Load:
            faults("PUT", {"hang": True})
            finish = harness.bounded_pool(add_in_background, BACKGROUND_ADD_THREADS)
            try:
                return self.list_load("api")
            finally:
                finish()
                faults("DELETE")

        try:
            self.scenario(
                "hang",
                {"api": lambda: self.list_load("api"), "api (catalog hung)": hung},
                extra_requests=lambda: sum(statuses.values()),
            )
        finally:
            with contextlib.suppress(Exception):
                faults("DELETE")
        self.results["scenarios"]["hang"]["background_adds"] = {
            str(status): count for status, count in sorted(statuses.items())
        }

    def run_lookup(self) -> None:
        first = self.list_ids[0]
        body = json.loads(Path(self.files["lookup.txt"]).read_text().split("\n")[0].split("\t")[2])
        status, _, answer = harness.http(
            "POST",
            self.url("api", f"{LIST_PATH.format(first)}lookup/"),
            body=body,
            token=self.tokens[first],
        )
        # Every asked id answered, and exactly the customer's own favorites found.
        found = json.loads(answer).get("favorites", {}) if status == 200 else {}
        saved = sum(entry is not None for entry in found.values())
        if len(found) != len(set(body["product_ids"])) or saved != self.args.favorites:
            self.errors += 1
            self.note(f"lookup: the probe answered {status}: {answer[:300]!r}")
        env = {"LOOKUP_FILE": self.files["lookup.txt"]}
        # Warmed as the list is, so that its rounds measure the path in use, not its first
        # requests on each thread's connection.
        self.load("api", "lookup.lua", env, connections=8, duration=self.args.warmup)
        self.scenario("lookup", {"api": lambda: self.load("api", "lookup.lua", env, connections=8)})

    def run_soak(self) -> None:
        """The service's mixed load, a list, a write and a lookup round in turn, for --soak
        seconds once every scenario has run: the memory target's measure (the workers' RSS
        must not grow under a load whose every path is already warm). Its loads count for
        errors, not in the table."""
        import psycopg

        started = time.monotonic()
        rounds = Counter()
        with psycopg.connect(self.db_url) as connection:
            while time.monotonic() - started < self.args.soak:
                self.reset_write_pairs(connection)
                loads = {
                    "list": self.list_load("api"),
                    "write": self.load("api", "write.lua", {"WRITE_FILE": self.files["write.txt"]}),
                    "lookup": self.load(
                        "api",
                        "lookup.lua",
                        {"LOOKUP_FILE": self.files["lookup.txt"]},
                        connections=8,
                    ),
                }
                for name, load in loads.items():
                    rounds[name] += 1
                    self.errors += load.errors
                    if load.errors:
                        kinds = {k: v for k, v in load.detail.items() if v and k != "s2xx"}
                        self.note(f"soak: {load.errors} {name} requests failed: {kinds}")
        elapsed = round(time.monotonic() - started)
        log(f"soak: {dict(rounds)} rounds in {elapsed} s")
        self.results["soak"] = {"seconds": elapsed, "rounds": dict(rounds)}

    def run(self) -> dict:
        args = self.args
        self.results.update(
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            command=" ".join(["bench/run.py", *sys.argv[1:]]),
            settings={
                "duration_s": args.duration,
                "rounds": args.rounds,
                "warmup_s": args.warmup,
                "settle_s": args.settle,
                "customers": args.customers,
                "favorites_per_customer": args.favorites,
                "wrk": f"-t{harness.WRK_THREADS} -c32 (lookup: -c8)",
                "api": "gunicorn favorites_project.wsgi:application -w 2 (gunicorn.conf.py)",
            },
            machine=harness.machine(self.db_url),
            git=harness.git_commit(),
        )
        self.seed()
        self.start_servers()
        self.sampler = harness.RssSampler(self.api.pid)
        self.sampler.start()
        self.run_list()
        first_scenario_at = self.sampler.samples[-1][0]
        self.run_conditional()
        self.run_write()
        if not args.no_hang:
            self.run_hang()
        self.run_lookup()
        self.sampler.sample()
        soak_started_at = self.sampler.samples[-1][0]
        if args.soak > 0:
            self.run_soak()
        self.sampler.stop()
        self.results["rss"] = self.memory(
            soak_started_at if args.soak > 0 else first_scenario_at, soaked=args.soak > 0
        )
        self.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.results["targets"] = targets(self.results)
        self.results["errors"] = self.errors
        return self.results

    def memory(self, baseline_time: float, *, soaked: bool) -> dict:
        """Each worker's VmRSS at the start of the soak (every path of the service has run
        by then), or after the first scenario when there is none, and at the end."""
        end_at, end = self.sampler.samples[-1]
        baseline_at, baseline = self.sampler.at(baseline_time)
        first_minute_at, first_minute = self.sampler.at(60.0)

        def growth_from(start: dict) -> dict:
            return {
                str(pid): round((end[pid] - kib) / kib, 4)
                for pid, kib in start.items()
                if pid in end
            }

        growth = growth_from(baseline)
        return {
            "soaked": soaked,
            # For comparison with runs before the soak: growth from the list's first minute.
            "growth_since_first_minute": growth_from(first_minute),
            "first_minute_at_s": round(first_minute_at, 1),
            "baseline_at_s": round(baseline_at, 1),
            "end_at_s": round(end_at, 1),
            "mib_at_baseline": {str(p): harness.mib(k) for p, k in baseline.items()},
            "mib_at_end": {str(p): harness.mib(k) for p, k in end.items()},
            "pss_mib_at_end": {str(p): harness.mib(harness.pss_kib(p)) for p in end},
            "growth": growth,
            "samples": [
                [round(t, 1), {str(p): harness.mib(k) for p, k in rss.items()}]
                for t, rss in self.sampler.samples
            ],
        }


def summarize(loads: list[harness.Load]) -> dict:
    return {
        "rps": round(statistics.median(load.rps for load in loads), 1),
        "p50_ms": round(statistics.median(load.p50_ms for load in loads), 2),
        "p99_ms": round(statistics.median(load.p99_ms for load in loads), 2),
        "errors": sum(load.errors for load in loads),
        "requests": sum(load.requests for load in loads),
        "rounds": [load.as_dict() for load in loads],
    }


def targets(results: dict) -> list[dict]:
    """Issue 7's targets (and issue 10's lookup target) against this run's figures."""
    found = []
    scenarios = results["scenarios"]

    def figure(scenario: str, server: str, key: str = "rps"):
        return scenarios.get(scenario, {}).get("servers", {}).get(server, {}).get(key)

    def add(name: str, value, goal: float, compare: str, unit: str = "") -> None:
        if value is None:
            return
        ok = {">=": value >= goal, "<": value < goal, "<=": value <= goal, "==": value == goal}
        found.append(
            {
                "target": name,
                "value": value,
                "goal": f"{compare} {goal:g}{unit}",
                "pass": ok[compare],
            }
        )

    def ratio(a, b):
        return round(a / b, 2) if a is not None and b else None

    add("list / floor", ratio(figure("list", "api"), figure("list", "floor")), 0.75, ">=", "x")
    add("list / reference", ratio(figure("list", "api"), figure("list", "ref")), 3, ">=", "x")
    add("list p99", figure("list", "api", "p99_ms"), 50, "<", " ms")
    add("list errors", figure("list", "api", "errors"), 0, "==")
    add(
        "conditional / floor",
        ratio(figure("conditional", "api"), figure("conditional", "floor")),
        1.0,
        ">=",
        "x",
    )
    add(
        "write / floor list",
        ratio(figure("write", "api"), figure("write", "floor")),
        0.5,
        ">=",
        "x",
    )
    add(
        "list while the catalog hangs / unfaulted",
        ratio(figure("hang", "api (catalog hung)"), figure("hang", "api")),
        0.95,
        ">=",
        "x",
    )
    add("lookup p99 at 8 connections", figure("lookup", "api", "p99_ms"), 20, "<", " ms")
    rss = results.get("rss", {})
    if rss.get("mib_at_end"):
        add(
            "worker RSS at the end (largest)",
            max(rss["mib_at_end"].values()),
            RSS_LIMIT_MIB,
            "<",
            " MB",
        )
    if rss.get("growth"):
        span = f"{rss['baseline_at_s']:.0f}-{rss['end_at_s']:.0f} s"
        add(
            f"worker RSS growth over the soak, {span} (largest)"
            if rss.get("soaked")
            else f"worker RSS growth since {rss['baseline_at_s']:.0f} s (largest)",
            round(max(rss["growth"].values()) * 100, 1),
            RSS_GROWTH_LIMIT * 100,
            "<=",
            " %",
        )
    return found


# -- reporting -------------------------------------------------------------------------------

SERVER_NAMES = {"api": "api", "floor": "floor", "ref": "reference"}


def table_rows(results: dict) -> list[list]:
    rows = []
    for name, scenario in results["scenarios"].items():
        if "skipped" in scenario:
            rows.append([name, "—", "skipped", "", "", "", "", "", scenario["skipped"]])
            continue
        rss = scenario["rss_mib_after"]
        rss_text = f"{sum(rss.values()):.0f} ({' + '.join(f'{v:.0f}' for v in rss.values())})"
        for server, figures in scenario["servers"].items():
            api = server.startswith("api")
            rows.append(
                [
                    name,
                    SERVER_NAMES.get(server, server),
                    f"{figures['rps']:,.0f}",
                    f"{figures['p50_ms']:.1f}",
                    f"{figures['p99_ms']:.1f}",
                    figures["errors"],
                    f"{scenario['sql_per_request']:.2f}"
                    if api and scenario["sql_per_request"] is not None
                    else "",
                    rss_text if api else "",
                    "",
                ]
            )
            rss_text = ""
    return rows


TABLE_HEADER = [
    "scenario",
    "server",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "SQL/req",
    "API RSS MB",
    "note",
]


def targets_rows(results: dict, fail: str = "**fail**") -> list[list]:
    return [
        [t["target"], t["value"], t["goal"], "pass" if t["pass"] else fail]
        for t in results["targets"]
    ]


def text_table(header: list[str], rows: list[list]) -> str:
    cells = [header, *[[("" if v is None else str(v)) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(results: dict) -> str:
    m = results["machine"]
    s = results["settings"]
    git = results["git"]
    settle = (
        f"after {s['settle_s']:g} s of quiet at each end"
        if s["settle_s"]
        else "without a settle (approximate)"
    )
    dirty = " with uncommitted changes" if git["uncommitted_changes"] else ""
    if git.get("served_from") == "export":
        dirty = " (served from its export, not the working tree)"
    lines = [
        f"Run {results['started_at']} on {m['cores']} cores ({m['cpu']}), "
        f"{m['memory_gib']} GiB, PostgreSQL {m['postgresql']} (autovacuum "
        f"{m.get('postgresql_autovacuum') or 'unknown'}; the write rounds' table is vacuumed "
        f"between them), Python {m['python']}; "
        f"commit {git['commit']}{dirty}.",
        "",
        f"Command: `make bench` (`{results['command']}`): {s['customers']} customers x "
        f"{s['favorites_per_customer']} favorites, wrk {s['wrk']}, {s['rounds']} interleaved "
        f"rounds of {s['duration_s']:g} s per server (medians), {s['warmup_s']:g} s warm-up each.",
        "",
        harness.markdown_table(TABLE_HEADER, table_rows(results)),
        "",
        harness.markdown_table(
            ["target (issues 7, 10)", "measured", "goal", ""], targets_rows(results)
        ),
        "",
        "- **SQL/req**: PostgreSQL transactions (`pg_stat_database` xact_commit + xact_rollback) "
        f"of the API's own database over the scenario, read {settle}, divided by the API's "
        "requests in it (the floor and the reference read an identical copy, so they do not "
        "count). The API runs in autocommit, so each query is one transaction; a write's "
        "atomic block counts once.",
        "- **API RSS MB**: VmRSS of the two gunicorn workers after the scenario, sum (each). "
        f"RSS growth compares each worker at {results['rss']['baseline_at_s']:.0f} s, "
        + (
            "when every scenario has run, with the end of the soak that follows "
            "(a list, a write and a lookup round in turn), "
            if results["rss"].get("soaked")
            else ""
        )
        + f"at {results['rss']['end_at_s']:.0f} s"
        + (
            f" (from {results['rss']['first_minute_at_s']:.0f} s, the list's first minute, "
            f"the largest growth was "
            f"{max(results['rss']['growth_since_first_minute'].values()) * 100:.1f} %)."
            if results["rss"].get("growth_since_first_minute")
            else "."
        ),
        "- A response is an error unless it is a 2xx page with the customer's real count, a 304 "
        "for a current ETag (conditional), a 201 or 204 (write), a 200 lookup.",
    ]
    lines += [f"- {note}" for note in results["notes"]]
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    databases = []
    try:
        with harness.Stack() as stack:
            bench = Bench(args, stack)
            databases = [bench.db_url, bench.baseline_url]
            results = bench.run()
    except HarnessError as error:
        log(f"harness error: {error}")
        return 2
    except KeyboardInterrupt:
        log("interrupted")
        return 2
    finally:
        if not args.keep:
            for url in databases:
                with contextlib.suppress(Exception):
                    harness.drop_database(url)
    print()
    print(text_table(TABLE_HEADER, table_rows(results)))
    print()
    print("Targets (figures only: the exit status never depends on them):")
    print(text_table(["target", "measured", "goal", ""], targets_rows(results, "FAIL")))
    for note in results["notes"]:
        print(f"note: {note}")
    if args.output:
        harness.write_json(args.output, results)
        log(f"wrote {args.output}")
    if not args.smoke:
        harness.write_between_markers(DOC_PATH, DOC_START, DOC_END, markdown(results), DOC_INTRO)
        log(f"wrote the table into {DOC_PATH.relative_to(REPO_ROOT)}")
    if results["errors"]:
        log(f"{results['errors']} requests failed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
