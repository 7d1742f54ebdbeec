"""``python -m bench --markdown``: the block docs/performance.md carries is the
run's own figures, with its date, machine and load, and says per target
whether it was met."""
from __future__ import annotations

import datetime as dt

import pytest

from bench.report import markdown
from bench.run import check


def _row(name: str, backend: str, value: float, baseline: float, unit: str, **extra) -> dict:
    ratio = baseline / value if unit == "/s" else value / baseline
    row = {"benchmark": name, "backend": backend, "value": value, "unit": unit, "baseline": baseline,
           "ratio": ratio, "rss_mb": 50.0, "extra": extra}
    row["missed"] = check(name, backend, row, full=False)
    return row


def test_the_markdown_says_when_where_and_which_targets_were_met():
    rows = [_row("field_page", "sqlite", 9.0, 3.0, "ms"),        # exactly 3x: met
            _row("field_page", "postgres", 9.3, 3.0, "ms"),      # 3.1x: missed
            _row("actions_concurrent", "postgres", 80.0, 300.0, "/s", scaling=1.2, floor_scaling=1.1)]
    text = markdown(rows, ["sqlite: generated 1,000 projects, 9 events, 8 obligations, 7 findings, 6 audit entries in 5 s"],
                    dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.timezone.utc), 0.5, 1.5, 1, 1000, ["--small"])
    assert "2026-12-02 01:30 UTC" in text and "`python -m bench --small`" in text
    assert "开始时 0.5，结束时 1.5" in text and "cores" in text
    lines = [ln for ln in text.splitlines() if ln.startswith("| 按已建索引")]
    assert lines[0].endswith("| 达到 |") and "| SQLite |" in lines[0]
    assert "未达到" in lines[1] and "| PostgreSQL |" in lines[1]
    scaling = next(ln for ln in text.splitlines() if ln.startswith("| 办理事项，真实组合，4 个写进程"))
    assert "未达到：4 进程/1 进程 1.2x，目标 ≥ 1.5x（-20%）" in scaling and "裸提交 4 进程/1 进程为 1.1x" in scaling
    assert "SQLite：生成 1,000 个项目" in text


def test_a_missed_action_target_says_where_the_time_of_an_action_went():
    """PostgreSQL's single writer against bare commits: the run's own figures
    show what no change to the Python alone goes below (its own time, a round
    trip per statement, the commit); SQLite's: Python against database."""
    pg = _row("actions", "postgres", 200.0, 400.0, "/s", commit_floor=2000, python_median_ms=1.0,
              db_median_ms=3.0, statements_per_action=7.0, round_trip_ms=0.1, server_cpu_ms=1.5)
    pg["extra"]["commit_ratio"] = 10.0
    pg["missed"] = check("actions", "postgres", pg, full=False)
    lite = _row("actions", "sqlite", 900.0, 3600.0, "/s", python_median_ms=0.4, db_median_ms=0.12)
    text = markdown([pg, lite], [], dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc), 0.5, 0.5, 1, 1000, [])
    pg_line, lite_line = [ln for ln in text.splitlines() if ln.startswith("| 办理事项，真实组合，单写者")]
    # 1.0 + 7 x 0.1 + 0.5 ms = 2.2 ms, 4.4 times a bare commit of 0.5 ms
    assert "7.0 条语句 × 往返 0.1 ms" in pg_line and "一次裸提交 0.50 ms" in pg_line and "裸提交的 4.4x" in pg_line
    # the server's own CPU per action, 1.5 ms: three bare commits
    assert "数据库服务进程每个动作自己占用 CPU 1.5 ms，是裸提交的 3.0x" in pg_line
    assert "结果 900/s，目标 ≥ 1,000/s" in lite_line and "本进程 Python 0.4 ms，等待数据库 0.12 ms" in lite_line


def test_four_writers_short_of_the_target_say_what_the_cores_allowed():
    """The 4-writer row carries the measured bound: core time per action with
    all writers running, the actions a second the cores would give at that
    cost, and the share of it the run got."""
    row = _row("actions_concurrent", "postgres", 400.0, 3000.0, "/s", scaling=1.4, floor_scaling=1.7, cores=2,
               cpu_ms_one=3.0, cpu_ms=4.0, wait_ms=4.2, cpu_ceiling=500, cpu_ceiling_scaling=1.75,
               busy_share=0.8)
    text = markdown([row], [], dt.datetime(2026, 12, 2, tzinfo=dt.timezone.utc), 0.5, 0.5, 1, 1000, [])
    line = next(ln for ln in text.splitlines() if ln.startswith("| 办理事项，真实组合，4 个写进程"))
    assert "未达到：4 进程/1 进程 1.4x" in line and "裸提交 4 进程/1 进程为 1.7x" in line
    assert "每个动作占用 CPU 4.0 ms" in line and "单写者时 3.0 ms" in line and "等核 4.2 ms" in line
    assert "每秒 500 个，即单写者的 1.75x，实得其中 80%" in line


def test_core_time_is_read_from_linux_and_grows_with_work():
    from bench.cases import _cpu_since, _schedstat
    before = [_schedstat()]
    if before[0] is None:
        pytest.skip("no /proc/self/schedstat on this system")
    sum(i * i for i in range(300_000))  # some work on a core
    [(ran, waited)] = _cpu_since(["self"], before)
    assert ran > 0 and waited >= 0
    assert _schedstat(2 ** 22 + 7) is None  # no such process: no figure rather than an error
