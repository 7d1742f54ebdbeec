"""The similarity index of one ledger, kept in memory and in step with it.

Built once per process from one set-based read of the project table, then
brought up to date before each use from the audit chain: every entry, edit,
import and action writes a link naming its project, and the chain's head
(``last_id``, ``last_mac``) changes with every write.  So a use costs one
single-row read when nothing changed, and otherwise re-reads only the
projects named since; a head that went back or forked (a rolled-back
transaction, a restored backup) rebuilds the index from scratch.

Read-only: nothing here writes to the ledger.
"""
from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterable
from typing import Any

import attrs

from .similarity import Rule, SimilarityIndex


#: statuses of projects that a newer project cannot duplicate (rejected
#: applications, systems shut down); the only status change that matters
IGNORED_STATUSES = ("rejected", "retired")


@attrs.define
class Meta:
    """What the index keeps of a project besides its texts."""

    unit: str
    year: int
    status: str


@attrs.define
class LedgerIndex:
    index: SimilarityIndex
    meta: dict[int, Meta] = attrs.field(factory=dict)
    head: tuple[int, str] = (0, "")
    #: bumped whenever a project's texts change or it enters or leaves
    #: IGNORED_STATUSES: answers computed under an older generation may be
    #: stale (see :meth:`memo`); other status moves change no answer
    generation: int = 0
    _memo: dict = attrs.field(factory=dict)

    def memo(self, key, compute):
        """``compute()``, remembered for ``key`` until the ledger's projects
        change: the actions that follow an entry (apply, review) ask again
        for the same project and get the same answer without scoring."""
        hit = self._memo.get(key)
        if hit is not None and hit[0] == self.generation:
            return hit[1]
        if len(self._memo) > 10_000:
            self._memo.clear()
        value = compute()
        self._memo[key] = (self.generation, value)
        return value


#: held while an index is brought up to date or read (the web UI serves pages in threads)
LOCK = threading.RLock()
_CACHE: "weakref.WeakKeyDictionary[Any, dict[int, LedgerIndex]]" = weakref.WeakKeyDictionary()


def _scope_sql(db) -> str:
    from peewee import PostgresqlDatabase
    if isinstance(db, PostgresqlDatabase):
        return """CAST(p."data" AS json)->>'scope'"""
    return """json_extract(p."data", '$.scope')"""


def _select(db) -> str:
    return (f'SELECT p."id", p."name", {_scope_sql(db)}, u."name", p."year", p."status" '
            'FROM "project" AS p JOIN "unit" AS u ON p."unit_id" = u."id"')


def _head(db) -> tuple[int, str]:
    row = db.execute_sql('SELECT "last_id", "last_mac" FROM "audit_head"').fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _load(state: LedgerIndex, rows: Iterable[tuple]) -> None:
    for pid, name, scope, unit, year, status in rows:
        changed = state.index.add(pid, name or "", scope or "")
        old = state.meta.get(pid)
        if changed or old is None or (old.status in IGNORED_STATUSES) != (status in IGNORED_STATUSES):
            state.generation += 1
        state.meta[pid] = Meta(unit, int(year), status)


def ledger_index(db, rule: Rule) -> LedgerIndex:
    """The index of the ledger open on ``db`` under ``rule``, up to date."""
    with LOCK:
        per_db = _CACHE.setdefault(db, {})
        state = per_db.get(id(rule))
        head = _head(db)
        if state is not None and state.head == head:
            return state
        if state is not None and head[0] > state.head[0]:
            # Still the same chain up to where the index was built?
            row = db.execute_sql(f'SELECT "mac" FROM "audit_entry" WHERE "id" = {db.param}',
                                 (state.head[0],)).fetchone()
            if state.head[0] == 0 or (row is not None and row[0] == state.head[1]):
                changed = [r[0] for r in db.execute_sql(
                    f'SELECT DISTINCT "project_id" FROM "audit_entry" WHERE "id" > {db.param} '
                    'AND "project_id" IS NOT NULL', (state.head[0],))]
                for i in range(0, len(changed), 500):
                    chunk = changed[i:i + 500]
                    marks = ", ".join(db.param for _ in chunk)
                    _load(state, db.execute_sql(_select(db) + f' WHERE p."id" IN ({marks})', chunk))
                state.head = head
                return state
        state = LedgerIndex(SimilarityIndex(rule))
        # Millions of small objects and no cycles among them: the cyclic
        # collector would only walk them again and again while they are made.
        gc_was_on = gc.isenabled()
        gc.disable()
        try:
            _load(state, db.execute_sql(_select(db)))
        finally:
            if gc_was_on:
                # ...and once made, they live as long as the process: out of the
                # collector's sight (gc.freeze), or each full collection walks
                # them again (65 ms pauses in the middle of actions at 60,000
                # projects). What is garbage now is collected first.
                gc.collect()
                gc.freeze()
                gc.enable()
        state.head = head
        per_db[id(rule)] = state
        return state


def forget(db=None) -> None:
    """Drop the cached index of ``db`` (all when None), e.g. after a bulk load
    that bypassed the audit chain."""
    with LOCK:
        if db is None:
            _CACHE.clear()
        else:
            _CACHE.pop(db, None)
