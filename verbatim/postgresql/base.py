"""Django's PostgreSQL backend (settings.DATABASES' ENGINE), checking a kept connection by looking
at its socket before paying a round trip.

With CONN_HEALTH_CHECKS, Django asks a connection kept from an earlier request `is_usable()`
before the request's first query, and its answer is a `SELECT 1`: a round trip on every request,
about 0.3 ms of an apply's 7 over HTTP (docs/benchmarks.md). An idle connection has nothing to
read. When the server closes it (restarted, or `pg_terminate_backend`), it says so and closes the
socket, which then reads as ready: only then is the round trip worth making, and Django's own
check (which finds the connection dead) follows. A connection that is silently cut (a network
gone without a word) is caught by neither check before the query: the request's error closes it.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        ready, _, _ = select.select([connection.fileno()], [], [], 0)
        return not ready or super().is_usable()
