"""Fixtures shared by every app's tests (fixtures only: helpers live in `*/testing.py`)."""

import pytest
import responses
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.testing import CATALOG_URL, MockCatalogProcess, MockCatalogs, reset_breakers
from customers.tests.factories import CustomerFactory, StaffFactory
from customers.throttling import FALLBACK_CACHE


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and catalog lookups never leak from one test to the next."""
    cache.clear()
    FALLBACK_CACHE.clear()
    yield
    cache.clear()
    FALLBACK_CACHE.clear()


@pytest.fixture(scope="session", autouse=True)
def _plain_http(django_test_environment):
    """The test client and live servers speak plain HTTP; production redirects to HTTPS.

    Session-wide, so it is in force before a live server builds its middleware.
    """
    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def customer(db):
    return CustomerFactory()


@pytest.fixture
def other_customer(db):
    return CustomerFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def auth_client():
    """A client that carries a real access token for the given customer."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        return client

    return make


@pytest.fixture
def catalog_http(settings):
    """The luizalabs catalog at CATALOG_URL, answered by `responses`.

    Register answers with `catalog_http.get(luizalabs_url(...), json=...)`; a
    request nothing was registered for fails as a connection error, and
    `catalog_http.calls` records every request made.
    """
    settings.CATALOG_URL = CATALOG_URL
    settings.CATALOG_FORMAT = "luizalabs"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture(autouse=True)
def _reset_catalog_breakers():
    """The catalog's circuit breakers live in the process: no test inherits an open one."""
    reset_breakers()
    yield
    reset_breakers()


@pytest.fixture(scope="session")
def _mock_catalogs():
    catalogs = MockCatalogs()
    yield catalogs
    catalogs.stop_all()


def _use_mock_catalog(catalogs: MockCatalogs, settings, catalog_format: str) -> MockCatalogProcess:
    server = catalogs.get(catalog_format)
    server.clear_faults()
    server.products_reset()
    settings.CATALOG_URL = server.base_url
    settings.CATALOG_FORMAT = catalog_format
    return server


@pytest.fixture
def catalog(_mock_catalogs, settings):
    """A real mock catalog server (luizalabs format), and the settings pointing at it.

    One process per test session on a free local port; faults are cleared before
    and after each test. Yields a `catalog.testing.MockCatalogProcess`:
    `.base_url`, `.format`, `.set_faults(status=503, rate=0.5, latency_ms=...,
    malformed=True, hang=True)`, `.clear_faults()`, `.state()`, `.requests_served`.
    """
    server = _use_mock_catalog(_mock_catalogs, settings, "luizalabs")
    yield server
    server.clear_faults()


@pytest.fixture
def fakestore_catalog(_mock_catalogs, settings):
    """The same as `catalog`, in fakestore's format (integer ids, unpaged list)."""
    server = _use_mock_catalog(_mock_catalogs, settings, "fakestore")
    yield server
    server.clear_faults()
