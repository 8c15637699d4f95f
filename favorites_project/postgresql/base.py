"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

Django checks a kept connection (CONN_HEALTH_CHECKS) with a `SELECT 1` before
each request's first query: a whole round trip on every request of the hot
path. An idle connection has nothing to read, so when its socket is readable
the server has closed it or sent an error (a restart, a failover,
`pg_terminate_backend`), and it is replaced before it is used. A peer that
vanished without a word is found by the first query instead, which answers a
503 with Retry-After and drops the connection, as before.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
        return not readable
