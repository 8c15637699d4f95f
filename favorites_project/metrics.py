"""Prometheus metrics at /metrics: requests by route and status, and their latency.

Under gunicorn set PROMETHEUS_MULTIPROC_DIR (the image does) so that a scrape
sums every worker process, not just the one that answers it.
"""

import hmac
import os
import time

from django.conf import settings
from django.http import HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from favorites_project.exceptions import not_found_view, problem_response
from favorites_project.logs import ENVIRON_ROUTE

REQUESTS = Counter(
    "favorites_http_requests_total",
    "HTTP requests answered, by method, route pattern and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "favorites_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# Collectors that read their values when /metrics is scraped (an app's backlog from the
# database, say): the same in every process, so kept out of the multiprocess files.
_SCRAPE_COLLECTORS: list = []


def scrape_collector_register(collector) -> None:
    """Have /metrics ask `collector` (a prometheus_client collector) at every scrape."""
    _SCRAPE_COLLECTORS.append(collector)


class MetricsMiddleware:
    """Counts every response; routes are URL patterns, so the label set stays small."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = "unmatched" if match is None or match.func is not_found_view else match.route
        # Any word is a method to Django: a made-up one must not make a new series.
        method = request.method if request.method in KNOWN_METHODS else "other"
        # The access line's route too (gunicorn logs it from the environ).
        request.META[ENVIRON_ROUTE] = route
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        return response


def metrics_view(request):
    """The Prometheus text format; with METRICS_TOKEN set, only for `Bearer <token>`."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return problem_response(401, "not_authenticated", "A metrics token is needed.")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    scraped = CollectorRegistry(auto_describe=False)
    for collector in _SCRAPE_COLLECTORS:
        scraped.register(collector)
    body = generate_latest(registry) + generate_latest(scraped)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
