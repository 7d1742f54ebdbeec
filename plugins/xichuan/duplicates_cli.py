"""``tongchou similar PROJECT`` and ``tongchou duplicates``: the duplicate
check (duplicates.py) on the command line.  Added to the CLI through the
``tongchou.commands`` entry point of this distribution (setup.cfg)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterable

from tongchou import auth
from tongchou.cli import _date, _open, _reader
from tongchou.values import to_json_value

from .duplicates import IGNORED_STATUSES, find_check

#: a filtered audit of up to this many projects compares each afresh (exact);
#: above it, the ledger-wide blocking of ``SimilarityIndex.pairs`` is used
PER_PROJECT_LIMIT = 3000


def _visible(ledger, reader, meta) -> set[int] | None:
    scope = auth.visible_unit(ledger.registry, reader) if reader is not None else None
    if scope is None:
        return None
    unit = ledger.unit_name(scope)
    return {pid for pid, m in meta.items() if m.unit == unit}


def _decisions(ledger, ids: Iterable[int]) -> dict[tuple[int, int], str]:
    """(project, of) → the bureau's latest word, for pairs it has settled."""
    out: dict[tuple[int, int], str] = {}
    rows = ledger.db.execute_sql(
        'SELECT "project_id", "seq", "action", "args" FROM "event" '
        "WHERE \"action\" IN ('confirm_duplicate', 'dismiss_duplicate') ORDER BY \"project_id\", \"seq\"")
    wanted = set(ids)
    for pid, _seq, action, args in rows:
        args = json.loads(args) if isinstance(args, str) else args
        if pid in wanted:
            out[(pid, int(args["of"]))] = action.split("_")[0]
    return out


def similar_rows(ledger, project_id: int, reader=None, top: int = 5, on: dt.date | None = None) -> list[dict]:
    """What ``tongchou similar`` prints as JSON."""
    check = find_check(ledger)
    project = ledger.project(project_id, reader)
    state = check.index(ledger.db)
    among = _visible(ledger, reader, state.meta)
    threshold = check.threshold(ledger.params, on or dt.date.today())
    citation = ledger.registry.cite(check.tongchou_parameters()[0].citation).label
    out = []
    for m in check.similar(project, db=ledger.db, top=top, among=among):
        meta = state.meta[m.id]
        out.append({"id": m.id, "name": state.index.texts[m.id][0], "unit": meta.unit, "year": meta.year,
                    "status": meta.status, "score": m.score, "suspected": m.score >= threshold,
                    "threshold": threshold, "overlap": list(m.overlap), "citation": citation})
    return out


def duplicate_pairs(ledger, reader=None, unit: str | None = None, year: int | None = None,
                    on: dt.date | None = None) -> list[dict]:
    """What ``tongchou duplicates`` prints as JSON: suspected pairs, older first."""
    check = find_check(ledger)
    state = check.index(ledger.db)
    meta = state.meta
    threshold = check.threshold(ledger.params, on or dt.date.today())
    visible = _visible(ledger, reader, meta)
    live = {pid for pid, m in meta.items() if m.status not in IGNORED_STATUSES
            and (visible is None or pid in visible)}
    only = {pid for pid in live if (unit is None or meta[pid].unit == unit)
            and (year is None or meta[pid].year == year)}
    found: dict[tuple[int, int], object] = {}
    if unit is None and year is None and visible is None and len(only) > PER_PROJECT_LIMIT:
        for a, b, m in state.index.pairs(threshold):
            if a in live and b in live:
                found[(a, b)] = m
    else:
        for pid in sorted(only):
            for m in state.index.similar(*state.index.texts[pid], exclude=pid, top=10, among=live):
                if m.score >= threshold:
                    found.setdefault((min(pid, m.id), max(pid, m.id)), m)
    decided = _decisions(ledger, {b for _a, b in found} | {a for a, _b in found})
    citation = ledger.registry.cite(check.tongchou_parameters()[0].citation).label
    rows = []
    for (a, b), m in sorted(found.items(), key=lambda kv: (-kv[1].score, kv[0])):
        word = decided.get((b, a)) or decided.get((a, b))
        rows.append({"older": a, "older_name": state.index.texts[a][0], "older_unit": meta[a].unit,
                     "newer": b, "newer_name": state.index.texts[b][0], "newer_unit": meta[b].unit,
                     "score": m.score, "suspected": True, "overlap": list(m.overlap),
                     "decision": {"confirm": "confirmed", "dismiss": "dismissed"}.get(word, "open"),
                     "citation": citation})
    return rows


def cmd_similar(args) -> int:
    with _open(args) as ledger:
        rows = similar_rows(ledger, args.project, _reader(ledger, args.user), args.top, args.date)
        if args.json:
            print(json.dumps(to_json_value(rows), ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("没有相似的项目。")
            return 0
        print(f"与项目 #{args.project} 相似的项目（相似度 0–1；达到 {rows[0]['threshold']:.2f} 为疑似重复建设，"
              f"{rows[0]['citation']}）：")
        for r in rows:
            flag = "疑似重复" if r["suspected"] else "相似"
            print(f"  #{r['id']}\t{r['score']:.2f}\t{flag}\t{r['name']}（{r['unit']}，{r['year']}）"
                  f"\t重合：{'、'.join(r['overlap']) or '—'}")
    return 0


def cmd_duplicates(args) -> int:
    with _open(args) as ledger:
        rows = duplicate_pairs(ledger, _reader(ledger, args.user), args.unit, args.year, args.date)
        if args.json:
            print(json.dumps(to_json_value(rows), ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print("没有疑似重复建设的项目。")
            return 0
        print(f"疑似重复建设的项目 {len(rows)} 对（{rows[0]['citation']}）：")
        labels = {"open": "待审查", "confirmed": "已确认重复", "dismissed": "已排除"}
        for r in rows:
            print(f"  {r['score']:.2f}\t#{r['older']} {r['older_name']}（{r['older_unit']}）"
                  f" ⇄ #{r['newer']} {r['newer_name']}（{r['newer_unit']}）\t{labels[r['decision']]}"
                  f"\t重合：{'、'.join(r['overlap']) or '—'}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("similar", help="projects most like PROJECT by name and scope (duplicate construction)",
                       description="Score 0-1 from name and 建设内容； 'suspected' at or above the "
                                   "jurisdiction's duplicate_threshold.")
    p.add_argument("project", type=int)
    p.add_argument("--top", type=int, default=5, help="how many (default 5)")
    p.add_argument("--user", help="as this user (a unit's user compares within its own unit)")
    p.add_argument("--date", type=_date, help="the day whose threshold applies (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_similar)

    p = sub.add_parser("duplicates", help="suspected duplicate pairs across the ledger",
                       description="Pairs of projects scoring at least duplicate_threshold, best first, "
                                   "with the bureau's decision (open, confirmed, dismissed).")
    p.add_argument("--unit", help="pairs with a project of this unit")
    p.add_argument("--year", type=int, help="pairs with a project of this year")
    p.add_argument("--user", help="as this user (a unit's user sees its own unit only)")
    p.add_argument("--date", type=_date, help="the day whose threshold applies (default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_duplicates)
