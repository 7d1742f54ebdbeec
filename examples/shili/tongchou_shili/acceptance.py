"""第十三条–第十五条: acceptance in two stages.

示例市 splits Xichuan's single ``accept`` into 初验 (``preliminary_accept``,
by the unit within 3 months of completion) and 终验 (``final_accept``, by the
data bureau after a trial run of at least 3 months and within 6 months of the
passed 初验).  Each deadline is anchored on a named event of the history:
``complete`` for 初验, the passed ``preliminary_accept`` for 终验, a failed
acceptance for its rectification.
"""
from __future__ import annotations

from tongchou import Action, Field, Guard, Obligation, Status
from tongchou.dates import add_months
# Xichuan's list of acceptance documents and its helpers are reused as they are.
from tongchou.plugins.xichuan.common import ACCEPTANCE_DOCUMENTS, labels, missing

from .common import RESULT, articles, cite, hookimpl, parameters

TITLE = "验收:初验、试运行与终验"
ARTICLES = (13, 14, 15)


@hookimpl
def tongchou_statuses():
    return [
        Status("completed", "已建成待初验", order=70),
        Status("preliminary_failed", "初验未通过(整改中)", order=72),
        Status("trial_operation", "初验通过(试运行)", order=74),
        Status("final_failed", "终验未通过(整改中)", order=76),
        Status("accepted", "已终验", order=80),
    ]


def _preliminary_to(ctx):
    return "trial_operation" if ctx.args["result"] == "pass" else "preliminary_failed"


def _final_to(ctx):
    return "accepted" if ctx.args["result"] == "pass" else "final_failed"


@hookimpl
def tongchou_actions():
    return [
        Action("complete", "项目建成", roles=("unit",), citation=cite(13),
               from_statuses=("under_construction",), to_status="completed",
               help="项目建成后3个月内组织初验"),
        Action("preliminary_accept", "初步验收(初验)", roles=("unit",), citation=cite(13, 15),
               from_statuses=("completed", "preliminary_failed"), to_status=_preliminary_to,
               args=(Field("result", "初验结论", "enum", required=True, choices=RESULT),)),
        Action("final_accept", "竣工验收(终验)", roles=("bureau",), citation=cite(14, 15),
               from_statuses=("trial_operation", "final_failed"), to_status=_final_to,
               args=(Field("result", "终验结论", "enum", required=True, choices=RESULT),
                     Field("documents", "终验材料", "enum_list", choices=ACCEPTANCE_DOCUMENTS)),
               help="试运行满3个月后由市数据局组织终验"),
    ]


def trial_started(history):
    """The day the last passed 初验 began the trial run, or None."""
    ev = next((e for e in reversed(history)
               if e.action == "preliminary_accept" and e.args.get("result") == "pass"), None)
    return ev.date if ev else None


def _documents(ctx):
    gaps = missing(ACCEPTANCE_DOCUMENTS, ctx.args.get("documents"))
    return f"终验材料不全,缺少:{labels(gaps)}" if gaps else None


def _trial_run_served(ctx):
    start = trial_started(ctx.history)
    if start is None:
        return None
    months = ctx.params.on(start)["trial_run_months"]
    earliest = add_months(start, months)
    if ctx.date < earliest:
        return f"试运行自 {start} 起须满 {months} 个月,{earliest} 起方可终验"
    return None


@hookimpl
def tongchou_guards():
    return [
        Guard("shili.acceptance.documents", ("final_accept",), _documents, cite(14), "终验材料齐全"),
        Guard("shili.acceptance.trial_run", ("final_accept",), _trial_run_served, cite(14), "试运行期满"),
    ]


@hookimpl
def tongchou_obligations(project, history, params):
    """Replay the history; at most one acceptance deadline is open at a time."""
    out: list[Obligation] = []
    current: tuple | None = None  # (code, citation, due, message)

    def close(day):
        nonlocal current
        if current is not None:
            out.append(Obligation(*current, closed_on=day))
            current = None

    for ev in history:
        passed = ev.args.get("result") == "pass"
        if ev.action == "complete":
            close(ev.date)
            months = params.value("acceptance_months", ev.date)
            current = ("shili.acceptance.preliminary_due", cite(13), add_months(ev.date, months),
                       f"项目建成后 {months} 个月内组织初验")
        elif ev.action in ("preliminary_accept", "final_accept"):
            close(ev.date)
            if not passed:
                months = params.value("rectification_months", ev.date)
                stage = "初验" if ev.action == "preliminary_accept" else "终验"
                current = ("shili.acceptance.rectify", cite(15), add_months(ev.date, months),
                           f"{stage}未通过,{months} 个月内完成整改并重新组织{stage}")
            elif ev.action == "preliminary_accept":
                months = params.value("final_acceptance_months", ev.date)
                current = ("shili.acceptance.final_due", cite(14), add_months(ev.date, months),
                           f"初验通过之日起 {months} 个月内完成终验")
    if current is not None:
        out.append(Obligation(*current))
    return out


@hookimpl
def tongchou_parameters():
    return parameters("acceptance_months", "trial_run_months", "final_acceptance_months",
                      "rectification_months")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
