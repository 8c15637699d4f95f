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
    # The class of `prepared_cursor`'s cursors; tracing swaps in a traced one
    # (favorites_project/telemetry.py), as it wraps the connection's own cursor factory.
    prepared_cursor_class: type = base.ServerBindingCursor

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
        return not readable

    def prepared_cursor(self):
        """A cursor whose statements PostgreSQL keeps prepared on this connection.

        Django's cursors bind parameters on the client: the server parses and plans every
        statement anew. This one binds them on the server, so psycopg prepares a statement
        once it has run `prepare_threshold` times on the connection (5 unless the
        connection's OPTIONS say otherwise; None turns it off, as a pooler in transaction
        mode without prepared-statement support needs). For the statements written once
        on the hot paths (favorites_project/sql.py); the ORM's stay client-bound.
        """
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(self.prepared_cursor_class(self.connection))
