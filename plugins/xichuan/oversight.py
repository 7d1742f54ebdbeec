"""第三十四条–第三十七条: supervision — rectification orders with deadlines,
suspending funds and construction, and third-party performance evaluation."""
from __future__ import annotations

from tongchou import ANY_ACTION, Action, Field, Guard, Obligation, ObligationRule, Status

from .common import RESULT, articles, cite, former_hook, hookimpl

TITLE = "监督：限期整改、暂停建设与绩效评价"
ARTICLES = (34, 35, 36, 37)
ALLOWED_WHILE_SUSPENDED = ("rectify", "resume")
#: where the UI offers suspending (the money and the works are under way)
UNDER_WAY = ("planned", "procuring", "contracted", "under_construction")
#: where the UI offers a performance evaluation
BUILT_OR_BUILDING = ("under_construction", "completed", "acceptance_failed", "accepted", "in_operation")


@hookimpl
def tongchou_statuses():
    return [Status("suspended", "暂停建设", order=110)]


def _resume_to(ctx):
    ev = ctx.last("suspend")
    return ev.from_status if ev is not None else None


@hookimpl
def tongchou_actions():
    supervisors = ("drc", "finance", "bureau")
    return [
        Action("order_rectification", "责令限期整改", roles=supervisors, citation=cite(35),
               args=(Field("deadline", "整改期限", "date", required=True),
                     Field("reason", "整改事由", "text", required=True, maximum=500)),
               tone="punitive", consequence="建设单位须在整改期限内整改并报告，逾期未整改将记为逾期违规。"),
        Action("rectify", "报告整改完成", roles=("unit",), citation=cite(35)),
        Action("suspend", "暂缓拨付/暂停建设", roles=("drc", "finance"), citation=cite(35),
               to_status="suspended",
               args=(Field("reason", "事由", "text", maximum=500),),
               tone="punitive", offered_in=UNDER_WAY,
               consequence="项目将暂缓拨付资金、暂停建设；整改到位并恢复建设前，不能办理其他事项。"),
        Action("resume", "恢复建设", roles=("drc", "finance"), citation=cite(35),
               from_statuses=("suspended",), to_status=_resume_to),
        Action("record_evaluation", "登记绩效评价", roles=("bureau",), citation=cite(37),
               args=(Field("result", "评价结论", "enum", required=True, choices=RESULT),),
               offered_in=BUILT_OR_BUILDING),
    ]


def _suspended(ctx):
    if ctx.project.status == "suspended" and ctx.action not in ALLOWED_WHILE_SUSPENDED:
        return "项目已暂缓拨付/暂停建设，整改到位并恢复前不能办理其他事项"
    return None


def open_orders(history) -> int:
    n = 0
    for ev in history:
        if ev.action == "order_rectification":
            n += 1
        elif ev.action == "rectify":
            n = 0
    return n


def _nothing_to_rectify(ctx):
    if open_orders(ctx.history) == 0:
        return "没有待完成的整改通知"
    return None


def _deadline_after_order(ctx):
    if ctx.args["deadline"] < ctx.date:
        return f"整改期限 {ctx.args['deadline']} 早于通知日期 {ctx.date}"
    return None


@hookimpl
def tongchou_guards():
    return [
        Guard("xichuan.oversight.suspended", (ANY_ACTION,), _suspended, cite(35), "暂停期间不得办理"),
        Guard("xichuan.oversight.rectify_needs_order", ("rectify",), _nothing_to_rectify, cite(35),
              "须有整改通知"),
        Guard("xichuan.oversight.deadline_after_order", ("order_rectification",), _deadline_after_order,
              cite(35), "整改期限不早于通知日"),
    ]


def _rectification(project, history, params, **_optional):
    """Each order's deadline; reporting the rectification closes every open order."""
    out: list[Obligation] = []
    pending: list = []
    for ev in history:
        if ev.action == "order_rectification":
            pending.append(ev)
        elif ev.action == "rectify":
            for order in pending:
                out.append(Obligation("xichuan.oversight.rectification", cite(35), order.args["deadline"],
                                      f"限期整改:{order.args['reason']}", closed_on=ev.date))
            pending = []
    for order in pending:
        out.append(Obligation("xichuan.oversight.rectification", cite(35), order.args["deadline"],
                              f"限期整改:{order.args['reason']}"))
    return out


@hookimpl
def tongchou_obligation_rules():
    return [ObligationRule("xichuan.oversight.rectification", cite(35), _rectification, "限期整改")]


#: the former hookimpl, for code that imports it
tongchou_obligations = former_hook(__name__, tongchou_obligation_rules, "tongchou_obligations")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
