"""Derived rows: the obligations and findings the rules derive for each
project, stored after every change and re-derived after a rule change; and
the obligations listing.  Part of :class:`~tongchou.ledger.Ledger`."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from . import engine, parties
from .db import write_transaction
from .models import Project, Setting
from .reads import DocumentInfo
from .results import LedgerObligation
from .storage import _Decoder, derived_rows
from .vocabulary import Actor, HistoryEvent, ProjectState

#: the setting that says a rule change still needs ``recompute_all``
RECOMPUTE_PENDING = "recompute_pending"


class DerivedMixin:
    """Obligations and findings derived from each project's history."""

    def _recompute(self, state: ProjectState, history: tuple[HistoryEvent, ...], known: str = "",
                   documents: tuple[DocumentInfo, ...] | None = None, rules=None) -> str:
        """Re-derive the project's obligations and findings from its history
        (and its ``documents``: read now when not given) under ``rules``, the
        project's version of the rules (the newest when not given).

        Returns the SM3 digest of what was derived; when it equals ``known`` (the
        digest stored on the project) the stored rows are already right and
        nothing is written.
        """
        rules = rules or self.rules_for()  # the project's version of the rules (tongchou.versions)
        reader, documents = self._rule_reads(state, documents=documents)
        obligations, findings = engine.derive(rules.pm, rules.params, state, history, reader, documents)
        ob_rows, fi_rows, digest = derived_rows(state.id, obligations, findings)
        if digest == known:
            return digest
        self.db.execute_sql(self._sql("obligations_delete"), (state.id,))
        self.db.execute_sql(self._sql("findings_delete"), (state.id,))
        self.insert_derived(ob_rows, fi_rows)
        return digest

    def rederive(self, project_id: int) -> None:
        """Re-derive one project's obligations and findings now, inside the
        caller's change (after something rules read, e.g. its documents, changed)."""
        row = self._row(project_id, lock=True)
        digest = self._recompute(self._state(row), self._history(row.id), row.derived,
                                 rules=self.rules_for(row))
        if digest != row.derived:
            self.db.execute_sql(self._sql("derived_update"), (digest, row.id))
            self._seal("project", [row.id])

    def insert_derived(self, ob_rows: Sequence[tuple], fi_rows: Sequence[tuple]) -> None:
        """Insert rows made by :func:`derived_rows` (inside the caller's
        transaction), with one prepared statement per table (SQLite), or one
        multi-row INSERT per table (PostgreSQL, where the driver's
        executemany is a round trip per row)."""
        cursor = None
        for name, rows in (("obligation_insert", ob_rows), ("finding_insert", fi_rows)):
            if not rows:
                continue
            if self.is_postgres:
                sql = self._sql(name)
                head, values = sql.split(" VALUES ", 1)
                self.db.execute_sql(f"{head} VALUES {', '.join([values] * len(rows))}",
                                    [v for row in rows for v in row])
            else:
                cursor = cursor or self.db.cursor()
                cursor.executemany(self._sql(name), rows)

    def recompute_all(self, batch: int = 500) -> int:
        """Re-derive every project's obligations and findings (after a rule or
        parameter change).  Returns how many projects were done."""
        done = 0
        ids = [r[0] for r in Project.select(Project.id).order_by(Project.id).tuples()]
        for i in range(0, len(ids), batch):
            with write_transaction(self.db):
                rows = {r.id: r for r in Project.select().where(Project.id.in_(ids[i:i + batch]))}
                histories = self.histories(list(rows))
                self._resync_parties(rows.values())
                documents = self.project_documents(list(rows))
                for pid, row in rows.items():
                    digest = self._recompute(self._state(row), histories[pid], documents=documents[pid],
                                             rules=self.rules_for(row))
                    Project.update(derived=digest).where(Project.id == pid).execute()
                    done += 1
                self._seal("project", list(rows))
        with write_transaction(self.db):
            Setting.delete().where(Setting.key == RECOMPUTE_PENDING).execute()
        return done

    def obligations(self, actor: Actor | None = None, *, project_id: int | None = None,
                    open_only: bool = True, due_before: dt.date | None = None,
                    due_from: dt.date | None = None,
                    project_ids: Iterable[int] | None = None) -> list[LedgerObligation]:
        """Obligations (open ones by default), earliest due first, in one query
        (``project_ids``: only these projects, e.g. a worklist's)."""
        if project_id is not None:
            self._readable_row(project_id, actor)
        where, params = self._scope_sql(actor, project_id)
        if project_ids is not None:
            ids = sorted({int(i) for i in project_ids})
            if not ids:
                return []
            where.append(f'o."project_id" IN ({", ".join("?" for _ in ids)})')
            params += ids
        if open_only:
            where.append('o."closed_on" IS NULL')
        if due_before is not None:
            where.append('o."due" < ?')
            params.append(due_before.isoformat())
        if due_from is not None:
            where.append('o."due" >= ?')
            params.append(due_from.isoformat())
        # Raw SQL, decoded by hand: peewee's row objects cost more than the query
        # on a province's tens of thousands of open obligations.
        sql = ('SELECT o."project_id", p."name", u."name", o."code", o."document", o."articles", o."due", '
               'o."message", o."closed_on" FROM "obligation" AS o '
               'JOIN "project" AS p ON o."project_id" = p."id" JOIN "unit" AS u ON p."unit_id" = u."id"'
               + (" WHERE " + " AND ".join(where) if where else "")
               + ' ORDER BY o."due", o."project_id", o."code"')
        decode = _Decoder(self.jurisdiction.title)
        return [LedgerObligation(pid, pname, uname, code, decode.citation(doc, arts), decode.date(due), message,
                                 decode.date(closed) if closed is not None else None)
                for pid, pname, uname, code, doc, arts, due, message, closed
                in self.db.execute_sql(sql.replace("?", self.db.param), params)]

    def _scope_sql(self, actor: Actor | None, project_id: int | None) -> tuple[list[str], list[Any]]:
        """WHERE terms (on ``p``, the project) limiting a query to what ``actor`` may see."""
        where: list[str] = []
        params: list[Any] = []
        scope = parties.scope(self.registry, actor)
        if scope is not None:
            term, values = scope.sql("p")
            where.append(term)
            params += values
        if project_id is not None:
            where.append('p."id" = ?')
            params.append(int(project_id))
        return where, params
