"""/health/ready reports the catalog, never fails because of it, never calls it."""

from catalog.testing import PRODUCT_ID, luizalabs_product, luizalabs_url


def test_readiness_reports_the_demo_catalog(api_client, db, demo):
    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["catalog"] == {
        "provider": "demo",
        "breaker": "closed",
        "reachable": True,
    }


def test_readiness_does_not_call_a_remote_catalog(api_client, db, luizalabs):
    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["catalog"] == {
        "provider": "luizalabs",
        "breaker": "closed",
        "reachable": None,
    }
    assert len(luizalabs.calls) == 0


def test_readiness_stays_ready_while_the_catalog_breaker_is_open(
    api_client, auth_client, customer, luizalabs, settings
):
    settings.CATALOG_RETRIES = 0
    settings.CATALOG_BREAKER_THRESHOLD = 2
    luizalabs.get(luizalabs_url(), status=503)
    for _ in range(2):
        auth_client(customer).get(f"/api/v1/products/{PRODUCT_ID}/")

    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["catalog"] == {
        "provider": "luizalabs",
        "breaker": "open",
        "reachable": False,
    }
    assert len(luizalabs.calls) == 2


def test_readiness_reports_a_catalog_that_answered(api_client, auth_client, customer, luizalabs):
    luizalabs.get(luizalabs_url(), json=luizalabs_product())
    auth_client(customer).get(f"/api/v1/products/{PRODUCT_ID}/")

    response = api_client.get("/health/ready")

    assert response.json()["catalog"]["reachable"] is True
    assert len(luizalabs.calls) == 1


def test_a_misconfigured_catalog_does_not_break_readiness(api_client, db, settings):
    settings.CATALOG_URL = "http://catalog.test"
    settings.CATALOG_FORMAT = "xml"

    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["catalog"]["reachable"] is None
