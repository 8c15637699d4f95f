"""The products API through HTTP."""

import pytest
import requests

from catalog.demo_data import load_records
from catalog.testing import PRODUCT_ID, called_urls, luizalabs_url
from favorites_project.testing import assert_problem

LIST = "/api/v1/products/"


def detail(product_id: str) -> str:
    return f"/api/v1/products/{product_id}/"


@pytest.fixture
def client(auth_client, customer):
    return auth_client(customer)


@pytest.mark.parametrize("url", [LIST, detail(PRODUCT_ID)])
def test_anonymous_callers_cannot_read_products(api_client, demo, url):
    response = api_client.get(url)

    assert_problem(response, 401, "not_authenticated")


def test_a_customer_reads_a_product(client, demo):
    response = client.get(detail(PRODUCT_ID))

    assert response.status_code == 200
    assert response.json() == {
        "id": PRODUCT_ID,
        "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
        "price": "1699.00",
        "image_url": f"https://images.catalog.example.com/products/{PRODUCT_ID}.jpg",
        "brand": "bébé confort",
        "review_score": None,
    }


def test_an_unknown_product_is_a_404_problem(client, demo):
    response = client.get(detail("00000000-0000-4000-8000-000000000000"))

    body = assert_problem(response, 404, "not_found")
    assert "00000000-0000-4000-8000-000000000000" in body["detail"]


@pytest.mark.parametrize("product_id", ["a" * 65, "%252e%252e", "bad%20id", "a.b"])
def test_an_invalid_product_id_is_a_400_problem(client, luizalabs, product_id):
    response = client.get(detail(product_id))

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "product_id" in response.json()["errors"]
    assert len(luizalabs.calls) == 0


def test_a_catalog_that_is_down_is_a_503_with_retry_after(client, luizalabs):
    luizalabs.get(luizalabs_url(), body=requests.ConnectionError("connection refused"))

    response = client.get(detail(PRODUCT_ID))

    assert_problem(response, 503, "catalog_unavailable")
    assert int(response["Retry-After"]) > 0
    assert called_urls(luizalabs) == [luizalabs_url()] * 3


def test_with_the_breaker_open_retry_after_is_the_rest_of_the_cooldown(client, luizalabs, settings):
    settings.CATALOG_RETRIES = 0
    settings.CATALOG_BREAKER_THRESHOLD = 1
    settings.CATALOG_BREAKER_COOLDOWN = 120
    luizalabs.get(luizalabs_url(), status=500)
    client.get(detail(PRODUCT_ID))

    response = client.get(detail(PRODUCT_ID))

    assert response.status_code == 503
    assert 100 < int(response["Retry-After"]) <= 120
    assert len(luizalabs.calls) == 1


def test_the_list_is_paginated_in_the_project_format(client, demo):
    response = client.get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(load_records())
    assert body["next"] == "http://testserver/api/v1/products/?page=2"
    assert body["previous"] is None
    assert len(body["results"]) == 20
    assert body["results"][0]["id"] == PRODUCT_ID
    assert set(body["results"][1]) == {
        "id",
        "title",
        "price",
        "image_url",
        "brand",
        "review_score",
    }


def test_the_links_walk_the_pages_both_ways(client, demo):
    second = client.get(LIST, {"page": 2}).json()
    third = client.get(LIST, {"page": 3}).json()

    assert second["previous"] == "http://testserver/api/v1/products/"
    assert second["next"] == "http://testserver/api/v1/products/?page=3"
    assert third["previous"] == "http://testserver/api/v1/products/?page=2"
    assert second["results"][0]["id"] == load_records()[20]["id"]


def test_the_last_page_has_no_next(client, demo):
    last = -(-len(load_records()) // 20)

    body = client.get(LIST, {"page": last}).json()

    assert body["next"] is None
    assert body["previous"] == f"http://testserver/api/v1/products/?page={last - 1}"
    assert body["results"][-1]["id"] == load_records()[-1]["id"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "999", "²", "\u0661", "9" * 30])
def test_a_page_that_does_not_exist_is_a_404_problem(client, demo, page):
    response = client.get(LIST, {"page": page})

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_list_is_a_503_when_the_catalog_is_down(client, luizalabs):
    luizalabs.get(
        "http://catalog.test/api/product/?page=1", body=requests.ConnectionError("refused")
    )

    response = client.get(LIST)

    assert response.status_code == 503
    assert response.json()["code"] == "catalog_unavailable"
    assert "Retry-After" in response
    assert called_urls(luizalabs) == ["http://catalog.test/api/product/?page=1"] * 3


def test_the_products_api_is_in_the_openapi_schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    paths = response.json()["paths"]
    detail_responses = paths["/api/v1/products/{product_id}/"]["get"]["responses"]
    assert set(detail_responses) >= {"200", "400", "401", "404", "503"}
    assert set(paths["/api/v1/products/"]["get"]["responses"]) >= {"200", "401", "404", "503"}
