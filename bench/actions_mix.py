"""The realistic action mix, and its floor: the same statements as raw SQL.

A county's year is mostly systems in operation recording what happened to
them (the state of data sharing, security assessments), while a minority of
new projects go through application, review and approval.  The mix here is
that: for every new project entered and taken through apply, review and
approval (4 actions counting its entry), :data:`OPERATING_PER_NEW` actions on
projects in operation, each with 12-16 events of history copied from the demo
county that grow to 40 as the run goes on.

The floor is the same work by the simplest means: every statement the actions
ran (recorded as they ran: the reads, the writes, the audit chain's), replayed
with the same parameters through the same driver, one transaction per action,
on a copy of the ledger taken before the run (SQLite: a backup of the file;
PostgreSQL: a schema holding the tables, with the rows the actions touch).
The ratio is then what Tongchou's Python adds over its own SQL.

The timed run on SQLite is not recorded at all: the same mix is taken again
on a second copy, recorded there, and that record is what the floor replays.
On PostgreSQL (a copy of the whole ledger would take longer than the run) the
timed run is the recorded one.  Recording wraps only ``execute_sql`` and the
cursors taken outside it: wrapping every statement's cursor once made the
recorded mix a third slower than the plain one.  ``python -m bench.cases
actions_trace_cost URL KEY '{}'`` measures what recording costs (plain over
recorded throughput, in alternating rounds).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from tongchou.db import write_transaction
from tongchou.ledger import Ledger

from .province import SWEEP_ON

DIMS = ["necessity", "scale", "technology", "security", "intensiveness"]
#: actions on projects in operation per new project (whose entry, apply, review
#: and approval are 4 actions): about 70 % of a county's actions in a year
OPERATING_PER_NEW = 9
#: runs in one ledger act on disjoint projects: those whose id modulo this is their ``skip``
PARTS = 16
_SKIP = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
#: the audit chain's head read under lock (PostgreSQL; SQLite's writers hold the whole database)
_HEAD_LOCK = 'FROM "audit_head" WHERE "id" = 1 FOR UPDATE'



class Tracer:
    """Records every statement run through ``db`` (``execute_sql`` and a
    cursor's ``executemany``), one list per action, and the seconds each
    action spent waiting on the database (those calls and its commit), so
    the rest, Tongchou's own Python, can be told apart (``db_seconds``)."""

    def __init__(self, db):
        self.db = db
        self.actions: list[list[tuple[str, str, Any]]] = []
        self.db_seconds: list[float] = []
        #: PostgreSQL: how long each action held the audit chain's head row
        #: (locked from its append to its commit), which writers take in turn
        self.chain_holds: list[float] = []
        self.head_locked: float | None = None
        self.inside = False
        self.current: list | None = None
        self.waited = 0.0
        real_execute, real_cursor, real_commit, real_begin = db.execute_sql, db.cursor, db.commit, db.begin
        tracer = self

        def execute_sql(sql, params=None, *a, **kw):
            if tracer.current is not None and not sql.lstrip().upper().startswith(_SKIP):
                tracer.current.append(("one", sql, tuple(params) if params is not None else None))
            t = time.perf_counter()
            if _HEAD_LOCK in sql:
                tracer.head_locked = t
            tracer.inside = True  # the cursor peewee takes for it needs no wrapper
            try:
                return real_execute(sql, params, *a, **kw)
            finally:
                tracer.inside = False
                tracer.waited += time.perf_counter() - t

        def timed(call):
            def wrapper(*a, **kw):
                t = time.perf_counter()
                try:
                    return call(*a, **kw)
                finally:
                    tracer.waited += time.perf_counter() - t
            return wrapper

        def commit(*a, **kw):
            try:
                return timed(real_commit)(*a, **kw)
            finally:
                if tracer.head_locked is not None and tracer.current is not None:
                    tracer.chain_holds.append(time.perf_counter() - tracer.head_locked)
                tracer.head_locked = None

        class _Cursor:
            def __init__(self, cursor):
                self._cursor = cursor

            def executemany(self, sql, rows):
                rows = [tuple(r) for r in rows]
                if tracer.current is not None:
                    tracer.current.append(("many", sql, rows))
                t = time.perf_counter()
                try:
                    return self._cursor.executemany(sql, rows)
                finally:
                    tracer.waited += time.perf_counter() - t

            def __iter__(self):
                return iter(self._cursor)

            def __getattr__(self, name):
                return getattr(self._cursor, name)

        db.execute_sql = execute_sql
        # Only cursors taken outside execute_sql (for executemany) are wrapped:
        # a wrapper on every statement's cursor cost more than the statement.
        db.cursor = lambda *a, **kw: real_cursor(*a, **kw) if tracer.inside else _Cursor(real_cursor(*a, **kw))
        # BEGIN is a round trip of its own on PostgreSQL (peewee sends it)
        db.commit, db.begin = commit, timed(real_begin)
        self._restore = (real_execute, real_cursor, real_commit, real_begin)

    def start(self) -> None:
        self.current = []
        self.waited = 0.0

    def stop(self) -> None:
        self.actions.append(self.current or [])
        self.db_seconds.append(self.waited)
        self.current = None

    def close(self) -> None:
        self.db.execute_sql, self.db.cursor, self.db.commit, self.db.begin = self._restore


def _unit_actors(ledger: Ledger, unit_ids: set[int]) -> dict[int, Any]:
    marks = ", ".join(ledger.db.param for _ in unit_ids)
    rows = ledger.db.execute_sql(f'SELECT "unit_id", MIN("name") FROM "account" WHERE "role" = \'unit\' '
                                 f'AND "unit_id" IN ({marks}) GROUP BY "unit_id"', sorted(unit_ids)).fetchall()
    return {uid: ledger.actor(name) for uid, name in rows}


def plan(ledger: Ledger, new_projects: int, skip: int = 0) -> dict:
    """Which projects the mix acts on (decided before any timing); ``skip``
    sets of them are left to earlier runs (each run acts on projects of its own)."""
    operating = new_projects * OPERATING_PER_NEW
    per_project = 8  # actions on each project in operation: histories grow by up to 8 events
    count = max(1, operating // per_project)
    p = ledger.db.param
    rows = ledger.db.execute_sql(
        f'SELECT p."id", p."unit_id" FROM "project" AS p WHERE p."status" = \'in_operation\' '
        f'AND (SELECT COUNT(*) FROM "event" AS e WHERE e."project_id" = p."id") >= 10 '
        f'AND MOD(p."id", {PARTS}) = {p} ORDER BY p."id" DESC LIMIT {p}', (skip % PARTS, count)).fetchall()
    first = ledger.db.execute_sql('SELECT "name", "unit_id" FROM "account" WHERE "role" IN '
                                  '(\'unit\', \'bureau\', \'government\') ORDER BY "id" LIMIT 20').fetchall()
    return {"operating": [(r[0], r[1]) for r in rows], "per_project": per_project, "new": new_projects,
            "officials": {ledger.actor(n).role: n for n, _ in first if ledger.actor(n).role != "unit"},
            # each run enters its new projects in a unit of its own (guards that
            # count a unit's projects decide one action of a unit at a time)
            "new_unit": sorted({u for _, u in first if u is not None})[skip % 6]}


def steps(ledger: Ledger, chosen: dict) -> list:
    """The mix as a list of callables, interleaved as a year's work is."""
    actors = _unit_actors(ledger, {u for _, u in chosen["operating"]} | {chosen["new_unit"]})
    bureau = ledger.actor(chosen["officials"]["bureau"])
    government = ledger.actor(chosen["officials"]["government"])
    unit_actor = actors[chosen["new_unit"]]
    day0 = SWEEP_ON + dt.timedelta(days=1)
    operating: list = []
    for k in range(chosen["per_project"]):
        day = day0 + dt.timedelta(days=k)
        for pid, uid in chosen["operating"]:
            if k % 2:
                args = {"type": "mlps" if k % 4 == 1 else "crypto", "result": "pass"}
                operating.append(lambda pid=pid, uid=uid, day=day, args=args:
                                 ledger.act(pid, "record_assessment", actors[uid], day, args))
            else:
                args = {"interconnected": True, "data_aggregated": True, "shared": k % 4 == 0}
                operating.append(lambda pid=pid, uid=uid, day=day, args=args:
                                 ledger.act(pid, "record_sharing", actors[uid], day, args))
    made: list[int] = []

    def enter(i):
        return lambda: made.append(ledger.create_project(
            {"name": f"基准混合{time.time_ns()}-{i}", "unit": unit_actor.unit, "year": day0.year + 2,
             "category": "purchased_service", "kind": "information_system", "source": "unit_application",
             "estimate": "1000000"}, unit_actor, day0).id)

    track: list = []
    for i in range(chosen["new"]):
        track += [enter(i),
                  lambda: ledger.act(made[-1], "apply", unit_actor, day0 + dt.timedelta(days=9)),
                  lambda: ledger.act(made[-1], "review", bureau, day0 + dt.timedelta(days=10),
                                     {"result": "pass", "dimensions": DIMS}),
                  lambda: ledger.act(made[-1], "approve", government, day0 + dt.timedelta(days=11))]
    # Interleave: a new project's four steps after every OPERATING_PER_NEW other actions.
    out, oi = [], 0
    for i in range(0, len(track), 4):
        out += operating[oi:oi + OPERATING_PER_NEW] + track[i:i + 4]
        oi += OPERATING_PER_NEW
    return out + operating[oi:]


#: steps of the mix taken before the timing starts (two rounds of a year's
#: interleaving): a process's first actions load modules and fill caches that
#: every later action finds ready; neither they nor their statements are measured
WARM_STEPS = 2 * (OPERATING_PER_NEW + 4)
#: projects' worth of the mix a single-writer run takes (a third enter and go
#: through approval): ~1,000 timed actions, so that one busy moment of a shared
#: machine moves the median and the throughput little
SAMPLE_PROJECTS = 240


def warm(ledger: Ledger, work: list | None = None) -> float:
    """Build what a long-running process builds at its first use and keeps,
    before the mix is timed: xichuan's duplicate check indexes every project's
    name and scope at the first entry of a process (13 s at 60,000 projects on
    a busy machine, which alone made the single-writer figure 18/s instead of
    37/s), and the first :data:`WARM_STEPS` of ``work`` are taken.
    ``tongchou serve`` pays it once; the mix measures the steady state (the
    rest of ``work``), and the seconds it took are reported beside (``warmup_s``)."""
    t = time.perf_counter()
    try:
        from tongchou.plugins.xichuan.duplicates import find_check
        find_check(ledger).index(ledger.db)
    except Exception:  # noqa: BLE001 - another pack: nothing of the kind to build
        pass
    for step in (work or [])[:WARM_STEPS]:
        step()
    return time.perf_counter() - t


def summary(latencies: list[float], seconds: float) -> dict:
    lat = sorted(latencies)
    return {"value": len(lat) / seconds, "unit": "/s", "actions": len(lat),
            "median_ms": round(statistics.median(lat) * 1000, 2),
            "p95_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.95))] * 1000, 2)}


def run_mix(ledger: Ledger, work: list, tracer: Tracer | None = None) -> dict:
    latencies = []
    t0 = time.perf_counter()
    for step in work:
        if tracer:
            tracer.start()
        t = time.perf_counter()
        step()
        latencies.append(time.perf_counter() - t)
        if tracer:
            tracer.stop()
    out = summary(latencies, time.perf_counter() - t0)
    if tracer:
        # Per action: the time waiting on the database, and the rest (Python).
        waited = tracer.db_seconds[-len(latencies):]
        out["db_median_ms"] = round(statistics.median(waited) * 1000, 3)
        out["python_median_ms"] = round(statistics.median(l - w for l, w in zip(latencies, waited)) * 1000, 3)
        if tracer.chain_holds:
            # Writers append to one chain, so however many there are, at most
            # one action per hold commits: the ceiling of concurrent writers.
            hold = statistics.median(tracer.chain_holds)
            out["chain_hold_ms"] = round(hold * 1000, 3)
            out["chain_ceiling"] = round(1 / hold)
    return out


def round_trip_ms(db, n: int = 300) -> float:
    """The median time of ``SELECT 1`` through the driver: what every
    statement costs before the database does any work for it."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        db.execute_sql("SELECT 1").fetchone()
        times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 3)


def replay(db, actions: list) -> dict:
    """The recorded statements again, one write transaction per action."""
    latencies = []
    t0 = time.perf_counter()
    for stmts in actions:
        t = time.perf_counter()
        with write_transaction(db):
            for kind, sql, params in stmts:
                if kind == "one":
                    db.execute_sql(sql, params)
                else:
                    db.cursor().executemany(sql, params)
        latencies.append(time.perf_counter() - t)
    return summary(latencies, time.perf_counter() - t0)


def sqlite_copy(path: str, name: str) -> str:
    """A copy of the SQLite ledger (the backup API), ``<stem>-<name>.db``."""
    dst = str(Path(path).with_name(f"{Path(path).stem}-{name}.db"))
    for suffix in ("", "-wal", "-shm"):
        Path(dst + suffix).unlink(missing_ok=True)
    src = sqlite3.connect(path)
    out = sqlite3.connect(dst)
    src.backup(out)
    out.execute("PRAGMA journal_mode=wal")
    out.close()
    src.close()
    return dst


def postgres_copy(ledger: Ledger, schema: str, project_ids: list[int]) -> None:
    """A schema with the ledger's tables (indexes, defaults and all) holding the
    rows the actions read: every small table whole, the projects acted on with
    their rows, the audit chain's last entry."""
    db = ledger.db
    db.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    db.execute_sql(f'CREATE SCHEMA "{schema}"')
    tables = [r[0] for r in db.execute_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
    ids = ", ".join(str(int(i)) for i in project_ids) or "0"
    by_project = {"project": f'"id" IN ({ids})', "event": f'"project_id" IN ({ids})',
                  "obligation": f'"project_id" IN ({ids})', "finding": f'"project_id" IN ({ids})',
                  "document": f'"project_id" IN ({ids})', "project_party": f'"project_id" IN ({ids})',
                  "audit_entry": '"id" = (SELECT "last_id" FROM "audit_head" WHERE "id" = 1)'}
    with db.atomic():
        for t in tables:
            db.execute_sql(f'CREATE TABLE "{schema}"."{t}" (LIKE "{t}" INCLUDING ALL)')
        for t in tables:
            where = by_project.get(t)
            # Generated columns (of indexed plugin fields) are computed, never inserted.
            cols = ", ".join(f'"{c}"' for (c,) in db.execute_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s AND is_generated = 'NEVER' ORDER BY ordinal_position", (t,)))
            db.execute_sql(f'INSERT INTO "{schema}"."{t}" ({cols}) SELECT {cols} FROM "{t}"'
                           + (f" WHERE {where}" if where else ""))
    for t in tables:
        db.execute_sql(f'ANALYZE "{schema}"."{t}"')
