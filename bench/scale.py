"""`make bench-scale`: what the favorites list costs as the table grows (not run in CI).

    .venv/bin/python bench/scale.py [--sizes 1e5,1e6,1e7] [--duration 5]
    make bench-scale SIZES=1e5,1e6

One database (BENCH_SCALE_DATABASE_URL, default .../favorites_bench_scale; its name must contain
"bench") grows through the sizes in turn, by COPY in batches with a progress bar: a few customers
(--big-customers) with --big-favorites favorites each, and the rest with --per-customer each,
their rows interleaved as lists grow over time. For bulk loads the favorites table's secondary
indexes and constraints are dropped, and rebuilt from their own definitions after the COPY.

At each size, with the API running as production runs it (gunicorn, Redis):

- the list's page query, exactly as the view runs it (its SQL and parameters recorded from a
  request through the Django stack), under EXPLAIN (ANALYZE, BUFFERS) for an ordinary list and
  for the first and last page of a big one: it must read the table only through
  favorite_customer_recent and sort no more than a page of rows (what the issue's "index scan,
  no sort" guards against is a sort of the whole list; a sort of the page's own rows after a
  deferred join costs the same at any size; whether there is no Sort at all is recorded too);
- that query's p50 over many runs (random ordinary customers across the table);
- the endpoint's p50 at 8 connections (wrk -c8): ordinary lists, and the first and last page
  of the big ones;
- the table's and its indexes' sizes, and bytes per favorite.

Writes bench/results/scale.json and a table into docs/scaling.md. Exit status 0, 1 when a plan
is not the expected one or a request failed, 2 when the harness could not run.
"""

import argparse
import itertools
import json
import os
import random
import secrets
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.harness import REPO_ROOT, HarnessError, log

LIST_PATH = "/api/v1/customers/{}/favorites/"
PAGE_SIZE = 20
INDEX = "favorite_customer_recent"
DOC_PATH = REPO_ROOT / "docs" / "scaling.md"
DOC_START, DOC_END = "<!-- scale:start -->", "<!-- scale:end -->"
DOC_INTRO = "# Scaling\n"
BULK_ROWS = 200_000  # a COPY at least this large drops and rebuilds the secondary indexes


def sci(number: int) -> str:
    """1e5 as 10^5; anything that is not a power of ten with its thousands separated."""
    text = str(number)
    if text.startswith("1") and set(text[1:]) <= {"0"} and number >= 10:
        return f"10^{len(text) - 1}"
    return f"{number:,}"


def size_argument(text: str) -> list[int]:
    try:
        sizes = sorted({int(float(part)) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes like 1e5,1e6,1e7, not {text!r}") from None
    if not sizes or sizes[0] < 1000 or sizes[-1] > 50_000_000:
        raise argparse.ArgumentTypeError("each size is 1e3..5e7 favorites")
    return sizes


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=size_argument, default=size_argument("1e5,1e6,1e7"))
    parser.add_argument("--big-customers", type=int, default=5)
    parser.add_argument("--big-favorites", type=int, default=10_000)
    parser.add_argument("--per-customer", type=int, default=20, help="favorites of the others")
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk per endpoint")
    parser.add_argument("--query-runs", type=int, default=2000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_SCALE_DATABASE_URL",
            harness.with_database(harness.DEFAULT_DATABASE_URL, "favorites_bench_scale"),
        ),
    )
    parser.add_argument(
        "--cache-url", default=os.environ.get("BENCH_CACHE_URL", harness.DEFAULT_CACHE_URL)
    )
    parser.add_argument("--output", type=Path, default=harness.RESULTS_DIR / "scale.json")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/scaling.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument(
        "--ref",
        metavar="REVISION",
        help="serve a commit (exported from git) instead of the working tree, e.g. HEAD",
    )
    args = parser.parse_args()
    if args.big_customers * args.big_favorites > args.sizes[0]:
        parser.error("the smallest size must hold the big customers' favorites")
    if args.big_favorites < 2 * PAGE_SIZE or not 1 <= args.per_customer <= PAGE_SIZE:
        parser.error(f"--big-favorites is at least {2 * PAGE_SIZE}; --per-customer 1..{PAGE_SIZE}")
    if not 1 <= args.duration <= 120 or not 100 <= args.query_runs <= 100_000:
        parser.error("--duration is 1..120 s and --query-runs 100..100000")
    return args


class Indexes:
    """The favorites table's secondary indexes and constraints, dropped for a bulk COPY and
    rebuilt from the definitions PostgreSQL gave before the drop."""

    def __init__(self, connection, table: str):
        self.connection, self.table = connection, table
        self.constraints = connection.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
            [table],
        ).fetchall()
        self.indexes = connection.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = %s::regclass AND NOT x.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
            [table],
        ).fetchall()
        connection.commit()

    def drop(self) -> None:
        for name, _, _ in self.constraints:
            self.connection.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
        for name, _ in self.indexes:
            self.connection.execute(f'DROP INDEX "{name}"')
        self.connection.commit()

    def rebuild(self) -> None:
        self.connection.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in self.indexes:
            self.connection.execute(definition)
        for name, definition, _ in sorted(self.constraints, key=lambda c: c[2] != "u"):
            self.connection.execute(
                f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}'
            )
        self.connection.commit()


class Scale:
    def __init__(self, args: argparse.Namespace, stack: harness.Stack):
        self.args = args
        self.stack = stack
        self.url = harness.checked_database_url(args.database_url)
        self.port = harness.free_port()
        if args.ref:
            harness.use_revision(args.ref, stack.workdir)
        self.env = harness.api_env(
            database_url=self.url,
            secret_key="bench-only-secret-" + secrets.token_hex(24),
            cache_url=args.cache_url,
            catalog_url="",  # lists never call the catalog
            workdir=stack.workdir,
        )
        self.rng = random.Random(20)
        self.ordinary: list[int] = []
        self.serial = itertools.count()
        self.results: dict = {"sizes": [], "notes": []}
        self.failures = 0

    def prepare(self) -> None:
        import psycopg

        # The in-process requests need no static files.
        warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
        log(f"recreating {harness.database_name(self.url)} and migrating")
        harness.recreate_database(self.url)
        harness.migrate(self.env)
        harness.setup_django(self.env)
        from favorites.models import Favorite

        self.table = Favorite._meta.db_table
        self.rows = harness.FavoriteRows(harness.catalog_products())
        self.connection = psycopg.connect(self.url)
        self.connection.execute("SET synchronous_commit = off")
        self.big = harness.copy_customers(self.connection, self.args.big_customers, prefix="big")
        self.total = 0

    def grow(self, size: int) -> None:
        """COPY favorites until the table holds `size`: new ordinary customers (the big ones'
        favorites come in the first step), rows in the order lists grow over time."""
        args = self.args
        big_rows = 0 if self.total else args.big_customers * args.big_favorites
        ordinary_rows = size - self.total - big_rows
        count, rest = divmod(ordinary_rows, args.per_customer)
        started = time.monotonic()
        ids = harness.copy_customers(self.connection, count + (1 if rest else 0), prefix=f"c{size}")
        self.ordinary += ids[:count]
        lists = [(cid, args.per_customer) for cid in ids[:count]]
        if rest:
            lists.append((ids[-1], rest))
        order = list(range(len(lists)))
        self.rng.shuffle(order)
        per_round = -(-args.big_favorites // args.per_customer) if big_rows else 0

        def rows():
            for r in range(args.per_customer):
                for n in order:
                    cid, favorites = lists[n]
                    if r < favorites:
                        yield cid, (cid * 7 + r) % 3000, next(self.serial)
                for cid in self.big if big_rows else ():
                    for j in range(r * per_round, min((r + 1) * per_round, args.big_favorites)):
                        yield cid, j, next(self.serial)

        bulk = size - self.total >= BULK_ROWS
        indexes = Indexes(self.connection, self.table)
        if bulk:
            indexes.drop()
        self.rows.copy(self.connection, rows(), size - self.total, f"favorites to {sci(size)}")
        if bulk:
            log("rebuilding the indexes and constraints")
            indexes.rebuild()
        self.connection.autocommit = True
        # The load commits asynchronously (synchronous_commit off), and a row whose
        # inserting commit is not yet flushed to the WAL cannot be hinted visible to all: the
        # vacuum would leave the visibility map unset, and index-only scans would be costed
        # at a heap fetch per row (at 10^5 the planner then read a long list's late page by
        # a bitmap scan and a sort of all its rows). A synchronous commit flushes the WAL up
        # to it, every earlier commit included: ANALYZE's, before the vacuum.
        self.connection.execute("SET synchronous_commit = on")
        self.connection.execute("ANALYZE customers_customer")
        self.connection.execute(f"VACUUM (ANALYZE) {self.table}")
        self.connection.execute("SET synchronous_commit = off")
        self.connection.autocommit = False
        self.total = size
        self.load_seconds = round(time.monotonic() - started, 1)
        log(f"{size:,} favorites in {self.load_seconds} s")

    # -- measuring ---------------------------------------------------------------------------

    def page_statement(self, customer_id: int, page: int) -> tuple[str, list]:
        """The SQL and parameters of the list's page query, as one request runs it."""
        from django.db import connection
        from django.test import Client

        recorded = []

        def record(execute, sql, params, many, context):
            recorded.append((sql, list(params or [])))
            return execute(sql, params, many, context)

        token = self.tokens[customer_id]
        with connection.execute_wrapper(record):
            response = Client().get(
                LIST_PATH.format(customer_id) + (f"?page={page}" if page > 1 else ""),
                HTTP_AUTHORIZATION=f"Bearer {token}",
                HTTP_HOST="127.0.0.1",
            )
        if response.status_code != 200:
            raise HarnessError(
                f"the list answered {response.status_code}: {response.content[:300]}"
            )
        pages = [
            (sql, params)
            for sql, params in recorded
            if self.table in sql and "ORDER BY" in sql.upper() and customer_id in params
        ]
        if len(pages) != 1:
            raise HarnessError(f"expected one page query, saw: {[sql for sql, _ in recorded]}")
        return pages[0]

    def explain(self, sql: str, params: list) -> dict:
        from django.db import connection, transaction

        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}", params)
            plan = json_plan(cursor.fetchone()[0])
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            text = "\n".join(row[0] for row in cursor.fetchall())
            # For the record: the plan with an SSD's random_page_cost instead of the default 4.
            with transaction.atomic():
                cursor.execute("SET LOCAL random_page_cost = 1.1")
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                ssd = json_plan(cursor.fetchone()[0])
        nodes = list(walk(plan["Plan"]))
        # What makes the cost grow with the table or the list: reading the table other than
        # through the list index, or sorting more than a page (a top-level sort of the page's
        # own rows, as a deferred join does, is not).
        through_index = any(node.get("Index Name") == INDEX for node in nodes)
        seq_scan = any(
            node["Node Type"] == "Seq Scan" and node.get("Relation Name") == self.table
            for node in nodes
        )
        largest_sort = max(
            (
                sum(child["Actual Rows"] * child["Actual Loops"] for child in node["Plans"])
                for node in nodes
                if "Sort" in node["Node Type"]
            ),
            default=0,
        )
        ok = through_index and not seq_scan and largest_sort <= PAGE_SIZE + 1
        if not ok:
            self.failures += 1
        strict = not any("Sort" in node["Node Type"] for node in nodes) and any(
            node["Node Type"] in ("Index Scan", "Index Only Scan")
            and node.get("Index Name") == INDEX
            for node in nodes
        )
        return {
            "ok": ok,
            "shape": shape(plan),
            "reads_through_" + INDEX: through_index,
            "seq_scan": seq_scan,
            "rows_sorted": largest_sort,
            "index_scan_and_no_sort_at_all": strict,
            "execution_ms": plan.get("Execution Time"),
            "shape_with_random_page_cost_1_1": shape(ssd),
            "text": text,
        }

    def query_timings(self, sql: str, params: list, customer_id: int, others: list[int]) -> dict:
        """The page query for random customers, through Django's cursor as the view runs it."""
        from django.db import connection

        position = params.index(customer_id)
        samples = []
        with connection.cursor() as cursor:
            for n in range(len(others) + 200):
                values = list(params)
                values[position] = others[n % len(others)]
                started = time.perf_counter()
                cursor.execute(sql, values)
                cursor.fetchall()
                if n >= 200:  # the first ones warm the connection and the cache
                    samples.append(time.perf_counter() - started)
        samples.sort()
        return {
            "runs": len(samples),
            "p50_ms": round(statistics.median(samples) * 1000, 3),
            "p99_ms": round(samples[int(len(samples) * 0.99)] * 1000, 3),
        }

    def endpoint(self, name: str, lines: list[str], expect: int) -> dict:
        path = self.stack.workdir / f"{name}.txt"
        path.write_text("".join(lines))
        load = harness.wrk(
            f"http://127.0.0.1:{self.port}",
            "rotate.lua",
            duration=self.args.duration,
            connections=8,
            env={"ROTATE_FILE": str(path), "EXPECT_COUNT": str(expect)},
        )
        if load.errors:
            self.failures += 1
        log(f"  {name}: {load.rps:.0f} req/s, p50 {load.p50_ms:.2f} ms, errors {load.errors}")
        return load.as_dict()

    def sizes(self) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_relation_size(%s), pg_indexes_size(%s), pg_total_relation_size(%s),"
                " (SELECT count(*) FROM favorites_favorite)",
                [self.table] * 3,
            )
            heap, indexes, total, rows = cursor.fetchone()
            cursor.execute(
                "SELECT i.relname, pg_relation_size(i.oid) FROM pg_index x"
                " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass"
                " ORDER BY i.relname",
                [self.table],
            )
            each = dict(cursor.fetchall())
        return {
            "rows": rows,
            "table_bytes": heap,
            "indexes_bytes": indexes,
            "total_bytes": total,
            "index_bytes": each,
            "bytes_per_favorite": round(total / rows, 1),
            "table_bytes_per_favorite": round(heap / rows, 1),
            "index_bytes_per_favorite": round(indexes / rows, 1),
        }

    def measure(self, size: int) -> dict:
        args = self.args
        sample = self.rng.sample(self.ordinary, min(200, len(self.ordinary)))
        self.tokens = harness.access_tokens([*self.big, *sample])
        last_page = -(-args.big_favorites // PAGE_SIZE)
        big = self.big[0]
        statements = {
            "ordinary": (sample[0], self.page_statement(sample[0], 1)),
            "big, first page": (big, self.page_statement(big, 1)),
            f"big, last page ({last_page})": (big, self.page_statement(big, last_page)),
        }
        plans = {name: self.explain(sql, params) for name, (_, (sql, params)) in statements.items()}
        cid, (sql, params) = statements["ordinary"]
        others = [self.rng.choice(self.ordinary) for _ in range(args.query_runs)]
        timings = {"ordinary": self.query_timings(sql, params, cid, others)}
        for name in list(statements)[1:]:
            cid, (sql, params) = statements[name]
            timings[name] = self.query_timings(sql, params, cid, self.big * 40)
        from django.db import connection

        connection.close()
        log(f"  query p50 {timings['ordinary']['p50_ms']} ms; plans ok: "
            f"{all(p['ok'] for p in plans.values())}")  # fmt: skip
        tokens = self.tokens
        endpoints = {
            "ordinary": self.endpoint(
                "ordinary",
                [f"{LIST_PATH.format(c)}\t{tokens[c]}\n" for c in sample],
                args.per_customer,
            ),
            "big, first page": self.endpoint(
                "big-first",
                [f"{LIST_PATH.format(c)}\t{tokens[c]}\n" for c in self.big],
                args.big_favorites,
            ),
            "big, last page": self.endpoint(
                "big-last",
                [f"{LIST_PATH.format(c)}?page={last_page}\t{tokens[c]}\n" for c in self.big],
                args.big_favorites,
            ),
        }
        return {
            "favorites": size,
            "customers": len(self.ordinary) + len(self.big),
            "load_seconds": self.load_seconds,
            "storage": self.sizes(),
            "plans": plans,
            "query": timings,
            "endpoint_c8": endpoints,
        }

    def run(self) -> dict:
        self.results.update(
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            command=" ".join(["bench/scale.py", *sys.argv[1:]]),
            settings={
                "sizes": self.args.sizes,
                "big_customers": self.args.big_customers,
                "big_favorites": self.args.big_favorites,
                "per_customer": self.args.per_customer,
                "endpoint": f"wrk -t{harness.WRK_THREADS} -c8 -d{self.args.duration:g}s",
                "query_runs": self.args.query_runs,
            },
            machine=harness.machine(self.url),
            git=harness.git_commit(),
        )
        try:
            self.prepare()
            api = harness.start_api(self.stack, self.env, self.port)
            api.wait_ready(f"http://127.0.0.1:{self.port}/health/live")
            for size in self.args.sizes:
                self.grow(size)
                self.results["sizes"].append(self.measure(size))
                self.report()  # a long run keeps what it has measured so far
        finally:
            if getattr(self, "connection", None) is not None:
                self.connection.close()
            if not self.args.keep:
                harness.drop_database(self.url)
        self.results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        self.report()
        return self.results

    def report(self) -> None:
        self.results["targets"] = targets(self.results)
        self.results["failures"] = self.failures
        harness.write_json(self.args.output, self.results)
        if not self.args.no_docs:
            text = markdown(self.results)
            harness.write_between_markers(DOC_PATH, DOC_START, DOC_END, text, DOC_INTRO)


def json_plan(value) -> dict:
    return (json.loads(value) if isinstance(value, str) else value)[0]


def shape(plan: dict) -> str:
    """A plan in a few words, outermost last: "index scan", "bitmap heap scan + sort"."""
    names = [
        node["Node Type"].lower()
        for node in walk(plan["Plan"])
        if node["Node Type"] not in ("Limit", "Bitmap Index Scan")
    ]
    return " + ".join(reversed(names))


def walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


def targets(results: dict) -> list[dict]:
    sizes = results["sizes"]
    found = []
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        label = f"{sci(large['favorites'])} vs {sci(small['favorites'])}"
        for what, figure in (
            ("query", lambda s: s["query"]["ordinary"]["p50_ms"]),
            ("endpoint", lambda s: s["endpoint_c8"]["ordinary"]["p50_ms"]),
        ):
            ratio = round(figure(large) / figure(small), 2)
            found.append(
                {"target": f"list {what} p50, {label}", "value": ratio, "goal": "<= 1.3x",
                 "pass": ratio <= 1.3}
            )  # fmt: skip
    for size in sizes:
        endpoint = size["endpoint_c8"]
        ratio = round(
            endpoint["big, last page"]["p50_ms"] / endpoint["big, first page"]["p50_ms"], 2
        )
        found.append(
            {"target": f"last page / first page p50 at {sci(size['favorites'])}", "value": ratio,
             "goal": "<= 2x", "pass": ratio <= 2}
        )  # fmt: skip
        plans_ok = all(plan["ok"] for plan in size["plans"].values())
        found.append(
            {"target": f"page query through {INDEX}, sorting at most a page, at "
                       f"{sci(size['favorites'])}",
             "value": "yes" if plans_ok else "no", "goal": "yes", "pass": plans_ok}
        )  # fmt: skip
    return found


def markdown(results: dict) -> str:
    m, s, git = results["machine"], results["settings"], results["git"]
    dirty = " with uncommitted changes" if git["uncommitted_changes"] else ""
    if git.get("served_from") == "export":
        dirty = " (served from its export, not the working tree)"
    rows = []
    for size in results["sizes"]:
        storage, query, endpoint = size["storage"], size["query"], size["endpoint_c8"]
        last_name = next(name for name in query if name.startswith("big, last"))
        rows.append(
            [
                f"{size['favorites']:,}",
                f"{size['customers']:,}",
                f"{storage['table_bytes'] / 2**20:,.0f}",
                f"{storage['indexes_bytes'] / 2**20:,.0f}",
                f"{storage['bytes_per_favorite']:.0f}",
                " / ".join(
                    p["shape"] if p["ok"] else f"**{p['shape']}**" for p in size["plans"].values()
                ),
                f"{query['ordinary']['p50_ms']:.3f}",
                f"{query['big, first page']['p50_ms']:.3f} / {query[last_name]['p50_ms']:.3f}",
                f"{endpoint['ordinary']['p50_ms']:.2f}",
                f"{endpoint['big, first page']['p50_ms']:.2f}",
                f"{endpoint['big, last page']['p50_ms']:.2f}",
                f"{endpoint['ordinary']['rps']:,.0f}",
            ]
        )
    header = [
        "favorites",
        "customers",
        "table MB",
        "indexes MB",
        "bytes/favorite",
        "page query plan (ordinary / first / last page)",
        "query p50 ms",
        "big list query p50 ms (first / last page)",
        "endpoint p50 ms",
        "first page p50 ms",
        "last page p50 ms",
        "endpoint req/s (c8)",
    ]
    largest = results["sizes"][-1]
    index_sizes = ", ".join(
        f"{name} {value / 2**20:,.0f} MB"
        for name, value in largest["storage"]["index_bytes"].items()
    )
    last_plan = next(p for n, p in largest["plans"].items() if n.startswith("big, last"))
    lines = [
        f"Run {results['started_at']} on {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"PostgreSQL {m['postgresql']} (default settings: shared_buffers 128 MB); "
        f"commit {git['commit']}{dirty}.",
        "",
        f"Command: `make bench-scale` (`{results['command']}`). At each size "
        f"{s['big_customers']} customers hold {s['big_favorites']:,} favorites each and the "
        f"others {s['per_customer']}. Query p50: the view's own page query (recorded from a "
        f"request) through Django's cursor, {s['query_runs']} runs over random customers. "
        f"Endpoint: `GET customers/{{id}}/favorites/` under {s['endpoint']}, DEBUG off, "
        "gunicorn as in production; first and last page of the big lists. Plans: the page "
        f"query must read favorites only through {INDEX} and sort at most a page "
        f"({PAGE_SIZE + 1} rows); each plan's shape is listed, in bold when it does not "
        "(bench/results/scale.json has every plan, and the one chosen with an SSD's "
        "random_page_cost of 1.1).",
        "",
        harness.markdown_table(header, rows),
        "",
        harness.markdown_table(
            ["target (issue 7)", "measured", "goal", ""],
            [
                [t["target"], t["value"], t["goal"], "pass" if t["pass"] else "**fail**"]
                for t in results["targets"]
            ],
        ),
        "",
        f"Indexes at {largest['favorites']:,} favorites: {index_sizes}.",
        "",
        f"The page query on the last page of a {s['big_favorites']:,}-favorite list at "
        f"{largest['favorites']:,} favorites:",
        "",
        "```",
        last_plan["text"],
        "```",
    ]
    lines += [f"- {note}" for note in results["notes"]]
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    with harness.Stack() as stack:
        scale = Scale(args, stack)
        try:
            results = scale.run()
        except HarnessError as error:
            log(f"harness error: {error}")
            return 2
        except KeyboardInterrupt:
            log("interrupted")
            return 2
    print(markdown(results))
    log(f"wrote {args.output}" + ("" if args.no_docs else " and the table in docs/scaling.md"))
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
