import re

import pytest
from django.urls import reverse

from favorites_project.testing import assert_problem


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db
def test_metrics_count_requests_by_route_pattern_not_by_id(client, customer, auth_client):
    route = "api/v1/customers/(?P<pk>[0-9]+|me)/$"
    before = sample(
        client.get("/metrics").content.decode(),
        "favorites_http_requests_total",
        method="GET",
        route=route,
        status="200",
    )

    auth_client(customer).get(reverse("customer-detail", args=[customer.pk]))
    auth_client(customer).get(reverse("customer-detail", args=["me"]))
    auth_client(customer).get("/api/v1/no-such-thing/")

    text = client.get("/metrics").content.decode()
    assert (
        sample(text, "favorites_http_requests_total", method="GET", route=route, status="200")
        == before + 2
    )
    assert sample(text, "favorites_http_requests_total", route="unmatched", status="404") >= 1
    assert not any(f"/{customer.pk}/" in route for route in re.findall(r'route="([^"]*)"', text))
    assert "favorites_http_request_duration_seconds_bucket" in text


def test_metrics_need_the_token_when_one_is_set(client, settings):
    settings.METRICS_TOKEN = "scrape-secret"

    refused = client.get("/metrics")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")

    assert_problem(refused, 401, "not_authenticated")
    assert wrong.status_code == 401
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain")


def test_a_made_up_method_does_not_make_a_new_series(client):
    client.generic("BREW", "/api/v1/products/")

    text = client.get("/metrics").content.decode()
    assert 'method="BREW"' not in text
    assert sample(text, "favorites_http_requests_total", method="other") >= 1
