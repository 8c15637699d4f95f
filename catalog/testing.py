"""Test helpers for the catalog: the fake catalog's URLs and answers, and a real mock
catalog server process (loopback only) for integration tests and benchmarks.

Development and test tooling, never imported by runtime code (an import-linter
contract says so). The fixtures that use these (`catalog_http`, `catalog`,
`fakestore_catalog`) are in the root `conftest.py`.
"""

import json
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import Any

import responses

from catalog import client

# The fake catalog `catalog_http` answers for, and a product id it really uses
# (the catalog documentation's example, the bundled catalog's first product).
CATALOG_URL = "http://catalog.test"
PRODUCT_ID = "1bf0f365-fbdd-4e21-9786-da459d78dd1f"


def luizalabs_url(product_id: str = PRODUCT_ID) -> str:
    return f"{CATALOG_URL}/api/product/{product_id}/"


def luizalabs_page_url(page: int) -> str:
    return f"{CATALOG_URL}/api/product/?page={page}"


def luizalabs_product(product_id: str = PRODUCT_ID, **fields: Any) -> dict[str, Any]:
    """A product as the luizalabs catalog answers it; no `reviewScore` unless given."""
    return {
        "price": 1699.0,
        "image": f"http://challenge-api.luizalabs.com/images/{product_id}.jpg",
        "brand": "bébé confort",
        "id": product_id,
        "title": "Cadeira para Auto Iseos Bébé Confort Earth Brown",
        **fields,
    }


def fakestore_url(product_id: str | int) -> str:
    return f"{CATALOG_URL}/products/{product_id}"


def fakestore_product(product_id: int = 1, **fields: Any) -> dict[str, Any]:
    """A product as fakestore answers it."""
    return {
        "id": product_id,
        "title": "Fjallraven - Foldsack No. 1 Backpack, Fits 15 Laptops",
        "price": 109.95,
        "description": "Your perfect pack for everyday use.",
        "category": "men's clothing",
        "image": "https://fakestoreapi.com/img/81fPKd-2AYL._AC_SL1500_.jpg",
        "rating": {"rate": 3.9, "count": 120},
        **fields,
    }


def called_urls(mock: responses.RequestsMock) -> list[str]:
    """Every URL the code under test requested from the `responses` mock, in order."""
    return [str(call.request.url) for call in mock.calls]


def reset_breakers() -> None:
    """Forget every catalog circuit breaker's state (the breakers live in the process)."""
    client.reset_breakers()


REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 15.0


class MockCatalogProcess:
    """`python -m catalog.mock_server` on a free local port.

    `base_url` is what CATALOG_URL should be; `set_faults(...)`, `clear_faults()`
    and `state()` drive its `/__faults__` control endpoint.
    """

    def __init__(self, catalog_format: str = "luizalabs", *, page_size: int | None = None):
        self.format = catalog_format
        command = [sys.executable, "-m", "catalog.mock_server", "--port", "0"]
        command += ["--host", "127.0.0.1", "--format", catalog_format, "--exit-with-parent"]
        if page_size is not None:
            command += ["--page-size", str(page_size)]
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.base_url = self._read_url()

    def _read_url(self) -> str:
        lines: list[str] = []
        stdout = self.process.stdout
        assert stdout is not None  # started with stdout=PIPE
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not lines or "http://" not in lines[0]:
            self.stop()
            raise RuntimeError(f"the mock catalog did not start: {lines!r}")
        return lines[0].split()[-1]

    def _control(
        self, method: str, body: dict[str, Any] | None = None, path: str = "/__faults__"
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=5) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """E.g. `set_faults(status=503, rate=0.5)`; replaces any earlier faults."""
        return self._control("PUT", faults)

    def clear_faults(self) -> None:
        self._control("DELETE")

    def state(self) -> dict[str, Any]:
        """`{"faults": {...}, "requests_served": n, "request_times": [unix time, ...]}`."""
        return self._control("GET")

    def product_change(self, product_id: str, **fields: Any) -> Any:
        """E.g. `product_change(id, price=89.9)`: the catalog answers so from now on."""
        return self._control("PATCH", fields, path=f"/__products__/{product_id}")

    def product_remove(self, product_id: str) -> None:
        """The catalog answers that it no longer has the product."""
        self._control("DELETE", path=f"/__products__/{product_id}")

    def products_reset(self) -> None:
        """Every product as the bundled data has it."""
        self._control("DELETE", path="/__products__")

    @property
    def requests_served(self) -> int:
        return self.state()["requests_served"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()


class MockCatalogs:
    """One server process per format, started when first asked for."""

    def __init__(self) -> None:
        self._servers: dict[str, MockCatalogProcess] = {}

    def get(self, catalog_format: str) -> MockCatalogProcess:
        if catalog_format not in self._servers:
            self._servers[catalog_format] = MockCatalogProcess(catalog_format)
        return self._servers[catalog_format]

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
