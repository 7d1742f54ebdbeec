"""``tongchou findings --json`` on the whole ledger against a floor process.

The command is run as a user runs it: a new process that imports Tongchou,
opens the ledger (with its pack), sweeps and prints the JSON.  The floor is
the simplest process doing the same reads and printing them as JSON
(bench/findings_floor.py): a bare interpreter that opens the database with
the driver (``sqlite3`` or ``psycopg2``), runs exactly the ``SELECT``s the
command ran (recorded once, in this process, as the command ran them) and
dumps every row.  Both are timed from process start to the last byte read,
alternately, so the machine's load falls on both; median and p95 of each.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .province import SWEEP_ON

FLOOR = Path(__file__).resolve().parent / "findings_floor.py"
ROOT = FLOOR.parent.parent


def _command(url: str, on: dt.date) -> list[str]:
    return [sys.executable, "-m", "tongchou", "--db", url, "findings", "--json", "--date", on.isoformat()]


def record(url: str, key_file: str, on: dt.date) -> tuple[list[tuple[str, Any]], int]:
    """The ``SELECT``s the command runs (opening the ledger included), run
    in this process with every statement recorded; and its output's length."""
    from peewee import Database

    from tongchou import cli
    seen: list[tuple[str, Any]] = []
    real = Database.execute_sql

    def execute_sql(self, sql, params=None, *a, **kw):
        if sql.lstrip()[:6].upper() in ("SELECT", "WITH R"):
            seen.append((sql, list(params) if params is not None else None))
        return real(self, sql, params, *a, **kw)

    out = io.StringIO()
    os.environ["TONGCHOU_AUDIT_KEY_FILE"] = key_file
    Database.execute_sql = execute_sql
    try:
        with contextlib.redirect_stdout(out):
            code = cli.main(_command(url, on)[3:])
    finally:
        Database.execute_sql = real
    if code != 0:
        raise RuntimeError(f"tongchou findings exited {code}")
    return seen, len(out.getvalue())


def _timed(argv: list[str], env: dict) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} failed:\n{proc.stderr.decode()[-2000:]}")
    return seconds, len(proc.stdout)


def _bytecode(env: dict) -> bool:
    """Whether the command's modules come from compiled bytecode.  Without it
    (an editable install under PYTHONDONTWRITEBYTECODE=1, as on the project's
    machines) every run compiles Tongchou's ~450 KB of source first, which an
    installed package never does; the floor process compiles almost nothing."""
    import importlib.util
    from tongchou import cli
    cached = importlib.util.cache_from_source(cli.__file__)
    return os.path.exists(cached) or not (env.get("PYTHONDONTWRITEBYTECODE") or sys.flags.dont_write_bytecode)


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * 0.95))]


def findings_cli(url: str, key_file: str, opts: dict) -> dict:
    on = dt.date.fromisoformat(opts.get("on", SWEEP_ON.isoformat()))
    repeat = int(opts.get("repeat", 7))
    statements, _ = record(url, key_file, on)
    env = {**os.environ, "TONGCHOU_AUDIT_KEY_FILE": key_file}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"url": url, "statements": statements}, f, ensure_ascii=False)
    floor_argv = [sys.executable, str(FLOOR), f.name]
    try:
        cli_t, floor_t = [], []
        _timed(_command(url, on), env)  # warm-up: the files and the server's cache, for both
        _timed(floor_argv, env)
        for _ in range(repeat):
            seconds, cli_bytes = _timed(_command(url, on), env)
            cli_t.append(seconds)
            seconds, floor_bytes = _timed(floor_argv, env)
            floor_t.append(seconds)
        # What start-up alone costs: the interpreter, the imports and the argument parser.
        startup = statistics.median(_timed(_command(url, on)[:3] + ["findings", "--help"], env)[0]
                                    for _ in range(3))
        bare = statistics.median(_timed([sys.executable, "-c", "pass"], env)[0] for _ in range(3))
    finally:
        os.unlink(f.name)
    return {"value": statistics.median(cli_t), "unit": "s", "p95": _p95(cli_t), "bytecode": _bytecode(env),
            "baseline": statistics.median(floor_t), "floor_p95": round(_p95(floor_t), 3),
            "statements": len(statements), "cli_mb_out": round(cli_bytes / 1e6, 1),
            "floor_mb_out": round(floor_bytes / 1e6, 1), "startup_s": round(startup, 3),
            "bare_python_s": round(bare, 3)}
