"""Webhook requests: Standard Webhooks signatures, and sending without SSRF.

A webhook URL is the one place where staff tell the service where to connect, so
it is checked twice: when saved, and at every delivery, after resolving its
host (DNS may have changed since: rebinding). The request then goes to the
very address that was checked (never resolved again), redirects are not
followed, and at most WEBHOOK_MAX_RESPONSE_BYTES of the answer are read within
WEBHOOK_TIMEOUT seconds.
"""

import base64
import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import certifi
import urllib3
from django.conf import settings
from urllib3.connection import HTTPConnection, HTTPSConnection

from favorites_project.errors import DomainError

SECRET_PREFIX = "whsec_"
USER_AGENT = "favorites-webhooks/1"


class UnsafeURL(DomainError):
    """The URL may not be called: its scheme, its form, or the addresses it resolves to."""

    status = 400
    code = "validation_error"
    field = "url"


class HostNotResolved(UnsafeURL):
    """The host has no address now: refused at save, retried at delivery (DNS may be down
    for a while, as any connection error)."""


def secret_generate() -> str:
    """A signing secret as Standard Webhooks writes them: `whsec_` and base64 of 32 bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,` and base64 of HMAC-SHA256 over id.timestamp.body."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def body_encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query


def url_parse(url: str) -> Target:
    """The URL's parts, or `UnsafeURL` for a scheme or a form the service never calls."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"Not a valid URL: {exc}.") from None
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise UnsafeURL(f"A webhook URL starts with {' or '.join(allowed)}://.")
    if not parts.hostname:
        raise UnsafeURL("A webhook URL names a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("A webhook URL carries no user name or password.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # Spaces and non-ASCII characters percent-encoded (UTF-8), escapes already there kept:
    # the request line takes ASCII only.
    path = quote(path, safe="!$%&'()*+,/:;=?@[]~")
    # A host in any script, as DNS, TLS and the Host header take it (IDNA: xn--...).
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnsafeURL(f"Not a valid URL: DNS takes no host named {parts.hostname}.") from None
    default_port = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, host, port or default_port, path)


# IPv6 addresses that carry an IPv4 address a gateway or the host reaches: NAT64's
# well-known prefix (DNS64 networks: 64:ff9b::10.0.0.5 is the private 10.0.0.5), 6to4
# (`sixtofour`) and the deprecated IPv4-compatible ::a.b.c.d. NAT64's local-use prefix
# may place the IPv4 address anywhere, and is never public.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def address_allowed(address: str) -> bool:
    """A public unicast address, or any address when WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in NAT64_LOCAL or ip.is_site_local:
            return False
        embedded = ip.ipv4_mapped or ip.sixtofour
        if ip in NAT64 or ip in IPV4_COMPATIBLE:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:  # the IPv4 address it reaches decides
            ip = embedded
    # is_global leaves out private, loopback, link-local, shared (CGNAT), reserved and
    # unspecified ranges; multicast is global yet never a webhook receiver.
    return ip.is_global and not ip.is_multicast


def resolve(target: Target) -> list[str]:
    """Every address the host resolves to, if all of them are allowed; else `UnsafeURL`."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        infos = []
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise HostNotResolved(f"The host {target.host} does not resolve.")
    refused = [address for address in addresses if not address_allowed(address)]
    if refused:
        raise UnsafeURL(
            f"The host {target.host} resolves to an address that is not public ({refused[0]})."
        )
    return addresses


def url_check(url: str) -> Target:
    """A URL staff may save: its scheme and form, and the addresses it resolves to now."""
    target = url_parse(url)
    resolve(target)
    return target


# What one request may raise when the receiver or the network misbehaves: a malformed
# answer (http.client), a certificate for another name (urllib3's CertificateError, a
# ValueError), the socket's errors. `post` never raises: a delivery whose attempt raised
# would be retried by the sweeper for ever, never counted.
REQUEST_FAILURES = (
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ValueError,
    OSError,
)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (refused, connection error, timeout)
    error: str
    duration: float
    refused: bool = False  # the URL is unsafe: trying again will not help


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST the body to the URL as the module docstring says; never raises.

    The host's addresses are tried in the order DNS gave them, while they refuse the
    connection (a host with IPv4 and IPv6 addresses may listen on one only).
    """
    started = time.monotonic()
    try:
        target = url_parse(url)
        addresses = resolve(target)
    except HostNotResolved as exc:
        return Answer(None, str(exc), time.monotonic() - started)
    except UnsafeURL as exc:
        return Answer(None, str(exc), time.monotonic() - started, refused=True)
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header += f":{target.port}"
    headers = {**headers, "Host": host_header, "User-Agent": USER_AGENT}
    failure: Exception = HostNotResolved(f"The host {target.host} does not resolve.")
    for address in addresses:
        try:
            status, excerpt = _post_to(address, target, body, headers, started)
        except urllib3.exceptions.NewConnectionError as exc:
            failure = exc
            continue  # refused or unreachable: the next address, if any
        except REQUEST_FAILURES as exc:
            failure = exc
            break
        error = "" if 200 <= status < 300 else f"HTTP {status}: {excerpt[:200]}"
        if 300 <= status < 400:
            error = f"HTTP {status}: redirects are not followed"
        return Answer(status, error, time.monotonic() - started)
    return Answer(None, f"{type(failure).__name__}: {failure}"[:500], time.monotonic() - started)


def _post_to(
    address: str, target: Target, body: bytes, headers: dict[str, str], started: float
) -> tuple[int, str]:
    """One POST to this address (checked already): the status and the answer's start.

    A read timeout bounds each wait for bytes, not the whole answer: a receiver that
    trickles a byte at a time would hold the worker for ever. A timer shuts the socket
    down WEBHOOK_TIMEOUT after the start, whatever phase the request is in.
    """
    connection: HTTPConnection
    if target.scheme == "https":
        connection = HTTPSConnection(
            address,
            target.port,
            timeout=settings.WEBHOOK_CONNECT_TIMEOUT,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        connection = HTTPConnection(address, target.port, timeout=settings.WEBHOOK_CONNECT_TIMEOUT)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        if connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(started + settings.WEBHOOK_TIMEOUT - time.monotonic(), expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.connect()
        if expired.is_set():  # the time ran out before there was a socket to shut
            raise TimeoutError("the answer took too long (read timed out)")
        assert connection.sock is not None
        connection.sock.settimeout(settings.WEBHOOK_TIMEOUT)
        connection.request("POST", target.path, body=body, headers=headers, preload_content=False)
        response = connection.getresponse()
        excerpt = _read_capped(response)
    except REQUEST_FAILURES:
        if expired.is_set():
            raise TimeoutError("the answer took too long (read timed out)") from None
        raise
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():  # cut short: what was read may be anything (a 200 with half its headers)
        raise TimeoutError("the answer took too long (read timed out)")
    return response.status, excerpt


def _read_capped(response: urllib3.BaseHTTPResponse) -> str:
    """At most WEBHOOK_MAX_RESPONSE_BYTES of the body."""
    cap = settings.WEBHOOK_MAX_RESPONSE_BYTES
    received = b""
    for chunk in response.stream(min(cap, 8192), decode_content=False):
        received += chunk
        if len(received) >= cap:
            break
    return received[:cap].decode("utf-8", "replace")
