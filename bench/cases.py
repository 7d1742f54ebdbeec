"""The benchmarks, each run in a process of its own so its peak memory is its own.

``python -m bench.cases NAME URL KEY_FILE [JSON_OPTIONS]`` prints one JSON line:
``{"value": ..., "unit": ..., "baseline": ..., "rss_mb": ..., ...}``.  Each
benchmark measures the operation and, in the same process and run, a
baseline doing the least the database must do for the same rows (a bare
``SELECT`` of them, a bare write transaction), so that the ratio survives a
busy or slow machine where the seconds do not.
"""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tongchou.db import write_transaction
from tongchou.ledger import Ledger

from .province import SWEEP_ON

DIMS = ["necessity", "scale", "technology", "security", "intensiveness"]


def _open(url: str, key_file: str) -> Ledger:
    return Ledger.open(url, key_file=Path(key_file))


def _stats(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and p95 of ``repeat`` timed runs after one warm-up run: not the
    best run, which says how quiet the machine was rather than what the code costs."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def _best(fn: Callable[[], Any], repeat: int) -> float:
    """The median of ``repeat`` runs (kept under its old name for callers)."""
    return _stats(fn, repeat)[0]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


# -- the compliance sweep ------------------------------------------------------

SWEEP_BASELINE = (
    'SELECT f."project_id", f."code", f."severity", f."document", f."articles", f."message" FROM "finding" AS f',
    'SELECT o."project_id", o."code", o."document", o."articles", o."due", o."message" '
    'FROM "obligation" AS o WHERE o."closed_on" IS NULL',
    'SELECT p."id", p."name", p."unit_id", p."year", p."estimate", p."status", p."data" FROM "project" AS p',
)


def bare_scan(ledger: Ledger) -> int:
    """Fetch every finding, open obligation and project: the old floor, which
    reads more than the sweep does (kept for tests/test_bench_guard.py)."""
    n = 0
    for sql in SWEEP_BASELINE:
        n += len(ledger.db.execute_sql(sql).fetchall())
    return n


def traced(ledger: Ledger, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The statements ``fn`` runs through the ledger's database, with their parameters."""
    from .actions_mix import Tracer
    tracer = Tracer(ledger.db)
    tracer.start()
    try:
        fn()
    finally:
        tracer.stop()
        tracer.close()
    return [(sql, params) for kind, sql, params in tracer.actions[0] if kind == "one"]


def replay_fetch(ledger: Ledger, statements: list[tuple[str, Any]]) -> int:
    """The same statements as raw SQL, every row fetched: the floor of a read."""
    return sum(len(ledger.db.execute_sql(sql, params).fetchall()) for sql, params in statements)


def sweep(url: str, key_file: str, opts: dict) -> dict:
    """The sweep beside its own statements replayed as raw SQL (the floor)."""
    ledger = _open(url, key_file)
    on = dt.date.fromisoformat(opts.get("on", SWEEP_ON.isoformat()))
    repeat = int(opts.get("repeat", 5))
    result = ledger.sweep(on)
    statements = traced(ledger, lambda: ledger.sweep(on))
    median, p95 = _stats(lambda: ledger.sweep(on), repeat)
    floor, floor_p95 = _stats(lambda: replay_fetch(ledger, statements), repeat)
    full, _ = _stats(lambda: bare_scan(ledger), 3)
    return {"value": median, "unit": "s", "p95": p95, "baseline": floor, "floor_p95": floor_p95,
            "statements": len(statements), "rows": replay_fetch(ledger, statements),
            "full_scan_s": round(full, 3), "findings": len(result.findings),
            "obligations": len(result.obligations),
            "overdue": sum(1 for f in result.findings if f.severity == "overdue")}


# -- the ledger view and a project page ---------------------------------------

PAGE = 50


def _busiest_unit(ledger: Ledger) -> str:
    return ledger.db.execute_sql(
        'SELECT u."name" FROM "unit" AS u JOIN "project" AS p ON p."unit_id" = u."id" '
        'GROUP BY u."name" ORDER BY COUNT(*) DESC, u."name" LIMIT 1').fetchone()[0]


def ledger_page(url: str, key_file: str, opts: dict) -> dict:
    """The ledger view: filter + sort + one page (and the count of matches),
    the worst median of five filters, beside a bare SELECT of one page."""
    ledger = _open(url, key_file)
    repeat = int(opts.get("repeat", 9))
    statuses = ["under_construction", "completed", "acceptance_failed"]
    marks = ", ".join(ledger.db.param for _ in statuses)
    sql = (f'SELECT * FROM "project" WHERE "status" IN ({marks}) ORDER BY "estimate" DESC, "id" '
           f'LIMIT {PAGE} OFFSET {PAGE * 3}')
    floor, _ = _stats(lambda: ledger.db.execute_sql(sql, statuses).fetchall(), repeat)
    unit = _busiest_unit(ledger)
    cases = {
        "status filter, estimate order": lambda: ledger.projects(
            filters={"status": statuses}, order_by="estimate", descending=True, offset=PAGE * 3, limit=PAGE),
        "unit filter, id order": lambda: ledger.projects(
            filters={"unit": unit}, order_by="id", descending=True, offset=PAGE * 3, limit=PAGE),
        "plugin field filter (indexed), id order": lambda: ledger.projects(
            filters={"kind": "information_system"}, order_by="id", descending=True, offset=PAGE * 3, limit=PAGE),
        "plugin field and year, name order": lambda: ledger.projects(
            filters={"kind": "information_system", "year": 2026}, order_by="name", offset=PAGE * 3, limit=PAGE),
        "name search": lambda: ledger.projects(search="平台", order_by="id", limit=PAGE),
        "overdue filter": lambda: ledger.projects(filters={"overdue_on": SWEEP_ON}, order_by="id", limit=PAGE),
    }
    detail = {name: round(_stats(fn, repeat)[0] * 1000, 1) for name, fn in cases.items()}
    return {"value": max(detail.values()), "unit": "ms", "baseline": floor * 1000, "detail": detail}


def field_page(url: str, key_file: str, opts: dict) -> dict:
    """A page filtered on an indexed plugin field (kind) against the same page
    filtered on the unit (the busiest one), both newest first: the ratio."""
    ledger = _open(url, key_file)
    repeat = int(opts.get("repeat", 15))
    unit = _busiest_unit(ledger)
    page = dict(order_by="id", descending=True, offset=PAGE * 3, limit=PAGE)
    # Alternated, one run of each at a time, so that a burst of load elsewhere falls on both.
    field_t, unit_t = [], []
    for _ in range(repeat):
        field_t.append(_stats(lambda: ledger.projects(filters={"kind": "information_system"}, **page), 1)[0])
        unit_t.append(_stats(lambda: ledger.projects(filters={"unit": unit}, **page), 1)[0])
    by_field, field_p95 = statistics.median(field_t), sorted(field_t)[min(repeat - 1, int(repeat * 0.95))]
    by_unit, unit_p95 = statistics.median(unit_t), sorted(unit_t)[min(repeat - 1, int(repeat * 0.95))]
    matches = ledger.projects(filters={"kind": "information_system"}, limit=0)[1]
    return {"value": by_field * 1000, "unit": "ms", "p95": round(field_p95 * 1000, 1),
            "baseline": by_unit * 1000, "floor_p95": round(unit_p95 * 1000, 1), "field_matches": matches,
            "unit_matches": ledger.projects(filters={"unit": unit}, limit=0)[1]}


def project_page(url: str, key_file: str, opts: dict) -> dict:
    """What a project's page asks: the project, its history, findings,
    obligations and the actions open to the user."""
    ledger = _open(url, key_file)
    repeat = int(opts.get("repeat", 7))
    total = ledger.db.execute_sql('SELECT MAX("id") FROM "project"').fetchone()[0]
    pid = total // 2 + 1
    if opts.get("baseline"):
        p = ledger.db.param
        stmts = [(f'SELECT * FROM "project" WHERE "id" = {p}', (pid,)),
                 (f'SELECT * FROM "event" WHERE "project_id" = {p} ORDER BY "seq"', (pid,)),
                 (f'SELECT * FROM "finding" WHERE "project_id" = {p}', (pid,)),
                 (f'SELECT * FROM "obligation" WHERE "project_id" = {p}', (pid,))]
        seconds = _best(lambda: [ledger.db.execute_sql(s, a).fetchall() for s, a in stmts], repeat)
        return {"value": seconds * 1000, "unit": "ms"}
    bureau = ledger.actor(ledger.db.execute_sql(
        "SELECT \"name\" FROM \"account\" WHERE \"role\" = 'bureau' ORDER BY \"id\" LIMIT 1").fetchone()[0])

    def page():
        ledger.project(pid, bureau)
        ledger.history(pid, bureau)
        ledger.findings(SWEEP_ON, bureau, project_id=pid)
        ledger.obligations(bureau, project_id=pid, open_only=False)
        ledger.available_actions(pid, bureau)

    median, p95 = _stats(page, repeat)
    return {"value": median * 1000, "unit": "ms", "p95": round(p95 * 1000, 2)}


# -- actions ------------------------------------------------------------------

def _county_users(ledger: Ledger) -> tuple[dict, str]:
    """The users of the first county, by role, and its first unit's name."""
    rows = ledger.db.execute_sql('SELECT "name", "role" FROM "account" ORDER BY "id" LIMIT 13').fetchall()
    users = {}
    for name, role in rows:
        users.setdefault(role, ledger.actor(name))
    return users, users["unit"].unit


def _act_loop(ledger: Ledger, users: dict, unit: str, projects: int, tag: str) -> int:
    """Enter ``projects`` projects and take each through apply, review and
    approval: four actions each, every one with its audit entry."""
    done = 0
    for i in range(projects):
        p = ledger.create_project({"name": f"基准项目{tag}-{i}", "unit": unit, "year": 2026,
                                   "category": "purchased_service", "kind": "information_system",
                                   "source": "unit_application", "estimate": "1000000"},
                                  users["unit"], dt.date(2025, 6, 1))
        ledger.act(p.id, "apply", users["unit"], dt.date(2025, 6, 10))
        ledger.act(p.id, "review", users["bureau"], dt.date(2025, 6, 11), {"result": "pass", "dimensions": DIMS})
        ledger.act(p.id, "approve", users["government"], dt.date(2025, 6, 12))
        done += 4
    return done


def _bare_writes(ledger: Ledger, n: int) -> None:
    """``n`` write transactions that each insert two rows (event and audit
    entry sized) into a scratch table: the floor under an action."""
    sql = f'INSERT INTO "bench_scratch" ("a", "b") VALUES ({ledger.db.param}, {ledger.db.param})'
    for i in range(n):
        with write_transaction(ledger.db):
            ledger.db.execute_sql(sql, (i, "x" * 200))
            ledger.db.execute_sql(sql, (i, "y" * 200))


def _scratch(ledger: Ledger) -> None:
    ledger.db.execute_sql('DROP TABLE IF EXISTS "bench_scratch"')
    ledger.db.execute_sql('CREATE TABLE "bench_scratch" ("a" INTEGER, "b" TEXT)')


def _commit_floor(ledger: Ledger, n: int) -> float:
    """Bare write transactions per second (two rows each): what the database
    and its fsync policy allow at most, whatever the statements."""
    _scratch(ledger)
    t = time.perf_counter()
    _bare_writes(ledger, n)
    rate = n / (time.perf_counter() - t)
    ledger.db.execute_sql('DROP TABLE "bench_scratch"')
    return rate


def _sync_setting(ledger: Ledger, synchronous: str | None) -> str:
    if ledger.is_postgres:
        rows = ledger.db.execute_sql("SELECT name, setting FROM pg_settings WHERE name IN "
                                     "('fsync', 'synchronous_commit', 'wal_sync_method')").fetchall()
        return ", ".join(f"{k}={v}" for k, v in sorted(rows))
    if synchronous:
        ledger.db.execute_sql(f"PRAGMA synchronous={synchronous}")
    level = ledger.db.execute_sql("PRAGMA synchronous").fetchone()[0]
    return "synchronous=" + {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(level, str(level))


def actions(url: str, key_file: str, opts: dict) -> dict:
    """The realistic mix (bench/actions_mix.py), single writer: throughput,
    median and p95 per action, beside the same statements replayed as raw SQL
    on a copy taken before the run (the floor) and bare commits."""
    from . import actions_mix as mix
    from tongchou.db import open_database
    ledger = _open(url, key_file)
    sync = _sync_setting(ledger, opts.get("synchronous"))
    sample = int(opts.get("sample", mix.SAMPLE_PROJECTS))
    chosen = mix.plan(ledger, max(1, sample // 3), skip=int(opts.get("skip", 0)))
    touched = [pid for pid, _ in chosen["operating"]]
    work = mix.steps(ledger, chosen)
    warmup = mix.warm(ledger, work)
    # The copies as the timed actions find the ledger: after the warm-up steps.
    if ledger.is_postgres:
        mix.postgres_copy(ledger, "bench_floor", touched)
        tracer = mix.Tracer(ledger.db)
        pids = _sched_pids(ledger)
        before = [_schedstat(p) for p in pids]
        try:
            measured = mix.run_mix(ledger, work[mix.WARM_STEPS:], tracer)
        finally:
            tracer.close()
        cpu = _cpu_since(pids, before)
        if cpu:
            # the server process's own work per action: what no change on this
            # side of the connection can take away
            measured["server_cpu_ms"] = round(cpu[1][0] / measured["actions"] / 1e6, 3)
        floor_db = open_database(url)
        floor_db.connect()
        floor_db.execute_sql('SET search_path TO "bench_floor"')
    else:
        floor_path = mix.sqlite_copy(ledger.db.database, "floor")
        twin_path = mix.sqlite_copy(ledger.db.database, "twin")
        measured = mix.run_mix(ledger, work[mix.WARM_STEPS:])
        # The same mix again on the twin, recorded: the statements the floor replays.
        twin = _open(twin_path, key_file)
        _sync_setting(twin, opts.get("synchronous"))
        twin_work = mix.steps(twin, chosen)
        mix.warm(twin)
        tracer = mix.Tracer(twin.db)
        try:
            split = mix.run_mix(twin, twin_work[mix.WARM_STEPS:], tracer)
        finally:
            tracer.close()
            twin.close()
        measured.update({k: split[k] for k in ("db_median_ms", "python_median_ms")})
        floor_db = open_database(floor_path)
        floor_db.connect()
        if opts.get("synchronous"):
            floor_db.execute_sql(f"PRAGMA synchronous={opts['synchronous']}")
    floor = mix.replay(floor_db, tracer.actions)
    floor_db.close()
    if ledger.is_postgres:
        ledger.db.execute_sql('DROP SCHEMA "bench_floor" CASCADE')
    else:
        for path in (floor_path, twin_path):
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
    commits = _commit_floor(ledger, 400)
    statements = sum(len(a) for a in tracer.actions) / max(1, len(tracer.actions))
    return {**measured, "baseline": floor["value"], "floor_median_ms": floor["median_ms"],
            "floor_p95_ms": floor["p95_ms"], "commit_floor": round(commits), "sync": sync,
            "statements_per_action": round(statements, 1), "round_trip_ms": mix.round_trip_ms(ledger.db),
            "warmup_s": round(warmup, 2)}


def actions_trace_cost(url: str, key_file: str, opts: dict) -> dict:
    """What recording the statements (bench.actions_mix.Tracer) adds to an
    action: the mix in rounds of ~260 actions on projects of their own,
    recorded and not in turn; ``value`` is plain over recorded throughput."""
    from . import actions_mix as mix
    ledger = _open(url, key_file)
    _sync_setting(ledger, opts.get("synchronous"))
    rates: dict[bool, list[float]] = {True: [], False: []}
    for i in range(int(opts.get("rounds", 6))):
        work = mix.steps(ledger, mix.plan(ledger, 20, skip=int(opts.get("skip", 8)) + i))
        mix.warm(ledger, work)
        tracer = mix.Tracer(ledger.db) if i % 2 else None
        try:
            rates[tracer is not None].append(mix.run_mix(ledger, work[mix.WARM_STEPS:], tracer)["value"])
        finally:
            if tracer is not None:
                tracer.close()
    plain, traced = statistics.median(rates[False]), statistics.median(rates[True])
    return {"value": round(plain / traced, 3), "unit": "x", "plain": round(plain), "traced": round(traced)}


def _schedstat(pid: int | str = "self") -> tuple[int, int] | None:
    """Nanoseconds ``pid`` has run on a core and waited in the run queue for
    one (Linux's /proc/PID/schedstat); None where that cannot be read."""
    try:
        ran, waited, _slices = Path(f"/proc/{pid}/schedstat").read_text().split()
        return int(ran), int(waited)
    except (OSError, ValueError):
        return None


def _sched_pids(ledger: Ledger) -> list[int | str]:
    """The processes an action runs in: this one, and on PostgreSQL the
    server process serving its connection (on this machine)."""
    pids: list[int | str] = ["self"]
    if ledger.is_postgres:
        pids.append(int(ledger.db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]))
    return pids


def _cpu_since(pids: list[int | str], before: list) -> list[tuple[int, int]] | None:
    """(ran, waited) nanoseconds of each of ``pids`` since ``before``."""
    after = [_schedstat(p) for p in pids]
    if any(a is None for a in before + after):
        return None
    return [(a[0] - b[0], a[1] - b[1]) for a, b in zip(after, before)]


def _worker(args: tuple) -> tuple[int, float, float, list[tuple[int, int]] | None]:
    url, key_file, projects, skip, baseline, start_at = args
    from . import actions_mix as mix
    ledger = _open(url, key_file)
    work = [] if baseline else mix.steps(ledger, mix.plan(ledger, projects, skip=skip))
    if not baseline:
        try:
            mix.warm(ledger, work)
        except Exception as exc:  # noqa: BLE001 - as below: say what it was, picklably
            raise RuntimeError(f"writer {skip}, warming up: {type(exc).__name__}: {exc}") from None
        work = work[mix.WARM_STEPS:]
    pids = _sched_pids(ledger)
    while time.time() < start_at:  # start together, after every worker has opened its ledger
        time.sleep(0.001)
    before = [_schedstat(p) for p in pids]
    t = time.perf_counter()
    if baseline:
        _bare_writes(ledger, projects * 13)
        n = projects * 13
    else:
        try:
            for step in work:
                step()
        except Exception as exc:  # noqa: BLE001 - our exceptions do not all pickle: say what it was
            raise RuntimeError(f"writer {skip}: {type(exc).__name__}: {exc}") from None
        n = len(work)
    end = time.perf_counter()
    cpu = _cpu_since(pids, before)
    ledger.close()
    return n, t, end, cpu


def _writers(url: str, key_file: str, writers: int, projects: int, first_skip: int,
             baseline: bool) -> tuple[float, dict]:
    """Actions a second of ``writers`` processes at once, and per action the
    core time they and their server processes used (``cpu_ms``) and waited in
    the run queue for a core (``wait_ms``), where Linux says."""
    start_at = time.time() + 12  # after every worker has built its index and warmed up (~5 s for 4 on 2 cores)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(writers) as pool:
        results = pool.map(_worker, [(url, key_file, projects, first_skip + w, baseline, start_at)
                                     for w in range(writers)])
    # Wall time from the first start to the last finish (perf_counter is system-wide on Linux).
    n = sum(r[0] for r in results)
    rate = n / (max(r[2] for r in results) - min(r[1] for r in results))
    cpu = [r[3] for r in results]
    if any(c is None for c in cpu):
        return rate, {}

    def per_action(ns: int) -> float:
        return round(ns / n / 1e6, 3)
    return rate, {"cpu_ms": per_action(sum(ran for c in cpu for ran, _ in c)),
                  "wait_ms": per_action(sum(waited for c in cpu for _, waited in c)),
                  "server_cpu_ms": per_action(sum(ran for c in cpu for ran, _ in c[1:]))}


def actions_concurrent(url: str, key_file: str, opts: dict) -> dict:
    """The realistic mix in ``writers`` processes at once, each on projects of
    its own, beside the same mix in one process in the same run (the scaling);
    the baseline is bare commits, four processes against one (the scaling the
    database and the cores allow at most)."""
    from . import actions_mix as mix
    writers = int(opts.get("writers", 4))
    # each writer half the single-writer run's sample (~520 actions, a few seconds
    # on 2 cores: a shorter run is decided by which writer the scheduler starts
    # last); one writer alone the same half
    projects = max(1, int(opts.get("sample", mix.SAMPLE_PROJECTS)) * 2 // 3 // writers)
    baseline = bool(opts.get("baseline"))
    if baseline:
        ledger = _open(url, key_file)
        _scratch(ledger)
        ledger.close()
    one, one_cpu = _writers(url, key_file, 1, projects, 2, baseline)
    many, many_cpu = _writers(url, key_file, writers, projects, 3, baseline)
    if baseline:
        ledger = _open(url, key_file)
        ledger.db.execute_sql('DROP TABLE "bench_scratch"')
        ledger.close()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = {"value": many, "unit": "/s", "one_writer": round(one), "scaling": round(many / one, 2),
           "writers": writers, "cores": os.cpu_count(), "worker_rss_mb": round(children, 1)}
    if one_cpu and many_cpu:
        cores = os.cpu_count() or 1
        # What the cores allow: at the core time an action took with all the
        # writers running, ``cores`` busy with nothing else would do cpu_ceiling
        # actions a second; busy_share is how much of that the writers got.
        ceiling = cores * 1000 / many_cpu["cpu_ms"]
        out.update({"cpu_ms_one": one_cpu["cpu_ms"], "server_cpu_ms_one": one_cpu["server_cpu_ms"],
                    "wait_ms_one": one_cpu["wait_ms"],
                    "cpu_ms": many_cpu["cpu_ms"], "wait_ms": many_cpu["wait_ms"],
                    "cpu_ceiling": round(ceiling), "cpu_ceiling_scaling": round(ceiling / one, 2),
                    "busy_share": round(many / ceiling, 2)})
    return out


# -- scenario runner ----------------------------------------------------------

SCENARIOS = Path(__file__).resolve().parent.parent / "tests" / "scenarios"


def scenarios(url: str, key_file: str, opts: dict) -> dict:
    """Cases per second over the project's scenario files, each case isolated
    (a copy of a prepared in-memory ledger on SQLite, a rolled-back transaction
    in one schema per run on PostgreSQL), beside the floor: handing out that
    fresh ledger per case and doing nothing with it.  ``fresh_open_per_s``: how
    many cases a second opening a ledger from nothing (the old way) allowed."""
    from tongchou.db import is_postgres, postgres_schema
    from tongchou.scenario import Loader, Runner
    import uuid
    loader = Loader()
    cases = [c for path in sorted(SCENARIOS.glob("*.yaml")) for c in loader.load_file(path)]
    limit = int(opts.get("cases", 0)) or len(cases)
    cases = (cases * (limit // len(cases) + 1))[:limit]
    base = url if is_postgres(url) else None
    runner = Runner(loader, base)
    jur = loader.jurisdiction(None)
    runner.run(cases[0])  # the run's prepared ledger, as a run makes it once
    per_case, failed = [], 0
    t0 = time.perf_counter()
    for c in cases:
        t = time.perf_counter()
        failed += not runner.run(c).ok
        per_case.append(time.perf_counter() - t)
    seconds = time.perf_counter() - t0
    t = time.perf_counter()
    for _ in cases:
        with runner.ledgers.ledger(jur, {}):
            pass
    floor = len(cases) / (time.perf_counter() - t)
    t = time.perf_counter()
    sample = cases[:20]
    for _ in sample:
        if base:
            with postgres_schema(base, f"tc_case_{uuid.uuid4().hex[:12]}") as u:
                Ledger.open(u, jurisdiction=jur, audit_key=os.urandom(32)).close()
        else:
            Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)).close()
    fresh = len(sample) / (time.perf_counter() - t)
    runner.close()
    per_case.sort()
    return {"value": len(cases) / seconds, "unit": "/s", "baseline": floor, "cases": len(cases),
            "failed": failed, "median_ms": round(statistics.median(per_case) * 1000, 1),
            "p95_ms": round(per_case[int(len(per_case) * 0.95)] * 1000, 1), "fresh_open_per_s": round(fresh, 1)}


def findings_cli(url: str, key_file: str, opts: dict) -> dict:
    from .findings_cli import findings_cli as run
    return run(url, key_file, opts)


BENCHMARKS = {"sweep": sweep, "ledger_page": ledger_page, "field_page": field_page, "project_page": project_page,
              "actions": actions, "actions_concurrent": actions_concurrent, "scenarios": scenarios,
              "findings_cli": findings_cli, "actions_trace_cost": actions_trace_cost}


def main(argv: list[str]) -> None:
    name, url, key_file = argv[:3]
    opts = json.loads(argv[3]) if len(argv) > 3 else {}
    out = BENCHMARKS[name](url, key_file, opts)
    out["rss_mb"] = round(peak_mb(), 1)
    print(json.dumps(out, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
