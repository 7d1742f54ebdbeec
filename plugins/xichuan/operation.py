"""第二十条–第二十三条: operation and maintenance — who runs the system, the
yearly O&M fee review and budget, and shutting down idle systems.

The reasons to deny an O&M budget (第二十三条) are separate guards, so a pack
can drop or add one without touching the rest.
"""
from __future__ import annotations

from tongchou import Action, Field, Guard, Status

from .common import RESULT, articles, choices, cite, hookimpl

TITLE = "运维：运维方式、运维费与关停"
ARTICLES = (20, 21, 22, 23)

MODES = choices(("self", "建设单位自管"), ("centralized", "集中运维"), ("outsourced", "外包运维"))
SHARING_DONE = ("interconnected", "data_aggregated", "shared")


@hookimpl
def tongchou_statuses():
    return [
        Status("in_operation", "运行维护中", order=90),
        Status("retired", "已关停", terminal=True, order=100),
    ]


@hookimpl
def tongchou_actions():
    return [
        Action("start_operation", "投入运行", roles=("unit",), citation=cite(21),
               from_statuses=("accepted",), to_status="in_operation",
               args=(Field("mode", "运维方式", "enum", required=True, choices=MODES),
                     Field("procured", "外包运维已进行政府采购", "bool"))),
        Action("review_om_fee", "审核运维费", roles=("bureau",), citation=cite(22),
               args=(Field("year", "年度", "year", required=True),
                     Field("amount", "运维费(元)", "money", required=True),
                     Field("result", "审核结论", "enum", required=True, choices=RESULT)),
               offered_in=("in_operation",)),
        Action("request_om_budget", "申请运维预算", roles=("unit",), citation=cite(22, 23),
               args=(Field("year", "年度", "year", required=True),), offered_in=("in_operation",)),
        Action("report_idle", "报告停止运行或长期未使用", roles=("unit",), citation=cite(20),
               offered_in=("in_operation",)),
        Action("retire", "核准关停", roles=("bureau",), citation=cite(20),
               from_statuses=("in_operation",), to_status="retired", tone="irreversible",
               consequence="系统将关停，项目进入“已关停”终态，此后不能再办理任何事项。"),
    ]


def _outsourced(ctx):
    if ctx.args["mode"] == "outsourced" and not ctx.args.get("procured"):
        return "采用外包运行维护方式的，应进行政府采购"
    return None


def _fee_reviewed(ctx):
    if not ctx.happened("review_om_fee", year=ctx.args["year"], result="pass"):
        return f"{ctx.args['year']} 年度运维费尚未经县行政审批和政务信息管理局审核通过"
    return None


def _sharing(ctx):
    ev = ctx.last("record_sharing")
    if ev is None:
        return "未按要求完成系统对接互通、数据归集和信息共享"
    if not all(ev.args.get(k) for k in SHARING_DONE):
        return "未按要求完成系统对接互通、数据归集和信息共享"
    if ev.args.get("duplicate"):
        return "存在重复采集数据或重复建设"
    return None


def is_idle(history) -> bool:
    return any(ev.action == "report_idle" for ev in history)


def _idle(ctx):
    if is_idle(ctx.history):
        return "系统已报告停止运行或长期未使用"
    return None


def _evaluation(ctx):
    ev = ctx.last("record_evaluation")
    if ev is not None and ev.args["result"] == "fail":
        return "最近一次绩效评价不合格且尚未整改到位"
    return None


def _retire_needs_idle(ctx):
    if not is_idle(ctx.history):
        return "系统须先报告停止运行或长期未使用，经核准后方可关停"
    return None


@hookimpl
def tongchou_guards():
    return [
        Guard("xichuan.operation.outsourcing_procured", ("start_operation",), _outsourced, cite(21),
              "外包运维须政府采购"),
        Guard("xichuan.operation.om_fee_reviewed", ("request_om_budget",), _fee_reviewed, cite(22),
              "运维费须经审核"),
        # the state of sharing is recorded by xichuan.sharing's record_sharing; without
        # that action it could never be shown, and every O&M budget would be refused
        Guard("xichuan.operation.om_sharing", ("request_om_budget",), _sharing, cite(23),
              "完成对接、归集与共享", requires=("record_sharing",)),
        Guard("xichuan.operation.om_idle", ("request_om_budget",), _idle, cite(23), "系统在用"),
        Guard("xichuan.operation.om_evaluation", ("request_om_budget",), _evaluation, cite(23),
              "评估评价合格"),
        Guard("xichuan.operation.retire_idle", ("retire",), _retire_needs_idle, cite(20), "关停须先报告"),
    ]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
