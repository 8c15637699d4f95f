"""`python -m events.receiver`, the README's local receiver: prints what verifies, refuses
the rest."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings

from events.webhooks import body_encode, secret_generate, signature


@pytest.fixture
def receiver():
    secret = secret_generate()
    process = subprocess.Popen(
        [sys.executable, "-m", "events.receiver", "--port", "0", "--secret", secret],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = process.stderr.readline()
    url = started.split()[-1]
    yield process, url, secret
    process.terminate()
    process.wait(10)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": "evt-1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=secret, message_id="evt-1", timestamp=timestamp, body=body
        ),
    }


def test_the_receiver_prints_a_signed_event_and_refuses_forgeries(receiver):
    process, url, secret = receiver
    body = body_encode({"id": "evt-1", "type": "customer.deleted", "customer_id": 7, "data": {}})
    forged = signed_headers(secret_generate(), body)
    stale = signed_headers(secret, body, timestamp=int(time.time()) - 3600)

    statuses = [
        post(url, body, signed_headers(secret, body)),
        post(url, body, forged),
        post(url, body, stale),
        post(url, body, {}),
    ]

    process.terminate()
    out, err = process.communicate(timeout=10)
    assert statuses == [204, 401, 401, 401]
    assert [json.loads(line) for line in out.splitlines()] == [json.loads(body)]
    assert err.count("refused:") == 3
    assert "bad signature" in err
    assert "timestamp" in err
    assert "no webhook-id header" in err
