"""第十八条–第十九条: acceptance within a set time of completion, a written
explanation when it will be late, and rectification after a failed acceptance.
"""
from __future__ import annotations

import datetime as dt

import attrs

from tongchou import Action, Field, Guard, HistoryEvent, Obligation, ObligationRule, Status
from tongchou.dates import add_months

from .common import (ACCEPTANCE_DOCUMENTS, RESULT, articles, cite, former_hook, hookimpl, labels, missing,
                     parameters)

TITLE = "验收：按期验收、逾期说明与整改"
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
               offered_in=("completed", "acceptance_failed"),
               help="不能按期验收的，向县行政审批和政务信息管理局提交书面说明并明确验收时间"),
        Action("accept", "组织验收", roles=("unit",), citation=cite(18, 19),
               from_statuses=("completed", "acceptance_failed"), to_status=_accept_to,
               args=(Field("result", "验收结论", "enum", required=True, choices=RESULT),
                     Field("documents", "验收材料", "enum_list", choices=ACCEPTANCE_DOCUMENTS, evidence=True))),
    ]


def _documents(ctx):
    gaps = missing(ACCEPTANCE_DOCUMENTS, ctx.args.get("documents"))
    if gaps:
        return f"验收材料不全，缺少：{labels(gaps)}"
    return None


def uploaded(documents, choice) -> bool:
    """Whether a document of the kind ``choice`` names (by value or label) was uploaded."""
    return any(d.kind in (choice.value, choice.label) for d in documents)


def _documents_uploaded(ctx):
    """Off until a county switches it on (require_uploaded_documents = 1 from a date)."""
    if not ctx.params["require_uploaded_documents"]:
        return None
    named = [c for c in ACCEPTANCE_DOCUMENTS if c.value in (ctx.args.get("documents") or ())]
    gaps = [c for c in named if not uploaded(ctx.documents, c)]
    if gaps:
        return f"以下验收材料尚未上传文件：{labels(gaps)}"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("xichuan.acceptance.documents", ("accept",), _documents, cite(18), "验收材料齐全"),
            Guard("xichuan.acceptance.documents_uploaded", ("accept",), _documents_uploaded, cite(18),
                  "验收材料须已上传")]


@attrs.frozen
class Stage:
    """One acceptance deadline the history opens: ``kind`` is ``due`` (opened by
    ``complete``), ``explained`` (by ``explain_delay``) or ``rectify`` (by a
    failed ``accept``); it closes on the next of those events or a passed
    acceptance (``closed_on``), or is still open (None)."""

    kind: str
    event: HistoryEvent
    closed_on: dt.date | None


def stages(history) -> list[Stage]:
    """Replay the history: completion opens the acceptance deadline; a written
    explanation moves it to the date it names; a failed acceptance opens the
    rectification deadline; a passed one closes whatever is open.  At most one
    is open at a time.  The deadlines' rules (and a pack replacing one of them)
    read their own stages from here."""
    global _LAST
    if _LAST[0] is history:  # the three deadline rules read the same history in a row
        return list(_LAST[1])
    out: list[Stage] = []
    current: tuple[str, HistoryEvent] | None = None
    for ev in history:
        if ev.action == "complete":
            opened = ("due", ev)
        elif ev.action == "explain_delay" and current is not None:
            opened = ("explained", ev)
        elif ev.action == "accept":
            opened = ("rectify", ev) if ev.args["result"] == "fail" else None
        else:
            continue
        if current is not None:
            out.append(Stage(current[0], current[1], ev.date))
        current = opened
    if current is not None:
        out.append(Stage(current[0], current[1], None))
    _LAST = (history, tuple(out))
    return out


_LAST: tuple = (None, ())


def _due(project, history, params, **_optional):
    out = []
    for s in stages(history):
        if s.kind == "due":
            months = params.value("acceptance_months", s.event.date)
            out.append(Obligation("xichuan.acceptance.due", cite(18), add_months(s.event.date, months),
                                  f"项目建成后 {months} 个月内组织验收", closed_on=s.closed_on))
    return out


def _explained(project, history, params, **_optional):
    return [Obligation("xichuan.acceptance.explained", cite(19), s.event.args["date"],
                       "按书面说明明确的时间完成验收", closed_on=s.closed_on)
            for s in stages(history) if s.kind == "explained"]


def _rectify(project, history, params, **_optional):
    out = []
    for s in stages(history):
        if s.kind == "rectify":
            months = params.value("rectification_months", s.event.date)
            out.append(Obligation("xichuan.acceptance.rectify", cite(19), add_months(s.event.date, months),
                                  f"未通过验收，{months} 个月内完成整改后重新组织验收", closed_on=s.closed_on))
    return out


@hookimpl
def tongchou_obligation_rules():
    return [
        ObligationRule("xichuan.acceptance.due", cite(18), _due, "建成后按期验收"),
        ObligationRule("xichuan.acceptance.explained", cite(19), _explained, "按说明的时间验收"),
        ObligationRule("xichuan.acceptance.rectify", cite(19), _rectify, "未通过验收限期整改"),
    ]


#: the former hookimpl, for code that imports it
tongchou_obligations = former_hook(__name__, tongchou_obligation_rules, "tongchou_obligations")


@hookimpl
def tongchou_parameters():
    return parameters("acceptance_months", "rectification_months", "require_uploaded_documents")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
