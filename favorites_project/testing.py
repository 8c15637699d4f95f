"""Helpers for tests of the project's cross-cutting behaviour (errors, limits, outages)."""

import http.client
import io
import logging
import socket
import uuid
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit
from wsgiref.util import setup_testing_defaults

import psycopg
import redis
from django.db import connections
from drf_spectacular.generators import SchemaGenerator

from favorites_project import near_cache

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "code", "detail"}
REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def redis_cache(settings):
    """Django's cache as production has it: the real Redis (under a key prefix of the
    test's own, deleted after it, which it yields), with each process's near cache."""
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "favorites_project.caching.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    near_cache.get_many([])  # the near cache listening from the start
    near = near_cache.near_cache()
    assert near is None or near.wait_connected(5)
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def assert_problem(response, status: int, code: str) -> dict:
    """An RFC 9457 problem with this status and code (test client response); its body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(code)
    return body


def assert_no_traceback_logged(caplog) -> None:
    """Nothing was logged as an error, and no record carries a traceback."""
    noisy = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not noisy, [r.getMessage() for r in noisy]


def raw_request(
    base_url: str, method: str, path: str, body=b"", headers: dict | None = None
) -> tuple[int, dict, bytes]:
    """One request over a fresh connection to a live server: status, headers, body.

    `body` may be bytes (sent with Content-Length) or an iterable of chunks (sent
    with `Transfer-Encoding: chunked`).
    """
    parts = urlsplit(base_url)
    assert parts.hostname is not None, base_url
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        chunked = not isinstance(body, (bytes, bytearray))
        connection.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_http(base_url: str, head: bytes) -> tuple[int, dict, bytes]:
    """Send these exact bytes (a request line and headers, no body) to a live server."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(head + b"Connection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    header_block, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("iso-8859-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes were read from it."""

    read_so_far = 0

    def read(self, size=-1):
        data = super().read(size)
        self.read_so_far += len(data)
        return data


def wsgi_request(application, method: str, path: str, environ: dict) -> tuple[str, dict, bytes]:
    """One call of a WSGI application, as a server makes it (HTTPS, as behind the load
    balancer): status line, headers, body."""
    full_environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "HTTP_X_FORWARDED_PROTO": "https"}
    full_environ.update(environ)
    setup_testing_defaults(full_environ)
    started: dict[str, Any] = {}

    def start_response(status, headers, exc_info=None):
        started.update(status=status, headers=dict(headers))

    chunks = application(full_environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return started["status"], started["headers"], content


def openapi_schema() -> dict:
    """The OpenAPI schema as /api/schema/ serves it."""
    return SchemaGenerator().get_schema(request=None, public=True)


def schema_operations(schema: dict):
    """(method, path, operation) for every operation of the schema."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method.upper(), path, operation


def database_connections_killed(alias: str = "default") -> None:
    """PostgreSQL terminates every open connection to the test database, the caller's
    included, as in a crash or a failover."""
    params = connections[alias].get_connection_params()
    with psycopg.connect(**params, autocommit=True) as killer:
        killer.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@contextmanager
def database_down(alias: str = "default"):
    """PostgreSQL goes away for real, then comes back.

    While inside, open connections are gone (`database_connections_killed`) and
    new ones are refused: the connection settings, which every thread's
    connection shares, point at a port that is bound but never listens. On the
    way out they point back at PostgreSQL; connections are left as the outage
    left them, for the code under test to recover.
    """
    settings_dict = connections[alias].settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    database_connections_killed(alias)
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", refusing.getsockname()[1]
        try:
            yield
        finally:
            settings_dict["HOST"], settings_dict["PORT"] = saved
