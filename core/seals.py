"""Row seals: an HMAC-SM3 over each row of the tables the audit chain does not
already cover (accounts, parameter values, settings, projects, documents),
keyed by a key derived from the audit keyring.

Someone who can write to the database but does not hold the key cannot change
a sealed column, insert a row or swap two rows' values without the row's seal
failing: :func:`verify_seals` (``tongchou audit verify``) names the table and
row, and the readers that act on a row (login, parameters in force, settings,
a project read for a change, a document's content) refuse it.  Obligations and
findings are covered through their project: the project's sealed ``derived``
column is the SM3 of its derived rows, and verify recomputes it.

What is sealed is the row's identity and meaning, not bookkeeping that
changes on its own (login failure counters, ``updated_at``): see SEALED.
Deleting a whole row of these tables is not detected by its seal; the audit
chain records every legitimate deletion, and its tail by the anchor
(``tongchou audit anchor``).
"""
from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from peewee import ForeignKeyField

from .audit import Keyring, hmac_sm3_hex
from .errors import TongchouError
from .models import Account, AuditEntry, Document, Finding, Obligation, ParameterValue, Project, Setting

#: the columns each sealed table's seal covers, primary key first
SEALED = {
    "account": (Account, (Account.id, Account.name, Account.display_name, Account.role, Account.unit,
                          Account.password_hash, Account.disabled)),
    "parameter_value": (ParameterValue, (ParameterValue.id, ParameterValue.name, ParameterValue.effective,
                                         ParameterValue.value)),
    "setting": (Setting, (Setting.key, Setting.value)),
    "project": (Project, (Project.id, Project.name, Project.unit, Project.year, Project.estimate,
                          Project.status, Project.data, Project.version, Project.rules, Project.derived,
                          Project.created_on, Project.created_by)),
    "document": (Document, (Document.id, Document.project, Document.kind, Document.filename,
                            Document.media_type, Document.size, Document.digest, Document.encrypted,
                            Document.uploaded_by)),
}


class TamperedRow(TongchouError):
    """A sealed row does not match its seal: it was changed outside Tongchou."""

    def __init__(self, table: str, key: Any):
        self.table, self.key = table, key
        super().__init__(f"“{table}”表第 {key} 行的封印不符（在 Tongchou 之外被改动）：已拒绝使用；"
                         "请运行 tongchou audit verify 并从备份恢复")


def seal_key(keys: Keyring) -> bytes:
    """The row-seal key: derived from the keyring's first key, so rotating the
    chain's key (which adds keys) leaves existing seals valid."""
    return bytes.fromhex(hmac_sm3_hex(keys.keys[0][1], b"tongchou row seal v1"))


def _plain(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot seal a {type(value).__name__}")


def seal_of(key: bytes, table: str, values: Sequence[Any]) -> str:
    """The seal of one row: ``values`` are the SEALED columns' Python values.
    Canonical JSON by the standard encoder (sorted keys; dates ISO, money as
    its decimal text): a tenth of the cost of the general value encoder, and
    the action path seals one row per change."""
    text = json.dumps([table, list(values)], sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_plain)
    return hmac_sm3_hex(key, text.encode())


def _rows(table: str, where=None) -> Iterable[tuple]:
    model, cols = SEALED[table]
    q = model.select(*cols, model.seal).order_by(cols[0])
    if where is not None:
        q = q.where(where)
    return q.tuples().iterator()


def reseal(key: bytes, table: str, ids: Iterable[Any] | None = None) -> int:
    """Recompute and store the seal of rows of ``table`` (those with primary
    key in ``ids``, or every row).  Call inside the write transaction that
    changed them, after the change.  Returns how many seals changed."""
    model, cols = SEALED[table]
    if ids is None:
        chunks: list = [None]
    else:
        ids = list(ids)
        chunks = [cols[0].in_(ids[i:i + 500]) for i in range(0, len(ids), 500)]
    db = model._meta.database
    # One prepared statement for all the rows (an import seals thousands at once):
    # building an UPDATE with peewee per row cost more than the HMACs.
    sql = (f'UPDATE "{model._meta.table_name}" SET "seal" = {db.param} '
           f'WHERE "{cols[0].column_name}" = {db.param}')
    changed = 0
    for where in chunks:
        pairs = [(seal, row[0]) for row in list(_rows(table, where))
                 if (seal := seal_of(key, table, row[:-1])) != row[-1]]
        if pairs:
            db.cursor().executemany(sql, pairs)
            changed += len(pairs)
    return changed


def _values(table: str, row: Any) -> list[Any]:
    _, cols = SEALED[table]
    return [getattr(row, c.object_id_name if isinstance(c, ForeignKeyField) else c.name) for c in cols]


def seal_row(key: bytes, table: str, row: Any) -> str:
    """The seal the model instance ``row`` should carry (its sealed columns as they read back)."""
    return seal_of(key, table, _values(table, row))


def check(key: bytes, table: str, row: Any) -> None:
    """Raise :class:`TamperedRow` unless the model instance ``row`` matches its seal."""
    values = _values(table, row)
    if not std_hmac.compare_digest(seal_of(key, table, values), row.seal or ""):
        raise TamperedRow(table, values[0])


def verify_seals(key: bytes) -> list[tuple[str, Any, str]]:
    """Every sealed row that fails its check, and every project whose stored
    obligations and findings are not the ones its sealed digest names, as
    ``(table, row key, problem)``."""
    from .storage import FINDING_COLUMNS, OBLIGATION_COLUMNS, derived_digest
    bad: list[tuple[str, Any, str]] = []
    digests: dict[int, str] = {}
    for table in SEALED:
        for row in _rows(table):
            if not std_hmac.compare_digest(seal_of(key, table, row[:-1]), row[-1] or ""):
                bad.append((table, row[0], "封印不符（行被改动、插入或与他行互换）"))
            elif table == "project":
                digests[row[0]] = row[9]
    derived: dict[int, tuple[list, list]] = {}
    for model, cols, slot in ((Obligation, OBLIGATION_COLUMNS, 0), (Finding, FINDING_COLUMNS, 1)):
        for row in model.select(*cols).order_by(model.project, model.id).tuples().iterator():
            derived.setdefault(row[0], ([], []))[slot].append(row)
    for pid in sorted(set(derived) | set(digests)):
        obs, fis = derived.get(pid, ([], []))
        if pid not in digests:
            if pid not in {b[1] for b in bad if b[0] == "project"}:
                table = "obligation" if obs else "finding"
                bad.append((table, pid, f"属于不存在的项目 {pid}"))
            continue
        if digests[pid] and derived_digest(obs, fis) != digests[pid]:
            bad.append(("obligation/finding", pid, f"项目 {pid} 的义务或发现被改动、删除或插入"))
    # Rows are never deleted from these tables: one the chain names but the
    # table lacks was removed out of band (row counts checked against history).
    named = {r[0] for r in AuditEntry.select(AuditEntry.project_id).where(
        AuditEntry.project_id.is_null(False), AuditEntry.kind != "refusal").distinct().tuples()}
    present = {r[0] for r in Project.select(Project.id).tuples()}
    bad += [("project", pid, "审计链记载的项目已被删除") for pid in sorted(named - present)]
    users = {json.loads(d).get("user") for (d,) in AuditEntry.select(AuditEntry.detail).where(
        AuditEntry.kind == "user").tuples()}
    have = {r[0] for r in Account.select(Account.name).tuples()}
    bad += [("account", name, "审计链记载的用户已被删除") for name in sorted(users - have - {None})]
    return bad

