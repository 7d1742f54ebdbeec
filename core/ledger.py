"""The ledger: one database of one jurisdiction's projects, and everything done
to them.

:class:`Ledger` is the one way in for the CLI, the web UI, the scenario runner
and tests.  Every change runs as one transaction: check who is asking, ask the
guards, apply, write the event and its audit link, recompute what the project
owes and what is wrong with it.  A refused change writes only its refusal to
the audit log.

The class is assembled from one module per concern; this module holds
opening the ledger, its parameters, settings and audit key:

- :mod:`tongchou.accounts` units, users and logins;
- :mod:`tongchou.projects` reading, listing, entering and editing projects;
- :mod:`tongchou.parties` parties besides the requesting unit, and who sees what;
- :mod:`tongchou.actions` guards and actions;
- :mod:`tongchou.derived` obligations and findings derived per project;
- :mod:`tongchou.sweep` the sweep of a date, notices and dashboard counts;
- :mod:`tongchou.versions` which version of the rules governs each project;
- :mod:`tongchou.todo` worklists and next steps, from the pack's ``tongchou_todos``;
- :mod:`tongchou.storage` and :mod:`tongchou.results` the rows and records they share.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
from peewee import Database, PostgresqlDatabase

from .accounts import SYSTEM, AccountsMixin
from .actions import ActionsMixin
from .audit import AuditChain, Keyring, create_key_file
from .binding import bind_methods
from .db import database_url, is_postgres, migrate, open_database, sqlite_path, write_transaction
from .derived import RECOMPUTE_PENDING, DerivedMixin
from .errors import AuditKeyMissing, ConfigurationError, PermissionDenied
from .field_index import ensure_indexes, history_name
from .ledger_reads import ReadsMixin
from .models import AuditEntry, ParameterValue, Setting, database, now
from .packs import Jurisdiction, load_jurisdiction
from .parameters import ParameterSet, coerce
from .parties import PartiesMixin
from .postgres import prepared
from .projects import ProjectsMixin
from . import seals
from .results import ActResult, LedgerFinding, LedgerObligation, Sweep
from .storage import (_HOT_SQL, CORE_COLUMNS, FINDING_COLUMNS, OBLIGATION_COLUMNS, act_write_sql,
                      derived_digest, derived_rows)
from .sweep import SWEEP_CHUNK, SweepMixin
from .todo import TodoMixin
from .values import to_json_value
from .versions import VersionsMixin
from .vocabulary import Actor

__all__ = ["Ledger", "ActResult", "LedgerFinding", "LedgerObligation", "Sweep", "SYSTEM", "CORE_COLUMNS",
           "OBLIGATION_COLUMNS", "FINDING_COLUMNS", "RECOMPUTE_PENDING", "SWEEP_CHUNK", "PARAMS_RECHECK",
           "derived_digest", "derived_rows", "default_key_path"]

#: seconds a read may use parameter values without asking whether another
#: process has set one (a change always asks)
PARAMS_RECHECK = 5.0


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


@bind_methods  # each ledger's model queries run in its own database (tongchou.binding)
class Ledger(AccountsMixin, ProjectsMixin, PartiesMixin, ActionsMixin, DerivedMixin, SweepMixin, ReadsMixin,
             VersionsMixin, TodoMixin):
    """An open ledger.  Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, db: Database, jurisdiction: Jurisdiction, audit_key: "Keyring | bytes", url: str = "",
                 pinned: Mapping[str, Any] | None = None, key_path: Path | None = None):
        self.db = db
        self.url = url
        self.jurisdiction = jurisdiction
        self.registry = jurisdiction.registry
        self.pm = jurisdiction.pm
        self.audit = AuditChain(audit_key, key_file=key_path)
        self.seal_key = seals.seal_key(self.audit.keys)
        self.key_path = key_path
        #: schema changes the opening made (numbered migrations, then the pack's indexes)
        self.upgraded: list[str] = []
        self._pinned = dict(pinned or {})
        self._params: ParameterSet | None = None
        self._params_signature: tuple = ()
        self._params_checked = 0.0
        self._change_params: ParameterSet | None = None
        #: a change has begun and not yet checked its parameters (see ActionsMixin._change)
        self._change_params_due = False
        self._units: dict[int, str] = {}
        self._sql_cache: dict = {}
        self._row_fields: dict[tuple, list] = {}  # column names -> project fields (ProjectsMixin._row)
        self._history_cache: dict[int, tuple] = {}  # project id -> (version, history) (ActionsMixin.act)
        self._sweep_memo: tuple | None = None  # (question, answer) of the last remembered sweep (SweepMixin)

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
            applied = migrate(db) if upgrade else []
            path = None if audit_key else (key_file or default_key_path(url, db))
            key = audit_key or cls._audit_key(path)
            skey = seals.seal_key(key if isinstance(key, Keyring) else Keyring.single(key))
            # The seal column arrives with 0008: rows older than it are sealed below.
            trust = not any(n.startswith("0008") for n in applied)
            stored = _sealed_setting(skey, "jurisdiction", trust)
            disabled = _sealed_setting(skey, "disabled_plugins", trust)
            disabled_names = list(disabled.value) if disabled else []
            rules_off = _sealed_setting(skey, "disabled_rules", trust)
            disabled_names += list(rules_off.value) if rules_off else []
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
            ledger = cls(db, jur, key, url, pinned_parameters, key_path=path)
            ledger.audit.ensure_head()
            if not trust:
                ledger.reseal(SYSTEM, reason="upgrade")
            if stored is None and Setting.get_or_none(Setting.key == "jurisdiction") is None:
                with write_transaction(db):
                    Setting.insert(key="jurisdiction", value=jur.name).on_conflict_ignore().execute()
                    seals.reseal(ledger.seal_key, "setting", ["jurisdiction"])
            made = ensure_indexes(db, ledger.registry.fields.values()) if upgrade else []
            # what this open changed in the schema: the numbered migrations, then the
            # pack's (indexes of the fields it declares ``indexed``), for ``tongchou migrate``
            ledger.upgraded = list(applied) + [history_name(i) for i in made]
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
        database.release(self.db)

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.db, PostgresqlDatabase)

    def _sql(self, name: str, changed: tuple[str, ...] = ()) -> str:
        """The hot path's statements as parameterised SQL for this backend, built
        once: generating them with peewee on every action cost more than
        running them.  ``act_write`` with the ``changed`` columns: see
        :func:`~tongchou.storage.act_write_sql`."""
        key = (name, changed) if changed else name
        sql = self._sql_cache.get(key)
        if sql is None:
            sql = act_write_sql(changed, self.is_postgres) if name == "act_write" else _HOT_SQL[name]
            if name.startswith("project_lock") and not self.is_postgres:
                sql = sql.replace(" FOR UPDATE OF p", "").replace(" FOR UPDATE", "")
            if name in ("event_insert", "project_insert") and self.is_postgres:
                sql += ' RETURNING "id"'
            # on PostgreSQL planned once per connection (tongchou.postgres)
            sql = prepared(self.db, sql.replace("?", self.db.param))
            self._sql_cache[key] = sql
        return sql

    # -- parameters ---------------------------------------------------------

    @property
    def params(self) -> ParameterSet:
        """The parameters in force, re-read when any app process has set one
        (several ``tongchou serve`` processes may share the ledger).

        Every change checks that its values are current; reads check at most
        every :data:`PARAMS_RECHECK` seconds, so a sweep or a page costs no
        extra query for it."""
        if self._change_params_due:  # the first use in a change
            self._change_params_due = False
            self._change_params = self._fresh_params()
        if self._change_params is not None:
            return self._change_params  # fixed for the length of one change
        if self._params is not None and time.monotonic() - self._params_checked < PARAMS_RECHECK:
            return self._params
        return self._fresh_params()

    def _fresh_params(self, signature: tuple | None = None) -> ParameterSet:
        """The parameters in force, read again only when ``signature`` (how
        many values are set and when the last was: read now unless given)
        differs from the one they were read under."""
        if signature is None:
            signature = tuple(self.db.execute_sql(_HOT_SQL["params_signature"]).fetchone())
        self._params_checked = time.monotonic()
        if self._params is None or signature != self._params_signature:
            # Values of every version's parameters (older versions read theirs
            # through rules_for); the newest version's are the ledger's params.
            specs = {n: p for v in self.rule_versions for n, p in v.jurisdiction.registry.parameters.items()}
            self._ledger_values = [(r.name, r.effective, coerce(specs[r.name].type, r.value, r.name))
                                   for r in ParameterValue.select().order_by(ParameterValue.name,
                                                                             ParameterValue.effective)
                                   if r.name in specs and self._row_sound("parameter_value", r)]
            ledger_values = [v for v in self._ledger_values if v[0] in self.registry.parameters]
            self._params = self.jurisdiction.parameters(ledger_values, self._pinned)
            self._params_signature = signature
        return self._params

    def set_parameter(self, name: str, effective: dt.date, raw: Any, actor: Actor,
                      note: str = "") -> None:
        """Record a dated value of a parameter for this ledger (administrators)."""
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以设置参数")
        spec = self.params.require(name)
        value = coerce(spec, raw, name)
        with write_transaction(self.db):
            (ParameterValue.insert(name=name, effective=effective, value=to_json_value(value),
                                   note=note, set_by=actor.name)
             .on_conflict(conflict_target=[ParameterValue.name, ParameterValue.effective],
                          update={ParameterValue.value: to_json_value(value), ParameterValue.note: note,
                                  ParameterValue.set_by: actor.name, ParameterValue.set_at: now()})
             .execute())
            seals.reseal(self.seal_key, "parameter_value",
                         [r.id for r in ParameterValue.select(ParameterValue.id).where(
                             ParameterValue.name == name, ParameterValue.effective == effective)])
            self.audit.append("parameter", actor.name, {"name": name, "effective": effective,
                                                        "value": to_json_value(value), "note": note})
            self._mark_recompute_pending(f"parameter {name}")
        self._params = None

    # -- settings -----------------------------------------------------------

    def setting(self, key: str, default: Any = None) -> Any:
        row = Setting.get_or_none(Setting.key == key)
        return default if row is None or not self._row_sound("setting", row) else row.value

    def set_setting(self, key: str, value: Any, actor: Actor) -> None:
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以修改设置")
        with write_transaction(self.db):
            (Setting.insert(key=key, value=value)
             .on_conflict(conflict_target=[Setting.key], update={Setting.value: value}).execute())
            seals.reseal(self.seal_key, "setting", [key])
            self.audit.append("setting", actor.name, {"key": key, "value": value})
            if key in ("disabled_plugins", "disabled_rules"):
                self._mark_recompute_pending("plugins" if key == "disabled_plugins" else "rules")

    # A rule change and the re-derivation it needs are not one transaction (a
    # province's re-derivation runs in batches so writers are not held up), so
    # the ledger records that one is owed until it has run to the end: a
    # process killed half-way leaves the flag, and ``tongchou recompute`` finishes.
    def _mark_recompute_pending(self, reason: str) -> None:
        value = {"reason": reason, "since": now().isoformat(timespec="seconds")}
        (Setting.insert(key=RECOMPUTE_PENDING, value=value)
         .on_conflict(conflict_target=[Setting.key], update={Setting.value: value}).execute())
        seals.reseal(self.seal_key, "setting", [RECOMPUTE_PENDING])

    @property
    def recompute_pending(self) -> dict | None:
        """Why findings and obligations still need re-deriving (``tongchou
        recompute``) after a rule change, or None when they are up to date."""
        return self.setting(RECOMPUTE_PENDING)


    # -- audit ----------------------------------------------------------------

    def verify_audit(self, anchor: str | None = None):
        """Check the audit chain, every sealed row, and (given ``anchor``, the
        text ``tongchou audit anchor`` printed) that the chain still reaches
        the anchored entry."""
        result = self.audit.verify()
        tampered = tuple(seals.verify_seals(self.seal_key))
        problem = result.problem
        if anchor is not None:
            problem = problem or self.audit.check_anchor(anchor)
        if tampered and not problem:
            problem = "；".join(f"{t} 表 {k}：{why}" for t, k, why in tampered[:20])
        return attrs.evolve(result, ok=not problem and not tampered, problem=problem, tampered=tampered)

    def anchor(self) -> str:
        """The chain's head as text to keep outside the database (see verify_audit)."""
        return self.audit.anchor()

    def reseal(self, actor: Actor = SYSTEM, reason: str = "reseal") -> int:
        """Seal every row again with the current key (after an upgrade that
        added seals, or after an administrator has checked the rows by other
        means).  Audited; returns how many seals changed."""
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以重新封印")
        with write_transaction(self.db):
            changed = sum(seals.reseal(self.seal_key, t) for t in seals.SEALED)
            if changed:
                self.audit.append("reseal", actor.name, {"rows": changed, "reason": reason})
        return changed

    def _seal(self, table: str, ids: Iterable[Any]) -> None:
        """Seal rows of ``table`` after a write (inside its transaction): every
        legitimate write path calls this for the rows it wrote."""
        seals.reseal(self.seal_key, table, ids)

    def _row_sound(self, table: str, row: Any) -> bool:
        """Whether a sealed row read for use matches its seal; a row that does
        not is logged and left unused."""
        try:
            seals.check(self.seal_key, table, row)
            return True
        except seals.TamperedRow as exc:
            logging.getLogger("tongchou").error("%s", exc)
            return False

    def rotate_audit_key(self, actor: Actor = SYSTEM) -> int:
        """Sign from now on with a new key (kept beside the old ones in the key file)."""
        if self.key_path is None:
            raise ConfigurationError("this ledger has no audit key file to rotate")
        with write_transaction(self.db):
            return self.audit.rotate(self.key_path, actor.name)


def _sealed_setting(key: bytes, name: str, trust: bool) -> Setting | None:
    """A setting read while opening, or None when absent or when its seal fails
    (a tampered choice of plugins or jurisdiction is not used)."""
    row = Setting.get_or_none(Setting.key == name)
    if row is None or trust is False:
        return row
    try:
        seals.check(key, "setting", row)
    except seals.TamperedRow as exc:
        logging.getLogger("tongchou").error("%s", exc)
        return None
    return row
