"""The refresh on Celery: fanned out over real workers, paced by a global rate limit."""

import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from catalog.products import product_page
from customers.tests.factories import CustomerFactory, StaffFactory
from events.models import Event
from events.testing import TEST_BROKER_URL, broker_at, worker_processes
from favorites.models import Favorite, IdempotencyRecord, RefreshChunk, RefreshRun
from favorites.refresh import refresh_chunk_run, refresh_chunks_requeue, refresh_run_start
from favorites.tests.factories import FavoriteFactory, expired_and_live_idempotency_records
from favorites_project.celery import app
from favorites_project.rate_limit import rate_limit_wait

LONG_AGO = timezone.now() - timedelta(days=2)
COMPARED = ("customer_id", "product_id", "title", "price", "price_when_added", "price_announced")


# The refresh's settings in these tests, for this process and the worker processes alike.
REFRESH_SETTINGS = {
    "CATALOG_FORMAT": "luizalabs",
    "CATALOG_CACHE_TTL": 0,
    "CATALOG_NOT_FOUND_TTL": 0,
    "CATALOG_MAX_REQUESTS_PER_SECOND": 10,
    "CATALOG_RATE_LIMIT_REDIS_URL": TEST_BROKER_URL,
    "REFRESH_STALE_AFTER": 3600,
    "REFRESH_CHUNK_SIZE": 2,
}


@pytest.fixture(scope="module")
def rate_limit_key() -> str:
    return f"test-rate-limit-{uuid.uuid4().hex}"


@pytest.fixture
def refresh_settings(settings, catalog, rate_limit_key):
    for name, value in REFRESH_SETTINGS.items():
        setattr(settings, name, value)
    settings.CATALOG_RATE_LIMIT_KEY = rate_limit_key
    return settings


@pytest.fixture(scope="module")
def two_workers(_mock_catalogs, django_db_setup, rate_limit_key):
    """Two worker processes for the module's tests; the key prefix to send them tasks."""
    env = {name: str(value) for name, value in REFRESH_SETTINGS.items()}
    env["CATALOG_URL"] = _mock_catalogs.get("luizalabs").base_url
    env["CATALOG_RATE_LIMIT_KEY"] = rate_limit_key
    with worker_processes(2, env) as key_prefix:
        yield key_prefix


def stale_favorites(products, customers) -> None:
    """Favorites as added when the catalog had `products`, checked two days ago."""
    for number, product in enumerate(products):
        for customer in customers[: 1 + number % 2]:
            FavoriteFactory(
                customer=customer,
                product_id=product.id,
                title=product.title,
                image_url=product.image_url,
                brand=product.brand,
                review_score=product.review_score,
                price=product.price,
                price_when_added=product.price,
                available=number != 4,
                created_at=LONG_AGO,
                refreshed_at=LONG_AGO,
            )


def outcome() -> tuple[list, list]:
    favorites = sorted(Favorite.objects.values_list(*COMPARED, "available"))
    events = sorted(
        (e.type, e.customer_id, sorted(e.data.items()))
        for e in Event.objects.exclude(type="favorite.added")
    )
    return favorites, events


def wait_for_run(timeout: float = 20.0) -> RefreshRun:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = RefreshRun.objects.filter(finished_at__isnull=False).first()
        if run is not None:
            return run
        time.sleep(0.05)
    raise AssertionError(f"no run finished: {list(RefreshRun.objects.values())}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_refresh_fanned_out_over_two_workers_gives_what_the_command_gives(
    refresh_settings, catalog, two_workers
):
    products = product_page(1).products[:9]
    customers = [CustomerFactory(), CustomerFactory()]
    stale_favorites(products, customers)
    before = list(Favorite.objects.values())
    catalog.product_change(products[0].id, price=float(products[0].price * Decimal("0.8")))
    catalog.product_change(products[1].id, price=float(products[1].price * Decimal("0.98")))
    catalog.product_change(products[2].id, title="A new title")
    catalog.product_remove(products[3].id)
    # Each lookup takes a while, so that both workers take chunks.
    catalog.set_faults(latency_ms=60)

    out = StringIO()
    call_command("refresh_favorites", "--stale-after", "1h", stdout=out)
    by_command = outcome()

    Favorite.objects.all().delete()
    Event.objects.all().delete()
    Favorite.objects.bulk_create(Favorite(**row) for row in before)
    with broker_at(TEST_BROKER_URL, key_prefix=two_workers):
        app.tasks["favorites.refresh"].delay()
        run = wait_for_run()

    assert outcome() == by_command
    assert out.getvalue().strip() == (
        f"checked {run.checked}, updated {run.updated}, unchanged {run.unchanged}, "
        f"unavailable {run.unavailable}, failed {run.failed}"
    )
    assert (run.checked, run.unavailable, run.failed) == (9, 1, 0)
    assert (run.chunks_total, run.chunks_done) == (5, 5)
    assert len({chunk.worker for chunk in run.chunks.all()}) == 2
    # One customer favors products 0 and 4, two favor product 3.
    assert sorted(event[0] for event in by_command[1]) == [
        "favorite.back_in_stock",
        "favorite.price_dropped",
        "favorite.unavailable",
        "favorite.unavailable",
    ]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_global_catalog_rate_limit_holds_under_two_workers(
    refresh_settings, catalog, two_workers
):
    products = product_page(1).products[:16]
    stale_favorites(products, [CustomerFactory()])
    started = time.time()

    with broker_at(TEST_BROKER_URL, key_prefix=two_workers):
        app.tasks["favorites.refresh"].delay()
        run = wait_for_run()

    times = sorted(t for t in catalog.state()["request_times"] if t >= started)
    assert (run.checked, run.failed, len(times)) == (16, 0, 16)
    assert len({chunk.worker for chunk in run.chunks.all()}) == 2
    # Slots 100 ms apart: 16 requests span at least 1.5 s. A request reaches the catalog
    # a little after its slot, so a window of one second may catch the next slot's too.
    assert times[-1] - times[0] >= 1.5 * 0.95
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 11


def test_the_rate_limit_paces_threads_sharing_it_through_redis(settings):
    key = f"test-rate-limit-{uuid.uuid4().hex}"
    waits = []

    def take(count):
        for _ in range(count):
            waits.append(rate_limit_wait(key=key, per_second=20, redis_url=TEST_BROKER_URL))

    started = time.monotonic()
    threads = [threading.Thread(target=take, args=(5,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Ten slots 50 ms apart: the last one 450 ms after the first.
    assert time.monotonic() - started >= 0.45 * 0.95
    assert sum(1 for wait in waits if wait == 0) <= 1


def test_without_redis_the_rate_limit_paces_the_process():
    key = f"test-rate-limit-{uuid.uuid4().hex}"

    started = time.monotonic()
    for _ in range(5):
        rate_limit_wait(key=key, per_second=50, redis_url="redis://127.0.0.1:1/0")

    assert time.monotonic() - started >= 0.08 * 0.95


# The run's bookkeeping, with the service the tasks call.


@pytest.mark.django_db
def test_a_chunk_delivered_twice_is_refreshed_and_counted_once(refresh_settings, catalog):
    stale_favorites(product_page(1).products[:2], [CustomerFactory()])
    run = refresh_run_start()
    [chunk] = run.chunks.all()

    first = refresh_chunk_run(chunk_id=chunk.pk, worker="w1")
    served = catalog.requests_served
    second = refresh_chunk_run(chunk_id=chunk.pk, worker="w2")

    run.refresh_from_db()
    assert (first.checked, second) == (2, None)
    assert catalog.requests_served == served
    assert (run.checked, run.chunks_done, run.chunks_total) == (2, 1, 1)
    assert run.finished_at is not None
    assert RefreshChunk.objects.get().worker == "w1"


@pytest.mark.django_db
def test_a_run_does_not_start_while_the_previous_one_is_going(refresh_settings, catalog):
    stale_favorites(product_page(1).products[:2], [CustomerFactory()])
    first = refresh_run_start()

    assert first is not None
    assert refresh_run_start() is None
    assert RefreshRun.objects.count() == 1


@pytest.mark.django_db
def test_by_default_a_run_takes_what_the_previous_run_refreshed_after_it_started(catalog):
    # No override of REFRESH_INTERVAL or REFRESH_STALE_AFTER: their defaults are the subject.
    [product] = product_page(1).products[:1]
    stale_favorites([product], [CustomerFactory()])
    previous_run_started = timezone.now() - timedelta(seconds=settings.REFRESH_INTERVAL)
    Favorite.objects.update(refreshed_at=previous_run_started + timedelta(minutes=10))

    run = refresh_run_start()

    assert run is not None
    assert run.chunks.get().product_ids == [product.id]


@pytest.mark.django_db
def test_nothing_stale_makes_a_finished_run_of_no_chunks(refresh_settings):
    run = refresh_run_start()

    assert (run.chunks_total, run.checked) == (0, 0)
    assert run.finished_at is not None


@pytest.mark.django_db
def test_a_stalled_run_has_its_unfinished_chunks_queued_again_once(
    refresh_settings, catalog, django_capture_on_commit_callbacks
):
    refresh_settings.REFRESH_STALL_AFTER = 60
    stale_favorites(product_page(1).products[:4], [CustomerFactory()])
    run = refresh_run_start()  # its tasks never sent: on_commit does not run here
    assert refresh_chunks_requeue() == 0  # not stalled yet
    RefreshRun.objects.filter(pk=run.pk).update(progressed_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        requeued = refresh_chunks_requeue()  # eager: the chunks run now

    run.refresh_from_db()
    assert requeued == 2
    assert (run.chunks_done, run.checked, run.finished_at is not None) == (2, 4, True)
    assert refresh_chunks_requeue() == 0


@pytest.mark.django_db
def test_the_admin_shows_runs_with_their_chunks(client, refresh_settings, catalog):
    client.force_login(StaffFactory(is_superuser=True))
    stale_favorites(product_page(1).products[:2], [CustomerFactory()])
    run = refresh_run_start()
    refresh_chunk_run(chunk_id=run.chunks.get().pk, worker="worker-1@host")

    listed = client.get("/admin/favorites/refreshrun/")
    shown = client.get(f"/admin/favorites/refreshrun/{run.pk}/change/")

    assert listed.status_code == shown.status_code == 200
    assert "worker-1@host" in shown.content.decode()


@pytest.mark.django_db
def test_beat_purges_expired_idempotency_records(customer):
    expired_and_live_idempotency_records(customer)

    purged = app.tasks["favorites.idempotency_purge"].apply().get()

    assert purged == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["live"]
    assert "favorites.idempotency_purge" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
