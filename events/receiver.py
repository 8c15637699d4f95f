"""A webhook receiver for trying the service locally: verifies each request's Standard
Webhooks signature and prints the event (docs/events.md; not for production).

    python -m events.receiver --port 9000 --secret whsec_...

It needs nothing but the standard library, like any consumer's code.
"""

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(secret: str, headers, body: bytes) -> dict:
    """The event, if the request is genuine and recent; ValueError otherwise."""
    names = ("webhook-id", "webhook-timestamp", "webhook-signature")
    message_id, timestamp, signatures = (headers.get(name) for name in names)
    for name, value in zip(names, (message_id, timestamp, signatures), strict=True):
        if not value:
            raise ValueError(f"no {name} header")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        raise ValueError("timestamp too old, too new, or not one")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for signature in signatures.split():
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)
    raise ValueError("bad signature")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print the webhooks that verify.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument("--secret", required=True, help="the endpoint's whsec_... secret")
    args = parser.parse_args(argv)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                event = verify(args.secret, self.headers, body)
            except ValueError as exc:
                print(f"refused: {exc}", file=sys.stderr, flush=True)
                self.send_response(401)
            else:
                print(json.dumps(event, ensure_ascii=False), flush=True)
                self.send_response(204)
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"Receiving webhooks on http://{host!s}:{port}/", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
