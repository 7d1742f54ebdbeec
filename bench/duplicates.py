"""The duplicate check (第三条) at a province's size.

    python -m bench.duplicates                    # 150,000 projects, SQLite in a temporary folder
    python -m bench.duplicates --projects 20000   # a quick look
    python -m bench.duplicates --db postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_dup

Fills a ledger with synthetic projects (names and 建设内容 drawn from county
vocabularies and place names, 1 % of them near-copies of another unit's
project) by bulk insert: the check reads only the project table and the
audit chain's head, so no histories are needed.  Then times, in this process:
building the in-memory index, ``similar`` for one project once it is built
(the best of several projects, each the best of a few runs), the up-to-date
check when nothing changed, re-indexing after one edit, and the ledger-wide
audit of suspected pairs (``tongchou duplicates``).  Prints one JSON line and
a table; the figures go in docs/performance.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from tongchou.db import write_transaction
from tongchou.ledger import Ledger
from tongchou.models import Project, Unit
from tongchou.plugins.xichuan import dupindex
from tongchou.plugins.xichuan.duplicates import find_check
from tongchou.plugins.xichuan.duplicates_cli import duplicate_pairs

DEPTS = ["教育局", "卫生健康委员会", "城市管理局", "公安局", "自然资源局", "人力资源和社会保障局", "民政局", "水利局",
         "农业农村局", "交通运输局", "应急管理局", "市场监督管理局", "生态环境局", "住房和城乡建设局", "文化广电和旅游局"]
TOPICS = ["视频监控", "网格化", "电子档案", "停车诱导", "路灯控制", "山洪预警", "森林防火", "农民工工资", "明厨亮灶", "医学影像",
          "家庭医生", "居家养老", "三资监管", "农村公路", "电梯救援", "扬尘监测", "不动产登记", "学生资助", "社会救助", "信访办理",
          "排水管网", "供水漏损", "危化品", "医保结算", "公积金", "诉讼服务", "执法办案", "环卫作业", "垃圾分类", "智慧党建",
          "村务公开", "防汛指挥", "耕地保护", "病虫害", "畜禽养殖", "质量追溯", "客流监测", "电子票务", "社区矫正", "退役军人"]
ACTS = ["数据采集", "在线监测", "预警发布", "工单派发", "考核评价", "统计分析", "移动巡查", "远程调阅", "联网共享", "指挥调度",
        "线上申报", "资金发放", "台账管理", "信息公开", "终端采购", "设备联网", "系统对接", "档案数字化"]
POOL = ("东西南北中上下前后新老大小金银石桥河湾岗坡庄寨店集营岭沟坪塘湖山川源泉林竹梅兰松柏杨柳桃李槐榆丰盛安宁兴隆永和顺"
        "平康乐福寿禄喜春夏秋冬花草田园城关镇堡屯埠渡口滩洲岛峰谷洼岩峪寺庙观台阁楼亭井塔堰闸坝渠圩垸里坊巷弄"
        "红黄白青蓝紫黑赤丹彩光明阳阴云雨雪霜雷风龙凤虎鹤鹿马牛羊鸡狗")
SUFFIX = ["平台", "系统", "建设项目", "信息系统", "管理平台", "服务平台", "一体化平台", "升级改造"]


def _place(rng: random.Random) -> str:
    return rng.choice(POOL) + rng.choice(POOL) + rng.choice(("镇", "乡", "街道", "社区", "村"))


def _project(rng: random.Random) -> tuple[str, str]:
    topic = rng.choice(TOPICS)
    name = f"{_place(rng)}{topic}{rng.choice(SUFFIX)}"
    clauses = [f"{_place(rng)}{rng.choice(TOPICS)}{rng.choice(ACTS)}" for _ in range(rng.randint(2, 4))]
    clauses.insert(0, f"{topic}{rng.choice(ACTS)}和{rng.choice(ACTS)}")
    return name, ",".join(clauses)


def fill(ledger: Ledger, n: int, seed: int = 2026) -> list[tuple[int, int]]:
    """Bulk-insert ``n`` synthetic projects into an empty ledger; returns the
    planted near-copies as (original's id, copy's id)."""
    rng = random.Random(seed)
    units = []
    with write_transaction(ledger.db):
        for county in range(max(1, n // 1000)):
            for dept in DEPTS:
                units.append(Unit.insert(name=f"第{county + 1}县{dept}").execute())
    copies: list[tuple[int, int]] = []
    rows: list[dict] = []
    made: list[tuple[str, str]] = []
    for i in range(n):
        if made and rng.random() < 0.01:
            source = rng.randrange(len(made))
            name, scope = made[source]
            name, scope = name[:2] + "城区" + name[2:], scope.replace(",", "、", 1) + ",配套终端"
            copies.append((source + 1, i + 1))  # ids follow the order of entry
        else:
            name, scope = _project(rng)
        made.append((name, scope))
        rows.append({"name": name, "unit": rng.choice(units), "year": 2026 + i % 3, "estimate": 1000000,
                     "status": "submitted", "created_on": dt.date(2026, 1, 1),
                     "data": {"category": "purchased_service", "kind": "information_system",
                              "source": "unit_application", "scope": scope, "funding": "县级财政预算资金"}})
        if len(rows) == 5000 or i == n - 1:
            with write_transaction(ledger.db):
                Project.insert_many(rows).execute()
            rows = []
    return copies


def _best(fn, repeat: int = 5) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(url: str, n: int) -> dict:
    with Ledger.open(url, audit_key=b"k" * 32) as ledger:
        copies = fill(ledger, n)
        check = find_check(ledger)
        dupindex.forget()
        t = time.perf_counter()
        state = check.index(ledger.db)
        build = time.perf_counter() - t
        ids = sorted(state.meta)
        rng = random.Random(7)
        sample = [ledger.project(pid) for pid in rng.sample(ids, 20)]
        per = [_best(lambda p=p: check.similar(p, db=ledger.db, top=5)) for p in sample]
        fresh = _best(lambda: check.index(ledger.db), repeat=20)
        # one edit through the ledger (it writes an audit link): re-indexing follows
        unit = ledger.unit_name(ledger.project(ids[0]).unit_id)
        ledger.add_user("bench_unit", "unit", unit)
        t = time.perf_counter()
        ledger.update_project(ids[0], {"scope": "城区视频监控联网共享和远程调阅"}, ledger.actor("bench_unit"))
        check.similar(ledger.project(ids[0]), db=ledger.db)
        after_edit = time.perf_counter() - t
        t = time.perf_counter()
        pairs = duplicate_pairs(ledger, on=dt.date(2026, 6, 1))
        audit = time.perf_counter() - t
        found = {(r["older"], r["newer"]) for r in pairs}
    per.sort()
    return {"projects": n, "planted_copies": len(copies),
            "planted_found_by_audit": sum(pair in found for pair in copies), "index_build_s": round(build, 2),
            "similar_ms_median": round(per[len(per) // 2] * 1000, 1), "similar_ms_max": round(per[-1] * 1000, 1),
            "up_to_date_check_ms": round(fresh * 1000, 2), "edit_then_similar_ms": round(after_edit * 1000, 1),
            "audit_s": round(audit, 2), "audit_pairs": len(pairs),
            "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.duplicates", description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=150_000)
    ap.add_argument("--db", help="ledger URL (default: an SQLite file in a temporary folder)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.db or str(Path(tmp) / "dup.db"), args.projects)
    print(json.dumps(result), flush=True)
    width = max(map(len, result))
    for key, value in result.items():
        print(f"  {key.ljust(width)}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
