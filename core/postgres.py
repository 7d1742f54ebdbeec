"""PostgreSQL with the action path's statements prepared once per connection.

An action runs about seven statements; PostgreSQL plans each one it is sent
as text, and for the first read of an action (the project row locked beside
the parameters' signature and its documents) planning took twice as long as
running it.  A statement registered with :func:`prepared` is sent once per
connection as ``PREPARE`` and from then on as ``EXECUTE``, which the server
plans once (docs/performance.md).  Any other statement goes as it is.

``?prepare=off`` in the URL turns it off: a connection pooler in transaction
mode (PgBouncer's ``pool_mode = transaction``) hands each transaction a
different server session, where a prepared statement may not exist.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any

from peewee import Database, PostgresqlDatabase

#: statement text -> (its name on the server, the PREPARE, the EXECUTE);
#: shared by every database of the process: the texts are the same everywhere
_REGISTERED: dict[str, tuple[str, str, str]] = {}
_PARAM = re.compile(r"%s")
#: the server lost or invalidated a prepared statement: ``invalid_sql_statement_name``
#: (a pooler's new session, DISCARD ALL) and ``feature_not_supported`` ("cached plan
#: must not change result type": a column added while this process ran)
_LOST = ("26000", "0A000")


def prepared(db: Database, sql: str) -> str:
    """Register ``sql`` (``%s`` placeholders, no literal ``%``) to be prepared
    on ``db``'s connections; returns ``sql``, which callers run as before."""
    if isinstance(db, PreparingPostgresqlDatabase) and db.prepare and sql not in _REGISTERED:
        name = "tc_" + hashlib.sha1(sql.encode()).hexdigest()[:16]
        count = 0

        def number(_match: re.Match) -> str:
            nonlocal count
            count += 1
            return f"${count}"

        body = _PARAM.sub(number, sql)
        args = f"({', '.join(['%s'] * count)})" if count else ""
        _REGISTERED[sql] = (name, f"PREPARE {name} AS {body}", f"EXECUTE {name}{args}")
    return sql


class PreparingPostgresqlDatabase(PostgresqlDatabase):
    """peewee's PostgreSQL database, running registered statements prepared."""

    def __init__(self, database: str, *, prepare: bool = True, **kwargs: Any):
        super().__init__(database, **kwargs)
        self.prepare = prepare

    def execute_sql(self, sql, params=None):
        known = _REGISTERED.get(sql) if self.prepare else None
        if known is None:
            return super().execute_sql(sql, params)
        name, prepare, execute = known
        conn = self.connection()
        # [connection, names prepared on it, whether some may have been lost];
        # per thread, as peewee keeps the connection itself.  A PREPARE outlives
        # a rolled-back transaction, so the names stay true across rollbacks.
        entry = getattr(self._state, "tc_prepared", None)
        if entry is None or entry[0] is not conn:
            entry = self._state.tc_prepared = [conn, set(), False]
        try:
            if name not in entry[1]:
                if entry[2]:
                    super().execute_sql("DEALLOCATE ALL")
                    entry[1].clear()
                    entry[2] = False
                super().execute_sql(prepare)
                entry[1].add(name)
            return super().execute_sql(execute, params)
        except Exception as exc:
            driver = exc.__cause__ or exc.__context__  # peewee re-raises psycopg2's error as its own
            if getattr(driver, "pgcode", None) in _LOST:
                entry[1].clear()  # prepared again, after DEALLOCATE ALL, at the next use
                entry[2] = True
            raise
