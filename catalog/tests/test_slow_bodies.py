"""Bodies from a real local socket server: slow drips, gzip and chunked framing.

`responses` cannot drip a body, so these tests talk to a tiny HTTP server in a
thread on 127.0.0.1 that sends the headers at once and the body at its own pace.
"""

import gzip
import json
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache

from catalog.products import CatalogUnavailable, ProductNotFound, product_get
from catalog.testing import PRODUCT_ID, luizalabs_product

BUDGET = 0.6
READ_TIMEOUT = 0.4
DRIP_INTERVAL = 0.05  # under the read timeout: every socket read gets a byte in time


@dataclass
class Answer:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0  # seconds between bytes; 0 sends the body at once
    chunked: bool = False
    status: str = "200 OK"


class BodyServer:
    """One canned answer per request, its body sent at the pace `answer.drip` says."""

    def __init__(self) -> None:
        self.answer = Answer(body=b"")
        self.requests: list[bytes] = []
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        self.connections += 1
        with conn:
            pending = b""
            while not self._stop.is_set():  # keep-alive: one answer per request
                while b"\r\n\r\n" not in pending:
                    try:
                        data = conn.recv(4096)
                    except OSError:  # the client reset the connection it gave up on
                        return
                    if not data:
                        return
                    pending += data
                request, pending = pending.split(b"\r\n\r\n", 1)
                self.requests.append(request.split(b"\r\n", 1)[0])
                try:
                    self._send(conn, self.answer)
                except OSError:  # the client gave up and closed the connection
                    return

    def _send(self, conn: socket.socket, answer: Answer) -> None:
        body = answer.body
        if answer.chunked:
            body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
            framing = "Transfer-Encoding: chunked"
        else:
            framing = f"Content-Length: {len(body)}"
        head = [f"HTTP/1.1 {answer.status}", "Content-Type: application/json", framing]
        head += [f"{name}: {value}" for name, value in answer.headers.items()]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        if not answer.drip:
            conn.sendall(body)
            return
        for index in range(len(body)):
            conn.sendall(body[index : index + 1])
            if self._stop.wait(answer.drip):
                return


@pytest.fixture
def body_server(catalog_settings):
    server = BodyServer()
    catalog_settings.CATALOG_URL = server.base_url
    catalog_settings.CATALOG_FORMAT = "luizalabs"
    catalog_settings.CATALOG_TOTAL_TIMEOUT = BUDGET
    catalog_settings.CATALOG_READ_TIMEOUT = READ_TIMEOUT
    yield server
    server.stop()


def product_body(**fields) -> bytes:
    # Long enough that a drip of the whole body takes many times the budget.
    return json.dumps(luizalabs_product(**{"title": "x" * 200, **fields})).encode()


def request_line() -> bytes:
    return f"GET /api/product/{PRODUCT_ID}/ HTTP/1.1".encode()


def lookup_seconds() -> float:
    started = time.monotonic()
    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    return time.monotonic() - started


def test_a_body_dripped_past_the_budget_is_abandoned_within_one_read_timeout(body_server):
    body_server.answer = Answer(body=product_body(), drip=DRIP_INTERVAL)
    assert len(body_server.answer.body) * DRIP_INTERVAL > 10 * BUDGET

    elapsed = lookup_seconds()

    assert elapsed < BUDGET + READ_TIMEOUT + 0.2
    assert body_server.requests == [request_line()]


def test_a_gzipped_body_dripped_past_the_budget_is_abandoned_within_one_read_timeout(
    body_server,
):
    body = gzip.compress(product_body())
    body_server.answer = Answer(body=body, headers={"Content-Encoding": "gzip"}, drip=0.1)
    assert len(body) * 0.1 > 10 * BUDGET

    elapsed = lookup_seconds()

    assert elapsed < BUDGET + READ_TIMEOUT + 0.2
    assert body_server.requests == [request_line()]


def test_a_body_that_stalls_past_the_read_timeout_fails_at_the_read_timeout(body_server, caplog):
    body_server.answer = Answer(body=product_body(), drip=BUDGET * 5)

    elapsed = lookup_seconds()

    assert READ_TIMEOUT <= elapsed < BUDGET + 0.2
    assert "reading the body failed" in caplog.text
    assert body_server.requests == [request_line()]


def test_a_body_that_arrives_in_small_pieces_within_the_budget_is_read(body_server, settings):
    settings.CATALOG_TOTAL_TIMEOUT = 5.0
    body_server.answer = Answer(body=product_body(), drip=0.0005)

    assert product_get(PRODUCT_ID).title == "x" * 200
    assert body_server.requests == [request_line()]


def test_a_gzipped_body_is_decoded(body_server):
    body = gzip.compress(product_body(brand="acme"))
    body_server.answer = Answer(body=body, headers={"Content-Encoding": "gzip"})

    assert product_get(PRODUCT_ID).brand == "acme"
    assert body_server.requests == [request_line()]


def test_a_body_read_to_its_end_leaves_the_connection_in_the_pool(body_server):
    body_server.answer = Answer(
        body=gzip.compress(product_body()), headers={"Content-Encoding": "gzip"}
    )

    product_get(PRODUCT_ID)
    cache.clear()
    product_get(PRODUCT_ID)

    assert body_server.requests == [request_line(), request_line()]
    assert body_server.connections == 1


def test_a_chunked_body_is_read(body_server):
    body_server.answer = Answer(body=product_body(brand="acme"), chunked=True)

    assert product_get(PRODUCT_ID).brand == "acme"
    assert body_server.requests == [request_line()]


def test_a_gzipped_body_over_the_size_cap_once_decoded_is_refused(body_server, settings, caplog):
    settings.CATALOG_MAX_RESPONSE_BYTES = 1000
    body = gzip.compress(product_body(title="x" * 5000))
    body_server.answer = Answer(body=body, headers={"Content-Encoding": "gzip"})
    assert len(body) < 1000

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert "body is over the 1000-byte cap" in caplog.text
    assert body_server.requests == [request_line()]


def test_a_second_gzip_member_after_the_first_is_refused(body_server, caplog):
    body = gzip.compress(product_body()) + gzip.compress(b"trailing")
    body_server.answer = Answer(body=body, headers={"Content-Encoding": "gzip"})

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert "data after the end of the compressed body" in caplog.text


def test_an_empty_gzip_404_is_not_found(body_server):
    body_server.answer = Answer(
        body=b"", headers={"Content-Encoding": "gzip"}, status="404 Not Found"
    )

    with pytest.raises(ProductNotFound):
        product_get(PRODUCT_ID)
    assert body_server.requests == [request_line()]


def test_an_encoding_the_client_did_not_ask_for_is_refused(body_server, caplog):
    body_server.answer = Answer(
        body=zlib.compress(product_body()), headers={"Content-Encoding": "deflate"}
    )

    with pytest.raises(CatalogUnavailable):
        product_get(PRODUCT_ID)
    assert "unsupported Content-Encoding" in caplog.text
