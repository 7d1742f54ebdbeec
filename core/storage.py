"""How the ledger's hot rows are written and read back: the prepared SQL of
the action path, derived obligation and finding rows with their digest, and
decoders that turn stored columns into values without peewee's row objects."""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .audit import sm3_hex
from .citation import Citation
from .models import Finding, Obligation, Project
from .values import dumps
from .vocabulary import Finding as FindingSpec, Obligation as ObligationSpec

#: fields kept in the project table's own columns; every other field is in ``data``
CORE_COLUMNS = ("name", "unit", "year", "estimate")


def _articles_text(citation: Citation) -> str:
    return ",".join(str(a) for a in citation.articles)


#: the columns :func:`derived_rows` fills, in order
OBLIGATION_COLUMNS = (Obligation.project, Obligation.code, Obligation.document, Obligation.articles,
                      Obligation.due, Obligation.message, Obligation.closed_on)
FINDING_COLUMNS = (Finding.project, Finding.code, Finding.severity, Finding.document, Finding.articles,
                   Finding.message)


def derived_digest(ob_rows: Sequence[tuple], fi_rows: Sequence[tuple]) -> str:
    """The SM3 digest stored on a project that says whether its stored
    obligations and findings are already these rows (Python values, columns as
    :data:`OBLIGATION_COLUMNS` and :data:`FINDING_COLUMNS`)."""
    return sm3_hex(dumps([ob_rows, fi_rows]).encode())


def derived_rows(project_id: int, obligations: Iterable[ObligationSpec],
                 findings: Iterable[FindingSpec]) -> tuple[list[tuple], list[tuple], str]:
    """A project's derived obligations and findings as rows of database values
    for :meth:`Ledger.insert_derived`, and their :func:`derived_digest`."""
    ob_rows = [(project_id, o.code, o.citation.document, _articles_text(o.citation), o.due, o.message,
                o.closed_on) for o in obligations]
    fi_rows = [(project_id, f.code, f.severity, f.citation.document, _articles_text(f.citation), f.message)
               for f in findings]
    digest = derived_digest(ob_rows, fi_rows)
    return ([tuple(c.db_value(v) for c, v in zip(OBLIGATION_COLUMNS, r)) for r in ob_rows],
            [tuple(c.db_value(v) for c, v in zip(FINDING_COLUMNS, r)) for r in fi_rows], digest)


def _citation(document: str, articles: str, jurisdiction: str = "") -> Citation:
    return Citation(document, tuple(int(a) for a in articles.split(",") if a), jurisdiction)


_HOT_SQL = {
    "project": 'SELECT * FROM "project" WHERE "id" = ?',
    "project_lock": 'SELECT * FROM "project" WHERE "id" = ? FOR UPDATE',
    "history": ('SELECT "project_id", "seq", "action", "date", "role", "args", "from_status", "to_status" '
                'FROM "event" WHERE "project_id" = ? ORDER BY "seq"'),
    "act_update": ('UPDATE "project" SET "status" = ?, "name" = ?, "year" = ?, "estimate" = ?, "data" = ?, '
                   '"derived" = ?, "version" = "version" + 1, "updated_at" = ?, "seal" = ? '
                   'WHERE "id" = ? AND "version" = ?'),
    "obligations_delete": 'DELETE FROM "obligation" WHERE "project_id" = ?',
    "findings_delete": 'DELETE FROM "finding" WHERE "project_id" = ?',
    "derived_update": 'UPDATE "project" SET "derived" = ? WHERE "id" = ?',
    "obligation_insert": ('INSERT INTO "obligation" ("project_id", "code", "document", "articles", "due", '
                          '"message", "closed_on") VALUES (?, ?, ?, ?, ?, ?, ?)'),
    "finding_insert": ('INSERT INTO "finding" ("project_id", "code", "severity", "document", "articles", '
                       '"message") VALUES (?, ?, ?, ?, ?, ?)'),
    "event_insert": ('INSERT INTO "event" ("project_id", "seq", "action", "date", "actor_id", "role", "args", '
                     '"from_status", "to_status", "recorded_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    # PostgreSQL only: act_update and event_insert as one statement; no event row
    # when the project's version moved on (no row updated)
    "act_write": ('WITH "u" AS (UPDATE "project" SET "status" = ?, "name" = ?, "year" = ?, "estimate" = ?, '
                  '"data" = ?, "derived" = ?, "version" = "version" + 1, "updated_at" = ?, "seal" = ? '
                  'WHERE "id" = ? AND "version" = ? RETURNING "id") '
                  'INSERT INTO "event" ("project_id", "seq", "action", "date", "actor_id", "role", "args", '
                  '"from_status", "to_status", "recorded_at") '
                  'SELECT "u"."id", ?, ?, ?, ?, ?, ?, ?, ?, ? FROM "u" RETURNING "id"'),
}


class _Decoder:
    """Turns stored citation columns and dates into values, each distinct one
    once (a province's rows repeat a few hundred of them)."""

    def __init__(self, jurisdiction: str):
        self.jurisdiction = jurisdiction
        self._citations: dict[tuple[str, str], Citation] = {}
        self._dates: dict[Any, dt.date] = {}

    def citation(self, document: str, articles: str) -> Citation:
        key = (document, articles)
        c = self._citations.get(key)
        if c is None:
            c = self._citations[key] = _citation(document, articles, self.jurisdiction)
        return c

    def date(self, value: Any) -> dt.date:
        d = self._dates.get(value)
        if d is None:
            d = self._dates[value] = _as_date(value)
        return d


class _LazyFields(Mapping):
    """A project's fields, decoded from the stored JSON on first use.

    With ``one`` (``ProjectsMixin._field``), a field asked for by name is
    decoded alone: a sweep plugin asks most projects one or two things."""

    __slots__ = ("_args", "_decode", "_fields", "_one", "_data", "_some")

    def __init__(self, decode, name, unit, year, fen, data, one=None):
        self._decode = decode
        self._args = (name, unit, year, fen, data)
        self._fields: dict[str, Any] | None = None
        self._one = one
        self._data: Any = None
        self._some: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        if self._fields is None:
            name, unit, year, fen, data = self._args
            self._fields = self._decode(name, unit, year, Project.estimate.python_value(fen),
                                        json.loads(data) if isinstance(data, str) else data)
        return self._fields

    def __getitem__(self, key: str) -> Any:
        if self._fields is not None or self._one is None:
            return self._load()[key]
        name, unit, year, fen, data = self._args
        if key in CORE_COLUMNS:
            return (name, unit, year, Project.estimate.python_value(fen))[CORE_COLUMNS.index(key)]
        if key not in self._some:  # decoded once, as the whole record would be
            if self._data is None:
                self._data = json.loads(data) if isinstance(data, str) else (data or {})
            self._some[key] = self._one(key, self._data)
        return self._some[key]

    def __iter__(self):
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __repr__(self) -> str:
        return repr(self._load())


def _as_date(value: Any) -> dt.date:
    """A DATE column's value: SQLite hands back text, PostgreSQL a date."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _db_time(moment: dt.datetime) -> str:
    # The text peewee itself stores for a DateTimeField on SQLite; PostgreSQL parses it.
    return str(moment)
