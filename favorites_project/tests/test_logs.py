"""Request ids and log lines in-process (test_served.py checks them under gunicorn)."""

import io
import json
import logging
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from gunicorn.config import Config

from catalog.products import product_get
from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url
from favorites_project import logs
from favorites_project.gunicorn_logging import (
    CHUNK_BYTES,
    BufferedStreamHandler,
    access_flush_seconds,
    log_format,
)
from favorites_project.gunicorn_logging import Logger as GunicornLogger
from favorites_project.testing import openapi_schema, schema_operations


def test_a_response_carries_a_new_request_id_when_the_caller_sent_none(client):
    first = client.get("/health/live")["X-Request-ID"]
    second = client.get("/health/live")["X-Request-ID"]

    assert len(first) == 32
    assert int(first, 16) >= 0
    assert first != second


@pytest.mark.parametrize(
    "request_id", ["edge-4f2c9a7e-0001", "0" * 128, "00-4bf92f3577b34da6a3ce929d0e0e4736-01"]
)
def test_a_sane_request_id_from_the_caller_is_kept_and_echoed(client, request_id):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=request_id)

    assert response["X-Request-ID"] == request_id


@pytest.mark.parametrize(
    "request_id",
    ["short", "0" * 129, "has space-in-it", 'quote"d-value', "new\nline-value", "ünïcode-id-1", ""],
)
def test_an_unsafe_request_id_from_the_caller_is_replaced(client, request_id):
    response = client.get("/health/live", HTTP_X_REQUEST_ID=request_id)

    assert response["X-Request-ID"] != request_id
    assert len(response["X-Request-ID"]) == 32


def test_browsers_may_read_the_request_id_of_a_cross_origin_answer(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.com"]

    response = client.get("/api/v1/customers/", HTTP_ORIGIN="https://shop.example.com")

    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert response["Access-Control-Expose-Headers"] == "X-Request-ID"
    assert response["X-Request-ID"]


def test_the_schema_documents_the_request_id_on_every_operation_and_answer():
    operations = list(schema_operations(openapi_schema()))

    assert len(operations) > 10
    for method, path, operation in operations:
        (parameter,) = [p for p in operation["parameters"] if p["name"] == "X-Request-ID"]
        assert parameter["in"] == "header"
        assert parameter.get("required", False) is False
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, status)


@pytest.mark.django_db
def test_a_problem_answer_carries_the_request_id_too(client):
    response = client.get("/no/such/path", HTTP_X_REQUEST_ID="edge-4f2c9a7e-0404")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "edge-4f2c9a7e-0404"


def test_the_catalog_is_called_with_the_request_id(catalog_http, customer, auth_client, json_log):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())
    client = auth_client(customer)

    response = client.post(
        "/api/v1/customers/me/favorites/",
        {"product_id": PRODUCT_ID},
        HTTP_X_REQUEST_ID="edge-4f2c9a7e-0002",
    )

    assert response.status_code == 201
    assert [call.request.headers["X-Request-ID"] for call in catalog_http.calls] == [
        "edge-4f2c9a7e-0002"
    ]
    catalog_lines = [line for line in json_log() if line["logger"] == "catalog"]
    assert catalog_lines
    assert {line["request_id"] for line in catalog_lines} == {"edge-4f2c9a7e-0002"}


def test_a_batchs_concurrent_catalog_calls_carry_the_request_id(
    catalog_http, customer, auth_client
):
    product_ids = [f"product-{n}" for n in range(4)]
    for product_id in product_ids:
        catalog_http.get(luizalabs_url(product_id), json=luizalabs_product(product_id))

    response = auth_client(customer).post(
        "/api/v1/customers/me/favorites/batch/",
        {"add": product_ids, "remove": []},
        HTTP_X_REQUEST_ID="edge-4f2c9a7e-0005",
    )

    assert response.status_code == 200, response.content
    assert [result["status"] for result in response.json()["results"]] == ["added"] * 4
    sent = [call.request.headers.get("X-Request-ID") for call in catalog_http.calls]
    assert sent == ["edge-4f2c9a7e-0005"] * 4


def test_a_catalog_call_outside_a_request_carries_no_request_id(catalog_http):
    catalog_http.get(luizalabs_url(), json=luizalabs_product())

    product_get(PRODUCT_ID)

    assert "X-Request-ID" not in catalog_http.calls[0].request.headers


def test_a_json_line_has_the_documented_fields_and_the_exception_as_a_field(json_log):
    token = logs.REQUEST_ID.set("edge-4f2c9a7e-0003")
    try:
        try:
            raise ValueError("the catalog said no")
        except ValueError:
            logging.getLogger("favorites").exception("Adding failed for %s", "me")
    finally:
        logs.REQUEST_ID.reset(token)

    (line,) = json_log()
    assert line["level"] == "ERROR"
    assert line["logger"] == "favorites"
    assert line["message"] == "Adding failed for me"
    assert line["request_id"] == "edge-4f2c9a7e-0003"
    assert line["timestamp"].endswith("+00:00")
    assert line["exception"]["type"] == "ValueError"
    assert line["exception"]["message"] == "the catalog said no"
    assert line["exception"]["traceback"].startswith("Traceback (most recent call last):")
    assert "exc_info" not in line


def test_a_line_outside_a_request_has_no_request_id(json_log):
    logging.getLogger("favorites").warning("A scheduled refresh")

    (line,) = json_log()
    assert "request_id" not in line


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ('{"password": "hunter2-hunter2"}', '{"password": "[redacted]"}'),
        ("email=a@b.c&password=hunter2&next=/", "email=a@b.c&password=[redacted]&next=/"),
        ("Authorization: Bearer abcdefghijkl123", "Authorization: [redacted]"),
        ("sent Bearer abcdefghijkl123 along", "sent Bearer [redacted] along"),
        ("refresh eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "refresh [redacted]"),
        ("GET http://user:pw@catalog.test/api/", "GET http://***@catalog.test/api/"),
        ("webhook_secret='whsec-123456'", "webhook_secret='[redacted]'"),
        ("X-Api-Key: k-123456", "X-Api-Key: [redacted]"),
        # The reprs an exception's text may carry: a QueryDict, a DRF error dict, bytes.
        (
            "<QueryDict: {'password': ['hunter2-hunter2'], 'email': ['a@b.c']}>",
            "<QueryDict: {'password': [redacted], 'email': ['a@b.c']}>",
        ),
        ('{"password": ["hunter2-hunter2"]}', '{"password": [redacted]}'),
        ("{'password': b'hunter2-hunter2'}", "{'password': [redacted]}"),
        ("signing with whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=", "signing with [redacted]"),
        ("GET /api/v1/customers/me/favorites/ 200", "GET /api/v1/customers/me/favorites/ 200"),
    ],
)
def test_secrets_are_redacted_from_text(text, logged):
    assert logs.redact(text) == logged


def test_secret_fields_passed_with_a_line_are_redacted(json_log):
    logging.getLogger("favorites").warning(
        "Login for %s with password=%s",
        "ana@example.com",
        "hunter2-hunter2",
        extra={
            "body": {"email": "ana@example.com", "password": "hunter2-hunter2", "refresh": "r-1"},
            "headers": {"Authorization": "Bearer abcdefghijkl", "Accept": "application/json"},
            "webhook_secret": "whsec-123456",
            "catalog_url": "http://catalog-user:catalog-pw@catalog.test",
        },
    )

    (line,) = json_log()
    assert line["message"] == "Login for ana@example.com with password=[redacted]"
    assert line["body"] == {"email": "ana@example.com", "password": "[redacted]", "refresh": "r-1"}
    assert line["headers"] == {"Authorization": "[redacted]", "Accept": "application/json"}
    assert line["webhook_secret"] == "[redacted]"
    assert line["catalog_url"] == "http://***@catalog.test"
    text = json.dumps(line)
    for secret in ("hunter2-hunter2", "abcdefghijkl", "whsec-123456", "catalog-pw"):
        assert secret not in text


def test_an_exception_text_is_redacted(json_log):
    try:
        raise RuntimeError("connect to http://u:catalog-pw@catalog.test failed, token=t-123456")
    except RuntimeError:
        logging.getLogger("favorites").exception("Failed")

    (line,) = json_log()
    assert "catalog-pw" not in json.dumps(line)
    assert "t-123456" not in json.dumps(line)
    assert line["exception"]["message"] == (
        "connect to http://***@catalog.test failed, token=[redacted]"
    )


def settings_log_line(**env) -> str:
    """What a warning looks like with the project's settings under `env`."""
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('favorites').warning('hello %s', 'there')"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "LOG_FORMAT")}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "favorites_project.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stderr.strip()


def test_lines_are_json_with_debug_off_and_plain_with_debug_on():
    production = settings_log_line(DEBUG="false", SECRET_KEY="x" * 50)
    development = settings_log_line(DEBUG="true")
    chosen = settings_log_line(DEBUG="true", LOG_FORMAT="json")

    assert json.loads(production)["message"] == "hello there"
    assert development.endswith(" WARNING favorites [-] hello there")
    assert json.loads(chosen)["level"] == "WARNING"


@pytest.mark.parametrize(
    ("env", "chosen"),
    [
        ({}, "json"),
        ({"DEBUG": "false"}, "json"),
        ({"DEBUG": "true"}, "plain"),
        ({"DEBUG": "on", "LOG_FORMAT": "json"}, "json"),
        ({"LOG_FORMAT": "plain"}, "plain"),
    ],
)
def test_gunicorn_chooses_the_log_format_as_the_settings_do(env, chosen):
    assert log_format(env) == chosen


class _Recording(io.TextIOBase):
    """A text stream that writes through at once (standard output under
    PYTHONUNBUFFERED) and keeps each write."""

    def __init__(self):
        self.writes: list[str] = []

    def writable(self):
        return True

    def write(self, text):
        self.writes.append(text)
        return len(text)

    def lines(self) -> list[str]:
        return "".join(self.writes).splitlines()


def _access_logger(handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(f"test.access.{id(handler)}")
    logger.propagate = False
    logger.addHandler(handler)
    return logger


def test_buffered_access_lines_reach_the_stream_within_the_interval_not_one_write_each():
    stream = _Recording()
    handler = BufferedStreamHandler(stream, interval=1.0)
    logger = _access_logger(handler)

    for n in range(3):
        logger.info("GET /api/v1/ 200 %s", n)
    assert stream.writes == []  # kept, until its thread writes them

    deadline = time.monotonic() + 10
    while len(stream.lines()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stream.lines() == [f"GET /api/v1/ 200 {n}" for n in range(3)]
    assert len(stream.writes) == 1  # together
    logger.info("GET /api/v1/ 200 3")
    handler.flush()  # what the process does as it exits
    assert stream.lines()[-1] == "GET /api/v1/ 200 3"


def test_buffered_access_lines_go_in_whole_lines_of_at_most_a_pipes_atomic_write():
    stream = _Recording()
    handler = BufferedStreamHandler(stream, interval=60)
    logger = _access_logger(handler)
    sent = [f"GET /{n:03d} " + "x" * (n * 7 % 500) for n in range(100)]

    for line in sent:
        logger.info(line)
    handler.flush()

    assert stream.lines() == sent
    assert all(len(w.encode()) <= CHUNK_BYTES and w.endswith("\n") for w in stream.writes)
    assert len(stream.writes) < len(sent) / 5


@pytest.mark.parametrize(("flush", "buffered"), [(None, True), ("0.2", True), ("0", False)])
def test_gunicorn_buffers_access_lines_to_standard_output_unless_told_not_to(
    monkeypatch, flush, buffered
):
    if flush is None:
        monkeypatch.delenv("GUNICORN_ACCESS_LOG_FLUSH", raising=False)
    else:
        monkeypatch.setenv("GUNICORN_ACCESS_LOG_FLUSH", flush)
    cfg = Config()
    cfg.set("accesslog", "-")

    handlers = GunicornLogger(cfg).access_log.handlers
    (handler,) = [h for h in handlers if getattr(h, "_gunicorn", False)]  # not pytest's

    assert isinstance(handler, BufferedStreamHandler) is buffered
    assert handler.stream is sys.stdout
    if buffered:
        assert handler.interval == float(flush or 0.5)


@pytest.mark.parametrize("flush", ["-1", "61", "soon"])
def test_a_bad_access_log_flush_interval_is_refused(flush):
    with pytest.raises(ValueError, match="GUNICORN_ACCESS_LOG_FLUSH"):
        access_flush_seconds({"GUNICORN_ACCESS_LOG_FLUSH": flush})
