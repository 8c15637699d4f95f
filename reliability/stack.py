"""The processes a suite runs against, each on its own loopback port.

- `Gunicorn`: the API as production runs it, from the repository root so that
  gunicorn reads the repository's gunicorn.conf.py.
- `MockCatalog`: `python -m catalog.mock_server` on a fixed port, so it can be
  killed and started again at the same `CATALOG_URL`.
- `RedisServer`: a private `redis-server`, which can be stopped, or hung with SIGSTOP.
- `PostgresCluster`: a private PostgreSQL cluster (initdb into a temporary
  folder, `pg_ctl` on its own port and socket folder), which can be restarted
  or stopped. Run as the `postgres` OS user when the caller is root.

Every class has `start()` and `close()`; `close()` is safe to call twice and
after a failed start. Nothing here listens anywhere but 127.0.0.1.
"""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis

from catalog.testing import MockCatalogProcess

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET_KEY = "reliability-suites-only-secret-key-never-used-in-production"
# Database names on a shared PostgreSQL that the suites may drop and create.
OWN_DATABASE_PREFIX = "fav_suites"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class GaveUp(RuntimeError):
    """Raised by a `wait_for` check that knows waiting longer cannot help."""


def wait_for(check: Callable[[], bool], *, timeout: float, what: str, interval=0.1) -> float:
    """Poll `check` until it is true; the seconds it took. RuntimeError after `timeout`.

    An exception from `check` counts as "not yet", except `GaveUp`, which ends the wait.
    """
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except GaveUp:
            raise
        except Exception:  # not up yet: connection refused, ...
            pass
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status a GET answers, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def server_env(*, database_url: str, cache_url: str, catalog_url: str, **extra: str) -> dict:
    """The environment of a production-like server (DEBUG off) on loopback."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PROMETHEUS_MULTIPROC_DIR", "REDIS_URL", "GUNICORN_BIND")
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS=HOST,
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        CATALOG_URL=catalog_url,
        CATALOG_FORMAT="luizalabs",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="favorites_project.settings",
        **extra,
    )
    return env


def recreate_database(database_url: str) -> None:
    """Drop and create the database named in the URL (only a `fav_suites*` one)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name.startswith(OWN_DATABASE_PREFIX):
        raise ValueError(
            f"the suites recreate their database: its name starts {OWN_DATABASE_PREFIX}"
        )
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
    )


class Gunicorn:
    """`gunicorn favorites_project.wsgi:application -b 127.0.0.1:<port> -w <workers>`.

    Started in the repository root, so gunicorn.conf.py (gthread workers) applies.
    Its output goes to `log_path`.
    """

    def __init__(self, env: dict, *, log_path: Path, workers: int = 2, port: int | None = None):
        self.env = env
        self.workers = workers
        self.port = port or free_port()
        self.log_path = Path(log_path)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60) -> None:
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "favorites_project.wsgi:application",
            "-b", f"{HOST}:{self.port}",
            "-w", str(self.workers),
            # gunicorn's control socket is one path per user: another gunicorn may be using it.
            "--no-control-socket",
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

        def answering() -> bool:
            if self.process.poll() is not None:
                raise GaveUp(f"gunicorn exited; see {self.log_path}")
            return http_status(f"{self.url}/health/live", timeout=1) == 200

        wait_for(answering, timeout=timeout, what="gunicorn answering /health/live")
        wait_for(
            lambda: len(self.worker_pids()) == self.workers,
            timeout=timeout,
            what=f"{self.workers} gunicorn workers",
        )

    def worker_pids(self) -> list[int]:
        """The master's live children (its workers)."""
        if self.process is None:
            return []
        pids = []
        for stat_path in glob.glob("/proc/[0-9]*/stat"):
            try:
                stat = Path(stat_path).read_text()
            except OSError:
                continue
            # "pid (comm) state ppid ...": comm may hold spaces, so split after its ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] not in ("Z", "X"):
                pids.append(int(stat.split(" ", 1)[0]))
        return sorted(pids)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def close(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


class MockCatalog(MockCatalogProcess):
    """The mock catalog (luizalabs format) on a fixed port: `stop()` kills it, `start()`
    brings it back at the same `base_url`. Faults: `set_faults(...)`, `clear_faults()`."""

    def __init__(self, port: int | None = None):
        self.format = "luizalabs"
        self.port = port or free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.process = None

    def start(self) -> None:
        command = [
            sys.executable, "-m", "catalog.mock_server",
            "--host", HOST, "--port", str(self.port), "--exit-with-parent",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._read_url()

    def kill(self) -> None:
        """Gone at once, as a crashed catalog is: connections are refused."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
            self.process.stdout.close()

    def close(self) -> None:
        if self.process is not None:
            self.stop()


class RedisServer:
    """A private `redis-server` on its own port, no persistence."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.directory = tempfile.mkdtemp(prefix="suites-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def ping(self) -> bool:
        client = redis.Redis(host=HOST, port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", HOST,
            "--save", "", "--appendonly", "no", "--dir", self.directory,
            "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for(self.ping, timeout=15, what="private redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a hung server must be able to exit
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def hang(self) -> None:
        """SIGSTOP: connections are accepted by the kernel but nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian's layout), or pg_config's."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parent.parent.name),
    )
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        return Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())
    raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary folder, on its own port and socket folder.

    As root, initdb and pg_ctl run as the `postgres` OS user (PostgreSQL refuses
    to run as root), and the folder belongs to that user.
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.bindir = postgres_bindir()
        self.directory = Path(tempfile.mkdtemp(prefix="suites-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self._initialised = False

    def url(self, database: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        if os.geteuid() == 0:
            command = ("runuser", "-u", "postgres", "--", *command)
        subprocess.run(command, check=True, capture_output=True, timeout=timeout)

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), *args, timeout=timeout)

    def start(self) -> None:
        if not self._initialised:
            if os.geteuid() == 0:
                shutil.chown(self.directory, "postgres", "postgres")
            self._run(
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync",
            )  # fmt: skip
            with open(self.data / "postgresql.conf", "a") as conf:
                conf.write(
                    f"\nport = {self.port}\n"
                    f"listen_addresses = '{HOST}'\n"
                    f"unix_socket_directories = '{self.directory}'\n"
                    "max_connections = 40\n"
                    "shared_buffers = 32MB\n"
                )
            self._initialised = True
        self._pg_ctl("-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast`: a clean shutdown; `immediate`: as a crash (recovery from the WAL at start)."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-l", str(self.log), "-w", "-t", "60", "restart")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        if self._initialised and self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)
