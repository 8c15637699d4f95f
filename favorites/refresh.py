"""The refresh on Celery: a run fans out into chunks of product ids, one task each.

Beat starts a run every REFRESH_INTERVAL (`refresh_run_start`); any number of
workers take its chunks (`refresh_chunk_run`). Every catalog lookup first waits
for a slot of the global rate limit (CATALOG_MAX_REQUESTS_PER_SECOND, shared
through Redis), so more workers never means more load on the catalog than that.
Each product is written by `favorite_snapshots_refresh`, as the in-process
command does, events included.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog import products as catalog
from catalog.products import Product, ProductNotFound
from favorites.models import RefreshChunk, RefreshRun
from favorites.selectors import favorite_product_ids_to_refresh
from favorites.services import RefreshSummary, favorite_snapshots_refresh
from favorites_project.celery import app, publish
from favorites_project.rate_limit import rate_limit_wait

logger = logging.getLogger(__name__)

COUNTS = ("checked", "updated", "unchanged", "unavailable", "failed")
CHUNK_LEASE = timedelta(minutes=2)


def catalog_lookup_paced(product_id: str) -> Product | None:
    """The product after waiting for a slot of the global rate limit; None when the catalog
    no longer has it. The catalog's other errors propagate."""
    rate_limit_wait(
        key=settings.CATALOG_RATE_LIMIT_KEY,
        per_second=settings.CATALOG_MAX_REQUESTS_PER_SECOND,
        redis_url=settings.CATALOG_RATE_LIMIT_REDIS_URL,
    )
    try:
        return catalog.product_get(product_id)
    except ProductNotFound:
        return None


def refresh_run_start(*, stale_after: timedelta | None = None) -> RefreshRun | None:
    """A run over the products last checked longer than `stale_after` ago (default
    REFRESH_STALE_AFTER), its chunks queued; None while another run is still going."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.REFRESH_STALE_AFTER)
    now = timezone.now()
    busy_since = now - timedelta(seconds=settings.REFRESH_INTERVAL)
    if RefreshRun.objects.filter(finished_at__isnull=True, started_at__gt=busy_since).exists():
        logger.info("Refresh not started: the previous run is still going")
        return None
    product_ids = favorite_product_ids_to_refresh(checked_before=now - stale_after)
    size = settings.REFRESH_CHUNK_SIZE
    chunks = [product_ids[start : start + size] for start in range(0, len(product_ids), size)]
    with transaction.atomic():
        run = RefreshRun.objects.create(
            started_at=now,
            checked_before=now - stale_after,
            chunks_total=len(chunks),
            finished_at=None if chunks else now,
        )
        rows = RefreshChunk.objects.bulk_create(
            [RefreshChunk(run=run, number=n, product_ids=ids) for n, ids in enumerate(chunks)]
        )
        chunk_ids = [row.pk for row in rows]
        transaction.on_commit(lambda: _queue_chunks(chunk_ids))
    logger.info("Refresh run %s: %s products in %s chunks", run.pk, len(product_ids), len(chunks))
    return run


def _queue_chunks(chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        if not publish(app.tasks["favorites.refresh_chunk"], args=[chunk_id]):
            return  # logged; refresh_chunks_requeue sends them again


def refresh_chunk_run(*, chunk_id: int, worker: str = "") -> RefreshSummary | None:
    """Refresh the chunk's products and add its counts to its run; None when the chunk
    was done already (a task delivered twice does the work once)."""
    if not _claim(chunk_id):
        return None
    chunk = RefreshChunk.objects.get(pk=chunk_id)
    summary = RefreshSummary()
    for product_id in chunk.product_ids:
        try:
            product = catalog_lookup_paced(product_id)
        except Exception as exc:
            logger.warning("Lookup of product %s failed: %s", product_id, exc)
            summary.count("failed")
        else:
            summary.count(favorite_snapshots_refresh(product_id=product_id, product=product))
        RefreshChunk.objects.filter(pk=chunk_id).update(claimed_until=timezone.now() + CHUNK_LEASE)

    now = timezone.now()
    counts = {name: getattr(summary, name) for name in COUNTS}
    with transaction.atomic():
        if not RefreshChunk.objects.filter(pk=chunk_id, finished_at__isnull=True).update(
            finished_at=now, worker=worker[:255], **counts
        ):
            return None  # a second copy finished first and counted
        RefreshRun.objects.filter(pk=chunk.run_id).update(
            chunks_done=F("chunks_done") + 1,
            progressed_at=now,
            **{name: F(name) + n for name, n in counts.items()},
        )
        RefreshRun.objects.filter(
            pk=chunk.run_id, chunks_done=F("chunks_total"), finished_at__isnull=True
        ).update(finished_at=now)
    logger.info("Refresh chunk %s of run %s on %s: %s", chunk.number, chunk.run_id, worker, summary)
    return summary


def _claim(chunk_id: int) -> bool:
    now = timezone.now()
    return bool(
        RefreshChunk.objects.filter(pk=chunk_id, finished_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + CHUNK_LEASE)
    )


def refresh_chunks_requeue() -> int:
    """Queue again the unfinished, unclaimed chunks of runs that made no progress for
    REFRESH_STALL_AFTER seconds (their tasks were lost: the broker was down when the run
    started, say); a run is requeued at most once per stall. How many chunks."""
    now = timezone.now()
    stalled = list(
        RefreshRun.objects.filter(
            finished_at__isnull=True,
            progressed_at__lte=now - timedelta(seconds=settings.REFRESH_STALL_AFTER),
        ).values_list("pk", flat=True)
    )
    if not stalled:
        return 0
    chunk_ids = list(
        RefreshChunk.objects.filter(run__in=stalled, finished_at__isnull=True)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .values_list("pk", flat=True)
    )
    RefreshRun.objects.filter(pk__in=stalled).update(progressed_at=now)
    logger.info("Refresh runs %s stalled: %s chunks queued again", stalled, len(chunk_ids))
    _queue_chunks(chunk_ids)
    return len(chunk_ids)
