"""第十八条–第十九条: acceptance within a set time of completion, a written
explanation when it will be late, and rectification after a failed acceptance.
"""
from __future__ import annotations

from tongchou import Action, Field, Guard, Obligation, Status
from tongchou.dates import add_months

from .common import ACCEPTANCE_DOCUMENTS, RESULT, articles, cite, hookimpl, labels, missing, parameters

TITLE = "验收:按期验收、逾期说明与整改"
ARTICLES = (18, 19)


@hookimpl
def tongchou_statuses():
    return [
        Status("completed", "已建成待验收", order=70),
        Status("acceptance_failed", "验收未通过(整改中)", order=75),
        Status("accepted", "已验收", order=80),
    ]


def _accept_to(ctx):
    return "accepted" if ctx.args["result"] == "pass" else "acceptance_failed"


@hookimpl
def tongchou_actions():
    return [
        Action("complete", "项目建成", roles=("unit",), citation=cite(18),
               from_statuses=("under_construction",), to_status="completed",
               help="项目建成后应在规定期限内组织验收"),
        Action("explain_delay", "提交逾期验收说明", roles=("unit",), citation=cite(19),
               args=(Field("date", "明确的验收时间", "date", required=True),),
               help="不能按期验收的,向县行政审批和政务信息管理局提交书面说明并明确验收时间"),
        Action("accept", "组织验收", roles=("unit",), citation=cite(18, 19),
               from_statuses=("completed", "acceptance_failed"), to_status=_accept_to,
               args=(Field("result", "验收结论", "enum", required=True, choices=RESULT),
                     Field("documents", "验收材料", "enum_list", choices=ACCEPTANCE_DOCUMENTS))),
    ]


def _documents(ctx):
    gaps = missing(ACCEPTANCE_DOCUMENTS, ctx.args.get("documents"))
    if gaps:
        return f"验收材料不全,缺少:{labels(gaps)}"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("xichuan.acceptance.documents", ("accept",), _documents, cite(18), "验收材料齐全")]


@hookimpl
def tongchou_obligations(project, history, params):
    """Replay the history: completion opens the acceptance deadline; a written
    explanation moves it to the date it names; a failed acceptance opens the
    rectification deadline; a passed one closes whatever is open."""
    out: list[Obligation] = []
    current: dict | None = None

    def close(day):
        nonlocal current
        if current is not None:
            out.append(Obligation(current["code"], current["citation"], current["due"],
                                  current["message"], closed_on=day))
            current = None

    for ev in history:
        if ev.action == "complete":
            close(ev.date)
            months = params.value("acceptance_months", ev.date)
            current = {"code": "xichuan.acceptance.due", "citation": cite(18),
                       "due": add_months(ev.date, months),
                       "message": f"项目建成后 {months} 个月内组织验收"}
        elif ev.action == "explain_delay" and current is not None:
            close(ev.date)
            current = {"code": "xichuan.acceptance.explained", "citation": cite(19),
                       "due": ev.args["date"], "message": "按书面说明明确的时间完成验收"}
        elif ev.action == "accept":
            close(ev.date)
            if ev.args["result"] == "fail":
                months = params.value("rectification_months", ev.date)
                current = {"code": "xichuan.acceptance.rectify", "citation": cite(19),
                           "due": add_months(ev.date, months),
                           "message": f"未通过验收,{months} 个月内完成整改后重新组织验收"}
    if current is not None:
        out.append(Obligation(current["code"], current["citation"], current["due"], current["message"]))
    return out


@hookimpl
def tongchou_parameters():
    return parameters("acceptance_months", "rectification_months")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
