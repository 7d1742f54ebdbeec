"""第十一条 (with 第七条): the investment plan, the budget, and starting
construction once the money is there.
"""
from __future__ import annotations

from tongchou import Action, Field, Finding, FindingRule, Guard, Status

from .common import articles, cite, former_hook, hookimpl, yuan

TITLE = "资金：投资计划、预算与开工"
ARTICLES = (11,)


@hookimpl
def tongchou_statuses():
    return [
        Status("planned", "已列入年度计划", order=35),
        Status("under_construction", "建设中", order=60),
    ]


@hookimpl
def tongchou_actions():
    return [
        Action("plan", "列入年度计划", roles=("drc",), citation=cite(7, 8, 11),
               from_statuses=("approved",), to_status="planned",
               help="列入政府投资年度计划（临时安排项目列入当年项目清单）"),
        Action("budget", "安排预算", roles=("finance",), citation=cite(11),
               args=(Field("amount", "预算金额(元)", "money", required=True),),
               offered_in=("approved", "planned", "procuring", "contracted", "under_construction"),
               help="县财政局依据投资计划和实施意见安排预算"),
        Action("start_construction", "开工建设", roles=("unit",), citation=cite(11),
               from_statuses=("contracted",), to_status="under_construction"),
    ]


def budgets(history) -> list:
    return [ev.args["amount"] for ev in history if ev.action == "budget"]


def _unreviewed(ctx):
    if ctx.project["source"] == "higher_level":
        return None
    if not ctx.happened("review", result="pass"):
        return "未经技术审查通过的项目，县财政局不予安排预算（上级明确要求的除外）"
    return None


def _no_budget(ctx):
    if not budgets(ctx.history):
        return "项目尚未安排预算，不能开工建设"
    return None


@hookimpl
def tongchou_guards():
    return [
        # reads xichuan.approval's review: without that action (the plugin disabled or
        # replaced by one that reviews otherwise) no project could ever be budgeted
        Guard("xichuan.funds.budget_unreviewed", ("budget",), _unreviewed, cite(7), "未经审查不予安排预算",
              requires=("review",)),
        Guard("xichuan.funds.no_budget", ("start_construction",), _no_budget, cite(11), "开工须有预算"),
    ]


def _budget_over_estimate(project, history, params, **_optional):
    total = sum(budgets(history), start=0)
    estimate = project["estimate"]
    if estimate is not None and total and total > estimate:
        return [Finding("xichuan.funds.budget_over_estimate", "advice", cite(11),
                        f"已安排预算 {yuan(total)} 超过概算总投资 {yuan(estimate)}")]
    return None


@hookimpl
def tongchou_finding_rules():
    return [FindingRule("xichuan.funds.budget_over_estimate", cite(11), _budget_over_estimate,
                        "预算不超过概算")]


#: the former hookimpl, for code that imports it
tongchou_findings = former_hook(__name__, tongchou_finding_rules, "tongchou_findings")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
