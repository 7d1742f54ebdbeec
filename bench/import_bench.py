"""How long importing a 台账 takes: ``python -m bench.import_bench [ROWS]``.

Builds a real-style workbook (merged title, two-row merged header, 万元, a
合计 row and footers; a quarter of the rows with dated milestones) of ROWS
rows (default 10,000), imports it into a fresh SQLite ledger and prints one
JSON line: seconds to read, check and write, rows per second, and the
baseline (openpyxl reading the same sheet and nothing else) so that the
ratio can be compared between machines.  The target is 10,000 rows in ≤ 10 s
on the project's machine; no test asserts seconds.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import openpyxl


#: words county project names are made of (a bench of "项目00001"… would be one big
#: family of near-duplicates, which no county has)
PLACES = ("县", "城区", "乡镇", "街道", "园区", "村级", "学校", "医院", "社区", "景区")
SUBJECTS = ("教育", "卫健", "医保", "水利", "交通", "应急", "公安", "民政", "人社", "文旅", "农业", "林业",
            "环保", "市场监管", "税务", "档案", "审计", "统计", "信访", "住建")
THINGS = ("数据中台", "视频监控联网", "政务服务平台", "电子档案系统", "指挥调度系统", "综合管理平台",
          "办公自动化系统", "网络安全加固", "机房改造", "云资源租用", "物联感知网", "业务专网")


def name(i: int) -> str:
    return (f"{PLACES[i % len(PLACES)]}{SUBJECTS[(i // len(PLACES)) % len(SUBJECTS)]}"
            f"{THINGS[(i // (len(PLACES) * len(SUBJECTS))) % len(THINGS)]}{i // 2400 + 1}期")


def build(path: Path, n: int) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    top = ["序号", "项目名称", "建设单位", "建设年度", "项目类别", "项目类型", "项目来源", "投资情况", None,
           "建设内容", "是否涉密", "批复日期和文号", "合同签订日期", "开工日期", "竣工日期", "验收日期"]
    bottom = [None] * 7 + ["估算投资（万元）", "资金来源"] + [None] * 7
    ws.append(["淅川县政务信息化项目台账"])
    ws.append(top)
    ws.append(bottom)
    for i in range(n):
        dated = i % 4 == 0
        ws.append([i + 1, name(i), "县卫健委", 2026, "购买服务", "信息系统", "单位申报", f"{10 + i % 90}.5",
                   "县级财政预算资金", "建设内容说明", "否",
                   f"2025-03-{1 + i % 28:02d} 淅政审〔2025〕{i}号" if dated else None,
                   "2025-04-01" if dated else None, "2025-04-15" if dated else None,
                   "2025-10-31" if dated else None, None])
    ws.append([None, "合计"])
    ws.append(["填表人:张三", None, "审核人:李四"])
    wb.save(path)
    return path


def main(argv: list[str]) -> None:
    from tongchou.import_headers import set_unit_alias
    from tongchou.imports import import_workbook, read_sheet
    from tongchou.ledger import Ledger
    n = int(argv[0]) if argv else 10_000
    folder = Path(tempfile.mkdtemp(prefix="tc_import_bench_"))
    os.environ["TONGCHOU_AUDIT_KEY_FILE"] = str(folder / "audit.key")
    path = build(folder / "taizhang.xlsx", n)
    t = time.perf_counter()
    read_sheet(path.read_bytes())
    baseline = time.perf_counter() - t
    with Ledger.open(str(folder / "ledger.db")) as ledger:
        ledger.add_unit("县卫生健康委员会")
        admin = ledger.add_user("boss", "admin")
        set_unit_alias(ledger, "县卫健委", "县卫生健康委员会", admin)
        t = time.perf_counter()
        report = import_workbook(ledger, path, admin, date=dt.date(2025, 12, 1))
        seconds = time.perf_counter() - t
        assert len(report.imported) == n, report.problems[:3]
    print(json.dumps({"rows": n, "value": round(seconds, 2), "unit": "s", "rows_per_s": round(n / seconds),
                      "baseline_read_s": round(baseline, 2), "ratio": round(seconds / baseline, 1),
                      "target": "10,000 rows ≤ 10 s"}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
