"""Traces: OpenTelemetry spans for each request, SQL query, catalog call and cache call.

Only `wsgi.py` imports this module, and only when OTEL_EXPORTER_OTLP_ENDPOINT is set:
without it nothing of OpenTelemetry is imported or patched, so traces off cost nothing.
`configure()` then

- installs a tracer provider exporting by OTLP over HTTP (the exporter reads the standard
  OTEL_EXPORTER_OTLP_* variables: endpoint, headers, timeout, compression), in batches
  from a background thread (the SDK restarts it in each forked gunicorn worker);
- instruments Django (a span per request, named by its route pattern; the probes and
  /metrics left out), psycopg (a span per SQL statement), requests (a span per catalog
  call, with the trace context propagated in `traceparent`) and redis (a span per cache
  command);
- makes every log line written inside a span carry `trace_id` and `span_id`
  (favorites_project.logs), and the access line its request's `trace_id`.

The service's name in the traces is `favorites` unless OTEL_SERVICE_NAME says otherwise;
OTEL_RESOURCE_ATTRIBUTES adds attributes (e.g. `deployment.environment=production`).
"""

import os
from typing import cast

import psycopg
from django.db.backends.postgresql.base import ServerBindingCursor
from opentelemetry import trace
from opentelemetry.instrumentation.django import DjangoInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor, _new_cursor_factory
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from favorites_project import logs
from favorites_project.postgresql.base import DatabaseWrapper as PostgreSQL

# Probes and scrapes come every few seconds from machines, not customers.
DEFAULT_EXCLUDED_URLS = "health/,metrics"
INSTRUMENTORS = (DjangoInstrumentor, PsycopgInstrumentor, RequestsInstrumentor, RedisInstrumentor)


def configure(span_processor: SpanProcessor | None = None) -> TracerProvider:
    """Turn traces on for this process; `span_processor` replaces the OTLP export (tests)."""
    if span_processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_processor = BatchSpanProcessor(OTLPSpanExporter())
    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: "favorites"}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(span_processor)
    trace.set_tracer_provider(provider)

    excluded = os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS", DEFAULT_EXCLUDED_URLS)
    DjangoInstrumentor().instrument(tracer_provider=provider, excluded_urls=excluded)
    PsycopgInstrumentor().instrument(tracer_provider=provider)
    # The hot paths' prepared cursors are made by the backend, not by the connection's
    # cursor factory that the instrumentation wraps: the same wrapping, for their class.
    PostgreSQL.prepared_cursor_class = _new_cursor_factory(
        base_factory=cast(type[psycopg.Cursor], ServerBindingCursor), tracer_provider=provider
    )
    RequestsInstrumentor().instrument(tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    logs.current_trace_ids = current_trace_ids
    return provider


def unconfigure() -> None:
    """Undo the instrumentation (tests); the tracer provider stays, as OpenTelemetry wants."""
    logs.current_trace_ids = None
    for instrumentor in INSTRUMENTORS:
        instrumentor().uninstrument()
    PostgreSQL.prepared_cursor_class = ServerBindingCursor


def current_trace_ids() -> tuple[str, str] | None:
    """The current span's (trace id, span id) in hex, or None outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
