"""Keeping the demand figures fresh."""

import zlib

from django.db import connection, transaction

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
