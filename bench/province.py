"""A synthetic province: ``counties`` × ``per_county`` projects with genuine
histories, bulk-loaded into a ledger.

Every project is a copy of a project of the xichuan demo county (which reaches
every status by real actions), seeded around several different "today"s so
that deadlines fall before, on and after the sweep date.  A copy keeps the
template's fields, history, obligations and findings; it gets its own id, name,
unit (each county has the demo's six units) and users, so the ledger is
consistent: each event is bound to its own audit entry, every project's
``derived`` digest matches its stored rows, and ``Ledger.verify_audit()``
passes.  The audit chain also gets one ``import`` entry per county saying
which projects and events were loaded, since nobody entered them by hand.

Rows are written in bulk (``executemany`` in one transaction per county on
SQLite, ``COPY`` on PostgreSQL) and the planner's statistics refreshed.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import random
import time
from typing import Any

import attrs

from tongchou import auth
from tongchou.audit import GENESIS, _entry_bytes, hmac_sm3_hex, sm3_hex
from tongchou.ledger import Ledger, derived_digest
from tongchou.models import Account, Event, Finding, Obligation, Project, database
from tongchou.packs import load_jurisdiction
from tongchou.seals import seal_of
from tongchou.values import dumps

#: the date the benchmarks sweep on; template "today"s lie before it
SWEEP_ON = dt.date(2026, 6, 30)
#: days before SWEEP_ON of each template county's "today"
VARIANT_OFFSETS = (0, 40, 80, 120, 160, 200, 240, 300)
#: how a county's projects are spread over statuses (weights): most systems are
#: long in operation; a few projects are at each step of approval and building
STATUS_MIX = {
    "draft": 3, "submitted": 2, "reviewed": 2, "rejected": 2, "approved": 3, "planned": 3,
    "procuring": 4, "contracted": 4, "under_construction": 10, "completed": 5,
    "acceptance_failed": 2, "accepted": 4, "in_operation": 48, "retired": 6, "suspended": 2,
}


@attrs.frozen
class Template:
    """One demo project as stored, ready to be copied."""

    unit: int               # index into the demo's units
    name: str
    year: int
    estimate: int | None    # fen
    status: str
    data: str
    rules: str
    created_on: dt.date
    events: tuple           # (seq, action, date, login, role, args_text, args, from, to)
    obligations: tuple      # (code, document, articles, due, message, closed_on)
    findings: tuple         # (code, severity, document, articles, message)


@attrs.frozen
class Loaded:
    counties: int
    projects: int
    events: int
    obligations: int
    findings: int
    audit_entries: int
    seconds: float


def _date(v: Any) -> dt.date:
    return dt.date.fromisoformat(v[:10]) if isinstance(v, str) else v


def templates(offsets: tuple[int, ...] = VARIANT_OFFSETS) -> tuple[list[Template], list[str]]:
    """The demo county seeded around each variant's "today": the templates,
    and the demo's unit names."""
    out: list[Template] = []
    units: list[str] = []
    jur = load_jurisdiction("xichuan")
    for offset in offsets:
        with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"t" * 32) as led, _no_password_hashing():
            led.pm.hook.tongchou_seed_demo(ledger=led, today=SWEEP_ON - dt.timedelta(days=offset))
            units = [name for _, name in sorted(led.units())]
            unit_index = {uid: units.index(name) for uid, name in led.units()}
            logins = dict(Account.select(Account.id, Account.name).tuples())
            events: dict[int, list] = {}
            for r in (Event.select(Event.project, Event.seq, Event.action, Event.date, Event.actor, Event.role,
                                   Event.args, Event.from_status, Event.to_status)
                      .order_by(Event.project, Event.seq).tuples()):
                pid, seq, action, day, actor, role, args, frm, to = r
                events.setdefault(pid, []).append(
                    (seq, action, _date(day), logins[actor], role, dumps(args), args, frm, to))
            obligations: dict[int, list] = {}
            for r in (Obligation.select(Obligation.project, Obligation.code, Obligation.document,
                                        Obligation.articles, Obligation.due, Obligation.message,
                                        Obligation.closed_on).order_by(Obligation.id).tuples()):
                obligations.setdefault(r[0], []).append(
                    (r[1], r[2], r[3], _date(r[4]), r[5], _date(r[6]) if r[6] else None))
            findings: dict[int, list] = {}
            for r in (Finding.select(Finding.project, Finding.code, Finding.severity, Finding.document,
                                     Finding.articles, Finding.message).order_by(Finding.id).tuples()):
                findings.setdefault(r[0], []).append(tuple(r[1:]))
            for p in Project.select().order_by(Project.id):
                out.append(Template(
                    unit=unit_index[p.unit_id], name=p.name, year=p.year,
                    estimate=Project.estimate.db_value(p.estimate), status=p.status,
                    data=Project.data.db_value(p.data), rules=p.rules, created_on=_date(p.created_on),
                    events=tuple(events.get(p.id, ())), obligations=tuple(obligations.get(p.id, ())),
                    findings=tuple(findings.get(p.id, ()))))
    return out, units


@contextlib.contextmanager
def _no_password_hashing():
    # The demo's users get scrypt-hashed passwords (0.1 s each); the templates'
    # users are thrown away, so skip that.
    real = auth.hash_password
    auth.hash_password = lambda password: "bench-template"
    try:
        yield
    finally:
        auth.hash_password = real


def county_name(c: int) -> str:
    return f"样例{c:03d}"


class _Writer:
    """Bulk rows into one backend: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, ledger: Ledger):
        self.db = ledger.db
        self.pg = ledger.is_postgres

    def rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        cols = ", ".join(f'"{c}"' for c in columns)
        cursor = self.db.cursor()
        if self.pg:
            buf = io.StringIO()
            for row in rows:
                buf.write("\t".join(_copy_text(v) for v in row))
                buf.write("\n")
            buf.seek(0)
            cursor.copy_expert(f'COPY "{table}" ({cols}) FROM STDIN', buf)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})',
                               [tuple(_sqlite_value(v) for v in row) for row in rows])


def canonical_json(value: Any) -> str:
    """:func:`tongchou.values.dumps` of a value that is already JSON-safe."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _copy_text(v: Any) -> str:
    if v is None:
        return r"\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    text = str(v)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _sqlite_value(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return str(v)  # the text peewee stores on SQLite
    return v


def generate(ledger: Ledger, counties: int = 150, per_county: int = 1000, seed: int = 2026,
             progress=None, offsets: tuple[int, ...] = VARIANT_OFFSETS) -> Loaded:
    """Fill an empty ``ledger`` with a province.  Deterministic for a seed."""
    t0 = time.perf_counter()
    if Project.select().exists():
        raise RuntimeError("the province is generated into an empty ledger only")
    temps, demo_units = templates(offsets)
    # The template ledgers were the last this thread worked with: the models' database is this one's now.
    database.initialize(ledger.db)
    rng = random.Random(seed)
    by_status: dict[str, list[Template]] = {}
    for t in temps:
        by_status.setdefault(t.status, []).append(t)
    choices = [s for s in STATUS_MIX if s in by_status]
    weights = [STATUS_MIX[s] for s in choices]
    writer = _Writer(ledger)
    key = ledger.audit.keys
    head = ledger.db.execute_sql('SELECT "last_id", "last_mac" FROM "audit_head" WHERE "id" = 1').fetchone()
    if head is None:
        raise RuntimeError("the ledger has no audit head")
    audit_id, mac = int(head[0]), head[1]
    if audit_id:
        raise RuntimeError("the province is generated into a ledger with an empty audit chain")
    mac = GENESIS
    skey = ledger.seal_key
    clock = dt.datetime(2026, 6, 30, 22, 0, 0, 1)
    totals = dict(projects=0, events=0, obligations=0, findings=0)
    unit_id = account_id = project_id = event_id = 0
    officials = ("bureau", "drc", "finance", "government", "leader", "oversight", "admin")
    for c in range(1, counties + 1):
        cname = county_name(c)
        with ledger.db.atomic():
            units, accounts, projects, events, obligations, findings, audit = [], [], [], [], [], [], []
            unit_ids = []
            for name in demo_units:
                unit_id += 1
                unit_ids.append(unit_id)
                units.append((unit_id, f"{cname}{name}", clock))
            login_ids: dict[str, int] = {}
            for i, uid in enumerate(unit_ids):
                account_id += 1
                login = f"{cname}.u{i}"
                login_ids[f"unit{i}"] = account_id
                accounts.append((account_id, login, login, "unit", uid, None, False, 0, None, clock,
                                 seal_of(skey, "account", (account_id, login, login, "unit", uid, None, False))))
            for role in officials:
                account_id += 1
                login = f"{cname}.{role}"
                login_ids[role] = account_id
                accounts.append((account_id, login, login, role, None, None, False, 0, None, clock,
                                 seal_of(skey, "account", (account_id, login, login, role, None, None, False))))
            first_project = project_id + 1
            first_event = event_id + 1
            for j in range(per_county):
                t = rng.choice(by_status[rng.choices(choices, weights)[0]])
                project_id += 1
                pid = project_id
                unit = unit_ids[t.unit]
                row = (pid, f"{cname}·{t.name}·{j + 1:04d}", unit, t.year, t.estimate, t.status,
                       t.data, len(t.events) + 1, t.rules, _derived(pid, t), t.created_on, None)
                # Sealed as the ledger reads the row back (tongchou.seals): money as yuan, data as a dict.
                sealed = (*row[:4], Project.estimate.python_value(t.estimate), t.status,
                          Project.data.python_value(t.data), *row[7:])
                projects.append((*row, clock, clock, seal_of(skey, "project", sealed)))
                for seq, action, day, login, role, args_text, args, frm, to in t.events:
                    event_id += 1
                    actor = login_ids[f"unit{t.unit}"] if role == "unit" else login_ids[role]
                    at = dt.datetime.combine(day, dt.time(9, 0, 0, seq))
                    events.append((event_id, pid, seq, action, day, actor, role, args_text, frm, to, at))
                    # Already JSON-safe, so canonical_json(...) == dumps(...) at a fraction of the cost.
                    body = {"id": event_id, "project": pid, "seq": seq, "action": action, "date": day.isoformat(),
                            "actor": actor, "role": role, "args": args, "from": frm, "to": to}
                    audit.append(("event", "import", pid, action, canonical_json(
                        {"digest": sm3_hex(canonical_json(body).encode()), "event_id": event_id})))
                for code, doc, arts, due, message, closed in t.obligations:
                    obligations.append((pid, code, doc, arts, due, message, closed))
                for row in t.findings:
                    findings.append((pid, *row))
            summary = {"op": "bench-import", "county": cname, "projects": [first_project, project_id],
                       "events": [first_event, event_id] if event_id >= first_event else []}
            audit.insert(0, ("import", "import", None, None, dumps(summary)))
            entries = []
            for kind, actor, pid, action, text in audit:
                audit_id += 1
                clock += dt.timedelta(microseconds=1)
                new = hmac_sm3_hex(key.for_entry(audit_id),
                                   _entry_bytes(audit_id, clock, kind, actor, pid, action, text, mac))
                entries.append((audit_id, clock, kind, actor, pid, action, text, mac, new))
                mac = new
            writer.rows("unit", ("id", "name", "created_at"), units)
            writer.rows("account", ("id", "name", "display_name", "role", "unit_id", "password_hash", "disabled",
                                    "failed_logins", "locked_until", "created_at", "seal"), accounts)
            writer.rows("project", ("id", "name", "unit_id", "year", "estimate", "status", "data", "version",
                                    "rules", "derived", "created_on", "created_by_id", "created_at", "updated_at",
                                    "seal"),
                        projects)
            writer.rows("event", ("id", "project_id", "seq", "action", "date", "actor_id", "role", "args",
                                  "from_status", "to_status", "recorded_at"), events)
            writer.rows("obligation", ("project_id", "code", "document", "articles", "due", "message",
                                       "closed_on"), obligations)
            writer.rows("finding", ("project_id", "code", "severity", "document", "articles", "message"),
                        findings)
            writer.rows("audit_entry", ("id", "at", "kind", "actor", "project_id", "action", "detail",
                                       "prev_mac", "mac"), entries)
            ledger.db.execute_sql(
                'UPDATE "audit_head" SET "last_id" = %s, "last_mac" = %s WHERE "id" = 1'.replace("%s", ledger.db.param),
                (audit_id, mac))
        totals["projects"] += len(projects)
        totals["events"] += len(events)
        totals["obligations"] += len(obligations)
        totals["findings"] += len(findings)
        if progress:
            progress(c, counties)
    if ledger.is_postgres:
        for table in ("unit", "account", "project", "event"):
            ledger.db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))")
        # A bulk load leaves the visibility map empty until autovacuum passes (a
        # live ledger's autovacuum keeps it): without it no count is read from an
        # index alone (the pages on indexed plugin fields, docs/performance.md).
        if not ledger.db.in_transaction():  # VACUUM cannot run inside one
            ledger.db.execute_sql('VACUUM "project"')
    ledger.db.execute_sql("ANALYZE")
    return Loaded(counties, totals["projects"], totals["events"], totals["obligations"], totals["findings"],
                  audit_id, time.perf_counter() - t0)


def _derived(pid: int, t: Template) -> str:
    """The digest Ledger._recompute stores for these rows (so a later action on
    the project does not rewrite them needlessly)."""
    return derived_digest([(pid, *o) for o in t.obligations], [(pid, *f) for f in t.findings])
