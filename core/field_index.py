"""Indexes on plugin fields a pack declares ``indexed`` (:class:`~tongchou.vocabulary.Field`).

A plugin field lives in the project's JSON ``data``; filtering a page on it
otherwise reads every project's JSON.

SQLite: an expression index on ``json_extract("data", '$.name')``, exactly the
expression :meth:`ProjectsMixin._field_expr` filters and sorts with.  SQLite
answers a filter's count from such an index alone.

PostgreSQL: a stored generated column ``"field_<name>"`` (``CAST("data" AS json)
->> 'name'``, kept by the server on every write) with a plain index.  An
expression index is not enough there: the planner never answers a query from
an expression index alone (it still wants the ``data`` column), so the count
of a page matching most projects read every row and parsed its JSON (640 ms at
60,000 projects against 9 ms for an index-only count of the column).

The path is written into the SQL as a literal, not a parameter: neither
planner matches an expression index against a bound parameter.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from peewee import SQL, Cast, Database, Expression, PostgresqlDatabase, fn

from .models import Project
from .storage import CORE_COLUMNS
from .vocabulary import Field

#: names that may be written into SQL as they are (every pack's field names do)
_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,50}$")


def json_expr(name: str, postgres: bool, indexed: bool = False):
    """The peewee expression for plugin field ``name``: for an ``indexed`` one,
    the one its index is on (PostgreSQL: its generated column)."""
    if _SAFE.match(name):
        if postgres and indexed:
            return SQL(f'"{column_name(name)}"')
        path = SQL(f"'{name}'") if postgres else SQL(f"'$.{name}'")
    else:  # never indexed; a parameter is safe for any name
        path = name if postgres else f"$.{name}"
    if postgres:
        return Expression(Cast(Project.data, "json"), "->>", path)
    return fn.json_extract(Project.data, path)


def index_name(name: str) -> str:
    return f"project_field_{name}"


def column_name(name: str) -> str:
    """The generated column of an indexed field on PostgreSQL."""
    return f"field_{name}"


def indexed_fields(fields: Iterable[Field]) -> list[str]:
    return sorted({f.name for f in fields if f.indexed and f.name not in CORE_COLUMNS and _SAFE.match(f.name)})


def ensure_indexes(db: Database, fields: Iterable[Field]) -> list[str]:
    """The pack's schema migration: create what the ``indexed`` fields lack
    (their index; on PostgreSQL also their generated column) and record each
    in the migration history (``schema_migration``, as :func:`history_name`)
    beside the numbered migrations; returns the index names created.  Reads
    the catalogue first, so opening a ledger whose indexes exist takes no lock
    on the project table.

    Why not a numbered file: which fields are indexed is the pack's choice, and
    a county that enables a pack with a new indexed field must get its index
    without a core release."""
    wanted = indexed_fields(fields)
    if not wanted:
        return []
    made = _ensure_postgres(db, wanted) if isinstance(db, PostgresqlDatabase) else _ensure_sqlite(db, wanted)
    if made:
        _record(db, made)
    return made


def history_name(index: str) -> str:
    """The migration-history name of a field index (no number: it sorts before
    the numbered migrations and is never taken for a pending file)."""
    return f"pack_{index}"


def is_pack_migration(name: str) -> bool:
    return name.startswith("pack_")


def _record(db: Database, indexes: list[str]) -> None:
    import datetime as dt
    p = db.param
    when = dt.datetime.now()
    with db.atomic():
        for idx in indexes:
            db.execute_sql(f'INSERT INTO "schema_migration" ("name", "applied") VALUES ({p}, {p}) '
                           'ON CONFLICT ("name") DO NOTHING', (history_name(idx), when))


def _ensure_sqlite(db: Database, wanted: list[str]) -> list[str]:
    have = {r[0] for r in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'project'")}
    made = []
    for name in wanted:
        idx = index_name(name)
        if idx in have:
            continue
        try:
            with db.atomic():
                db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{idx}" ON "project" (json_extract("data", \'$.{name}\'))')
        except Exception:  # another process made it at the same instant: it exists now
            continue
        made.append(idx)
    if made:
        # The planner needs the new index's statistics to prefer it.
        db.execute_sql('ANALYZE "project"')
    return made


def postgres_columns(db: Database) -> set[str]:
    """The project table's generated columns (PostgreSQL)."""
    return {r[0] for r in db.execute_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = 'project' AND is_generated = 'ALWAYS'")}


def _ensure_postgres(db: Database, wanted: list[str]) -> list[str]:
    columns = postgres_columns(db)
    indexes = {r[0]: r[1] for r in db.execute_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'project' AND schemaname = current_schema()")}
    add = [n for n in wanted if column_name(n) not in columns]
    # An index still on the JSON expression (made before the columns) is replaced.
    rebuild = [n for n in wanted if f'({column_name(n)})' not in indexes.get(index_name(n), "")]
    if not add and not rebuild:
        return []
    try:
        with db.atomic():
            if add:  # one ALTER: the table is rewritten once, whatever the number of columns
                db.execute_sql('ALTER TABLE "project" ' + ", ".join(
                    f'ADD COLUMN IF NOT EXISTS "{column_name(n)}" text '
                    f"GENERATED ALWAYS AS (CAST(\"data\" AS json) ->> '{n}') STORED" for n in add))
            for n in rebuild:
                db.execute_sql(f'DROP INDEX IF EXISTS "{index_name(n)}"')
                db.execute_sql(f'CREATE INDEX "{index_name(n)}" ON "project" ("{column_name(n)}")')
    except Exception:  # another process did it at the same instant: it is there now
        return []
    refresh_statistics(db, vacuum=bool(add))
    return [index_name(n) for n in rebuild]


def refresh_statistics(db: Database, vacuum: bool = False) -> None:
    """``ANALYZE`` the project table (the planner needs the new index's
    statistics to prefer it); after a rewrite of the table on PostgreSQL also
    ``VACUUM`` it, which marks its pages all-visible so that a count is read
    from the index alone (autovacuum would do it only after many writes)."""
    if vacuum and isinstance(db, PostgresqlDatabase) and not db.in_transaction():
        try:
            db.execute_sql('VACUUM ANALYZE "project"')
            return
        except Exception:  # e.g. inside a transaction opened outside peewee: ANALYZE is enough
            pass
    db.execute_sql('ANALYZE "project"')
