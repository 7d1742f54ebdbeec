"""What rules read besides their own project, from the ledger's tables: other
projects through a read-only reader, a project's uploaded documents, and the
per-unit lock that keeps two actions on one unit from both passing a rule
that counts the unit's projects.  Part of :class:`~tongchou.ledger.Ledger`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from peewee import fn

from .models import Project
from .reads import DocumentInfo, ProjectReader
from .storage import _as_date
from .vocabulary import ProjectState


class LedgerReader(ProjectReader):
    """The other projects of a ledger, read-only (see :class:`ProjectReader`).

    It holds two query functions and no ledger: a rule cannot reach a write
    method through it.  ``before_read`` (the per-unit lock, inside a change)
    runs once, before the first query.
    """

    live = True

    def __init__(self, query: Callable[[Mapping[str, Any]], Any], state: Callable[[Project], ProjectState],
                 exclude: int | None, before_read: Callable[[], None] | None = None):
        self.exclude = exclude
        self._query = query
        self._state = state
        self._before_read = before_read

    def _select(self, filters: Mapping[str, Any]):
        if self._before_read is not None:
            before, self._before_read = self._before_read, None
            before()
        query = self._query(filters)
        if self.exclude is not None:
            query = query.where(Project.id != self.exclude)
        return query

    def find(self, **filters: Any) -> list[ProjectState]:
        return [self._state(r) for r in self._select(filters).order_by(Project.id)]

    def count(self, **filters: Any) -> int:
        return int(self._select(filters).select(fn.COUNT(Project.id)).scalar() or 0)


class ReadsMixin:
    """Readers and documents for rules, and the per-unit lock."""

    def project_reader(self, exclude: int | None = None, lock_unit: int | None = None) -> ProjectReader:
        """A read-only reader of the ledger's projects other than ``exclude``
        (all of them, whoever acts: rules see the whole ledger).  With
        ``lock_unit``, the first read locks that unit first (see
        :meth:`_lock_unit`)."""
        before = (lambda: self._lock_unit(lock_unit)) if lock_unit is not None else None
        return LedgerReader(lambda filters: self._project_query(None, dict(filters), ""), self._state,
                            exclude, before)

    def project_documents(self, project_ids: Iterable[int]) -> dict[int, tuple[DocumentInfo, ...]]:
        """The uploaded documents of many projects, oldest first, in one query
        per 500 projects (metadata only, never the files)."""
        ids = sorted({int(i) for i in project_ids})
        out: dict[int, list[DocumentInfo]] = {pid: [] for pid in ids}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            sql = ('SELECT "project_id", "id", "kind", "filename", "digest", "uploaded_at" FROM "document" '
                   f'WHERE "project_id" IN ({", ".join(self.db.param for _ in chunk)}) '
                   'ORDER BY "project_id", "uploaded_at", "id"')
            for pid, *columns in self.db.execute_sql(sql, chunk):
                out[pid].append(document_info(*columns))
        return {pid: tuple(docs) for pid, docs in out.items()}

    def _documents(self, project_id: int | None) -> tuple[DocumentInfo, ...]:
        if project_id is None:
            return ()
        return self.project_documents([project_id])[int(project_id)]

    def _guards_read(self, action: str, registry=None) -> bool:
        """Whether a guard watching ``action`` (under ``registry``, the
        project's version of the rules) says it reads other projects."""
        return any(g.reads_projects for g in (registry or self.registry).guards_for(action))

    def _lock_unit(self, unit_id: int | None) -> None:
        """Inside a change: wait for, then hold until commit, the lock of the
        unit's row, so that the actions on one unit whose guards read other
        projects are decided one at a time (a quota counted by one is seen by
        the next).  PostgreSQL locks the row (``FOR NO KEY UPDATE``: entering
        a project of the unit, which only checks the unit exists, is not held
        up).  SQLite needs nothing: every change begins ``BEGIN IMMEDIATE``,
        which already lets one writer at a time in, before any guard reads."""
        if unit_id is None or not self.is_postgres:
            return
        self.db.execute_sql(f'SELECT "id" FROM "unit" WHERE "id" = {self.db.param} FOR NO KEY UPDATE',
                            (int(unit_id),))

    def _rule_reads(self, state: ProjectState, lock: bool = False,
                    documents: tuple[DocumentInfo, ...] | None = None) -> tuple[ProjectReader, tuple]:
        """The reader and documents the rules about ``state`` see: a reader
        excluding it (locking its unit on first read when ``lock``) and its
        documents (read now unless given)."""
        reader = self.project_reader(exclude=state.id, lock_unit=state.unit_id if lock else None)
        return reader, (self._documents(state.id) if documents is None else documents)


def document_info(doc_id: int, kind: str, name: str, digest: str, uploaded_at: Any) -> DocumentInfo:
    """A document as rules see it, from its stored columns."""
    return DocumentInfo(kind=kind, uploaded=_local_date(uploaded_at), name=name, digest=digest, id=doc_id)


def _local_date(value: Any) -> dt.date:
    """The server's local date of a stored UTC time (SQLite hands back text)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.timezone.utc).astimezone().date()
    return _as_date(value)
