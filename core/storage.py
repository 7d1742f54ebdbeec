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
from .values import dumps_rows
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
    return sm3_hex(dumps_rows([ob_rows, fi_rows]).encode())


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


_EVENT_COLUMNS = ('"project_id", "seq", "action", "date", "actor_id", "role", "args", "from_status", '
                  '"to_status", "recorded_at"')

#: the parameters' signature (how many values are set, when the last was) as a
#: derived table ``s`` beside a locked project row (Ledger._fresh_params)
_PARAMS_SIGNATURE = '(SELECT COUNT(*) AS "n", MAX("set_at") AS "at" FROM "parameter_value") AS s'

_HOT_SQL = {
    "project": 'SELECT * FROM "project" WHERE "id" = ?',
    "project_lock": 'SELECT * FROM "project" WHERE "id" = ? FOR UPDATE',
    # what says whether the parameters in force changed (Ledger._fresh_params)
    "params_signature": 'SELECT COUNT(*), MAX("set_at") FROM "parameter_value"',
    # the first read of a change: the row, locked, and the parameters' signature
    # in the same round trip (its last two columns)
    "project_lock_params": ('SELECT p.*, s."n" AS "_params_n", s."at" AS "_params_at" FROM "project" AS p '
                            f'CROSS JOIN {_PARAMS_SIGNATURE} WHERE p."id" = ? FOR UPDATE OF p'),
    # an action's first read: the same and the project's documents, one row
    # each (the last five columns; NULL when it has none)
    "project_lock_documents": (
        'SELECT p.*, s."n" AS "_params_n", s."at" AS "_params_at", d."id" AS "_doc_id", d."kind" AS "_doc_kind", '
        'd."filename" AS "_doc_name", d."digest" AS "_doc_digest", d."uploaded_at" AS "_doc_at" '
        f'FROM "project" AS p CROSS JOIN {_PARAMS_SIGNATURE} '
        'LEFT JOIN "document" AS d ON d."project_id" = p."id" '
        'WHERE p."id" = ? ORDER BY d."uploaded_at", d."id" FOR UPDATE OF p'),
    "history": ('SELECT "project_id", "seq", "action", "date", "role", "args", "from_status", "to_status" '
                'FROM "event" WHERE "project_id" = ? ORDER BY "seq"'),
    "obligations_delete": 'DELETE FROM "obligation" WHERE "project_id" = ?',
    "findings_delete": 'DELETE FROM "finding" WHERE "project_id" = ?',
    "derived_update": 'UPDATE "project" SET "derived" = ? WHERE "id" = ?',
    # a new project's derived digest and seal, once its id is known
    "derived_seal_update": 'UPDATE "project" SET "derived" = ?, "seal" = ? WHERE "id" = ?',
    "project_insert": ('INSERT INTO "project" ("name", "unit_id", "year", "estimate", "status", "data", '
                       '"version", "rules", "derived", "created_on", "created_by_id", "created_at", '
                       '"updated_at") VALUES (?, ?, ?, ?, ?, ?, 1, ?, \'\', ?, ?, ?, ?)'),
    "obligation_insert": ('INSERT INTO "obligation" ("project_id", "code", "document", "articles", "due", '
                          '"message", "closed_on") VALUES (?, ?, ?, ?, ?, ?, ?)'),
    "finding_insert": ('INSERT INTO "finding" ("project_id", "code", "severity", "document", "articles", '
                       '"message") VALUES (?, ?, ?, ?, ?, ?)'),
    "event_insert": f'INSERT INTO "event" ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
}


#: the project columns an action may change, in the order their values are given
ACT_COLUMNS = ("status", "name", "year", "estimate", "data")


def act_write_sql(changed: tuple[str, ...], postgres: bool) -> str:
    """The UPDATE of an action's project row (``?`` placeholders), setting only
    the ``changed`` columns of :data:`ACT_COLUMNS` besides the digest, version,
    time and seal: a column left out of SET leaves its indexes untouched, and
    most actions change no indexed column (on SQLite every index of a column
    in SET is rewritten, which was half the pages an action wrote).

    Values: the changed columns', then derived, updated_at, seal, id, version;
    on PostgreSQL (one round trip for both writes) followed by the event's
    values after its project id, and it returns the event's id, no row when
    the project's version moved on."""
    sets = "".join(f'"{c}" = ?, ' for c in changed)
    update = (f'UPDATE "project" SET {sets}"derived" = ?, "version" = "version" + 1, "updated_at" = ?, '
              '"seal" = ? WHERE "id" = ? AND "version" = ?')
    if not postgres:
        return update
    return (f'WITH "u" AS ({update} RETURNING "id") INSERT INTO "event" ({_EVENT_COLUMNS}) '
            'SELECT "u"."id", ?, ?, ?, ?, ?, ?, ?, ?, ? FROM "u" RETURNING "id"')


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
