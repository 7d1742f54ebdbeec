"""The ledger: one database of one jurisdiction's projects, and everything done
to them.

:class:`Ledger` is the one way in for the CLI, the web UI, the scenario runner
and tests.  Every change runs as one transaction: check who is asking, ask the
guards, apply, write the event and its audit link, recompute what the project
owes and what is wrong with it.  A refused change writes only its refusal to
the audit log.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from peewee import JOIN, SQL, Cast, Database, Expression, PostgresqlDatabase, fn

from . import auth, engine
from .audit import AuditChain, Keyring, create_key_file, event_digest, sm3_hex
from .citation import Citation
from .dates import parse_date
from .db import database_url, is_postgres, migrate, open_database, sqlite_path, write_transaction
from .errors import (AuditKeyMissing, ConfigurationError, Conflict, InvalidInput, NotFound,
                     PermissionDenied, Refused)
from .models import (Account, AuditEntry, Event, Finding, Obligation, ParameterValue, Project,
                     Setting, Unit, database, now)
from .parameters import ParameterSet, coerce
from .packs import Jurisdiction, load_jurisdiction
from .values import dumps, from_json_value, parse_record, parse_value, to_json_value
from .vocabulary import (CREATE_PROJECT, UPDATE_PROJECT, Action, Actor,
                         HistoryEvent, ProjectState, Refusal)
from .vocabulary import Finding as FindingSpec, Obligation as ObligationSpec

CORE_COLUMNS = ("name", "unit", "year", "estimate")
SYSTEM = Actor(name="system", role="admin")


@attrs.frozen
class ActResult:
    """What a successful action did."""

    project: ProjectState
    event_id: int
    from_status: str
    to_status: str


@attrs.frozen
class LedgerFinding:
    """An open finding of one project, as lists and reports show it."""

    project_id: int
    project: str
    unit: str
    code: str
    severity: str
    citation: Citation
    message: str
    due: dt.date | None = None

    def to_json(self) -> dict:
        return {"project_id": self.project_id, "project": self.project, "unit": self.unit,
                "code": self.code, "severity": self.severity, "article": self.citation.article_labels[0],
                "citation": self.citation.label, "message": self.message,
                "due": self.due.isoformat() if self.due else None}


@attrs.frozen
class LedgerObligation:
    project_id: int
    project: str
    unit: str
    code: str
    citation: Citation
    due: dt.date
    message: str
    closed_on: dt.date | None = None

    def overdue_on(self, on: dt.date) -> bool:
        return self.closed_on is None and self.due < on

    def to_json(self, on: dt.date | None = None) -> dict:
        out = {"project_id": self.project_id, "project": self.project, "unit": self.unit,
               "code": self.code, "article": self.citation.article_labels[0],
               "citation": self.citation.label, "due": self.due.isoformat(),
               "message": self.message,
               "closed_on": self.closed_on.isoformat() if self.closed_on else None}
        if on is not None:
            out["overdue"] = self.overdue_on(on)
        return out


#: the setting that says a rule change still needs ``recompute_all``
RECOMPUTE_PENDING = "recompute_pending"
#: how many projects one ``tongchou_sweep`` call is given
SWEEP_CHUNK = 5000
#: seconds a read may use parameter values without asking whether another
#: process has set one (a change always asks)
PARAMS_RECHECK = 5.0


@attrs.frozen
class Sweep:
    """What the compliance sweep found on one date."""

    on: dt.date
    #: every open finding, overdue first, then by project and article
    findings: list[LedgerFinding]
    #: every open obligation, earliest due first
    obligations: list[LedgerObligation]

    def to_json(self) -> dict:
        return {"on": self.on.isoformat(), "findings": [f.to_json() for f in self.findings],
                "obligations": [o.to_json(self.on) for o in self.obligations]}


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
                   '"derived" = ?, "version" = "version" + 1, "updated_at" = ? WHERE "id" = ? AND "version" = ?'),
    "obligations_delete": 'DELETE FROM "obligation" WHERE "project_id" = ?',
    "findings_delete": 'DELETE FROM "finding" WHERE "project_id" = ?',
    "derived_update": 'UPDATE "project" SET "derived" = ? WHERE "id" = ?',
    "obligation_insert": ('INSERT INTO "obligation" ("project_id", "code", "document", "articles", "due", '
                          '"message", "closed_on") VALUES (?, ?, ?, ?, ?, ?, ?)'),
    "finding_insert": ('INSERT INTO "finding" ("project_id", "code", "severity", "document", "articles", '
                       '"message") VALUES (?, ?, ?, ?, ?, ?)'),
    "event_insert": ('INSERT INTO "event" ("project_id", "seq", "action", "date", "actor_id", "role", "args", '
                     '"from_status", "to_status", "recorded_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
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
    """A project's fields, decoded from the stored JSON on first use."""

    __slots__ = ("_args", "_decode", "_fields")

    def __init__(self, decode, name, unit, year, fen, data):
        self._decode = decode
        self._args = (name, unit, year, fen, data)
        self._fields: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._fields is None:
            name, unit, year, fen, data = self._args
            self._fields = self._decode(name, unit, year, Project.estimate.python_value(fen),
                                        json.loads(data) if isinstance(data, str) else data)
        return self._fields

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

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


def default_key_path(url: str, db: Database) -> Path | None:
    env = os.environ.get("TONGCHOU_AUDIT_KEY_FILE")
    if env:
        return Path(env).expanduser()
    path = sqlite_path(db)
    if path is not None:
        return path.with_name(path.name + ".key")
    if is_postgres(url):
        tag = hashlib.sha256(url.encode()).hexdigest()[:16]
        return Path.home() / ".config" / "tongchou" / f"audit-{tag}.key"
    return None  # in-memory: a key for this process only


class Ledger:
    """An open ledger.  Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, db: Database, jurisdiction: Jurisdiction, audit_key: "Keyring | bytes", url: str = "",
                 pinned: Mapping[str, Any] | None = None, key_path: Path | None = None):
        self.db = db
        self.url = url
        self.jurisdiction = jurisdiction
        self.registry = jurisdiction.registry
        self.pm = jurisdiction.pm
        self.audit = AuditChain(audit_key)
        self.key_path = key_path
        self._pinned = dict(pinned or {})
        self._params: ParameterSet | None = None
        self._params_signature: tuple = ()
        self._params_checked = 0.0
        self._change_params: ParameterSet | None = None
        self._units: dict[int, str] = {}
        self._sql_cache: dict[str, str] = {}

    # -- opening ------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, jurisdiction: str | Jurisdiction | None = None,
             pinned_parameters: Mapping[str, Any] | None = None,
             extra_plugins: Iterable[tuple[str, Any]] = (), key_file: Path | None = None,
             audit_key: bytes | None = None, upgrade: bool = True) -> "Ledger":
        """Open (creating or upgrading) the ledger at ``url``.

        The jurisdiction is the one recorded in the ledger, or the one named
        (recorded on first open), or the default pack.  ``pinned_parameters``
        fixes parameter values for this session (scenario cases); ``audit_key``
        gives the chain's key directly (throw-away ledgers) instead of a key file.
        """
        url = database_url(url)
        db = open_database(url)
        database.initialize(db)
        db.connect(reuse_if_open=True)
        try:
            if upgrade:
                migrate(db)
            stored = Setting.get_or_none(Setting.key == "jurisdiction")
            disabled = Setting.get_or_none(Setting.key == "disabled_plugins")
            disabled_names = list(disabled.value) if disabled else []
            if isinstance(jurisdiction, Jurisdiction):
                jur = jurisdiction
                if stored and stored.value != jur.name:
                    raise ConfigurationError(
                        f"this ledger belongs to jurisdiction {stored.value!r}, not {jur.name!r}")
            else:
                name = jurisdiction or (stored.value if stored else None)
                if stored and jurisdiction and stored.value != jurisdiction:
                    raise ConfigurationError(
                        f"this ledger belongs to jurisdiction {stored.value!r}, not {jurisdiction!r}")
                jur = load_jurisdiction(name, disabled=disabled_names, extra_plugins=extra_plugins,
                                        strict_disabled=False)
            if stored is None:
                Setting.insert(key="jurisdiction", value=jur.name).on_conflict_ignore().execute()
            path = None if audit_key else (key_file or default_key_path(url, db))
            key = audit_key or cls._audit_key(path)
            ledger = cls(db, jur, key, url, pinned_parameters, key_path=path)
            ledger.audit.ensure_head()
            return ledger
        except BaseException:
            db.close()
            raise

    @staticmethod
    def _audit_key(path: Path | None) -> "Keyring | bytes":
        if path is None:
            return os.urandom(32)
        if path.exists():
            return Keyring.read(path)
        if AuditEntry.select().exists():
            raise AuditKeyMissing(
                f"the audit key {path} is missing but the ledger has an audit chain; restore the key "
                "file (or set TONGCHOU_AUDIT_KEY_FILE) before using this ledger")
        return create_key_file(path)

    def close(self) -> None:
        if not self.db.is_closed():
            self.db.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.db, PostgresqlDatabase)

    def _sql(self, name: str) -> str:
        """The hot path's statements as parameterised SQL for this backend, built
        once: generating them with peewee on every action cost more than
        running them."""
        sql = self._sql_cache.get(name)
        if sql is None:
            sql = _HOT_SQL[name]
            if name == "project_lock" and not self.is_postgres:
                sql = _HOT_SQL["project"]
            if name == "event_insert" and self.is_postgres:
                sql += ' RETURNING "id"'
            sql = sql.replace("?", self.db.param)
            self._sql_cache[name] = sql
        return sql

    # -- parameters ---------------------------------------------------------

    @property
    def params(self) -> ParameterSet:
        """The parameters in force, re-read when any app process has set one
        (several ``tongchou serve`` processes may share the ledger).

        Every change checks that its values are current; reads check at most
        every :data:`PARAMS_RECHECK` seconds, so a sweep or a page costs no
        extra query for it."""
        if self._change_params is not None:
            return self._change_params  # fixed for the length of one change
        if self._params is not None and time.monotonic() - self._params_checked < PARAMS_RECHECK:
            return self._params
        return self._fresh_params()

    def _fresh_params(self) -> ParameterSet:
        signature = tuple(self.db.execute_sql(
            'SELECT COUNT(*), MAX("set_at") FROM "parameter_value"').fetchone())
        self._params_checked = time.monotonic()
        if self._params is None or signature != self._params_signature:
            ledger_values = [(r.name, r.effective, coerce(self.registry.parameters[r.name].type, r.value, r.name))
                             for r in ParameterValue.select().order_by(ParameterValue.name, ParameterValue.effective)
                             if r.name in self.registry.parameters]
            self._params = self.jurisdiction.parameters(ledger_values, self._pinned)
            self._params_signature = signature
        return self._params

    def set_parameter(self, name: str, effective: dt.date, raw: Any, actor: Actor,
                      note: str = "") -> None:
        """Record a dated value of a parameter for this ledger (administrators)."""
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以设置参数")
        spec = self.params.require(name)
        value = coerce(spec.type, raw, name)
        with write_transaction(self.db):
            (ParameterValue.insert(name=name, effective=effective, value=to_json_value(value),
                                   note=note, set_by=actor.name)
             .on_conflict(conflict_target=[ParameterValue.name, ParameterValue.effective],
                          update={ParameterValue.value: to_json_value(value), ParameterValue.note: note,
                                  ParameterValue.set_by: actor.name, ParameterValue.set_at: now()})
             .execute())
            self.audit.append("parameter", actor.name, {"name": name, "effective": effective,
                                                        "value": to_json_value(value), "note": note})
            self._mark_recompute_pending(f"parameter {name}")
        self._params = None

    # -- settings -----------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        row = Setting.get_or_none(Setting.key == key)
        return default if row is None else row.value

    def set_setting(self, key: str, value: Any, actor: Actor) -> None:
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以修改设置")
        with write_transaction(self.db):
            (Setting.insert(key=key, value=value)
             .on_conflict(conflict_target=[Setting.key], update={Setting.value: value}).execute())
            self.audit.append("setting", actor.name, {"key": key, "value": value})
            if key == "disabled_plugins":
                self._mark_recompute_pending("plugins")

    # A rule change and the re-derivation it needs are not one transaction (a
    # province's re-derivation runs in batches so writers are not held up), so
    # the ledger records that one is owed until it has run to the end: a
    # process killed half-way leaves the flag, and ``tongchou recompute`` finishes.
    def _mark_recompute_pending(self, reason: str) -> None:
        value = {"reason": reason, "since": now().isoformat(timespec="seconds")}
        (Setting.insert(key=RECOMPUTE_PENDING, value=value)
         .on_conflict(conflict_target=[Setting.key], update={Setting.value: value}).execute())

    @property
    def recompute_pending(self) -> dict | None:
        """Why findings and obligations still need re-deriving (``tongchou
        recompute``) after a rule change, or None when they are up to date."""
        return self.setting(RECOMPUTE_PENDING)

    # -- units and users ----------------------------------------------------

    def add_unit(self, name: str, actor: Actor = SYSTEM) -> int:
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("unit", "单位名称不能为空且不超过100字", "单位")
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以添加单位")
        with write_transaction(self.db):
            existing = Unit.get_or_none(Unit.name == name)
            if existing is not None:
                return existing.id
            unit_id = Unit.insert(name=name).execute()
            self.audit.append("unit", actor.name, {"unit": name})
        return unit_id

    def unit_id(self, name: str) -> int:
        # Units are never renamed or deleted, so a name once found stays right.
        for uid, known in self._units.items():
            if known == name:
                return uid
        row = Unit.get_or_none(Unit.name == name)
        if row is None:
            raise InvalidInput("unit", f"未知单位“{name}”", "建设单位")
        self._units[row.id] = row.name
        return row.id

    def unit_name(self, unit_id: int | None) -> str:
        if unit_id is None:
            return ""
        if unit_id not in self._units:
            # A miss reads every unit at once: a province has hundreds, and a
            # listing would otherwise ask for them one by one.
            self._units.update(Unit.select(Unit.id, Unit.name).tuples())
        return self._units.get(unit_id, "")

    def units(self) -> list[tuple[int, str]]:
        return list(Unit.select(Unit.id, Unit.name).order_by(Unit.name).tuples())

    def add_user(self, name: str, role: str, unit: str | None = None, *, display_name: str = "",
                 password: str | None = None, actor: Actor = SYSTEM) -> Actor:
        """Add a user; a unit-scoped role needs a unit, other roles must have none."""
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以添加用户")
        name = (name or "").strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name):
            raise InvalidInput("name", "用户名不能为空、不能含空白且不超过64字符", "用户名")
        spec = self.registry.roles.get(role)
        if spec is None:
            raise InvalidInput("role", f"未知角色“{role}”(可选:{', '.join(self.registry.roles)})", "角色")
        unit_id = None
        if spec.unit_scoped:
            if not unit:
                raise InvalidInput("unit", f"角色“{spec.label}”的用户必须属于一个单位", "单位")
            unit_id = self.unit_id(unit)
        elif unit:
            raise InvalidInput("unit", f"角色“{spec.label}”的用户不属于某个建设单位", "单位")
        if password is not None and len(password) < auth.MIN_PASSWORD_LENGTH:
            raise InvalidInput("password", f"密码至少 {auth.MIN_PASSWORD_LENGTH} 位", "密码")
        hashed = auth.hash_password(password) if password is not None else None
        with write_transaction(self.db):
            if Account.get_or_none(Account.name == name) is not None:
                raise InvalidInput("name", f"用户“{name}”已存在", "用户名")
            uid = Account.insert(name=name, role=role, unit=unit_id, display_name=display_name or name,
                                 password_hash=hashed).execute()
            self.audit.append("user", actor.name, {"op": "add", "user": name, "role": role, "unit": unit})
        return Actor(name=name, role=role, unit_id=unit_id, unit=unit or "", id=uid)

    def actor(self, name: str) -> Actor:
        """The user called ``name``, as actions see them."""
        row = Account.get_or_none(Account.name == name)
        if row is None:
            raise NotFound(f"unknown user {name!r}")
        if row.disabled:
            raise PermissionDenied(f"user {name!r} is disabled")
        return Actor(name=row.name, role=row.role, unit_id=row.unit_id,
                     unit=self.unit_name(row.unit_id), id=row.id)

    def authenticate(self, name: str, password: str) -> Actor:
        """Check a password; every attempt is logged in the audit chain.

        After ``auth.MAX_FAILURES`` failures in a row the account is locked for
        ``auth.LOCKOUT``; a locked, disabled or unknown account and a wrong
        password all get the same answer, so nothing is learnt by guessing.
        """
        name = (name or "").strip()[:64]
        moment = now()
        row = Account.get_or_none(Account.name == name)
        reason = None
        if row is None or row.disabled or not row.password_hash:
            reason = "unknown or disabled"
        elif row.locked_until is not None and row.locked_until > moment:
            reason = "locked"
        elif not auth.check_password(password or "", row.password_hash):
            reason = "password"
        # Commit the outcome first, then answer: a failure must stay counted and logged.
        with write_transaction(self.db):
            if reason == "password":
                fresh = Account.get_by_id(row.id)
                failures = fresh.failed_logins + 1
                locked = moment + auth.LOCKOUT if failures >= auth.MAX_FAILURES else None
                Account.update(failed_logins=0 if locked else failures, locked_until=locked) \
                    .where(Account.id == row.id).execute()
                self.audit.append("login_failed", name, {"reason": reason, "locked": locked is not None})
            elif reason:
                self.audit.append("login_failed", name, {"reason": reason})
            else:
                Account.update(failed_logins=0, locked_until=None).where(Account.id == row.id).execute()
                self.audit.append("login", name, {})
        if reason:
            raise PermissionDenied("用户名或密码错误,或账号已锁定")
        return self.actor(name)

    def set_password(self, name: str, password: str, actor: Actor = SYSTEM) -> None:
        if actor.role != "admin" and actor.name != name:
            raise PermissionDenied("只能修改自己的密码")
        if len(password or "") < auth.MIN_PASSWORD_LENGTH:
            raise InvalidInput("password", f"密码至少 {auth.MIN_PASSWORD_LENGTH} 位", "密码")
        hashed = auth.hash_password(password)
        with write_transaction(self.db):
            n = Account.update(password_hash=hashed, failed_logins=0, locked_until=None) \
                .where(Account.name == name).execute()
            if n != 1:
                raise NotFound(f"unknown user {name!r}")
            self.audit.append("user", actor.name, {"op": "passwd", "user": name})

    def set_disabled(self, name: str, disabled: bool, actor: Actor = SYSTEM) -> None:
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以停用或启用用户")
        with write_transaction(self.db):
            n = Account.update(disabled=disabled).where(Account.name == name).execute()
            if n != 1:
                raise NotFound(f"unknown user {name!r}")
            self.audit.append("user", actor.name, {"op": "disable" if disabled else "enable", "user": name})

    def users(self) -> list[dict]:
        return [{"name": a.name, "display_name": a.display_name, "role": a.role,
                 "unit": self.unit_name(a.unit_id), "disabled": a.disabled,
                 "has_password": bool(a.password_hash)}
                for a in Account.select().order_by(Account.name)]

    # -- reading projects ---------------------------------------------------

    def _state(self, row: Project) -> ProjectState:
        fields = self._fields(row.name, self.unit_name(row.unit_id), row.year, row.estimate, row.data)
        return ProjectState(id=row.id, status=row.status, fields=fields, unit_id=row.unit_id,
                            version=row.version)

    def _fields(self, name: str, unit: str, year: int, estimate: Decimal | None,
                data: Mapping[str, Any] | None) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": name, "unit": unit, "year": year, "estimate": estimate}
        data = data or {}
        for fname, spec in self.registry.fields.items():
            if fname in CORE_COLUMNS:
                continue
            raw = data.get(fname)
            if raw is None:
                fields[fname] = False if spec.type == "bool" else spec.default
            else:
                fields[fname] = from_json_value(spec, raw)
        return fields

    def _history(self, project_id: int) -> tuple[HistoryEvent, ...]:
        return self.histories([project_id])[project_id]

    def histories(self, project_ids: Iterable[int]) -> dict[int, tuple[HistoryEvent, ...]]:
        """The histories of many projects in one query (no access check: callers
        pass ids they have already read)."""
        ids = list(project_ids)
        out: dict[int, list[HistoryEvent]] = {pid: [] for pid in ids}
        actions = self.registry.actions
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            if len(chunk) == 1:
                rows = self.db.execute_sql(self._sql("history"), (chunk[0],))
            else:
                rows = (Event.select(Event.project, Event.seq, Event.action, Event.date, Event.role, Event.args,
                                     Event.from_status, Event.to_status)
                        .where(Event.project.in_(chunk)).order_by(Event.project, Event.seq).tuples())
            for pid, seq, action, day, role, args, from_status, to_status in rows:
                spec = actions.get(action)
                if isinstance(args, str):
                    args = json.loads(args)
                day = _as_date(day)
                typed = {k: from_json_value(spec.arg(k) if spec else None, v) for k, v in (args or {}).items()}
                out[pid].append(HistoryEvent(seq=seq, action=action, date=day, role=role, args=typed,
                                             from_status=from_status, to_status=to_status))
        return {pid: tuple(evs) for pid, evs in out.items()}

    def _row(self, project_id: int, *, lock: bool = False) -> Project:
        try:
            pid = int(project_id)
        except (TypeError, ValueError):
            raise NotFound(f"no project {project_id!r}") from None
        # Writers of one project queue on FOR UPDATE (SQLite's BEGIN IMMEDIATE
        # already serialises all writers), so each sees the state the last one left.
        # Raw SQL: building the query with peewee cost more than running it.
        sql = self._sql("project_lock" if lock else "project")
        row = next(iter(Project.raw(sql, pid)), None)
        if row is None:
            raise NotFound(f"no project {project_id!r}")
        return row

    def _readable_row(self, project_id: int, actor: Actor | None, *, lock: bool = False) -> Project:
        row = self._row(project_id, lock=lock)
        if actor is not None and not auth.can_read(self.registry, actor, row.unit_id):
            # Same answer as for a project that does not exist: nothing leaks.
            raise NotFound(f"no project {project_id!r}")
        return row

    def project(self, project_id: int, actor: Actor | None = None) -> ProjectState:
        """A project, if ``actor`` (when given) may see it."""
        return self._state(self._readable_row(project_id, actor))

    def history(self, project_id: int, actor: Actor | None = None) -> list[dict]:
        """The project's events with who took them, oldest first."""
        self._readable_row(project_id, actor)
        rows = (Event.select(Event, Account.name.alias("actor_name"))
                .join(Account, JOIN.LEFT_OUTER, on=(Event.actor == Account.id))
                .where(Event.project == project_id).order_by(Event.seq).dicts())
        out = []
        for r in rows:
            spec = self.registry.actions.get(r["action"])
            out.append({"seq": r["seq"], "action": r["action"],
                        "label": spec.label if spec else r["action"],
                        "citation": spec.citation.label if spec else "",
                        "date": r["date"], "actor": r["actor_name"] or "", "role": r["role"],
                        "args": r["args"] or {}, "from_status": r["from_status"],
                        "to_status": r["to_status"]})
        return out

    def projects(self, actor: Actor | None = None, *, filters: Mapping[str, Any] | None = None,
                 search: str = "", order_by: str = "id", descending: bool = False,
                 offset: int = 0, limit: int | None = None) -> tuple[list[ProjectState], int]:
        """A page of projects ``actor`` may see, and how many match in all.

        ``filters`` maps field names (core or plugin, and ``status`` and ``id``)
        to a value or a list of values; ``overdue_on: date`` keeps projects with an
        open obligation due before that date.  ``order_by`` is any of those names.
        """
        filters = filters or {}
        query = self._project_query(actor, filters, search, with_unit=order_by == "unit")
        col = self._order_column(order_by)
        order = (col.desc() if descending else col, Project.id)
        if limit is None:
            rows = list(query.order_by(*order))
            return [self._state(r) for r in rows], len(rows)
        if limit <= 0:
            return [], query.select(fn.COUNT(Project.id)).scalar()
        # A deferred join: find the page's ids and the number of matches in one
        # pass over narrow rows (id, sort key: often from an index alone), then
        # read just those rows.  Sorting whole rows, and counting them in a
        # second scan, is what made a page of a province slow.
        keys = list(query.select(Project.id, fn.COUNT(SQL("*")).over())
                    .order_by(*order).offset(max(0, offset)).limit(limit).tuples())
        if not keys:
            return [], (query.select(fn.COUNT(Project.id)).scalar() if offset > 0 else 0)
        ids = [k[0] for k in keys]
        rows = {r.id: r for r in Project.select().where(Project.id.in_(ids))}
        return [self._state(rows[i]) for i in ids], keys[0][1]

    def _field_expr(self, name: str):
        if name in ("name", "year", "estimate", "status", "id", "version", "created_on"):
            return getattr(Project, name)
        if name == "unit":
            return Unit.name
        spec = self.registry.fields.get(name)
        if spec is None:
            raise InvalidInput(name, "未知字段")
        if self.is_postgres:
            return Expression(Cast(Project.data, "json"), "->>", name)
        return fn.json_extract(Project.data, f"$.{name}")

    def _order_column(self, name: str):
        return self._field_expr(name)

    def _project_query(self, actor: Actor | None, filters: Mapping[str, Any], search: str,
                       with_unit: bool = False):
        query = Project.select(Project)
        if with_unit or filters.get("unit") not in (None, "", []):
            # Only when the unit's name is filtered or sorted on: the join costs a
            # row visit per match even where an index alone would answer.
            query = query.join(Unit, on=(Project.unit == Unit.id))
        if actor is not None:
            scope = auth.visible_unit(self.registry, actor)
            if scope is not None:
                query = query.where(Project.unit == scope)
        for name, wanted in filters.items():
            if wanted is None or wanted == "" or wanted == []:
                continue
            if name == "overdue_on":
                due = parse_date(wanted) if not isinstance(wanted, dt.date) else wanted
                late = (Obligation.select(Obligation.project)
                        .where(Obligation.closed_on.is_null(), Obligation.due < due))
                query = query.where(Project.id.in_(late))
                continue
            values = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            expr = self._field_expr(name)
            spec = self.registry.fields.get(name)
            if spec is not None and name not in CORE_COLUMNS:
                values = [to_json_value(parse_value(spec, v)) for v in values]
                if spec.type == "bool":
                    # SQLite's json_extract yields 1/0; PostgreSQL's ->> yields 'true'/'false'.
                    values = [("true" if v else "false") if self.is_postgres else int(v) for v in values]
                elif self.is_postgres:
                    values = [str(v) for v in values]
            elif name == "year":
                values = [int(v) for v in values]
            query = query.where(expr.in_(values))
        if search:
            query = query.where(Project.name.contains(search.strip()))
        return query

    # -- creating and editing projects --------------------------------------

    def create_project(self, raw: Mapping[str, Any], actor: Actor,
                       date: dt.date | None = None) -> ProjectState:
        """Enter a new project in the initial status, after the guards on
        ``project.create`` agree.  Raises InvalidInput, Refused."""
        date = date or dt.date.today()
        raw = dict(raw)
        if "unit" not in raw and actor.unit:
            raw["unit"] = actor.unit
        values = parse_record(self.registry.fields, raw)
        unit_id = self.unit_id(values["unit"])
        state = ProjectState(id=None, status=self.registry.initial_status, fields=values, unit_id=unit_id)
        with self._change():
            refusal = auth.may_create(self.registry, actor, unit_id)
            refusals = [refusal] if refusal else self._guard(CREATE_PROJECT, state, {}, (), actor, date)
            if refusals:
                raise self._refused(actor, None, CREATE_PROJECT, date, refusals, {"fields": to_json_value(values)})
            data = {k: to_json_value(v) for k, v in values.items() if k not in CORE_COLUMNS}
            pid = Project.insert(name=values["name"], unit=unit_id, year=values["year"],
                                 estimate=values.get("estimate"), status=state.status, data=data,
                                 created_on=date, created_by=actor.id,
                                 rules=f"{self.jurisdiction.name}@{self.jurisdiction.pack.version}").execute()
            self.audit.append("project", actor.name, {"op": "create", "fields": to_json_value(values),
                                                      "date": date}, project_id=pid)
            new = self._state(self._row(pid))
            digest = self._recompute(new, ())
            self.db.execute_sql(self._sql("derived_update"), (digest, pid))
        return new

    def update_project(self, project_id: int, changes: Mapping[str, Any], actor: Actor,
                       date: dt.date | None = None, expected_version: int | None = None) -> ProjectState:
        """Edit fields of a project (not its status: that moves only by actions)."""
        date = date or dt.date.today()
        if "status" in changes:
            raise InvalidInput("status", "状态只能通过办理事项改变")
        typed = parse_record(self.registry.fields, dict(changes), partial=True)
        with self._change():
            row = self._readable_row(project_id, actor, lock=True)
            if expected_version is not None and row.version != expected_version:
                raise Conflict(f"project {row.id} was changed by someone else (version {row.version}, "
                               f"you had {expected_version}); reload and try again")
            before = self._state(row)
            fields = dict(before.fields)
            fields.update(typed)
            unit_id = self.unit_id(fields["unit"]) if "unit" in typed else row.unit_id
            after = attrs.evolve(before, fields=fields, unit_id=unit_id)
            refusal = auth.may_create(self.registry, actor, row.unit_id)
            if refusal is None and unit_id != row.unit_id:
                refusal = auth.may_create(self.registry, actor, unit_id)
            history = self._history(row.id)
            refusals = [refusal] if refusal else self._guard(
                UPDATE_PROJECT, after, {"changes": typed, "before": before}, history, actor, date)
            if refusals:
                raise self._refused(actor, row.id, UPDATE_PROJECT, date, refusals, {"changes": to_json_value(typed)})
            new = attrs.evolve(after, version=row.version + 1)
            digest = self._recompute(new, history, row.derived)
            data = {k: to_json_value(v) for k, v in fields.items() if k not in CORE_COLUMNS}
            n = (Project.update(name=fields["name"], unit=unit_id, year=fields["year"],
                                estimate=fields.get("estimate"), data=data, version=Project.version + 1,
                                updated_at=now(), derived=digest)
                 .where(Project.id == row.id, Project.version == row.version).execute())
            if n != 1:
                raise Conflict(f"project {row.id} was changed by someone else; reload and try again")
            self.audit.append("project", actor.name, {"op": "update", "changes": to_json_value(typed),
                                                      "date": date}, project_id=row.id)
        return new

    # -- actions ------------------------------------------------------------

    def _guard(self, action: str, state: ProjectState, args: Mapping[str, Any],
               history: tuple[HistoryEvent, ...], actor: Actor, date: dt.date) -> list[Refusal]:
        return engine.guard(self.registry, self.params, action, state, args, history, actor, date)

    def _refused(self, actor: Actor, project_id: int | None, action: str, date: dt.date,
                 refusals: list[Refusal], args: Mapping[str, Any]) -> Refused:
        """A Refused error that :meth:`_change` logs once the change has rolled back."""
        exc = Refused(refusals)
        exc.log = {"actor": actor.name, "project_id": project_id, "action": action,
                   "detail": {"date": date, "args": to_json_value(args),
                              "refusals": [r.to_json() for r in refusals]}}
        return exc

    @contextlib.contextmanager
    def _change(self):
        """The transaction of one change.  A refusal rolls everything back, then
        is written to the audit log in a transaction of its own."""
        try:
            with write_transaction(self.db):
                self._change_params = None
                self._change_params = self._fresh_params()
                try:
                    yield
                finally:
                    self._change_params = None
        except Refused as exc:
            log = getattr(exc, "log", None)
            if log is not None:
                with write_transaction(self.db):
                    self.audit.append("refusal", log["actor"], log["detail"],
                                      project_id=log["project_id"], action=log["action"])
            raise

    def check(self, project_id: int, action: str, actor: Actor, date: dt.date | None = None,
              args: Mapping[str, Any] | None = None) -> list[Refusal]:
        """What would refuse ``action`` now, without taking it or logging anything."""
        spec = self.registry.action(action)
        typed = parse_record(list(spec.args), dict(args or {}), what="参数")
        row = self._readable_row(project_id, actor)
        state = self._state(row)
        history = self._history(row.id)
        return self._refusals(spec, state, typed, history, actor, date or dt.date.today())

    def _refusals(self, spec: Action, state: ProjectState, args: Mapping[str, Any],
                  history: tuple[HistoryEvent, ...], actor: Actor, date: dt.date) -> list[Refusal]:
        return engine.refusals(self.registry, self.params, spec, state, args, history, actor, date)

    def act(self, project_id: int, action: str, actor: Actor, date: dt.date | None = None,
            args: Mapping[str, Any] | None = None, expected_version: int | None = None) -> ActResult:
        """Take ``action`` on a project as ``actor`` on ``date``.

        Raises InvalidInput for malformed arguments (nothing written), NotFound
        for a project the actor may not see, Conflict when ``expected_version``
        is stale, Refused when a rule refuses (only the refusal is logged).
        """
        date = date or dt.date.today()
        spec = self.registry.action(action)
        typed = parse_record(list(spec.args), dict(args or {}), what="参数")
        with self._change():
            row = self._row(project_id, lock=True)
            if not auth.can_read(self.registry, actor, row.unit_id):
                # Logged like any refusal: an attempt on another unit's project is worth seeing.
                refusals = [Refusal("permission", "只能办理本单位的项目")]
                raise self._refused(actor, row.id, spec.name, date, refusals, typed)
            if expected_version is not None and row.version != expected_version:
                raise Conflict(f"project {row.id} was changed by someone else (version {row.version}, "
                               f"you had {expected_version}); reload and try again")
            state = self._state(row)
            history = self._history(row.id)
            if history and date < history[-1].date:
                raise InvalidInput("date", f"日期 {date} 早于该项目上一事项的日期 {history[-1].date}", "办理日期")
            refusals = self._refusals(spec, state, typed, history, actor, date)
            if refusals:
                raise self._refused(actor, row.id, spec.name, date, refusals, typed)
            step = engine.apply(self.registry, self.params, spec, state, typed, history, actor, date)
            new_state, new_history, target, fields = step.project, step.history, step.to_status, step.project.fields
            digest = self._recompute(new_state, new_history, row.derived)
            data = {k: to_json_value(v) for k, v in fields.items() if k not in CORE_COLUMNS}
            moment = now()
            cursor = self.db.execute_sql(self._sql("act_update"), (
                target, fields["name"], fields["year"], Project.estimate.db_value(fields.get("estimate")),
                Project.data.db_value(data), digest, _db_time(moment), row.id, row.version))
            if cursor.rowcount != 1:
                raise Conflict(f"project {row.id} was changed by someone else; reload and try again")
            values = {"project": row.id, "seq": len(history) + 1, "action": spec.name, "date": date,
                      "actor": actor.id, "role": actor.role, "args": to_json_value(typed),
                      "from_status": state.status, "to_status": target, "recorded_at": moment}
            cursor = self.db.execute_sql(self._sql("event_insert"), (
                row.id, values["seq"], spec.name, date.isoformat(), actor.id, actor.role,
                Event.args.db_value(values["args"]), state.status, target, _db_time(moment)))
            event_id = cursor.fetchone()[0] if self.is_postgres else cursor.lastrowid
            ev = Event(id=event_id, **values)  # the row as written, for its digest
            self.audit.append("event", actor.name, {"event_id": event_id, "digest": event_digest(ev)},
                              project_id=row.id, action=spec.name)
            self.pm.hook.tongchou_action_taken(ctx=step.ctx, event_id=event_id)
        return ActResult(project=new_state, event_id=event_id, from_status=state.status, to_status=target)

    def available_actions(self, project_id: int, actor: Actor) -> list[Action]:
        """Actions ``actor``'s role may take on the project in its present status
        (the guards may still refuse them)."""
        row = self._readable_row(project_id, actor)
        out = []
        for spec in self.registry.actions.values():
            if auth.action_permission(self.registry, actor, spec, row.unit_id) is None \
                    and row.status in self.registry.start_statuses(spec):
                out.append(spec)
        return out

    # -- obligations and findings -------------------------------------------

    def _recompute(self, state: ProjectState, history: tuple[HistoryEvent, ...], known: str = "") -> str:
        """Re-derive the project's obligations and findings from its history.

        Returns the SM3 digest of what was derived; when it equals ``known`` (the
        digest stored on the project) the stored rows are already right and
        nothing is written.
        """
        obligations, findings = engine.derive(self.pm, self.params, state, history)
        ob_rows, fi_rows, digest = derived_rows(state.id, obligations, findings)
        if digest == known:
            return digest
        self.db.execute_sql(self._sql("obligations_delete"), (state.id,))
        self.db.execute_sql(self._sql("findings_delete"), (state.id,))
        self.insert_derived(ob_rows, fi_rows)
        return digest

    def insert_derived(self, ob_rows: Sequence[tuple], fi_rows: Sequence[tuple]) -> None:
        """Insert rows made by :func:`derived_rows` (inside the caller's
        transaction), with one prepared statement per table."""
        cursor = None
        for name, rows in (("obligation_insert", ob_rows), ("finding_insert", fi_rows)):
            if rows:
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
                for pid, row in rows.items():
                    digest = self._recompute(self._state(row), histories[pid])
                    Project.update(derived=digest).where(Project.id == pid).execute()
                    done += 1
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
        scope = auth.visible_unit(self.registry, actor) if actor is not None else None
        if scope is not None:
            where.append('p."unit_id" = ?')
            params.append(scope)
        if project_id is not None:
            where.append('p."id" = ?')
            params.append(int(project_id))
        return where, params

    def findings(self, on: dt.date | None = None, actor: Actor | None = None, *,
                 project_id: int | None = None, include_advice: bool = True) -> list[LedgerFinding]:
        """Open findings on ``on``: those the rules derived, an ``overdue``
        finding for every open obligation whose due date is before ``on``, and
        what plugins see on that date (:func:`~tongchou.hookspecs.tongchou_sweep`).
        A fixed number of queries, whatever the size of the ledger."""
        on = on or dt.date.today()
        if project_id is not None:
            self._readable_row(project_id, actor)
        found, _ = self._sweep(on, actor, project_id, include_advice, want_obligations=False)
        return found

    def sweep(self, on: dt.date | None = None, actor: Actor | None = None) -> "Sweep":
        """The compliance sweep: every open finding and every open obligation of
        every project ``actor`` may see (all, without an actor) on ``on``.

        Set-based: one query for the stored findings, one for the open
        obligations (the overdue ones among them become findings), and, only
        when a plugin implements ``tongchou_sweep``, one query per
        :data:`SWEEP_CHUNK` projects to hand them to it.
        """
        on = on or dt.date.today()
        found, obligations = self._sweep(on, actor, None, True, want_obligations=True)
        return Sweep(on=on, findings=found, obligations=obligations)

    def _sweep(self, on: dt.date, actor: Actor | None, project_id: int | None, include_advice: bool,
               want_obligations: bool) -> tuple[list[LedgerFinding], list[LedgerObligation]]:
        where, params = self._scope_sql(actor, project_id)
        scope = auth.visible_unit(self.registry, actor) if actor is not None else None
        decode = _Decoder(self.jurisdiction.title)
        cite_of, date_of = decode.citation, decode.date

        # Findings the rules derived and stored (one query).
        fwhere = list(where)
        if not include_advice:
            fwhere.append("f.\"severity\" <> 'advice'")
        sql = ('SELECT f."project_id", p."name", u."name", f."code", f."severity", f."document", '
               'f."articles", f."message" FROM "finding" AS f '
               'JOIN "project" AS p ON f."project_id" = p."id" JOIN "unit" AS u ON p."unit_id" = u."id"')
        if fwhere:
            sql += " WHERE " + " AND ".join(fwhere)
        out = [LedgerFinding(pid, pname, uname, code, severity, cite_of(doc, arts), message)
               for pid, pname, uname, code, severity, doc, arts, message
               in self.db.execute_sql(sql.replace("?", self.db.param), params)]
        # Open obligations (one query): the overdue ones are findings too.
        owhere = ['o."closed_on" IS NULL', *where]
        if not want_obligations:
            owhere.append('o."due" < ?')
        sql = ('SELECT o."project_id", p."name", u."name", o."code", o."document", o."articles", o."due", '
               'o."message" FROM "obligation" AS o '
               'JOIN "project" AS p ON o."project_id" = p."id" JOIN "unit" AS u ON p."unit_id" = u."id" '
               'WHERE ' + " AND ".join(owhere) + ' ORDER BY o."due", o."project_id", o."code"')
        oparams = params + ([on.isoformat()] if not want_obligations else [])
        obligations = []
        for pid, pname, uname, code, doc, arts, due, message in self.db.execute_sql(
                sql.replace("?", self.db.param), oparams):
            due = date_of(due)
            citation = cite_of(doc, arts)
            if want_obligations:
                obligations.append(LedgerObligation(pid, pname, uname, code, citation, due, message))
            if due < on:
                out.append(LedgerFinding(pid, pname, uname, f"{code}.overdue", "overdue", citation,
                                         f"{message}(应于 {due} 前完成,已逾期 {(on - due).days} 天)", due))
        out.extend(self._sweep_hook(on, scope, project_id, include_advice))
        order = {"overdue": 0, "violation": 1, "advice": 2}
        out.sort(key=lambda f: (order[f.severity], f.project_id, f.citation.articles, f.code))
        return out, obligations

    def _sweep_hook(self, on: dt.date, scope: int | None, project_id: int | None,
                    include_advice: bool) -> list[LedgerFinding]:
        """Findings plugins see on ``on`` (``tongchou_sweep``), asked for
        :data:`SWEEP_CHUNK` projects at a time; nothing is read when no plugin
        implements the hook."""
        hook = self.pm.hook.tongchou_sweep
        impls = hook.get_hookimpls()
        if not impls:
            return []
        # The union of the statuses the implementations look at; None when one
        # of them looks at every project.
        statuses: set[str] | None = set()
        for impl in impls:
            marked = getattr(impl.function, "tongchou_sweep_statuses", None)
            if marked is None:
                statuses = None
                break
            statuses |= marked
        out: list[LedgerFinding] = []
        last = 0
        jur_params = self.params
        sql = ('SELECT p."id", p."name", u."name", p."year", p."estimate", p."status", p."data", p."unit_id", '
               'p."version" FROM "project" AS p JOIN "unit" AS u ON p."unit_id" = u."id" WHERE p."id" > ?')
        extra: list[Any] = []
        if scope is not None:
            sql += ' AND p."unit_id" = ?'
            extra.append(scope)
        if project_id is not None:
            sql += ' AND p."id" = ?'
            extra.append(int(project_id))
        if statuses is not None:
            if not statuses:
                return []
            sql += f' AND p."status" IN ({", ".join("?" for _ in statuses)})'
            extra += sorted(statuses)
        sql = (sql + ' ORDER BY p."id" LIMIT ?').replace("?", self.db.param)
        while True:
            rows = self.db.execute_sql(sql, (last, *extra, SWEEP_CHUNK)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
            # Fields are decoded only for the projects a plugin looks into: most
            # answers are decided by the status alone.
            states = [ProjectState(id=pid, status=status, unit_id=unit_id, version=version,
                                   fields=_LazyFields(self._fields, name, uname, year, fen, data))
                      for pid, name, uname, year, fen, status, data, unit_id, version in rows]
            names = {r[0]: (r[1], r[2]) for r in rows}
            for result in hook(projects=states, on=on, params=jur_params):
                for pid, found in (result or {}).items():
                    if pid not in names:
                        raise ConfigurationError(f"tongchou_sweep answered for project {pid}, which it was not asked about")
                    for f in found:
                        if f.severity == "overdue":
                            raise ConfigurationError(f"finding {f.code!r}: overdue findings come from obligations")
                        if f.severity == "advice" and not include_advice:
                            continue
                        out.append(LedgerFinding(pid, names[pid][0], names[pid][1], f.code, f.severity,
                                                 self.registry.cite(f.citation), f.message))
            if len(rows) < SWEEP_CHUNK:
                break
        return out

    def notices(self, on: dt.date | None = None) -> list:
        """Ledger-wide notices on ``on`` (e.g. the rules' trial period is over)."""
        on = on or dt.date.today()
        # Cited as this jurisdiction cites (a pack reusing another's plugins maps their articles).
        out = [attrs.evolve(n, citation=self.registry.cite(n.citation))
               for result in self.pm.hook.tongchou_ledger_notices(params=self.params, on=on)
               for n in (result or ())]
        return sorted(out, key=lambda n: (n.citation.articles, n.code))

    # -- audit ----------------------------------------------------------------

    def record_login(self, name: str, ok: bool, detail: Mapping[str, Any] | None = None) -> None:
        with write_transaction(self.db):
            self.audit.append("login" if ok else "login_failed", name, dict(detail or {}))

    def verify_audit(self):
        return self.audit.verify()

    def rotate_audit_key(self, actor: Actor = SYSTEM) -> int:
        """Sign from now on with a new key (kept beside the old ones in the key file)."""
        if self.key_path is None:
            raise ConfigurationError("this ledger has no audit key file to rotate")
        with write_transaction(self.db):
            return self.audit.rotate(self.key_path, actor.name)

    # -- counts for dashboards -----------------------------------------------

    def status_counts(self, actor: Actor | None = None) -> dict[str, int]:
        q = Project.select(Project.status, fn.COUNT(Project.id)).group_by(Project.status)
        if actor is not None:
            scope = auth.visible_unit(self.registry, actor)
            if scope is not None:
                q = q.where(Project.unit == scope)
        return dict(q.tuples())

    def estimate_totals(self, actor: Actor | None = None, group_by: str = "year") -> dict[Any, Decimal]:
        """Sum of estimates per ``year`` or per ``unit`` (name), in one query."""
        key = {"year": Project.year, "unit": Unit.name}.get(group_by)
        if key is None:
            raise InvalidInput("group_by", "只能按 year 或 unit 汇总")
        q = (Project.select(key, fn.SUM(Project.estimate)).join(Unit, on=(Project.unit == Unit.id))
             .group_by(key).order_by(key))
        if actor is not None:
            scope = auth.visible_unit(self.registry, actor)
            if scope is not None:
                q = q.where(Project.unit == scope)
        return {k: (Decimal(int(fen or 0)) / 100).quantize(Decimal("0.01")) for k, fen in q.tuples()}

    def total_estimate(self, actor: Actor | None = None) -> Decimal:
        q = Project.select(fn.SUM(Project.estimate))
        if actor is not None:
            scope = auth.visible_unit(self.registry, actor)
            if scope is not None:
                q = q.where(Project.unit == scope)
        fen = q.scalar() or 0
        return (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))
