"""Webhook requests: Standard Webhooks signatures, and sending without SSRF.

A webhook URL is the one place where staff tell the service where to connect, so
it is checked twice: when saved, and at every delivery, after resolving its
host (DNS may have changed since: rebinding). The request then goes to the
very address that was checked (never resolved again), redirects are not
followed, and at most WEBHOOK_MAX_RESPONSE_BYTES of the answer are read within
WEBHOOK_TIMEOUT seconds.
"""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import urllib3
from django.conf import settings

from favorites_project.errors import DomainError

SECRET_PREFIX = "whsec_"
USER_AGENT = "favorites-webhooks/1"


class UnsafeURL(DomainError):
    """The URL may not be called: its scheme, its form, or the addresses it resolves to."""

    status = 400
    code = "validation_error"
    field = "url"


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
    default_port = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default_port, path)


def address_allowed(address: str) -> bool:
    """A public unicast address, or any address when WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global leaves out private, loopback, link-local, shared (CGNAT), reserved and
    # unspecified ranges; multicast is global yet never a webhook receiver.
    return ip.is_global and not ip.is_multicast


def resolve(target: Target) -> list[str]:
    """Every address the host resolves to, if all of them are allowed; else `UnsafeURL`."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL(f"The host {target.host} does not resolve.") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = [address for address in addresses if not address_allowed(address)]
    if refused or not addresses:
        raise UnsafeURL(
            f"The host {target.host} resolves to an address that is not public ({refused[0]})."
            if refused
            else f"The host {target.host} does not resolve."
        )
    return addresses


def url_check(url: str) -> Target:
    """A URL staff may save: its scheme and form, and the addresses it resolves to now."""
    target = url_parse(url)
    resolve(target)
    return target


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
    except UnsafeURL as exc:
        return Answer(None, str(exc), time.monotonic() - started, refused=True)
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    default_port = 443 if target.scheme == "https" else 80
    if target.port != default_port:
        host_header += f":{target.port}"
    headers = {**headers, "Host": host_header, "User-Agent": USER_AGENT}
    failure: Exception = UnsafeURL(f"The host {target.host} does not resolve.")
    for address in addresses:
        try:
            status, excerpt = _post_to(address, target, body, headers, started)
        except urllib3.exceptions.NewConnectionError as exc:
            failure = exc
            continue  # refused or unreachable: the next address, if any
        except (urllib3.exceptions.HTTPError, OSError) as exc:
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
    """One POST to this address (checked already): the status and the answer's start."""
    timeout = urllib3.Timeout(
        connect=settings.WEBHOOK_CONNECT_TIMEOUT, read=settings.WEBHOOK_TIMEOUT
    )
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        try:
            excerpt = _read_capped(response, started)
        finally:
            response.release_conn()
        return response.status, excerpt
    finally:
        pool.close()


def _read_capped(response: urllib3.BaseHTTPResponse, started: float) -> str:
    """At most WEBHOOK_MAX_RESPONSE_BYTES of the body, within WEBHOOK_TIMEOUT of the start."""
    cap, deadline = settings.WEBHOOK_MAX_RESPONSE_BYTES, started + settings.WEBHOOK_TIMEOUT
    received = b""
    for chunk in response.stream(min(cap, 8192), decode_content=False):
        received += chunk
        if len(received) >= cap:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("the answer took too long (read timed out)")
    return received[:cap].decode("utf-8", "replace")
