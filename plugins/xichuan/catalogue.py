"""第二十八条: the annual catalogue of a unit's information systems, in the
columns the article lists."""
from __future__ import annotations

import datetime as dt

from .common import wording
from .general import CATEGORY, KIND, SOURCE

IN_SERVICE = ("accepted", "in_operation")
DOC_LABEL = {"proposal": "项目建议书", "feasibility": "可行性研究报告", "preliminary_design": "初步设计"}


def _label(choices, value) -> str:
    for c in choices:
        if c.value == value:
            return c.label
    return value or ""


def _dated_number(ev) -> str:
    number = ev.args.get("document_no")
    return f"{number}，{ev.date}" if number else str(ev.date)


def catalogue_rows(ledger, user, unit: str | None = None, year: int | None = None) -> list[dict]:
    filters = {"status": list(IN_SERVICE + ("retired",))}
    if unit:
        filters["unit"] = unit
    projects, _total = ledger.projects(user, filters=filters, order_by="name")
    histories = ledger.histories([p.id for p in projects])
    year_end = dt.date(year, 12, 31) if year else None
    year_start = dt.date(year, 1, 1) if year else None
    rows = []
    params = ledger.params
    for p in projects:
        history = histories.get(p.id, ())
        # by the status reached, not the action's name, so a pack that splits
        # acceptance into stages still reports the day the system was accepted
        accepted = next((ev.date for ev in history if ev.to_status == "accepted"), None)
        retired = next((ev.date for ev in history if ev.action == "retire"), None)
        if year_end and (accepted is None or accepted > year_end):
            continue
        if year_start and retired is not None and retired < year_start:
            continue
        # the bodies as named on the day (a pack or a ledger may rename them from a date)
        # 审批部门和文号: the 文号 as given when approving, or as the 台账 it was imported from had it
        approvals = [f"{wording(params, 'approval_body', ev.date, '县政府')}批准（{_dated_number(ev)}）"
                     for ev in history if ev.action == "approve"]
        approvals += [f"{wording(params, 'document_approval_body', ev.date, '县发改委')}批复"
                      f"{DOC_LABEL.get(ev.args.get('document'), '')}（{_dated_number(ev)}）"
                      for ev in history if ev.action == "approve_document"]
        fees = [ev.args["amount"] for ev in history
                if ev.action == "review_om_fee" and ev.args.get("result") == "pass"
                and (year is None or ev.args.get("year") == year)]
        sharing = next((ev for ev in reversed(history) if ev.action == "record_sharing"), None)
        if sharing is None:
            share_text, resource_text = "未登记", "未登记"
        else:
            parts = [name for key, name in (("interconnected", "已对接互通"), ("data_aggregated", "已数据归集"),
                                            ("shared", "已信息共享")) if sharing.args.get(key)]
            if sharing.args.get("duplicate"):
                parts.append("存在重复建设")
            share_text = "、".join(parts) or "未完成"
            resource_text = "已编制" if sharing.args.get("data_aggregated") else "未编制"
        assessments = [ev for ev in history if ev.action == "record_assessment"]
        level = p["mlps_level"]
        protection = f"等保{level}级" if level else "未定级"
        if assessments:
            last = assessments[-1]
            protection += f"；最近{'等保测评' if last.args['type'] == 'mlps' else '密评'}" \
                          f"{'通过' if last.args['result'] == 'pass' else '未通过'}（{last.date}）"
        evaluation = next((ev for ev in reversed(history) if ev.action == "record_evaluation"), None)
        rows.append({
            "name": p.name,
            "type": _label(KIND, p["kind"]),
            "basis": _label(SOURCE, p["source"]),
            "approval": ";".join(approvals) or "—",
            "investment": p["estimate"],
            "om_fee": sum(fees) if fees else None,
            # 第二十八条's 经费渠道 is where the money comes from (the project's
            # own field); the category is only a fallback for older records.
            "funding": p["funding"] or f"未填写({_label(CATEGORY, p['category'])})",
            "resource_catalogue": resource_text,
            "sharing": share_text,
            "protection": protection,
            "performance": ("绩效评价" + ("合格" if evaluation.args["result"] == "pass" else "不合格")
                            + f"({evaluation.date})") if evaluation else "未评价",
        })
    return rows
