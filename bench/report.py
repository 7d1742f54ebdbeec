"""The benchmark run as Markdown in Chinese: the block docs/performance.md
carries between its ``<!-- bench:begin -->`` and ``<!-- bench:end -->``
markers, so the page's figures are the benchmark's own output, with the date,
the machine and the load they were measured at."""
from __future__ import annotations

import datetime as dt
import os
import sys

_KEY_ZH = {"value": "结果", "ratio": "相对底线的倍数", "commit_ratio": "相对裸提交的倍数", "scaling": "4 进程/1 进程",
           "rss_mb": "峰值内存"}


def _targets(name: str, backend: str, full: bool) -> list[str]:
    from .run import TARGETS
    out = []
    for key, (limit, kind, unit, full_only) in TARGETS.items():
        if key[0] != name or (len(key) > 2 and key[2] != backend):
            continue
        what = _KEY_ZH.get(key[1], key[1])
        text = f"{what} {'≤' if kind == 'max' else '≥'} {limit:,g}{' ' + unit if unit not in ('x', '/s') else unit}"
        out.append(text + ("（仅全省规模）" if full_only and not full else ""))
    return out


def _verdict(row: dict, full: bool) -> str:
    """达到, or 未达到 with each missed target's value, limit and gap (as run.check decides)."""
    from .run import TARGETS
    if not _targets(row["benchmark"], row["backend"], full):
        return ""
    if not row["missed"]:
        return "达到"
    gaps = []
    for key, (limit, kind, unit, full_only) in TARGETS.items():
        if key[0] != row["benchmark"] or (len(key) > 2 and key[2] != row["backend"]) or (full_only and not full):
            continue
        value = row.get(key[1], row["extra"].get(key[1]))
        if value is None or not (value > limit if kind == "max" else value < limit):
            continue
        gaps.append(f"{_KEY_ZH.get(key[1], key[1])} {value:,.4g}{unit}，目标 {'≤' if kind == 'max' else '≥'} "
                    f"{limit:,g}{unit}（{(value / limit - 1) * 100:+.0f}%）")
    text = "未达到：" + "；".join(gaps)
    extra = row["extra"]
    if row["benchmark"] == "actions_concurrent":
        text += _cores_evidence(extra)
    if row["benchmark"] == "actions" and "python_median_ms" in extra:
        py, wait = extra["python_median_ms"], extra["db_median_ms"]
        if row["backend"] == "postgres" and extra.get("commit_floor") and "round_trip_ms" in extra:
            # What no rewrite of the Python alone can go below: this process's own
            # work, one round trip per statement, and the commit itself.
            commit_ms = 1000 / extra["commit_floor"]
            n, rtt = extra["statements_per_action"], extra["round_trip_ms"]
            least = py + n * rtt + commit_ms
            text += (f"（同一次运行的分解：本进程 Python 中位数 {py} ms/次，{n} 条语句 × 往返 {rtt} ms，一次裸提交 "
                     f"{commit_ms:.2f} ms；仅这三项之和已是裸提交的 {least / commit_ms:.1f}x"
                     + (f"；数据库服务进程每个动作自己占用 CPU {extra['server_cpu_ms']} ms，是裸提交的 "
                        f"{extra['server_cpu_ms'] / commit_ms:.1f}x" if extra.get("server_cpu_ms") else "") + "）")
        else:
            text += f"（每个事项的中位数：本进程 Python {py} ms，等待数据库 {wait} ms）"
    return text


def _cores_evidence(extra: dict) -> str:
    """Why four writers went no faster, from the same run: what bare commits
    scaled to, and (where Linux reports it) the cores' time per action."""
    parts = []
    if extra.get("floor_scaling") is not None:
        parts.append(f"同一次运行中裸提交 4 进程/1 进程为 {extra['floor_scaling']}x")
    if "cpu_ceiling" in extra:
        parts.append(f"4 个写者时每个动作占用 CPU {extra['cpu_ms']} ms（应用进程与数据库服务进程合计；单写者时 "
                     f"{extra['cpu_ms_one']} ms），另在运行队列中等核 {extra['wait_ms']} ms；{extra['cores']} 个核全用于"
                     f"动作也只能每秒 {extra['cpu_ceiling']:,} 个，即单写者的 {extra['cpu_ceiling_scaling']}x，"
                     f"实得其中 {extra['busy_share']:.0%}")
    return f"（{'；'.join(parts)}）" if parts else ""


def _value(v):
    return round(v, 3) if isinstance(v, float) else v


def markdown(rows: list[dict], notes: list[str], started: dt.datetime, load_start: float, load_end: float,
             counties: int, per_county: int, argv: list[str] | None) -> str:
    from .run import FLOORS_ZH, LABELS_ZH, _fmt, _p95, machine
    full = counties * per_county >= 150_000
    args = " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        f"**{started:%Y-%m-%d %H:%M} UTC**，`python -m bench {args}`".rstrip(),
        "",
        f"- 机器：{machine()}",
        f"- 省级台账：{counties} 个县 × {per_county:,} 个项目",
        f"- 负载（load average）：开始时 {load_start:.1f}，结束时 {load_end:.1f}，共 {os.cpu_count()} 个核"
        + ("（高于核数：有别的工作同时占用 CPU，秒数偏大，应看“倍数”一列）" if max(load_start, load_end) > (os.cpu_count() or 1) else ""),
        "",
        "| 基准 | 后端 | 结果（中位数） | p95 | 底线 | 倍数 | 峰值内存 | 目标 | 结论 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append("| " + " | ".join([
            LABELS_ZH[r["benchmark"]], "SQLite" if r["backend"] == "sqlite" else "PostgreSQL",
            _fmt(r["value"], r["unit"]), _p95(r).replace("/each (median ", "/次（中位数 ").replace(")", "）"),
            _fmt(r["baseline"], r["unit"]), f"{r['ratio']:.1f}", f"{r['rss_mb']:.0f} MB",
            "；".join(_targets(r["benchmark"], r["backend"], full)), _verdict(r, full)]) + " |")
    lines += ["", "底线（floor）："]
    for name in dict.fromkeys(r["benchmark"] for r in rows):
        lines.append(f"- {LABELS_ZH[name]}：{FLOORS_ZH[name]}")
    lines += ["", "明细（`--json` 中的 `extra`）："]
    for r in rows:
        extra = {k: v for k, v in r["extra"].items() if k != "detail"}
        if extra:
            lines.append(f"- {r['benchmark']}（{r['backend']}）：" + "，".join(f"`{k}` {_value(v)}" for k, v in extra.items()))
    lines += ["", "运行记录："] + [f"- {_note_zh(n)}" for n in notes if not n.startswith("load average")]
    return "\n".join(lines) + "\n"


def _note_zh(note: str) -> str:
    """The run's notes (printed in English by run.py) in Chinese, where their shape is known."""
    import re
    m = re.match(r"(\w+): generated ([\d,]+) projects, ([\d,]+) events, ([\d,]+) obligations, ([\d,]+) findings, "
                 r"([\d,]+) audit entries in (\d+) s$", note)
    if m:
        b, p, e, o, f, a, s = m.groups()
        return (f"{'SQLite' if b == 'sqlite' else 'PostgreSQL'}：生成 {p} 个项目、{e} 个事件、{o} 项义务、{f} 条发现、"
                f"{a} 条审计记录，用时 {s} 秒")
    m = re.match(r"postgres skipped: no server at (\S+) \((.*)\)$", note)
    if m:
        return f"PostgreSQL 未测：{m.group(1)} 没有服务器应答（{m.group(2)}）"
    return note
