"""Fresh ledgers for scenario cases, made fast.

Opening a ledger from nothing (the schema's migrations, the jurisdiction's
settings) was most of a case's time.  A run now prepares one ledger per
jurisdiction and gives each case its own state from it:

* SQLite: the prepared in-memory database is copied (SQLite's backup API, a
  page copy) into a new in-memory database per case;
* PostgreSQL: one schema per run; each case runs inside a transaction that is
  rolled back afterwards (the ledger's own transactions nest in it as
  savepoints), with the id sequences reset first, so a case sees the ids a
  fresh ledger would give.

Either way each case starts from the same empty ledger and leaves nothing for
the next; the :class:`~tongchou.ledger.Ledger` object (its caches) is new per case.
"""
from __future__ import annotations

import contextlib
import os
import uuid
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from .db import is_postgres, open_database
from .ledger import Ledger
from .models import database
from .packs import Jurisdiction


def _drop_schema(base_url: str, schema: str) -> None:
    db = open_database(base_url)
    try:
        db.connect()
        db.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    except Exception:  # noqa: BLE001 - the server went away: nothing left to drop
        pass
    finally:
        db.close()


class CaseLedgers:
    """Hands out a fresh ledger per case (see the module's docstring)."""

    def __init__(self, db_url: str | None = None):
        self.db_url = db_url if db_url and is_postgres(db_url) else None
        self._templates: dict[str, Any] = {}
        self._pg: Ledger | None = None
        self._sequences: list[str] = []
        self._finalizer = None

    @contextlib.contextmanager
    def ledger(self, jur: Jurisdiction, pinned: Mapping[str, Any]) -> Iterator[Ledger]:
        if self.db_url:
            yield from self._postgres(jur, pinned)
        else:
            yield from self._sqlite(jur, pinned)

    def _sqlite(self, jur: Jurisdiction, pinned: Mapping[str, Any]) -> Iterator[Ledger]:
        template = self._templates.get(jur.name)
        if template is None:
            made = Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32))
            template = self._templates[jur.name] = made.db
        db = open_database(":memory:")
        db.connect()
        template.connection().backup(db.connection())
        database.initialize(db)
        ledger = Ledger(db, jur, os.urandom(32), ":memory:", pinned)
        try:
            yield ledger
        finally:
            ledger.close()

    def _postgres(self, jur: Jurisdiction, pinned: Mapping[str, Any]) -> Iterator[Ledger]:
        if self._pg is None or self._pg.jurisdiction.name != jur.name:
            self.close()
            schema = f"tc_run_{uuid.uuid4().hex[:12]}"
            boot = open_database(self.db_url)
            boot.connect()
            try:
                boot.execute_sql(f'CREATE SCHEMA "{schema}"')
            finally:
                boot.close()
            self._finalizer = weakref.finalize(self, _drop_schema, self.db_url, schema)
            sep = "&" if "?" in self.db_url else "?"
            self._pg = Ledger.open(f"{self.db_url}{sep}options=-csearch_path%3D{schema}", jurisdiction=jur,
                                   audit_key=os.urandom(32))
            self._sequences = [r[0] for r in self._pg.db.execute_sql(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()")]
        db = self._pg.db
        database.initialize(db)
        ledger = Ledger(db, jur, os.urandom(32), self._pg.url, pinned)
        with db.atomic() as txn:
            if self._sequences:
                # Sequences ignore rollbacks: start each case where a fresh ledger starts.
                db.execute_sql("SELECT " + ", ".join(f"setval('\"{s}\"', 1, false)" for s in self._sequences))
            try:
                yield ledger
            finally:
                txn.rollback()

    def close(self) -> None:
        if self._pg is not None:
            self._pg.close()
            self._pg = None
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
