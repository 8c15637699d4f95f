"""A person's path through the service, in a real browser: Debian's Chromium, driven by
Playwright, against gunicorn with production settings (DEBUG off) on loopback.

Staff log into the admin, find a customer by email, see its favorites with their price
change, filter the drops and refresh them from the (mock) catalog; Swagger UI renders
from the service's own files, authorizes with a token and runs the favorites list; ReDoc
renders. No request may leave 127.0.0.1. Screenshots go to `artifacts/browser/` (or
`BROWSER_ARTIFACTS_DIR`).

Skipped where Chromium or Playwright is missing, except where `REQUIRE_BROWSER_TESTS` is
set (CI sets it, after installing Chromium): there a missing browser fails the test.
"""

import json
import os
import subprocess
import sys
import urllib.request
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from catalog.testing import PRODUCT_ID
from customers.tests.factories import PASSWORD, CustomerFactory, StaffFactory
from favorites.tests.factories import FavoriteFactory
from reliability.stack import HOST, Gunicorn, server_env

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get("BROWSER_ARTIFACTS_DIR", settings.BASE_DIR / "artifacts" / "browser")
)
TIMEOUT_MS = 20_000

pytestmark = pytest.mark.browser


def _sync_playwright():
    """Playwright's entry point, or a skip (a failure where browser tests are required)."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright  # optional: skipped without it
    except ImportError:
        missing = "the playwright package"
    if missing is None and not CHROMIUM.exists():
        missing = f"Chromium at {CHROMIUM} (apt-get install chromium)"
    if missing is not None:
        if os.environ.get("REQUIRE_BROWSER_TESTS"):
            pytest.fail(f"browser tests are required here, and {missing} is missing")
        pytest.skip(f"{missing} is not installed")
    return sync_playwright


def _database_url() -> str:
    params = connection.settings_dict
    user = params["USER"] or "postgres"
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    host = params["HOST"] or HOST
    return f"postgres://{user}{password}@{host}:{params['PORT'] or 5432}/{params['NAME']}"


@pytest.fixture
def server(transactional_db, catalog, tmp_path):
    """gunicorn as production runs it, on this test's database and the mock catalog."""
    static_root = tmp_path / "static"
    env = server_env(
        database_url=_database_url(),
        cache_url="",
        catalog_url=catalog.base_url,
        STATIC_ROOT=str(static_root),
        WEB_CONCURRENCY="1",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
    )
    gunicorn = Gunicorn(env, log_path=tmp_path / "gunicorn.log", workers=1)
    try:
        gunicorn.start(timeout=30)
        yield gunicorn
    finally:
        gunicorn.close()


def _token(base_url: str, email: str) -> str:
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["access"]


def test_staff_and_developers_use_the_admin_and_the_docs_without_leaving_the_machine(server):
    sync_playwright = _sync_playwright()
    # Hashed as production checks it (the tests' own settings use a faster hasher).
    password_hash = PBKDF2PasswordHasher().encode(PASSWORD, "browser-test-salt", iterations=1000)
    staff = StaffFactory(is_superuser=True, email="staff@example.com", password=password_hash)
    ana = CustomerFactory(email="ana.souza@example.com", name="Ana Souza", password=password_hash)
    dropped = FavoriteFactory(
        customer=ana,
        product_id=PRODUCT_ID,
        title="Cadeira para Auto Iseos Bébé Confort Earth Brown",
        price=Decimal("1499.00"),
        price_when_added=Decimal("1999.00"),
    )
    FavoriteFactory(customer=ana, price=Decimal("10.00"), price_when_added=Decimal("10.00"))
    token = _token(server.url, ana.email)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    routed: list[str] = []

    def keep_local(route):
        parts = urlsplit(route.request.url)
        routed.append(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != HOST:
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            context.route("**/*", keep_local)
            page = context.new_page()
            # A request the page's Content-Security-Policy refuses (ReDoc's logo) fails in
            # the browser before the network: it reaches neither the route nor the wire.
            page.on("requestfinished", lambda request: _note_outside(request.url, outside))

            # The admin: log in, find Ana by email, open her.
            page.goto(f"{server.url}/admin/login/")
            page.fill("#id_username", staff.email)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit]")
            page.wait_for_selector("#site-name")
            page.goto(f"{server.url}/admin/customers/customer/")
            page.fill("#searchbar", "ana.souza@example.com")
            page.press("#searchbar", "Enter")
            page.wait_for_url("**/admin/customers/customer/?q=*")
            page.click("#result_list a:text-is('ana.souza@example.com')")
            inline = page.locator(".inline-group")
            inline.get_by_text("Price change since added").wait_for()
            assert "▼ -500.00 (-25.0 %)" in inline.inner_text()
            page.screenshot(path=ARTIFACTS / "1-customer-with-favorites.png", full_page=True)

            # Her favorites, the price drops only, refreshed from the catalog.
            page.click("text=All of this customer's favorites")
            page.wait_for_url("**/admin/favorites/favorite/?customer__id__exact=*")
            page.click("#changelist-filter a:text-is('price dropped')")
            page.wait_for_url("**price_dropped=yes*")
            rows = page.locator("#result_list tbody tr")
            assert rows.count() == 1
            assert dropped.product_id in rows.first.inner_text()
            # Rows stay on one line at 1,400 px: a row is as tall as its checkbox's line.
            page.screenshot(path=ARTIFACTS / "2-price-dropped.png", full_page=True)
            assert rows.first.bounding_box()["height"] < 40
            page.screenshot(path=ARTIFACTS / "2-price-dropped.png", full_page=True)
            page.check("#action-toggle")
            page.select_option("select[name=action]", "refresh_now")
            page.click("button[name=index]")
            message = page.locator(".messagelist li").first
            message.wait_for()
            assert message.inner_text().startswith(
                "Refreshed 1 product(s) from the catalog: 1 changed"
            )
            page.screenshot(path=ARTIFACTS / "3-refreshed.png", full_page=True)

            # Swagger UI: authorize with a token, try the favorites list.
            page.goto(f"{server.url}/api/docs/")
            page.wait_for_selector(".swagger-ui .information-container")
            page.click("button.authorize")
            page.fill(".auth-container input", token)
            page.click(".auth-btn-wrapper button.authorize")
            page.click(".auth-btn-wrapper button.btn-done")
            operation = page.locator("#operations-favorites-customers_favorites_list")
            operation.locator(".opblock-summary").first.click()
            operation.locator(".try-out__btn").click()
            operation.locator("input[placeholder='customer_id']").fill("me")
            operation.locator("button.execute").click()
            status = operation.locator(".live-responses-table tbody .response-col_status").first
            status.wait_for()
            assert status.inner_text().strip() == "200"
            assert dropped.product_id in operation.locator(".live-responses-table").inner_text()
            page.screenshot(path=ARTIFACTS / "4-swagger-try-it-out.png", full_page=False)

            # ReDoc renders the reference.
            page.goto(f"{server.url}/api/redoc/")
            page.locator(".api-content h1").first.wait_for()
            assert "Favorites API" in page.locator(".api-content h1").first.inner_text()
            page.screenshot(path=ARTIFACTS / "5-redoc.png", full_page=False)

            # The index page links to the docs.
            page.goto(f"{server.url}/")
            assert page.locator("a[href='/api/docs/']").count() == 1
        finally:
            browser.close()

    assert outside == []
    # The watch saw the pages' own requests: the static files, the schema, the API call.
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in routed)
    assert any("/static/drf_spectacular_sidecar/redoc/" in url for url in routed)
    assert any("/api/v1/customers/me/favorites/" in url for url in routed)
    assert "Traceback" not in server.log_text()


def _note_outside(url: str, outside: list[str]) -> None:
    parts = urlsplit(url)
    leaves = parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != HOST
    if leaves and url not in outside:
        outside.append(url)
