"""A mock product catalog: the bundled demo data in luizalabs' or fakestore's format.

    python -m catalog.mock_server --port 8001 --format luizalabs|fakestore
    MOCK_CATALOG_FORMAT=fakestore gunicorn catalog.mock_server:app -b :8001 -w 1 --threads 16

(One process: the faults live in its memory. `--port 0` picks a free port; the
first line on stdout names the URL.)

Faults are switched on at run time and apply to the product routes only:

    PUT    /__faults__  {"latency_ms": 300, "status": 503, "rate": 0.5,
                         "malformed": true, "hang": true}   (any of them)
    GET    /__faults__  the faults, how many product requests were served, and when
                        the latest were (`request_times`, Unix times)
    DELETE /__faults__  no faults (and releases hung requests)

The products themselves can change at run time too, as a real catalog's do:

    PATCH  /__products__/<id>  {"price": 89.9, ...}  changes those fields (the format's names)
    DELETE /__products__/<id>  the catalog no longer has the product
    DELETE /__products__       every product as the bundled data has it

`rate` (default 1.0) is the share of product requests affected; an affected
request waits `latency_ms`, then hangs, answers `status`, or answers a
truncated JSON body, in that order of precedence. `"products": {"<id>": {...}}`
gives single products faults of their own (the same fields), in place of the
others, so one test can have one product fail and another hang. `GET /health` is never
affected. This module does not need Django.
"""

import argparse
import json
import os
import random
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from functools import cache
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from catalog.data import load_records

FORMATS = ("luizalabs", "fakestore")
LUIZALABS_PAGE_SIZE = 100
HANG_SECONDS = 300  # a hung request is released after this, or when the faults change
FAULT_FIELDS = {
    "latency_ms": (int, float),
    "status": (int,),
    "rate": (int, float),
    "malformed": (bool,),
    "hang": (bool,),
}


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict = {}
        self._release = threading.Event()
        self.requests_served = 0
        # When the latest product requests came (time.time()), for tests of rate limits.
        self.request_times: deque[float] = deque(maxlen=10_000)

    def replace(self, faults: dict) -> None:
        with self._lock:
            self._faults = dict(faults)
            released, self._release = self._release, threading.Event()
        released.set()

    def current(self) -> dict:
        with self._lock:
            return dict(self._faults)

    def count_request(self) -> None:
        with self._lock:
            self.requests_served += 1
            self.request_times.append(time.time())

    def hang(self) -> None:
        with self._lock:
            release = self._release
        release.wait(HANG_SECONDS)


def validate_faults(data: Any, *, nested: bool = False) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("faults are a JSON object")
    for name, value in data.items():
        if name == "products" and not nested:
            if not isinstance(value, dict):
                raise ValueError("products maps product ids to faults")
            for product_faults in value.values():
                validate_faults(product_faults, nested=True)
            continue
        kinds = FAULT_FIELDS.get(name)
        if kinds is None:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_FIELDS)}")
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise ValueError(f"{name} has the wrong type")
    if not 0 <= data.get("latency_ms", 0) <= 600_000:
        raise ValueError("latency_ms is between 0 and 600000")
    if "status" in data and not 200 <= data["status"] <= 599:
        raise ValueError("status is between 200 and 599")
    if not 0 <= data.get("rate", 1.0) <= 1:
        raise ValueError("rate is between 0 and 1")
    return data


def luizalabs_record(record: dict) -> dict:
    product = {key: record[key] for key in ("id", "title", "price", "image", "brand")}
    if "reviewScore" in record:
        product["reviewScore"] = record["reviewScore"]
    return product


def fakestore_record(number: int, record: dict) -> dict:
    return {
        "id": number,
        "title": record["title"],
        "price": record["price"],
        "description": f"{record['title']}. Marca: {record['brand']}.",
        "category": record["category"],
        "image": record["image"],
        "rating": {"rate": record.get("reviewScore", 0), "count": record.get("reviewCount", 0)},
    }


class MockCatalog:
    """The WSGI app for one format."""

    def __init__(self, catalog_format: str = "luizalabs", *, page_size: int = LUIZALABS_PAGE_SIZE):
        if catalog_format not in FORMATS:
            raise ValueError(f"format is one of {FORMATS}, not {catalog_format!r}")
        self.format = catalog_format
        self.page_size = page_size
        self.faults = Faults()
        self._products_lock = threading.Lock()
        self._load_products()

    def _load_products(self) -> None:
        records = load_records()
        if self.format == "luizalabs":
            products = [luizalabs_record(record) for record in records]
            by_id = {product["id"]: product for product in products}
        else:
            products = [fakestore_record(n, record) for n, record in enumerate(records, 1)]
            by_id = {str(product["id"]): product for product in products}
        with self._products_lock:
            self.products, self.by_id = products, by_id

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if path == "/__faults__":
            return self._control(environ, method, start_response)
        if path == "/__products__" or path.startswith("/__products__/"):
            return self._change_products(environ, method, path, start_response)
        if path == "/health":
            return _json(start_response, 200, {"status": "ok", "format": self.format})
        if method != "GET":
            return _json(start_response, 405, {"detail": "method not allowed"})
        query = parse_qs(environ.get("QUERY_STRING", ""))
        self.faults.count_request()
        faults = self.faults.current()
        by_product = faults.pop("products", {})
        product_id = path.rstrip("/").rsplit("/", 1)[-1]
        if product_id in by_product:
            faults = by_product[product_id]
        if faults and random.random() < faults.get("rate", 1.0):
            if faults.get("latency_ms"):
                time.sleep(faults["latency_ms"] / 1000)
            if faults.get("hang"):
                self.faults.hang()
                return _json(start_response, 503, {"detail": "released from a hang"})
            if "status" in faults:
                return _json(start_response, faults["status"], {"detail": "injected fault"})
        status, body = self._route(path, query)
        if faults.get("malformed") and status == 200 and body is not None:
            text = json.dumps(body)
            raw = text[: max(1, len(text) // 2)].encode()
            return _raw(start_response, 200, raw)
        if body is None:  # fakestore's "not found"
            return _raw(start_response, 200, b"")
        return _json(start_response, status, body)

    def _route(self, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        if self.format == "luizalabs":
            if path == "/api/product/":
                return self._luizalabs_page(query)
            if path.startswith("/api/product/") and path.endswith("/"):
                product = self.by_id.get(path.removeprefix("/api/product/").removesuffix("/"))
                if product is None:
                    return 404, {"error_message": "Product not found", "code": "not_found"}
                return 200, product
        else:
            if path == "/products":
                limit = query.get("limit", [""])[0]
                if limit.isdigit():
                    return 200, self.products[: int(limit)]
                return 200, self.products
            if path.startswith("/products/"):
                product_id = path.removeprefix("/products/")
                if not product_id.isdigit():
                    return 200, "null"
                return 200, self.by_id.get(product_id)
        return 404, {"detail": "no such route"}

    def _luizalabs_page(self, query: dict[str, list[str]]) -> tuple[int, object]:
        raw_page = query.get("page", ["1"])[0]
        if not raw_page.isdigit() or int(raw_page) < 1:
            return 400, {"error_message": "page is a whole number from 1"}
        page = int(raw_page)
        start = (page - 1) * self.page_size
        products = self.products[start : start + self.page_size]
        if not products:
            return 404, {"error_message": "Page not found", "code": "not_found"}
        return 200, {
            "meta": {"page_number": page, "page_size": self.page_size},
            "products": products,
        }

    def _change_products(
        self, environ: WSGIEnvironment, method: str, path: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        product_id = path.removeprefix("/__products__").strip("/")
        if method == "DELETE" and not product_id:
            self._load_products()
            return _raw(start_response, 204, b"")
        with self._products_lock:
            product = self.by_id.get(product_id)
            if product is None:
                return _json(start_response, 404, {"detail": "no such product"})
            if method == "DELETE":
                del self.by_id[product_id]
                self.products = [p for p in self.products if p is not product]
                return _raw(start_response, 204, b"")
            if method == "PATCH":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    changes = json.loads(environ["wsgi.input"].read(length) or b"{}")
                except ValueError as exc:
                    return _json(start_response, 400, {"detail": str(exc)})
                if not isinstance(changes, dict) or "id" in changes:
                    return _json(start_response, 400, {"detail": "an object without id"})
                product.update(changes)
                return _json(start_response, 200, product)
        return _json(start_response, 405, {"detail": "method not allowed"})

    def _control(
        self, environ: WSGIEnvironment, method: str, start_response: StartResponse
    ) -> Iterable[bytes]:
        if method == "GET":
            return _json(
                start_response,
                200,
                {
                    "faults": self.faults.current(),
                    "requests_served": self.faults.requests_served,
                    "request_times": list(self.faults.request_times),
                },
            )
        if method == "DELETE":
            self.faults.replace({})
            return _raw(start_response, 204, b"")
        if method == "PUT":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                faults = validate_faults(json.loads(environ["wsgi.input"].read(length) or b"{}"))
            except ValueError as exc:
                return _json(start_response, 400, {"detail": str(exc)})
            self.faults.replace(faults)
            return _json(start_response, 200, {"faults": faults})
        return _json(start_response, 405, {"detail": "method not allowed"})


def _raw(
    start_response: StartResponse,
    status: int,
    body: bytes,
    content_type: str = "application/json",
) -> list[bytes]:
    headers = [("Content-Length", str(len(body)))]
    if body:
        headers.append(("Content-Type", content_type))
    start_response(f"{status} {_phrase(status)}", headers)
    return [body]


def _json(start_response: StartResponse, status: int, data: object) -> list[bytes]:
    body = data.encode() if isinstance(data, str) else json.dumps(data).encode()
    return _raw(start_response, status, body)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Status"


@cache
def _default_app() -> MockCatalog:
    return MockCatalog(os.environ.get("MOCK_CATALOG_FORMAT", "luizalabs"))


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """For gunicorn: the format comes from MOCK_CATALOG_FORMAT (default luizalabs)."""
    return _default_app()(environ, start_response)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # hung requests never keep the process alive
    allow_reuse_address = True
    verbose = False


class QuietHandler(WSGIRequestHandler):
    server: ThreadingWSGIServer

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


def _exit_with_parent(parent_pid: int) -> None:
    """A test run killed hard leaves no server behind."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the demo catalog in a provider's format.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--format", choices=FORMATS, default="luizalabs")
    parser.add_argument("--page-size", type=int, default=LUIZALABS_PAGE_SIZE)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    parser.add_argument(
        "--exit-with-parent", action="store_true", help="stop when the starting process dies"
    )
    args = parser.parse_args(argv)
    if args.exit_with_parent:
        _exit_with_parent(os.getppid())
    catalog = MockCatalog(args.format, page_size=args.page_size)
    server = make_server(
        args.host, args.port, catalog, server_class=ThreadingWSGIServer, handler_class=QuietHandler
    )
    server.verbose = args.verbose
    host, port = server.server_address[:2]
    assert isinstance(host, str)  # an AF_INET server's address
    print(f"Mock catalog ({args.format}) serving on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
