"""What `make bench` and `make bench-scale` share: databases, seeding by COPY, tokens, servers,
wrk, PostgreSQL's transaction counters, worker memory, and the Markdown they write.

Everything runs on 127.0.0.1, each load for a bounded time, and every server this module starts
is stopped on the way out, whatever happens (and told to stop if the harness itself dies).
"""

import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
# Where the service's code is served and seeded from: the working tree, or a commit's export
# (`use_revision`), so that edits made in the tree during a run cannot change what it measures.
APP_ROOT = REPO_ROOT
REVISION: str | None = None
LUA_DIR = BENCH_DIR / "lua"
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/favorites_bench"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/8"
PASSWORD = "bench-only-password-1"
WRK_THREADS = 2


class HarnessError(Exception):
    """The harness itself could not do its job (not a slow or failing request)."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def on_terminal() -> bool:
    return sys.stderr.isatty()


# -- PostgreSQL ----------------------------------------------------------------------------


def checked_database_url(url: str) -> str:
    """The harness drops and recreates this database: its name must say it is a bench's."""
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        raise HarnessError(
            f"refusing {url!r}: the benchmark recreates its database, so it must be a "
            "postgres:// URL whose database name contains 'bench'"
        )
    if not re.fullmatch(r"[a-z0-9_]{1,50}", name):
        raise HarnessError(f"database name {name!r}: use lower-case letters, digits and _")
    return url


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def admin_connect(url: str):
    """An autocommit connection to the server's maintenance database (never counted in a
    bench database's figures)."""
    import psycopg

    return psycopg.connect(with_database(url, "postgres"), autocommit=True)


def recreate_database(url: str, *, template: str | None = None) -> None:
    name = database_name(url)
    with admin_connect(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        connection.execute(f'CREATE DATABASE "{name}"{suffix}')


def drop_database(url: str) -> None:
    with admin_connect(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def transactions(url: str) -> int:
    """Commits + rollbacks PostgreSQL has counted for the database (pg_stat_database).

    Read from the maintenance database, so reading never counts. Backends publish their
    counts at most once a second while busy, and an idle one within 10 s: read after a settle.
    """
    with admin_connect(url) as connection:
        row = connection.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            [database_name(url)],
        ).fetchone()
    return int(row[0]) if row else 0


def migrate(env: dict) -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=APP_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode:
        raise HarnessError(f"migrate failed:\n{result.stdout}{result.stderr}")


# -- Django in this process: models, password hash, tokens ----------------------------------


def setup_django(env: dict) -> None:
    """This process's Django: the server's settings (same SECRET_KEY), for models and tokens."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "favorites_project.settings"
    for name in ("CACHE_URL", "REDIS_URL", "CATALOG_URL", "PROMETHEUS_MULTIPROC_DIR"):
        os.environ.pop(name, None)  # the harness needs neither the cache nor the catalog
    if str(APP_ROOT) not in sys.path:
        sys.path.insert(0, str(APP_ROOT))
    import django

    django.setup()


def access_tokens(customer_ids: Iterable[int]) -> dict[int, str]:
    """An access token per customer, made as the login makes them (SimpleJWT's for_user adds
    the password-hash claim the service checks), signed with the server's SECRET_KEY."""
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from customers.models import Customer

    ids = list(customer_ids)
    tokens = {}
    for start in range(0, len(ids), 5000):
        for customer in Customer.objects.filter(pk__in=ids[start : start + 5000]):
            tokens[customer.pk] = str(AccessToken.for_user(customer))
    connection.close()
    missing = set(ids) - set(tokens)
    if missing:
        raise HarnessError(f"no customer row for {len(missing)} ids, e.g. {sorted(missing)[:3]}")
    return tokens


def catalog_products() -> list:
    """The bundled demo catalog (the ids the mock catalog serves), as the service parses them."""
    from catalog.demo import demo_products

    return list(demo_products())


# -- Seeding by COPY ---------------------------------------------------------------------------


def copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        text = text.replace("\\", "\\\\")
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def row_template(model, per_row: Iterable[str]) -> tuple[list[str], str]:
    """The model's columns but its primary key, and a COPY line template for str.format: a
    `{name}` field for each field named in `per_row`, the field's default everywhere else."""
    from django.db import connection

    per_row = set(per_row)
    template = model()
    columns, parts = [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(model_field.column)
        if model_field.name in per_row:
            parts.append("{" + model_field.name + "}")
            continue
        value = model_field.get_db_prep_save(getattr(template, model_field.attname), connection)
        if value is None and not model_field.null:
            raise HarnessError(
                f"{model.__name__}.{model_field.name} has no default: "
                "give bench/harness.py a value for it"
            )
        parts.append(_braces(copy_text(value)))
    missing = per_row - {f.name for f in model._meta.concrete_fields}
    if missing:
        raise HarnessError(f"{model.__name__} has no field {sorted(missing)}")
    return columns, "\t".join(parts) + "\n"


def _progress(total: int, description: str):
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit=" rows",
        unit_scale=True,
        disable=not on_terminal(),
        file=sys.stderr,
    )


def copy_rows(
    connection, table: str, columns: list[str], lines: Iterator[str], total: int, label: str
):
    """COPY text lines into the table, one COPY and commit per batch, with a progress bar."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    batch_rows = 250_000
    done = 0
    with _progress(total, label) as bar:
        while done < total:
            size = min(batch_rows, total - done)
            with connection.cursor() as cursor, cursor.copy(statement) as copy:
                buffer, written = [], 0
                for line in lines:
                    buffer.append(line)
                    written += 1
                    if len(buffer) == 5000:
                        copy.write("".join(buffer))
                        bar.update(len(buffer))
                        buffer.clear()
                    if written == size:
                        break
                if buffer:
                    copy.write("".join(buffer))
                    bar.update(len(buffer))
            connection.commit()
            if written < size:
                raise HarnessError(f"{label}: {done + written} rows made, {total} expected")
            done += size


def copy_customers(connection, count: int, *, prefix: str) -> list[int]:
    """`count` customers sharing one real password hash (computed once); their ids in order."""
    from django.contrib.auth.hashers import make_password

    from customers.models import Customer

    columns, template = row_template(Customer, ["email", "name", "password"])
    template = template.replace("{password}", _braces(copy_text(make_password(PASSWORD))))

    def lines():
        for number in range(count):
            yield template.format(email=f"{prefix}-{number}@bench.example.com", name=f"B{number}")

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM customers_customer")
        highest = cursor.fetchone()[0]
    table = Customer._meta.db_table
    copy_rows(connection, table, columns, lines(), count, "customers")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE id > %s AND email LIKE %s ORDER BY id",
            [highest, f"{prefix}-%"],
        )
        ids = [row[0] for row in cursor.fetchall()]
    connection.commit()
    if len(ids) != count:
        raise HarnessError(f"{len(ids)} customers found after copying {count}")
    return ids


@dataclass
class FavoriteRows:
    """COPY lines for favorites: a (customer_id, product index, serial) per row; the product's
    snapshot from the catalog, created_at increasing with `serial` from `start`."""

    products: list
    start: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=400))
    step: timedelta = timedelta(milliseconds=1)

    def __post_init__(self):
        from favorites.models import Favorite

        self.table = Favorite._meta.db_table
        snapshot = ("title", "image_url", "price", "review_score", "brand", "price_when_added")
        per_row = ("customer", "product_id", "created_at", "refreshed_at")
        self.columns, template = row_template(Favorite, (*snapshot, *per_row))
        template = template.replace("{refreshed_at}", "{created_at}")
        # One template per product, its snapshot filled in: a row only adds its own fields.
        self._templates = [
            template.format(
                customer="{customer}",
                product_id="{product_id}",
                created_at="{created_at}",
                **{
                    name: _braces(copy_text(getattr(p, name)))
                    for name in ("title", "image_url", "price", "review_score", "brand")
                },
                price_when_added=_braces(copy_text(p.price)),
            )
            for p in self.products
        ]

    def product_id(self, index: int) -> str:
        """The catalog's id; past the catalog's size, a made-up id of the same product."""
        count = len(self.products)
        base = self.products[index % count].id
        return base if index < count else f"{base}-{index // count}"

    def line(self, customer_id: int, index: int, serial: int) -> str:
        return self._templates[index % len(self.products)].format(
            customer=customer_id,
            product_id=self.product_id(index),
            created_at=(self.start + self.step * serial).isoformat(),
        )

    def copy(self, connection, rows: Iterator[tuple[int, int, int]], total: int, label: str):
        lines = (self.line(*row) for row in rows)
        copy_rows(connection, self.table, self.columns, lines, total, label)


# -- Processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child: SIGTERM when the harness dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Server:
    """A server process group on a loopback port, its output in a log file."""

    def __init__(self, name: str, command: list[str], *, cwd: Path, env: dict, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def wait_ready(self, url: str, *, timeout: float = 60, headers: dict | None = None) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                request = urllib.request.Request(url, headers=headers or {})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return
                last = error
            except OSError as error:
                last = error
            time.sleep(0.25)
        raise HarnessError(f"{self.name} did not answer {url} in {timeout:.0f} s ({last})")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        # Workers left behind by a master that died first.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self._log.close()


class Stack:
    """The servers of one run; `stop_all` on exit, on SIGTERM/SIGINT, or at interpreter exit."""

    def __init__(self):
        self.servers: list[Server] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="favorites-bench-"))
        self._stopped = False
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame):
        raise SystemExit(128 + signum)

    def start(self, name: str, command: list[str], *, cwd: Path, env: dict) -> Server:
        server = Server(name, command, cwd=cwd, env=env, log_dir=self.workdir)
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop_all()


def api_env(
    *, database_url: str, secret_key: str, cache_url: str, catalog_url: str, workdir: Path
) -> dict:
    """The service's production settings, on loopback: DEBUG off, Redis (the cache, and the
    Celery broker, as in production: a write queues its events' dispatch there, for workers
    that this benchmark does not run), a real catalog URL (or the bundled one when empty),
    long-lived access tokens for the load's customers, and catalog answers cached for the
    whole run: the writes are measured with the cache warm, and an add that hits a cached
    product does not renew it (with 300 s, the entries warmed for the write scenario ran out
    in the soak, each write then waited on the catalog, and the few that met the breaker
    still half-open from the hang scenario were 503s)."""
    metrics = workdir / "metrics"
    metrics.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "JWT_SIGNING_KEY")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        CACHE_URL=cache_url,
        CELERY_BROKER_URL=cache_url,
        CATALOG_URL=catalog_url,
        CATALOG_FORMAT="luizalabs",
        MOCK_CATALOG_FORMAT="luizalabs",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        JWT_ACCESS_MINUTES="1440",
        CATALOG_CACHE_TTL="86400",
    )
    return env


def start_api(stack: Stack, env: dict, port: int) -> Server:
    """The API as production runs it: from the repository's root, so gunicorn.conf.py applies
    (its worker class, threads and limits), with 2 workers."""
    redis_flushdb(env["CACHE_URL"])
    command = [str(BIN / "gunicorn"), "favorites_project.wsgi:application", "-w", "2"]
    return stack.start("api", [*command, "-b", f"127.0.0.1:{port}"], cwd=APP_ROOT, env=env)


def http(method: str, url: str, *, body=None, token: str | None = None, headers=None, timeout=10):
    """(status, headers, body bytes) without raising on an HTTP error status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def redis_flushdb(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    client.flushdb()
    client.close()


# -- wrk -----------------------------------------------------------------------------------


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise HarnessError(
            "wrk is not installed: `apt-get install wrk` "
            "(the Makefile's bench targets do it when run as root)"
        )
    return path


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    detail: dict

    def as_dict(self) -> dict:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
            "requests": self.requests,
            "errors": self.errors,
            **self.detail,
        }


def wrk(
    url: str,
    script: str,
    *,
    duration: float,
    connections: int = 32,
    env: dict | None = None,
) -> Load:
    """wrk -t2 -c<connections> for `duration` seconds with one of bench/lua's scripts."""
    command = [
        wrk_path(),
        f"-t{WRK_THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "-s",
        str(LUA_DIR / script),
        url,
    ]
    run_env = {
        **os.environ,
        "BENCH_LUA_DIR": str(LUA_DIR),
        "WRK_THREADS": str(WRK_THREADS),
        **(env or {}),
    }
    result = subprocess.run(
        command, env=run_env, capture_output=True, text=True, timeout=duration + 60
    )
    match = re.search(r"^RESULT (.*)$", result.stdout, re.M)
    if result.returncode or not match:
        raise HarnessError(f"wrk failed ({' '.join(command)}):\n{result.stdout}{result.stderr}")
    values = dict(pair.split("=") for pair in match.group(1).split())
    numbers = {key: float(value) for key, value in values.items()}
    detail = {
        key: int(numbers[key])
        for key in ("bad", "socket_errors", "timeouts", "s2xx", "s3xx", "s4xx", "s5xx")
    }
    sample = re.search(r"^SAMPLE (.*)$", result.stdout, re.M)
    if sample:
        detail["wrong_answer_example"] = sample.group(1)
    return Load(
        rps=numbers["rps"],
        p50_ms=numbers["p50_ms"],
        p99_ms=numbers["p99_ms"],
        requests=int(numbers["requests"]),
        errors=int(numbers["errors"]),
        detail=detail,
    )


# -- Worker memory -------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return sorted(found)


def rss_kib(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def pss_kib(pid: int) -> int | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return None


def workers_rss(master_pid: int) -> dict[int, int]:
    """VmRSS (KiB) of each worker of a gunicorn master."""
    return {pid: kib for pid in children(master_pid) if (kib := rss_kib(pid)) is not None}


class RssSampler(threading.Thread):
    """A gunicorn master's workers' VmRSS every few seconds: (seconds, {pid: KiB}) samples."""

    def __init__(self, master_pid: int, every: float = 5.0):
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.every = every
        self.samples: list[tuple[float, dict[int, int]]] = []
        self._stop_event = threading.Event()
        self.started_at = time.monotonic()

    def run(self):
        self.started_at = time.monotonic()
        while True:
            self.sample()
            if self._stop_event.wait(self.every):
                return

    def sample(self) -> dict[int, int]:
        rss = workers_rss(self.master_pid)
        self.samples.append((time.monotonic() - self.started_at, rss))
        return rss

    def stop(self) -> None:
        self._stop_event.set()
        self.join(self.every * 2)

    def at(self, seconds: float) -> tuple[float, dict[int, int]]:
        """The last sample taken at or before `seconds` (the first one if none)."""
        chosen = self.samples[0]
        for sample in self.samples:
            if sample[0] <= seconds:
                chosen = sample
        return chosen


def mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


# -- The machine and the docs --------------------------------------------------------------


def machine(database_url: str) -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_kib = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
    postgres = autovacuum = ""
    with contextlib.suppress(Exception), admin_connect(database_url) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
        autovacuum = connection.execute("SHOW autovacuum").fetchone()[0]
    return {
        "cores": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": postgres,
        "postgresql_autovacuum": autovacuum,
        "wrk": _first_line([wrk_path(), "--version"]) if shutil.which("wrk") else "",
    }


def _first_line(command: list[str]) -> str:
    with contextlib.suppress(Exception):
        result = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (result.stdout or result.stderr).splitlines()[0].strip()
    return ""


def use_revision(revision: str, workdir: Path) -> str:
    """Serve and seed from `git archive <revision>` in the workdir instead of the working tree."""
    global APP_ROOT, REVISION
    result = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--verify", f"{revision}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise HarnessError(f"no commit {revision!r}: {result.stderr.strip()}")
    commit = result.stdout.strip()
    source = workdir / "source"
    source.mkdir()
    archive = subprocess.Popen(
        ["git", "-C", str(REPO_ROOT), "archive", commit], stdout=subprocess.PIPE
    )
    extracted = subprocess.run(["tar", "-x", "-C", str(source)], stdin=archive.stdout)
    archive.stdout.close()
    if archive.wait() or extracted.returncode:
        raise HarnessError(f"could not export {commit}")
    APP_ROOT, REVISION = source, commit
    return commit


def git_commit() -> dict:
    if REVISION:
        return {"commit": REVISION[:7], "uncommitted_changes": False, "served_from": "export"}
    commit = _first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    status = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    )
    return {
        "commit": commit,
        "uncommitted_changes": bool(status.stdout.strip()),
        "served_from": "working tree",
    }


def write_between_markers(path: Path, start: str, end: str, content: str, intro: str) -> None:
    """Replace what lies between the markers (the file and markers are made when missing)."""
    block = f"{start}\n{content.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else intro.rstrip() + "\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def markdown_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def shuffled(values: list, seed: int) -> list:
    values = list(values)
    random.Random(seed).shuffle(values)
    return values


def bounded_pool(target: Callable[[threading.Event], None], threads: int) -> Callable[[], None]:
    """Start `threads` threads running target(stop); returns a function that stops and joins."""
    stop = threading.Event()
    pool = [threading.Thread(target=target, args=(stop,), daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()

    def finish():
        stop.set()
        for thread in pool:
            thread.join(30)

    return finish
