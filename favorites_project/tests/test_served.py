"""The service as production runs it: gunicorn with gunicorn.conf.py, DEBUG off.

A mock catalog under gunicorn too (as docker-compose runs it), both on loopback ports of
their own, logging to files these tests read: the access lines in JSON with the request
id from the edge to the catalog, no secret in any line, and a graceful stop on SIGTERM
that lets a slow request finish.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.db import connection
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.testing import PRODUCT_ID
from customers.tests.factories import PASSWORD, CustomerFactory
from favorites.models import Favorite

REPO_ROOT = Path(settings.BASE_DIR)
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
CATALOG_USER, CATALOG_PASSWORD = "catalog-user", "catalog-Pa55-w0rd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(url: str, method: str = "GET", *, body=None, headers=None, timeout: float = 15):
    """(status, headers, parsed body) of one request; errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer_headers, payload = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, payload = error.code, error.headers, error.read()
    return status, answer_headers, json.loads(payload) if payload else None


class Served:
    """A server process started in the repository's root (so gunicorn.conf.py applies),
    in a session of its own, its output in `log_path`."""

    def __init__(self, command: list[str], env: dict, log_path: Path, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @classmethod
    def gunicorn(cls, app: str, env: dict, log_path: Path, *options: str) -> "Served":
        port = free_port()
        command = [GUNICORN, app, "--bind", f"127.0.0.1:{port}", *options]
        return cls(command, env, log_path, port)

    def wait_until_answering(self, path: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=1):
                    return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise AssertionError(f"gunicorn never answered:\n{self.log_path.read_text()}")

    def lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def json_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.lines()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def stack(transactional_db, tmp_path):
    """The mock catalog and the API under gunicorn, on the test database (committed rows)."""
    api, catalog = start_stack(tmp_path)
    try:
        yield api, catalog
    finally:
        api.stop()
        catalog.stop()


def start_stack(tmp_path: Path, **api_variables: str) -> tuple[Served, Served]:
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CACHE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
        and not key.startswith("OTEL_")
    }
    catalog = Served.gunicorn(
        "catalog.mock_server:app",
        {**base_env, "MOCK_CATALOG_FORMAT": "luizalabs", "DEBUG": "false"},
        tmp_path / "catalog.log",
        "--workers", "1", "--threads", "8",
    )  # fmt: skip
    api_env = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "favorites_project.settings",  # production's, not the tests'
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        # Credentials in the catalog's URL: sent to it, never logged.
        "CATALOG_URL": catalog.url.replace("://", f"://{CATALOG_USER}:{CATALOG_PASSWORD}@"),
        "CATALOG_FORMAT": "luizalabs",
        "CATALOG_BREAKER_THRESHOLD": "100",
        # Room for the slow catalog of the SIGTERM test on a busy machine.
        "CATALOG_READ_TIMEOUT": "5",
        "CATALOG_TOTAL_TIMEOUT": "8",
        "LOG_LEVEL": "DEBUG",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "GUNICORN_GRACEFUL_TIMEOUT": "10",
        **api_variables,
    }
    api = Served.gunicorn("favorites_project.wsgi:application", api_env, tmp_path / "api.log")
    try:
        catalog.wait_until_answering("/health")
        api.wait_until_answering("/health/live")
    except BaseException:
        api.stop()
        catalog.stop()
        raise
    return api, catalog


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(condition, what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.05)


def catalog_requests(catalog: Served) -> int:
    """Catalog requests received so far (counted as they arrive, before any latency)."""
    status, _, state = call(f"{catalog.url}/__faults__")
    assert status == 200
    return state["requests_served"]


def set_catalog_faults(catalog: Served, **faults) -> None:
    status, _, _ = call(f"{catalog.url}/__faults__", "PUT", body=faults)
    assert status == 200


def bearer(customer) -> dict:
    return {"Authorization": f"Bearer {RefreshToken.for_user(customer).access_token}"}


def test_a_request_gets_one_json_access_line_with_its_id_route_customer_and_status(stack):
    api, catalog = stack
    customer = CustomerFactory()
    request_id = "edge-4f2c9a7e-0001"

    status, headers, _ = call(
        f"{api.url}/api/v1/customers/me/favorites/",
        "POST",
        body={"product_id": PRODUCT_ID},
        headers={**bearer(customer), "X-Request-ID": request_id},
    )

    assert status == 201
    assert headers["X-Request-ID"] == request_id
    api.stop()
    catalog.stop()
    access = [line for line in api.json_lines() if line.get("logger") == "gunicorn.access"]
    ours = [line for line in access if line.get("request_id") == request_id]
    assert len(ours) == 1
    line = ours[0]
    assert line["level"] == "INFO"
    assert line["method"] == "POST"
    assert line["path"] == "/api/v1/customers/me/favorites/"
    assert line["route"] == "api/v1/customers/(?P<customer_id>[0-9]+|me)/favorites/$"
    assert line["customer_id"] == customer.pk
    assert line["status"] == 201
    assert line["duration_ms"] > 0
    assert line["timestamp"].startswith(time.strftime("%Y-%m-%d", time.gmtime()))
    # The catalog's own access line carries the id the service passed on.
    catalog_lines = [line for line in catalog.json_lines() if line.get("request_id") == request_id]
    assert [(line["method"], line["path"]) for line in catalog_lines] == [
        ("GET", f"/api/product/{PRODUCT_ID}/")
    ]


def test_access_lines_reach_the_log_within_a_second_while_the_worker_runs(stack):
    """Buffered (favorites_project/gunicorn_logging.py), but not held until the worker exits."""
    api, _ = stack
    request_id = "edge-4f2c9a7e-0002"

    status, _, _ = call(f"{api.url}/health/live", headers={"X-Request-ID": request_id})

    assert status == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
        line.get("request_id") == request_id for line in api.json_lines()
    ):
        time.sleep(0.1)
    assert api.process.poll() is None  # still serving
    (access,) = [line for line in api.json_lines() if line.get("request_id") == request_id]
    assert access["logger"] == "gunicorn.access"


def test_every_line_written_while_answering_carries_the_request_id(stack):
    api, catalog = stack
    customer = CustomerFactory()
    set_catalog_faults(catalog, status=500)

    status, headers, body = call(
        f"{api.url}/api/v1/customers/me/favorites/",
        "POST",
        body={"product_id": PRODUCT_ID},
        headers=bearer(customer),
    )

    assert (status, body["code"]) == (503, "catalog_unavailable")
    request_id = headers["X-Request-ID"]
    assert len(request_id) == 32
    api.stop()
    lines = [line for line in api.json_lines() if line.get("request_id") == request_id]
    loggers = [line["logger"] for line in lines]
    assert loggers.count("catalog") >= 2  # the call failed (warning) and its debug line
    assert loggers[-1] == "gunicorn.access"
    assert not Favorite.objects.exists()


def test_no_secret_reaches_any_log_line(stack):
    """Passwords, tokens, Authorization headers, secrets and the catalog's credentials."""
    api, catalog = stack
    email = "ops-secrets@example.com"
    register = {"name": "Ops", "email": email, "password": PASSWORD}
    status, _, _ = call(f"{api.url}/api/v1/auth/register/", "POST", body=register)
    assert status == 201
    status, _, tokens = call(
        f"{api.url}/api/v1/auth/token/", "POST", body={"email": email, "password": PASSWORD}
    )
    assert status == 200
    access, refresh = tokens["access"], tokens["refresh"]
    webhook_secret = "whsec-9f8e7d6c5b4a"
    authorization = {"Authorization": f"Bearer {access}"}
    # A token and a secret in the query string, an Authorization header, a secret header.
    call(
        f"{api.url}/api/v1/customers/me/?token={access}&webhook_secret={webhook_secret}",
        headers={**authorization, "X-Webhook-Secret": webhook_secret},
    )
    call(f"{api.url}/api/v1/auth/token/refresh/", "POST", body={"refresh": refresh})
    call(
        f"{api.url}/api/v1/auth/token/",
        "POST",
        body={"email": email, "password": "wrong-" + PASSWORD},
    )
    # Catalog calls are logged at DEBUG with their URL; a failing one as a warning.
    call(
        f"{api.url}/api/v1/customers/me/favorites/",
        "POST",
        body={"product_id": PRODUCT_ID},
        headers=authorization,
    )
    set_catalog_faults(catalog, status=500)
    call(f"{api.url}/api/v1/products/{PRODUCT_ID}x/", headers=authorization)
    api.stop()

    text = api.log_path.read_text()
    assert '"logger":"catalog"' in text  # the lines were written
    assert '"logger":"gunicorn.access"' in text
    assert '"query":"token=[redacted]&webhook_secret=[redacted]"' in text
    for secret in (PASSWORD, access, refresh, webhook_secret, CATALOG_PASSWORD, CATALOG_USER):
        assert secret not in text
    assert all(isinstance(line, dict) for line in api.json_lines())


def test_sigterm_lets_a_slow_request_finish_then_exits_cleanly(stack):
    api, catalog = stack
    customer = CustomerFactory()
    set_catalog_faults(catalog, latency_ms=1500)
    outcome = {}

    def add_favorite():
        outcome["status"], _, outcome["body"] = call(
            f"{api.url}/api/v1/customers/me/favorites/",
            "POST",
            body={"product_id": PRODUCT_ID},
            headers=bearer(customer),
        )

    def call_after_the_signal():
        try:
            outcome["late"] = call(f"{api.url}/health/live", timeout=20)[0]
        except OSError as error:  # refused, or reset when the worker exits
            outcome["late"] = error

    adding = threading.Thread(target=add_favorite)
    adding.start()
    wait_for(lambda: catalog_requests(catalog) >= 1, "the add to reach the slow catalog")
    api.process.send_signal(signal.SIGTERM)
    wait_for(lambda: "Handling signal: term" in api.log_path.read_text(), "gunicorn's stop")
    time.sleep(0.3)  # the master has told its worker, which stops accepting at once
    late = threading.Thread(target=call_after_the_signal)
    late.start()
    adding.join(20)
    late.join(20)

    assert outcome["status"] == 201
    assert outcome["body"]["product_id"] == PRODUCT_ID
    assert isinstance(outcome["late"], OSError)  # never answered: no longer accepting
    assert api.process.wait(15) == 0
    assert Favorite.objects.filter(customer=customer, product_id=PRODUCT_ID).exists()


def tcp_sockets(port: int) -> list[tuple[str, int, int]]:
    """(state, remote port, inode) of this machine's IPv4 sockets whose local port is `port`
    (/proc/net/tcp: state 0A is listening, 01 established)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if int(local.split(":")[1], 16) == port:
            found.append((state, int(remote.split(":")[1], 16), inode))
    return found


# /proc/net/tcp's states of a connection a worker still holds: established, or closed by the
# client but not yet by the worker (CLOSE_WAIT).
HELD_STATES = {"01", "08"}


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


@pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="reads Linux's /proc",
)
def test_keep_alive_connections_opened_at_once_are_dealt_evenly_among_the_workers(
    transactional_db, tmp_path
):
    api, catalog = start_stack(tmp_path, WEB_CONCURRENCY="2")
    try:
        master = api.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        wait_for(lambda: len(children.read_text().split()) == 2, "two workers")
        workers = [int(pid) for pid in children.read_text().split()]
        listening = {inode for state, _, inode in tcp_sockets(api.port) if state == "0A"}
        # One socket, the master's, that every worker listens on.
        assert len(listening) == 1
        assert all(listening <= socket_inodes(pid) for pid in [master, *workers])

        # A load balancer's keep-alive pool, opened in one burst: each connection stays with
        # the worker that accepted it, so each worker must take its half. Three bursts, each
        # once the workers hold none of the last one's connections (nor the start's probe):
        # none established, none closed by the client only (closed by both, a socket may
        # linger in TIME_WAIT for a minute, counted by no worker).
        deals = []
        for _ in range(3):
            wait_for(
                lambda: not [s for s, _, _ in tcp_sockets(api.port) if s in HELD_STATES],
                "no connection held by a worker",
            )
            deals.append(sorted(burst_holders(api.port, workers, 8).values()))
    finally:
        api.stop()
        catalog.stop()

    assert deals == [[4, 4]] * 3
    assert "Using worker: favorites_project.gunicorn_worker.FairShareWorker" in (
        api.log_path.read_text()
    )


def burst_holders(port: int, workers: list[int], size: int) -> dict[int, int]:
    """How many of `size` connections opened at once, each answered once, each worker holds."""
    pool = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(size)]
    try:
        for connection_ in pool:
            connection_.sendall(b"GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for connection_ in pool:
            assert connection_.recv(65536).startswith(b"HTTP/1.1 200 ")
        established = {remote: inode for state, remote, inode in tcp_sockets(port) if state == "01"}
        return {
            pid: sum(
                established[connection_.getsockname()[1]] in socket_inodes(pid)
                for connection_ in pool
            )
            for pid in workers
        }
    finally:
        for connection_ in pool:
            connection_.close()


def test_a_port_held_by_another_program_stops_the_start(tmp_path):
    """The master binds the address (gunicorn tries five times, a second apart): a taken
    port ends the start with exit status 1, before any worker is started."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "DEBUG": "false", "SECRET_KEY": settings.SECRET_KEY}
        served = Served(
            [GUNICORN, "favorites_project.wsgi:application", "--bind", f"127.0.0.1:{port}"],
            env,
            tmp_path / "api.log",
            port,
        )
        try:
            exit_code = served.process.wait(30)
        finally:
            served.stop()

    assert exit_code == 1
    log = served.log_path.read_text()
    assert f"Can't connect to ('127.0.0.1', {port})" in log
    assert "Booting worker" not in log


def test_make_serve_runs_the_production_configuration_on_loopback(transactional_db, tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT", "CACHE_URL")},
        "DJANGO_SETTINGS_MODULE": "favorites_project.settings",
        "PORT": str(port),
        "DATABASE_URL": database_url(),
        "WEB_CONCURRENCY": "1",
    }
    served = Served(["make", "serve"], env, tmp_path / "serve.log", port)
    try:
        served.wait_until_answering("/health/live")
        status, headers, _ = call(f"{served.url}/api/v1/customers/me/")
    finally:
        os.killpg(served.process.pid, signal.SIGTERM)  # make and the gunicorn it started
        served.process.wait(30)
        # gunicorn itself gone too (its connections to the test database closed).
        wait_for(lambda: not listening(port), "make serve's gunicorn to exit", timeout=30)

    assert status == 401  # plain HTTP is served, not redirected to HTTPS
    gunicorn_lines = [json.loads(line) for line in served.lines() if line.startswith('{"level"')]
    access = [line for line in gunicorn_lines if line["logger"] == "gunicorn.access"]
    assert any(line["request_id"] == headers["X-Request-ID"] for line in access)
    assert any(
        line["message"].startswith("Listening at: http://127.0.0.1:") for line in gunicorn_lines
    )


# What Celery prints itself, outside logging, when its worker is told to stop.
CELERY_SHUTDOWN_LINE = "worker: Warm shutdown (MainProcess)"


@pytest.mark.parametrize(
    ("service", "first_line"),
    [
        ("worker", "consumer: Cannot connect to redis://***@127.0.0.1:1/0"),
        ("beat", "beat: Ready; sends events.sweep every "),
    ],
)
def test_the_celery_services_as_deployed_write_nothing_but_json_lines(
    service, first_line, tmp_path
):
    """docker-compose's worker and beat, DEBUG off: no startup banner, each line one object
    (a broker that refuses connections: the worker's lines are its errors)."""
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text())
    command = compose["services"][service]["command"]
    assert command[0] == "celery"
    command = [str(Path(sys.executable).parent / "celery"), *command[1:]]
    if "--schedule" in command:
        command[command.index("--schedule") + 1] = str(tmp_path / "celerybeat-schedule")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("LOG_FORMAT", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "favorites_project.settings",
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    }
    served = Served(command, env, tmp_path / f"{service}.log", port=0)
    try:
        wait_for(lambda: first_line in served.log_path.read_text(), f"the {service}'s first line")
    finally:
        served.stop()

    lines = [line for line in served.lines() if line.strip() and line != CELERY_SHUTDOWN_LINE]
    assert all(isinstance(json.loads(line), dict) for line in lines), "\n".join(lines)
    assert served.process.returncode == 0


class OtlpReceiver(BaseHTTPRequestHandler):
    """An OpenTelemetry collector's OTLP/HTTP endpoint, keeping what it is sent."""

    received: list[ExportTraceServiceRequest]

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/v1/traces":
            export = ExportTraceServiceRequest()
            export.ParseFromString(body)
            self.server.received.append(export)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def otlp_collector():
    server = ThreadingHTTPServer(("127.0.0.1", 0), OtlpReceiver)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_with_an_otlp_endpoint_each_request_is_exported_as_one_trace_named_in_its_log_lines(
    transactional_db, tmp_path, otlp_collector
):
    endpoint = f"http://127.0.0.1:{otlp_collector.server_address[1]}"
    api, catalog = start_stack(
        tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_BSP_SCHEDULE_DELAY="100"
    )
    customer = CustomerFactory()
    try:
        status, headers, _ = call(
            f"{api.url}/api/v1/customers/me/favorites/",
            "POST",
            body={"product_id": PRODUCT_ID},
            headers=bearer(customer),
        )
    finally:
        api.stop()  # the worker's last batch is exported as it exits
        catalog.stop()

    assert status == 201
    request_id = headers["X-Request-ID"]
    lines = [line for line in api.json_lines() if line.get("request_id") == request_id]
    (access,) = [line for line in lines if line["logger"] == "gunicorn.access"]
    trace_id = access["trace_id"]
    assert {line["trace_id"] for line in lines} == {trace_id}
    exported = [
        (span, resource.resource)
        for export in otlp_collector.received
        for resource in export.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    spans = [span for span, _ in exported if span.trace_id.hex() == trace_id]
    names = sorted(span.name for span in spans)
    assert "POST api/v1/customers/(?P<customer_id>[0-9]+|me)/favorites/$" in names
    statements = [
        attribute.value.string_value
        for span in spans
        for attribute in span.attributes
        if attribute.key in ("db.statement", "db.query.text")
    ]
    assert any('INSERT INTO "favorites_favorite"' in statement for statement in statements)
    assert "GET" in names  # the catalog call
    services = {
        attribute.value.string_value
        for _, resource in exported
        for attribute in resource.attributes
        if attribute.key == "service.name"
    }
    assert services == {"favorites"}
