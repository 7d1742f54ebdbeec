"""Indexes on plugin fields a pack declares ``indexed`` (:class:`~tongchou.vocabulary.Field`).

A plugin field lives in the project's JSON ``data``; filtering a page on it
otherwise reads every project's JSON.  An expression index on exactly the
expression :meth:`ProjectsMixin._field_expr` filters and sorts with lets the
planner answer from the index: SQLite ``json_extract("data", '$.name')``,
PostgreSQL ``(CAST("data" AS json) ->> 'name')``.  The path is written into the
SQL as a literal, not a parameter: neither planner matches an expression index
against a bound parameter.
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


def json_expr(name: str, postgres: bool):
    """The peewee expression for plugin field ``name`` (the one the index is on)."""
    if _SAFE.match(name):
        path = SQL(f"'{name}'") if postgres else SQL(f"'$.{name}'")
    else:  # never indexed; a parameter is safe for any name
        path = name if postgres else f"$.{name}"
    if postgres:
        return Expression(Cast(Project.data, "json"), "->>", path)
    return fn.json_extract(Project.data, path)


def index_name(name: str) -> str:
    return f"project_field_{name}"


def indexed_fields(fields: Iterable[Field]) -> list[str]:
    return sorted({f.name for f in fields if f.indexed and f.name not in CORE_COLUMNS and _SAFE.match(f.name)})


def ensure_indexes(db: Database, fields: Iterable[Field]) -> list[str]:
    """Create the missing indexes of the ``indexed`` fields; returns the names
    created.  Reads the catalogue first, so opening a ledger whose indexes exist
    takes no lock on the project table."""
    wanted = {index_name(n): n for n in indexed_fields(fields)}
    if not wanted:
        return []
    postgres = isinstance(db, PostgresqlDatabase)
    if postgres:
        have = {r[0] for r in db.execute_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'project' AND schemaname = current_schema()")}
    else:
        have = {r[0] for r in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'project'")}
    made = []
    for idx, name in sorted(wanted.items()):
        if idx in have:
            continue
        expr = f"(CAST(\"data\" AS json) ->> '{name}')" if postgres else f"json_extract(\"data\", '$.{name}')"
        try:
            with db.atomic():
                db.execute_sql(f'CREATE INDEX IF NOT EXISTS "{idx}" ON "project" ({expr})')
        except Exception:  # another process made it at the same instant: it exists now
            continue
        made.append(idx)
    if made:
        # The planner needs the new index's statistics to prefer it.
        db.execute_sql('ANALYZE "project"')
    return made
