"""第十七条: changes to a project's content.  Within the approved estimate's
threshold, with the goal unchanged and for one of the three listed reasons,
the unit adjusts and files the change with the drc; anything else follows the
full procedure, so the unit's own request is refused.
"""
from __future__ import annotations

from decimal import Decimal

from tongchou import UPDATE_PROJECT, Action, Field, Guard

from .approval import DOC_ORDER, approved_documents
from .common import articles, choices, cite, hookimpl, parameters, yuan

TITLE = "变更：建设内容调整"
ARTICLES = (17,)

REASONS = choices(
    ("higher_level_deployment", "上级和县委、县政府新部署"),
    ("technology_optimization", "信息技术发展，完善优化技术方案"),
    ("schedule_adjustment", "业务发展需要，调整建设进度"),
    ("other", "其他情形"))

#: Fields that describe what is built and for how much: editing them once the
#: project has left the draft would change its content outside this procedure.
CONTENT_FIELDS = ("name", "year", "category", "kind", "source", "estimate", "civil_works",
                  "high_energy", "uses_ai")


@hookimpl
def tongchou_actions():
    return [
        Action("request_change", "调整建设内容", roles=("unit",), citation=cite(17),
               args=(Field("amount", "资金调整数额(元)", "money", required=True),
                     Field("reason", "调整情形", "enum", required=True, choices=REASONS),
                     Field("goal_unchanged", "建设目标不变", "bool"),
                     Field("bureau_opinion", "已有县行政审批和政务信息管理局意见", "bool")),
               offered_in=("approved", "planned", "procuring", "contracted", "under_construction"),
               help="符合第十七条情形的，由建设单位调整并向县发改委备案"),
    ]


def _approvals_complete(ctx):
    if ctx.project["category"] == "government_investment":
        done = approved_documents(ctx.history)
        if not all(d in done for d in DOC_ORDER):
            return "项目审批环节尚未全部完成，调整内容应在初步设计中以独立章节说明"
    elif not any(ev.to_status == "approved" for ev in ctx.history):
        # by the status reached, not the action's name: a pack may approve otherwise
        return "项目尚未批准，不能由建设单位自行调整"
    return None


def _threshold(ctx):
    estimate = ctx.project["estimate"]
    rate = Decimal(ctx.params["change_threshold"])
    if estimate is None:
        return "项目没有概算总投资，无法确定可自行调整的额度"
    limit = estimate * rate  # exact: the boundary itself is allowed
    if ctx.args["amount"] > limit:
        return (f"资金调整数额 {yuan(ctx.args['amount'])} 超过概算总投资的 {(rate * 100).normalize():f}%"
                f"({yuan(limit)})，须按规定程序报批")
    return None


def _goal(ctx):
    if not ctx.args.get("goal_unchanged"):
        return "建设目标发生变化的，须按规定程序报批"
    return None


def _reason(ctx):
    if ctx.args["reason"] == "other":
        return "调整不属于第十七条所列情形，须按有关规定履行相应手续"
    if ctx.args["reason"] == "technology_optimization" and not ctx.args.get("bureau_opinion"):
        return "完善优化技术方案的调整须由县行政审批和政务信息管理局出具意见"
    return None


def _edit_content(ctx):
    if ctx.project.status == "draft":
        return None
    before = ctx.args["before"]
    changed = [k for k in ctx.args["changes"] if k in CONTENT_FIELDS and before[k] != ctx.project[k]]
    if changed:
        return f"项目已申报，不得擅自修改建设内容（{'、'.join(changed)}）；请按变更程序办理"
    return None


@hookimpl
def tongchou_guards():
    return [
        Guard("xichuan.change.approvals_complete", ("request_change",), _approvals_complete, cite(17),
              "审批环节已全部完成", requires=("approve_document",)),
        Guard("xichuan.change.threshold", ("request_change",), _threshold, cite(17), "不超过概算的比例"),
        Guard("xichuan.change.goal_unchanged", ("request_change",), _goal, cite(17), "建设目标不变"),
        Guard("xichuan.change.reason", ("request_change",), _reason, cite(17), "属于所列情形"),
        Guard("xichuan.change.no_silent_edit", (UPDATE_PROJECT,), _edit_content, cite(17),
              "不得擅自修改建设内容"),
    ]


@hookimpl
def tongchou_parameters():
    return parameters("change_threshold")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
