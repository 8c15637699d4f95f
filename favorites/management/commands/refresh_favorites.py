"""Re-read every favorited product from the catalog and refresh its snapshots."""

import logging
import re
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone
from tqdm import tqdm

from catalog import products as catalog
from catalog.products import Product, ProductNotFound
from favorites.selectors import favorite_product_ids_to_refresh
from favorites.services import RefreshSummary, favorite_snapshots_refresh

logger = logging.getLogger(__name__)

DURATION = re.compile(r"^(\d+)([smhd]?)$")
UNITS = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
DEFAULT_STALE_AFTER = timedelta(hours=24)


def duration(value: str) -> timedelta:
    """'90', '90s', '15m', '24h' or '7d'."""
    match = DURATION.match(value.strip())
    if not match:
        raise ValueError(value)
    amount, unit = match.groups()
    return timedelta(**{UNITS[unit]: int(amount)})


def lookup(product_id: str) -> Product | None:
    """Runs in a worker thread: only the catalog call, never a database write."""
    try:
        return catalog.product_get(product_id)
    except ProductNotFound:
        return None
    finally:
        # Anything in the call that touched the database did so on this thread's
        # own connection; close it rather than leave it to the server's timeout.
        connections.close_all()


class Command(BaseCommand):
    help = (
        "Re-read each favorited product from the catalog once and update its snapshots: "
        "title, image, price, review score and brand (never price_when_added). Products the "
        "catalog no longer has are marked unavailable, never deleted. Products whose lookup "
        "fails are left as they were, and the command exits non-zero. Each product is "
        "committed on its own, so an interrupted run can simply be run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=duration,
            default=None,
            metavar="DURATION",
            help=(
                "Only products checked longer ago than this, e.g. 90s, 15m, 24h, 7d, or 0 "
                "for all (default: 24h, or 0 with --product)."
            ),
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=8,
            help="Catalog lookups in flight at once (default: 8).",
        )
        parser.add_argument(
            "--product",
            action="append",
            nargs="+",
            default=None,
            metavar="ID",
            help="Only these products (may be repeated).",
        )

    def handle(self, *args, stale_after, workers, product, **options):
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        product_ids = None if product is None else [pid for group in product for pid in group]
        if stale_after is None:
            stale_after = DEFAULT_STALE_AFTER if product_ids is None else timedelta(0)

        to_refresh = favorite_product_ids_to_refresh(
            checked_before=timezone.now() - stale_after, product_ids=product_ids
        )
        summary = RefreshSummary()
        progress = tqdm(
            total=len(to_refresh),
            unit="product",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        )
        try:
            with progress, ThreadPoolExecutor(max_workers=workers) as pool:
                self._refresh(pool, to_refresh, summary, progress, in_flight=workers * 2)
        except KeyboardInterrupt:
            self.stdout.write(f"Interrupted: {summary}. Run again to finish.")
            raise CommandError("Interrupted.", returncode=130) from None

        self.stdout.write(str(summary))
        if summary.failed:
            raise CommandError(
                f"{summary.failed} product lookup(s) failed; "
                "their snapshots were left as they were."
            )

    def _refresh(self, pool, product_ids, summary, progress, *, in_flight: int) -> None:
        """Keeps at most `in_flight` lookups queued; writes each answer on this thread."""
        pending: dict[Future, str] = {}
        queue = iter(product_ids)
        try:
            while True:
                for product_id in queue:
                    pending[pool.submit(lookup, product_id)] = product_id
                    if len(pending) >= in_flight:
                        break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    product_id = pending.pop(future)
                    summary.count(self._apply(product_id, future))
                    progress.update()
        finally:
            for future in pending:
                future.cancel()

    def _apply(self, product_id: str, future: Future) -> str:
        try:
            product = future.result()
        except Exception as exc:
            logger.warning("Lookup of product %s failed: %s", product_id, exc)
            return "failed"
        return favorite_snapshots_refresh(product_id=product_id, product=product)
