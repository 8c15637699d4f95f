"""Against a real mock catalog server process: faults, and the refresh command end to end."""

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError

from catalog.products import product_page
from favorites.models import Favorite
from favorites.testing import refresh
from favorites.tests.factories import LONG_AGO, FavoriteFactory, stale_favorite

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
VANISHED = "00000000-dead-4000-8000-000000000000"
# What the catalog will change: a refreshed favorite no longer shows it.
STALE_SNAPSHOT = {
    "price": Decimal("0.01"),
    "price_when_added": Decimal("0.01"),
    "title": "Stale title",
}


def catalog_products(count: int):
    return product_page(1).products[:count]


# The list keeps working while the catalog is down.


@pytest.mark.parametrize("faults", [{"hang": True}, {"status": 500}])
def test_listing_answers_fast_while_the_catalog_hangs_or_fails(
    catalog, auth_client, customer, faults
):
    FavoriteFactory.create_batch(5, customer=customer)
    client = auth_client(customer)
    catalog.set_faults(**faults)
    served_before = catalog.requests_served

    started = time.monotonic()
    response = client.get("/api/v1/customers/me/favorites/")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert response.json()["count"] == 5
    assert elapsed < 0.5
    assert catalog.requests_served == served_before


def test_adding_while_the_mock_catalog_answers_500_is_a_503_and_writes_nothing(
    catalog, auth_client, customer
):
    product = catalog_products(1)[0]
    catalog.set_faults(status=500)
    served_before = catalog.requests_served

    response = auth_client(customer).post(
        "/api/v1/customers/me/favorites/", {"product_id": product.id}
    )

    assert response.status_code == 503
    assert response.json()["code"] == "catalog_unavailable"
    assert "Retry-After" in response
    assert catalog.requests_served > served_before
    assert not Favorite.objects.exists()


def test_adding_a_product_from_the_mock_catalog_snapshots_it(catalog, auth_client, customer):
    product = catalog_products(1)[0]

    response = auth_client(customer).post(
        "/api/v1/customers/me/favorites/", {"product_id": product.id}
    )

    assert response.status_code == 201, response.content
    favorite = Favorite.objects.get(customer=customer)
    assert (favorite.title, favorite.price, favorite.brand) == (
        product.title,
        product.price.quantize(Decimal("0.01")),
        product.brand,
    )


# The refresh command.


@pytest.mark.django_db
def test_refresh_against_the_mock_catalog_updates_prices_and_marks_vanished_products(catalog):
    products = catalog_products(3)
    changed = [stale_favorite(product.id, **STALE_SNAPSHOT) for product in products]
    vanished = stale_favorite(VANISHED, **STALE_SNAPSHOT)

    output = refresh()

    for favorite, product in zip(changed, products, strict=True):
        favorite.refresh_from_db()
        assert favorite.price == product.price.quantize(Decimal("0.01"))
        assert favorite.title == product.title
        assert favorite.price_when_added == Decimal("0.01")
        assert favorite.available is True
    vanished.refresh_from_db()
    assert vanished.available is False
    assert vanished.title == "Stale title"
    assert output.strip() == "checked 4, updated 3, unchanged 0, unavailable 1, failed 0"


@pytest.mark.django_db
def test_refresh_while_the_mock_catalog_fails_touches_nothing_and_a_rerun_finishes(catalog):
    products = catalog_products(2)
    favorites = [stale_favorite(product.id, **STALE_SNAPSHOT) for product in products]
    catalog.set_faults(status=500)

    with pytest.raises(CommandError, match="2 product lookup"):
        refresh("--workers", "2")

    for favorite in favorites:
        favorite.refresh_from_db()
        assert (favorite.title, favorite.price, favorite.refreshed_at) == (
            "Stale title",
            Decimal("0.01"),
            LONG_AGO,
        )

    catalog.clear_faults()
    output = refresh()

    assert output.strip() == "checked 2, updated 2, unchanged 0, unavailable 0, failed 0"
    assert not Favorite.objects.filter(title="Stale title").exists()


def database_url() -> str:
    db = settings.DATABASES["default"]
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def refresh_env(catalog) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CATALOG_URL": catalog.base_url,
        "CATALOG_FORMAT": "luizalabs",
        "SECRET_KEY": "test-only-secret-key-for-the-refresh-subprocess",
        "DEBUG": "false",
    }


@pytest.mark.django_db(transaction=True)
def test_on_a_terminal_the_refresh_shows_a_progress_bar_and_otherwise_only_a_summary(catalog):
    for product in catalog_products(3):
        stale_favorite(product.id, **STALE_SNAPSHOT)
    command = [sys.executable, "manage.py", "refresh_favorites", "--stale-after", "0"]
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        on_terminal = subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=refresh_env(catalog),
            stdout=subprocess.PIPE,
            stderr=terminal,
            text=True,
            timeout=60,
        )
        os.close(terminal)
        drawn = b""
        while chunk := _read(controller):
            drawn += chunk
    finally:
        os.close(controller)
    piped = subprocess.run(
        command, cwd=REPO_ROOT, env=refresh_env(catalog), capture_output=True, text=True, timeout=60
    )

    assert on_terminal.returncode == 0
    assert "3/3" in drawn.decode(), (drawn, on_terminal.stdout)
    assert (
        on_terminal.stdout.strip() == "checked 3, updated 3, unchanged 0, unavailable 0, failed 0"
    )
    assert piped.returncode == 0
    assert piped.stdout.strip() == "checked 3, updated 0, unchanged 3, unavailable 0, failed 0"
    assert "3/3" not in piped.stderr


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 4096)
    except OSError:  # the terminal's other end is closed
        return b""


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_refresh_keeps_what_it_finished_and_a_rerun_does_the_rest(catalog):
    products = catalog_products(12)
    for product in products:
        stale_favorite(product.id, **STALE_SNAPSHOT)
    catalog.set_faults(latency_ms=250)
    command = [sys.executable, "manage.py", "refresh_favorites", "--workers", "1"]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=refresh_env(catalog),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while Favorite.objects.filter(refreshed_at__gt=LONG_AGO).count() < 2:
            assert time.monotonic() < deadline, "the refresh never got going"
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode != 0
    assert "Interrupted" in stdout + stderr
    done = Favorite.objects.filter(refreshed_at__gt=LONG_AGO).count()
    assert 2 <= done < len(products)
    assert (
        Favorite.objects.filter(refreshed_at__gt=LONG_AGO).exclude(title="Stale title").count()
        == done
    )

    catalog.clear_faults()
    output = refresh()

    assert output.strip().startswith(
        f"checked {len(products) - done}, updated {len(products) - done}"
    )
    assert not Favorite.objects.filter(title="Stale title").exists()
