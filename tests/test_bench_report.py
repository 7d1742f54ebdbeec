"""``python -m bench --markdown``: the block docs/performance.md carries is the
run's own figures, with its date, machine and load, and says per target
whether it was met."""
from __future__ import annotations

import datetime as dt

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
