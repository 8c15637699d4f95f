"""Traces: off by default at no cost; on, one trace per request with its SQL, catalog and
cache calls as spans, and the trace id in the request's log lines."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from catalog.products import product_page
from catalog.testing import PRODUCT_ID
from favorites.models import Favorite
from favorites.tests.factories import FavoriteFactory
from favorites_project import telemetry
from favorites_project.logs import ENVIRON_TRACE_ID

REDIS_URL = "redis://127.0.0.1:6379/13"


def served_application_state(**env) -> dict:
    """What importing the WSGI module (as gunicorn does) loads, in a fresh process."""
    script = """if True:
        import json, sys
        import favorites_project.wsgi
        import requests
        from django.conf import settings
        modules = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
        patched = hasattr(requests.Session.send, "__wrapped__")
        state = {"modules": modules, "middleware": settings.MIDDLEWARE, "patched": patched}
        print(json.dumps(state))
    """
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and k != "DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**base, "DEBUG": "false", "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


# redis-py imports OpenTelemetry's API and metrics SDK for its own metrics when they are
# installed (they stay off); the tracing SDK, the instrumentations and the exporter are ours.
OURS = ("opentelemetry.instrumentation", "opentelemetry.exporter", "opentelemetry.sdk.trace")


def test_without_an_otlp_endpoint_no_tracing_is_loaded_or_patched_in():
    state = served_application_state()

    assert not [module for module in state["modules"] if module.startswith(OURS)]
    assert not any("opentelemetry" in entry for entry in state["middleware"])
    assert state["patched"] is False


def test_with_an_otlp_endpoint_the_served_application_is_instrumented():
    state = served_application_state(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318")

    assert "opentelemetry" in state["middleware"][0]
    assert state["patched"] is True
    for module in (
        "opentelemetry.instrumentation.django",
        "opentelemetry.instrumentation.psycopg",
        "opentelemetry.instrumentation.requests",
        "opentelemetry.instrumentation.redis",
        "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    ):
        assert module in state["modules"]


@pytest.fixture(scope="module")
def spans():
    """Traces on in this process, kept in memory; off again after the module."""
    exporter = InMemorySpanExporter()
    telemetry.configure(SimpleSpanProcessor(exporter))
    connections.close_all()  # the next connection is made through the instrumented psycopg
    try:
        yield exporter
    finally:
        telemetry.unconfigure()
        connections.close_all()


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "favorites_project.caching.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    cache.clear()
    yield
    cache.clear()


def descends_from(span, ancestor, by_id) -> bool:
    while span.parent is not None:
        if span.parent.span_id == ancestor.context.span_id:
            return True
        span = by_id.get(span.parent.span_id)
        if span is None:
            return False
    return False


@pytest.mark.django_db
@pytest.mark.integration
def test_adding_a_favorite_is_one_trace_with_its_sql_catalog_and_cache_spans(
    spans, redis_cache, catalog, customer, auth_client, json_log
):
    client = auth_client(customer)
    spans.clear()

    response = client.post("/api/v1/customers/me/favorites/", {"product_id": PRODUCT_ID})

    assert response.status_code == 201
    finished = spans.get_finished_spans()
    assert len({span.context.trace_id for span in finished}) == 1
    (server,) = [span for span in finished if span.kind is SpanKind.SERVER]
    assert server.name == "POST api/v1/customers/(?P<customer_id>[0-9]+|me)/favorites/$"
    status = server.attributes.get(
        "http.response.status_code", server.attributes.get("http.status_code")
    )
    assert status == 201
    by_id = {span.context.span_id: span for span in finished}
    catalog_calls = [
        span
        for span in finished
        if span.kind is SpanKind.CLIENT and f"/api/product/{PRODUCT_ID}/" in str(span.attributes)
    ]
    inserts = [
        span
        for span in finished
        # The add's one statement: the checks, the row and its event (favorites/services.py).
        if 'INSERT INTO "favorites_favorite"'
        in str(span.attributes.get("db.statement", span.attributes.get("db.query.text", "")))
    ]
    cache_calls = [span for span in finished if span.attributes.get("db.system") == "redis"]
    assert len(catalog_calls) == 1
    assert len(inserts) == 1
    assert cache_calls
    for span in (*catalog_calls, *inserts, *cache_calls):
        assert descends_from(span, server, by_id), span.name
    assert Favorite.objects.filter(customer=customer, product_id=PRODUCT_ID).exists()

    trace_id = format(server.context.trace_id, "032x")
    assert response.wsgi_request.META[ENVIRON_TRACE_ID] == trace_id
    request_lines = [
        line for line in json_log() if line.get("request_id") == response["X-Request-ID"]
    ]
    assert request_lines  # the catalog call's line, at least
    assert {line["trace_id"] for line in request_lines} == {trace_id}


@pytest.mark.django_db
def test_the_lists_prepared_statements_are_spans_of_its_trace(
    spans, redis_cache, customer, auth_client
):
    client = auth_client(customer)
    FavoriteFactory.create_batch(2, customer=customer)
    cache.clear()  # the customer's row read past the cache too, by its prepared statement
    spans.clear()

    response = client.get("/api/v1/customers/me/favorites/")

    assert response.status_code == 200
    finished = spans.get_finished_spans()
    (server,) = [span for span in finished if span.kind is SpanKind.SERVER]
    by_id = {span.context.span_id: span for span in finished}
    statements = [
        str(span.attributes.get("db.statement", span.attributes.get("db.query.text", "")))
        for span in finished
        if span.attributes.get("db.system") == "postgresql" and descends_from(span, server, by_id)
    ]
    assert any(s.startswith('SELECT "id", "password"') for s in statements), statements
    assert any('FROM "favorites_favorite"' in s and "LIMIT" in s for s in statements), statements


@pytest.mark.django_db
@pytest.mark.integration
def test_a_batchs_concurrent_catalog_calls_join_the_requests_trace(
    spans, catalog, customer, auth_client
):
    product_ids = [product.id for product in product_page(1).products[:3]]
    client = auth_client(customer)
    spans.clear()

    response = client.post(
        "/api/v1/customers/me/favorites/batch/", {"add": product_ids, "remove": []}
    )

    assert response.status_code == 200, response.content
    finished = spans.get_finished_spans()
    (server,) = [span for span in finished if span.kind is SpanKind.SERVER]
    by_id = {span.context.span_id: span for span in finished}
    catalog_calls = [
        span
        for span in finished
        if span.kind is SpanKind.CLIENT and "/api/product/" in str(span.attributes)
    ]
    assert len(catalog_calls) == 3
    for span in catalog_calls:
        assert span.context.trace_id == server.context.trace_id
        assert descends_from(span, server, by_id)
