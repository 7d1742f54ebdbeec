"""Run the province benchmarks and print a table.

    python -m bench                 # 150 counties x 1,000 projects, SQLite and PostgreSQL
    python -m bench --small         # 10 x 1,000: a quick look
    python -m bench --backends sqlite --only sweep,ledger_page

PostgreSQL is the server at ``--postgres`` (default ``$TONGCHOU_BENCH_POSTGRES``,
else ``$TONGCHOU_TEST_POSTGRES``, else postgresql://postgres@127.0.0.1:5432/test);
the province goes into a schema ``bench_province`` that is dropped first and
(unless ``--keep``) afterwards.  It is skipped, saying why, when no server answers.

Every benchmark runs in a process of its own (so its peak memory is its own),
beside a baseline measured in the same run: the bare SELECT of the same rows,
or a bare write transaction.  The ``x floor`` column is how many times the
baseline the operation takes; it is what to compare between machines.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import platform
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .report import markdown

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("sweep", "findings_cli", "ledger_page", "field_page", "project_page", "scenarios", "actions", "actions_full",
         "actions_concurrent")
LABELS = {
    "sweep": "compliance sweep (all findings + obligations)",
    "findings_cli": "tongchou findings --json (a new process)",
    "ledger_page": "ledger view: filter + sort + page (worst of 6)",
    "field_page": "page on an indexed plugin field / on the unit",
    "project_page": "project page (5 reads)",
    "scenarios": "scenario runner",
    "actions": "actions, realistic mix, single writer",
    "actions_full": "actions, realistic mix, synchronous=FULL",
    "actions_concurrent": "actions, realistic mix, 4 writers",
}
#: What each baseline (floor) is, for the table's notes.
FLOORS = {
    "sweep": "the sweep's own statements as raw SQL, all rows fetched",
    "findings_cli": "a bare python process running the command's SELECTs with the driver, printing the rows as JSON",
    "ledger_page": "a bare SELECT of one page by status",
    "field_page": "the same page filtered on the unit",
    "project_page": "four bare SELECTs of the project's rows",
    "scenarios": "handing out a fresh (copied / rolled-back) ledger per case",
    "actions": "the same statements as raw SQL, replayed on a copy",
    "actions_full": "the same statements as raw SQL, replayed on a copy",
    "actions_concurrent": "bare commits, 4 processes",
}
#: The same in Chinese, for the Markdown that docs/performance.md takes (--markdown).
LABELS_ZH = {
    "sweep": "合规巡查（全部发现与义务）",
    "findings_cli": "`tongchou findings --json`（新进程）",
    "ledger_page": "台账列表：筛选 + 排序 + 一页（6 种筛选中最慢的）",
    "field_page": "按已建索引的插件字段筛选的一页 / 按单位筛选的一页",
    "project_page": "项目页（5 次读取）",
    "scenarios": "场景用例运行器",
    "actions": "办理事项，真实组合，单写者",
    "actions_full": "办理事项，真实组合，`synchronous=FULL`",
    "actions_concurrent": "办理事项，真实组合，4 个写进程",
}
FLOORS_ZH = {
    "sweep": "巡查本身的语句，以原始 SQL 重放并取回全部行",
    "findings_cli": "只用驱动执行该命令的同样 SELECT 并把行打印为 JSON 的最简 python 进程",
    "ledger_page": "按状态取一页的裸 SELECT",
    "field_page": "同一页改按单位筛选",
    "project_page": "该项目各行的四条裸 SELECT",
    "scenarios": "每个用例只领取一份全新（复制或回滚的）台账",
    "actions": "同一批语句以原始 SQL 在副本上重放",
    "actions_full": "同一批语句以原始 SQL 在副本上重放（同为 FULL）",
    "actions_concurrent": "裸提交，4 个进程",
}
#: (limit, "max"/"min", unit, only at full size) per (benchmark, key[, backend])
TARGETS = {
    ("sweep", "value"): (3.0, "max", "s", True),
    ("sweep", "ratio"): (10.0, "max", "x", False),
    ("sweep", "rss_mb"): (500.0, "max", "MB", True),
    ("ledger_page", "value"): (150.0, "max", "ms", True),
    ("findings_cli", "ratio"): (3.0, "max", "x", False),
    ("field_page", "ratio"): (3.0, "max", "x", False),
    ("actions", "value", "sqlite"): (1000.0, "min", "/s", False),
    ("actions", "ratio", "sqlite"): (3.0, "max", "x", False),
    ("actions", "commit_ratio", "postgres"): (2.0, "max", "x", False),
    ("actions_concurrent", "scaling", "postgres"): (1.5, "min", "x", False),
    ("scenarios", "value", "sqlite"): (20.0, "min", "/s", False),
    ("scenarios", "value", "postgres"): (5.0, "min", "/s", False),
}
THROUGHPUT = {"actions", "actions_full", "actions_concurrent", "scenarios"}


def _run(args: list[str], timeout: float = 3600) -> dict:
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(args[:2])} failed:\n{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


def postgres_url(given: str | None) -> str:
    return (given or os.environ.get("TONGCHOU_BENCH_POSTGRES") or os.environ.get("TONGCHOU_TEST_POSTGRES")
            or "postgresql://postgres@127.0.0.1:5432/test")


def postgres_reason(url: str) -> str | None:
    from tongchou.db import open_database
    try:
        db = open_database(url + ("&" if "?" in url else "?") + "connect_timeout=3")
        db.connect()
        db.execute_sql("SELECT 1")
        db.close()
        return None
    except Exception as exc:  # any failure to connect: skip the backend, saying why
        return f"{type(exc).__name__}: {str(exc).strip()[:120]}"


def _schema(base: str, name: str, create: bool) -> str:
    from tongchou.db import open_database
    db = open_database(base)
    db.connect()
    try:
        db.execute_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        if create:
            db.execute_sql(f'CREATE SCHEMA "{name}"')
    finally:
        db.close()
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{name}"


def machine() -> str:
    """The CPU, cores, memory and versions, for the report."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB"
    import sqlite3
    return f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"


def check(name: str, backend: str, row: dict, full: bool) -> list[str]:
    """Targets this row misses, each saying by how much."""
    missed = []
    for key, (limit, kind, unit, full_only) in TARGETS.items():
        if key[0] != name or (len(key) > 2 and key[2] != backend) or (full_only and not full):
            continue
        value = row.get(key[1], row["extra"].get(key[1]))
        if value is None:
            continue
        bad = value > limit if kind == "max" else value < limit
        if bad:
            pct = (value / limit - 1) * 100
            missed.append(f"{key[1] if key[1] != 'value' else ''}{value:.4g}{unit} vs "
                          f"{'≤' if kind == 'max' else '≥'}{limit:g}{unit} ({pct:+.0f}%)".strip())
    return missed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", action="store_true", help="10 counties instead of 150")
    ap.add_argument("--counties", type=int)
    ap.add_argument("--per-county", type=int, default=1000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--only", default=",".join(ORDER), help="comma-separated: " + ", ".join(ORDER))
    ap.add_argument("--postgres", help="PostgreSQL URL (a schema bench_province is made in it)")
    ap.add_argument("--data", help="folder for the SQLite province (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the generated ledgers")
    ap.add_argument("--json", help="also write the rows to this file")
    ap.add_argument("--markdown", help="also write the results as Markdown (in Chinese) to this file: "
                                       "the block between the bench markers of docs/performance.md")
    args = ap.parse_args(argv)
    started = dt.datetime.now(dt.timezone.utc)
    load_start = os.getloadavg()[0]
    counties = args.counties or (10 if args.small else 150)
    full = counties * args.per_county >= 150_000
    only = [b for b in ORDER if b in args.only.split(",")]
    data = Path(args.data or tempfile.mkdtemp(prefix="tongchou-bench-"))
    data.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    notes: list[str] = []
    print(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; {machine()}", flush=True)
    print(f"province: {counties} counties x {args.per_county} projects; sweep date in bench.province.SWEEP_ON; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start", flush=True)
    for backend in args.backends.split(","):
        backend = {"postgresql": "postgres", "sqlite3": "sqlite"}.get(backend, backend)
        if backend == "sqlite":
            path = data / f"province-{counties}x{args.per_county}.db"
            for suffix in ("", "-wal", "-shm", ".key"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            url, key = str(path), str(path) + ".key"
        elif backend == "postgres":
            base = postgres_url(args.postgres)
            reason = postgres_reason(base)
            if reason:
                notes.append(f"postgres skipped: no server at {base} ({reason})")
                continue
            url = _schema(base, "bench_province", create=True)
            key = str(data / "postgres.key")
            Path(key).unlink(missing_ok=True)
        else:
            raise SystemExit(f"unknown backend {backend!r} (sqlite, postgres)")
        t = time.perf_counter()
        made = _run(["bench.generate", url, key, json.dumps({"counties": counties,
                                                             "per_county": args.per_county})])
        notes.append(f"{backend}: generated {made['projects']:,} projects, {made['events']:,} events, "
                     f"{made['obligations']:,} obligations, {made['findings']:,} findings, "
                     f"{made['audit_entries']:,} audit entries in {time.perf_counter() - t:.0f} s")
        print(notes[-1], flush=True)
        for name in only:
            opts: dict = {"projects": 150 if full else 60}
            case = name
            if name == "actions_full":
                if backend != "sqlite":
                    continue  # PostgreSQL's durability is its server's setting, shown on the actions row
                case, opts = "actions", {**opts, "synchronous": "FULL", "skip": 1}
            elif name == "actions" and backend == "sqlite":
                opts = {**opts, "synchronous": "NORMAL"}
            measured = _run(["bench.cases", case, url, key, json.dumps(opts)])
            floor_scaling = None
            if "baseline" in measured:  # measured in the same process (a replay, a page beside a page)
                floor = measured.pop("baseline")
            else:
                floor_out = _run(["bench.cases", case, url, key, json.dumps({**opts, "baseline": True})])
                floor = floor_out["value"]
                # bare commits from 4 processes against 1: the scaling the machine allows at most
                floor_scaling = floor_out.get("scaling")
            value = measured["value"]
            ratio = floor / value if name in THROUGHPUT else value / floor
            row = {"benchmark": name, "backend": backend, "value": value, "unit": measured["unit"],
                   "baseline": floor, "ratio": ratio, "rss_mb": measured["rss_mb"],
                   "extra": {k: v for k, v in measured.items() if k not in ("value", "unit", "rss_mb")}}
            if floor_scaling is not None:
                row["extra"]["floor_scaling"] = floor_scaling
            if "commit_floor" in row["extra"]:
                row["extra"]["commit_ratio"] = round(row["extra"]["commit_floor"] / value, 2)
            row["missed"] = check(name, backend, row, full)
            rows.append(row)
            print(_line(row), flush=True)
        if backend == "postgres" and not args.keep:
            _schema(postgres_url(args.postgres), "bench_province", create=False)
    print()
    print(table(rows))
    end_load = os.getloadavg()[0]
    notes.append(f"load average at the end {end_load:.1f} on {os.cpu_count()} cores" + (
        " (above the core count, other work shared the CPU: compare the x floor column)"
        if max(end_load, load_start) > (os.cpu_count() or 1) else ""))
    for n in notes:
        print("-", n)
    for name in dict.fromkeys(r["benchmark"] for r in rows):
        print(f"- floor of {LABELS[name]}: {FLOORS[name]}")
    for r in rows:
        extra = {k: v for k, v in r["extra"].items() if k != "detail"}
        if extra:
            print(f"- {r['benchmark']} ({r['backend']}): " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    for r in rows:
        if r["extra"].get("detail"):
            print(f"- {r['benchmark']} ({r['backend']}): " + ", ".join(f"{k} {v} ms" for k, v in r["extra"]["detail"].items()))
    if not args.keep and not args.data:
        for p in data.iterdir():
            p.unlink()
        data.rmdir()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    if args.markdown:
        Path(args.markdown).write_text(markdown(rows, notes, started, load_start, os.getloadavg()[0],
                                                counties, args.per_county, argv), encoding="utf-8")
    missed = [r for r in rows if r["missed"]]
    if missed:
        print(f"{len(missed)} target(s) missed; see docs/performance.md for why and what would close them")
    return 0


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:,.0f}{unit}"


def _line(r: dict) -> str:
    return (f"  {r['backend']:8} {r['benchmark']:20} {_fmt(r['value'], r['unit'])} "
            f"(floor {_fmt(r['baseline'], r['unit'])}, x{r['ratio']:.1f}, {r['rss_mb']:.0f} MB)")


def table(rows: list[dict]) -> str:
    head = ("benchmark", "backend", "result (median)", "p95", "baseline (floor)", "x floor", "peak MB", "target")
    body = []
    for r in rows:
        verdict = "MISSED: " + "; ".join(r["missed"]) if r["missed"] else (
            "ok" if any(k[0] == r["benchmark"] and (len(k) < 3 or k[2] == r["backend"]) for k in TARGETS) else "")
        body.append((LABELS[r["benchmark"]], r["backend"], _fmt(r["value"], r["unit"]), _p95(r),
                     _fmt(r["baseline"], r["unit"]), f"{r['ratio']:.1f}", f"{r['rss_mb']:.0f}", verdict))
    widths = [max(_width(x) for x in col) for col in zip(head, *body)]
    lines = [" | ".join(_pad(c, w) for c, w in zip(head, widths)),
             "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(_pad(c, w) for c, w in zip(row, widths)) for row in body]
    return "\n".join(lines)


def _p95(r: dict) -> str:
    """The p95 where the benchmark has one: of a run's time, or of one action or case."""
    e = r["extra"]
    if "p95" in e:
        return f"{e['p95']:.2f} s" if r["unit"] == "s" else f"{e['p95']:.1f} ms"
    if "p95_ms" in e:
        return f"{e['p95_ms']:.1f} ms/each (median {e['median_ms']:.1f})"
    return ""


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


if __name__ == "__main__":
    sys.exit(main())
