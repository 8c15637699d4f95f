"""Credentials in CATALOG_URL go to the catalog, never to the logs."""

import base64

import pytest
import requests

from catalog.client import redact_url
from catalog.products import CatalogUnavailable, product_get
from catalog.testing import PRODUCT_ID, luizalabs_product

SECRET = "s3cr3t-Pa55"
BASE_URL = f"http://catalog-user:{SECRET}@catalog.test"
PRODUCT_URL = f"{BASE_URL}/api/product/{PRODUCT_ID}/"
LOGGED_URL = f"http://***@catalog.test/api/product/{PRODUCT_ID}/"
BASIC_AUTH = "Basic " + base64.b64encode(f"catalog-user:{SECRET}".encode()).decode()


@pytest.fixture
def catalog_with_credentials(luizalabs, settings):
    settings.CATALOG_URL = BASE_URL
    return luizalabs


def assert_sent_with_credentials(mock) -> None:
    assert mock.calls, "the catalog was never called"
    for call in mock.calls:
        assert call.request.url == PRODUCT_URL
        assert call.request.headers["Authorization"] == BASIC_AUTH


def test_a_successful_lookup_logs_the_url_without_its_credentials(catalog_with_credentials, caplog):
    catalog_with_credentials.get(PRODUCT_URL, json=luizalabs_product())

    with caplog.at_level("DEBUG"):
        assert product_get(PRODUCT_ID).id == PRODUCT_ID

    assert_sent_with_credentials(catalog_with_credentials)
    assert f"Catalog GET {LOGGED_URL} -> 200" in caplog.text
    assert SECRET not in caplog.text


def test_a_refused_answer_logs_the_url_without_its_credentials(catalog_with_credentials, caplog):
    catalog_with_credentials.get(PRODUCT_URL, body=b"<html>maintenance</html>")

    with caplog.at_level("DEBUG"), pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)

    assert_sent_with_credentials(catalog_with_credentials)
    assert f"Catalog answer refused: GET {LOGGED_URL}" in caplog.text
    assert SECRET not in caplog.text


def test_a_failed_call_logs_the_url_without_its_credentials(catalog_with_credentials, caplog):
    catalog_with_credentials.get(PRODUCT_URL, status=500)

    with caplog.at_level("DEBUG"), pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)

    assert_sent_with_credentials(catalog_with_credentials)
    assert f"Catalog call failed: GET {LOGGED_URL} (attempt 1): status 500" in caplog.text
    assert SECRET not in caplog.text


def test_an_abandoned_call_logs_the_url_without_its_credentials(
    catalog_with_credentials, settings, caplog
):
    settings.CATALOG_RETRY_BACKOFF = 10.0  # the first backoff is already past the budget
    catalog_with_credentials.get(PRODUCT_URL, body=requests.ConnectionError("refused"))

    with caplog.at_level("DEBUG"), pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)

    assert_sent_with_credentials(catalog_with_credentials)
    assert f"Catalog call abandoned: GET {LOGGED_URL}: out of time budget" in caplog.text
    assert SECRET not in caplog.text


def test_a_refused_redirect_logs_its_location_without_credentials(catalog_with_credentials, caplog):
    location = f"http://someone:{SECRET}@evil.test/steal"
    catalog_with_credentials.get(PRODUCT_URL, status=302, headers={"Location": location})

    with caplog.at_level("DEBUG"), pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)

    assert_sent_with_credentials(catalog_with_credentials)
    assert "redirect (302) to http://***@evil.test/steal refused" in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    ("url", "logged"),
    [
        ("http://catalog.test/api/product/1/", "http://catalog.test/api/product/1/"),
        ("http://user:pw@catalog.test/p?page=2", "http://***@catalog.test/p?page=2"),
        ("https://user@catalog.test:8443/p", "https://***@catalog.test:8443/p"),
        ("http://user:p@ss@catalog.test/", "http://***@catalog.test/"),
        ("http://:pw@[::1]:8000/", "http://***@[::1]:8000/"),
        ("/relative/path", "/relative/path"),
        ("http://user:pw@[::1/", "<unparseable URL>"),
    ],
)
def test_redact_url_replaces_only_the_userinfo(url, logged):
    assert redact_url(url) == logged
