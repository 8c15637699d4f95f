"""What the fault tests (reliability/test_faults.py) run against, and their load helpers.

`FaultStack` is gunicorn (the repository's gunicorn.conf.py, two workers, DEBUG
off) on a private PostgreSQL cluster, a private Redis and the mock catalog,
each on its own loopback port, so a test may stop, hang, kill or restart any
of them without touching anything shared.
"""

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from catalog.demo_data import load_records
from reliability import stack
from reliability.client import Api, Reply, Tokens

DATABASE_NAME = "fav_suites_faults"
# The server's settings the assertions depend on (the production defaults, stated here).
CATALOG_BUDGET = 3.0  # CATALOG_TOTAL_TIMEOUT: no catalog lookup takes longer
CATALOG_READ_TIMEOUT = 2.0
# The breaker (tested in the normal suite) would answer most adds at once after a few
# failures: kept shut here, so every add meets the fault itself and hung adds keep
# holding gunicorn threads for the whole of a test.
BREAKER_THRESHOLD = 100_000
LOGIN_RATE = "10/min"


@dataclass
class Account:
    id: int
    email: str
    password: str
    tokens: Tokens


class FaultStack:
    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.postgres = stack.PostgresCluster()
        self.redis = stack.RedisServer()
        self.catalog = stack.MockCatalog()
        self.server: stack.Gunicorn | None = None
        self.database_url = ""
        self._records = {record["id"]: record for record in load_records()}
        self._products = iter(self._records.values())
        self._products_lock = threading.Lock()

    def start(self) -> None:
        self.postgres.start()
        self.database_url = self.postgres.create_database(DATABASE_NAME)
        self.redis.start()
        self.catalog.start()
        env = stack.server_env(
            database_url=self.database_url,
            cache_url=self.redis.url,
            catalog_url=self.catalog.base_url,
            CATALOG_TOTAL_TIMEOUT=str(CATALOG_BUDGET),
            CATALOG_READ_TIMEOUT=str(CATALOG_READ_TIMEOUT),
            CATALOG_BREAKER_THRESHOLD=str(BREAKER_THRESHOLD),
            LOGIN_THROTTLE_RATE=LOGIN_RATE,
            REGISTER_THROTTLE_RATE="10000/min",
        )
        stack.migrate(env)
        self.server = stack.Gunicorn(env, log_path=self.workdir / "gunicorn.log")
        self.server.start()

    def close(self) -> None:
        for process in (self.server, self.catalog, self.redis, self.postgres):
            if process is not None:
                process.close()

    def api(self, timeout: float = 15.0) -> Api:
        return Api(self.server.url, timeout=timeout)

    def sign_up(self, name: str) -> Account:
        email = f"{name}-{time.monotonic_ns()}@example.com"
        password = f"{name}-Password-of-some-length-7"
        api = self.api()
        try:
            customer_id, tokens = api.sign_up(email=email, password=password)
        finally:
            api.close()
        return Account(customer_id, email, password, tokens)

    def fresh_products(self, count: int) -> list[dict]:
        """Products of the catalog that no test asked for before (so none is cached)."""
        with self._products_lock:
            return list(itertools.islice(self._products, count))

    def product(self, product_id: str) -> dict:
        """The catalog's record of a product (the mock catalog serves these)."""
        return self._records[product_id]

    def rows(self, customer_id: int, product_ids) -> dict[str, dict]:
        """The favorites rows of these products, read straight from PostgreSQL."""
        with psycopg.connect(self.database_url, connect_timeout=10, row_factory=dict_row) as db:
            found = db.execute(
                "SELECT * FROM favorites_favorite WHERE customer_id = %s AND product_id = ANY(%s)",
                [customer_id, list(product_ids)],
            ).fetchall()
        return {row["product_id"]: row for row in found}

    def heal(self) -> None:
        """Every part up again, whatever a test did to it."""
        if self.redis.process is None or self.redis.process.poll() is not None:
            self.redis.start()
        else:
            self.redis.resume()
        if not self.postgres.running():
            self.postgres.start()
        if self.catalog.process is None or self.catalog.process.poll() is not None:
            self.catalog.start()
        self.catalog.clear_faults()


@dataclass
class Timed:
    """A reply, with when its request started and ended (time.monotonic)."""

    reply: Reply
    started: float
    ended: float
    product_id: str = ""
    thread: str = ""  # which client thread of which Load sent it


@dataclass
class Load:
    """Client threads calling `step(api, index)` until `stop()`, each recording Timed replies."""

    stack: FaultStack
    threads: int
    step: Callable[[Api, int], Timed]
    timeout: float = 15.0
    pause: float = 0.02  # seconds between a thread's requests: load, not a CPU race
    max_requests: int = 2000  # per thread: a bound even if stop() is never called
    results: list[Timed] = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._workers = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(self.threads)
        ]

    def _run(self, index: int) -> None:
        api = self.stack.api(timeout=self.timeout)
        try:
            for _ in range(self.max_requests):
                if self._stop.is_set():
                    break
                timed = self.step(api, index)
                timed.thread = f"{id(self)}-{index}"
                with self._lock:
                    self.results.append(timed)
                self._stop.wait(self.pause)
        finally:
            api.close()

    def start(self) -> "Load":
        for worker in self._workers:
            worker.start()
        return self

    def stop(self, join_timeout: float = 60) -> list[Timed]:
        self._stop.set()
        for worker in self._workers:
            worker.join(join_timeout)
        return self.results


def timed(call: Callable[[], Reply], product_id: str = "") -> Timed:
    started = time.monotonic()
    reply = call()
    return Timed(reply, started, time.monotonic(), product_id)


def adder(stack_: FaultStack, account: Account) -> Callable[[Api, int], Timed]:
    """A step that adds one more product to the account's favorites, each call a new one.

    Products are taken from the far end of the catalog, so the ones `fresh_products`
    hands out stay uncached.
    """
    products = iter(reversed(list(stack_._records)))
    lock = threading.Lock()

    def step(api: Api, index: int) -> Timed:
        with lock:
            product_id = next(products, None)
        if product_id is None:
            raise RuntimeError("every product of the catalog was added: fewer requests per test")
        return timed(lambda: api.add(account.tokens.access, product_id), product_id)

    return step


def lister(account: Account) -> Callable[[Api, int], Timed]:
    return lambda api, index: timed(lambda: api.favorites(account.tokens.access))
