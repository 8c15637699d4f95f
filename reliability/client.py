"""A small HTTP client for the suites: JSON in and out, a keep-alive connection, timings.

A request that gets no answer (refused, reset, timed out) is a `Reply` with
status 0 and the error's name, never an exception: the suites count those too.
"""

import http.client
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Reply:
    method: str
    path: str
    status: int  # 0: no answer
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str = ""

    def json(self):
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        """The problem's `code`, for an error answered as a problem."""
        try:
            data = self.json()
        except ValueError:
            return None
        return data.get("code") if isinstance(data, dict) else None

    def __str__(self) -> str:
        answer = f"{self.status}" if self.status else f"no answer ({self.error})"
        return f"{self.method} {self.path} -> {answer} in {self.seconds:.3f} s {self.body[:300]!r}"


@dataclass
class Tokens:
    access: str
    refresh: str


class Api:
    """One client: one connection at a time to `base_url`, reopened after any failure.

    Not thread-safe: give each thread its own.
    """

    def __init__(self, base_url: str, *, timeout: float = 15.0):
        parts = urlsplit(base_url)
        self.host = parts.hostname
        self.port = parts.port
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: object = None,
        timeout: float | None = None,
    ) -> Reply:
        headers = {"Accept": "application/json"}
        payload = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=timeout or self.timeout
            )
        elif timeout is not None:
            self._connection.timeout = timeout
        try:
            self._connection.request(method, path, body=payload, headers=headers)
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return Reply(method, path, 0, time.monotonic() - started, error=type(exc).__name__)
        reply = Reply(
            method,
            path,
            response.status,
            time.monotonic() - started,
            {name.lower(): value for name, value in response.getheaders()},
            data,
        )
        if response.will_close:
            self.close()
        return reply

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # The API's own calls.

    def register(self, *, email: str, password: str, name: str = "Suite customer") -> Reply:
        body = {"name": name, "email": email, "password": password}
        return self.request("POST", "/api/v1/auth/register/", body=body)

    def login(self, *, email: str, password: str) -> Reply:
        body = {"email": email, "password": password}
        return self.request("POST", "/api/v1/auth/token/", body=body)

    def refresh(self, refresh: str) -> Reply:
        return self.request("POST", "/api/v1/auth/token/refresh/", body={"refresh": refresh})

    def favorites(self, token: str, *, page_size: int = 20) -> Reply:
        path = f"/api/v1/customers/me/favorites/?page_size={page_size}"
        return self.request("GET", path, token=token)

    def add(self, token: str, product_id: str) -> Reply:
        path = "/api/v1/customers/me/favorites/"
        return self.request("POST", path, token=token, body={"product_id": product_id})

    def remove(self, token: str, product_id: str) -> Reply:
        path = f"/api/v1/customers/me/favorites/{product_id}/"
        return self.request("DELETE", path, token=token)

    def sign_up(self, *, email: str, password: str) -> tuple[int, Tokens]:
        """Register and log in: (the customer's id, its tokens). AssertionError otherwise."""
        registered = self.register(email=email, password=password)
        assert registered.status == 201, registered
        logged_in = self.login(email=email, password=password)
        assert logged_in.status == 200, logged_in
        data = logged_in.json()
        return registered.json()["id"], Tokens(data["access"], data["refresh"])


def percentile(values: list[float], share: float) -> float:
    """The value at `share` (0..1) of the sorted values (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
