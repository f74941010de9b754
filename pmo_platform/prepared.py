"""A cursor whose statements PostgreSQL prepares once per connection, for the few hot
statements where planning costs more than executing (the survey autosave's upsert).

Django's psycopg 3 backend binds parameters on the client and prepares nothing, so every
execution is parsed and planned again. `prepared_cursor()` binds them on the server and asks
psycopg to prepare the statement (`prepare=True`): the first execution on a connection sends a
protocol-level Parse of a named statement, later ones only Bind/Execute. psycopg keeps the names
per connection (at most `prepared_max`, 100 by default). The cursor goes through Django's wrapper,
so query logging, `execute_wrapper` and the query-count tests see it like any other.

Parameters are typed on the server: write explicit casts (`%(firm)s::bigint`) so one prepared
statement fits every call. `DATABASE_PREPARED_STATEMENTS = False` (environment
`PMO_DATABASE_PREPARED_STATEMENTS=0`) falls back to the ordinary cursor, for a connection pooler
that cannot carry prepared statements (PgBouncer before 1.21, or with `max_prepared_statements =
0`; see docs/scaling.md).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


def _cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


_PREPARED_CURSOR = None


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS):
    """A cursor on the `using` connection whose `execute` prepares the statement."""
    global _PREPARED_CURSOR
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        with connection.cursor() as cursor:
            yield cursor
        return
    if _PREPARED_CURSOR is None:
        _PREPARED_CURSOR = _cursor_class()
    connection.ensure_connection()
    with connection._prepare_cursor(_PREPARED_CURSOR(connection.connection)) as cursor:
        yield cursor
