"""Keeping the demand figures fresh."""

import zlib
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import ProductDemand

# One refresh at a time across every process: the others read the figures already there.
REFRESH_LOCK = zlib.crc32(b"analytics.product_demand.refresh")


def product_demand_refresh(*, wait: bool = True) -> bool:
    """Recompute the figures from the favorites; False when another process is already
    doing it and `wait` is off. Readers are never blocked (CONCURRENTLY). A no-op on
    SQLite, whose view is computed at every read."""
    if connection.vendor != "postgresql":
        return True
    with transaction.atomic(), connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        else:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
            if not cursor.fetchone()[0]:
                return False
        cursor.execute("REFRESH MATERIALIZED VIEW CONCURRENTLY analytics_productdemand")
    return True


def product_demand_refresh_if_stale() -> None:
    """Recompute the figures when they are older than `STATS_MAX_AGE` seconds or were never
    computed: one caller at a time; concurrent ones go on with the figures already there."""
    computed_at = ProductDemand.objects.values_list("computed_at", flat=True).first()
    fresh_after = timezone.now() - timedelta(seconds=settings.STATS_MAX_AGE)
    if computed_at is None or computed_at < fresh_after:
        product_demand_refresh(wait=computed_at is None)
