"""第三条 (统筹规划、集约建设,避免重复建设), 第七条 (集约性审查) and
第二十三条(一) (重复建设不得安排运维经费): finding duplicate construction
before it is approved and before it is paid for.

- A project whose name and 建设内容 are as close as ``duplicate_threshold``
  to an earlier project's gets an ``advice`` finding (never a refusal): while
  it awaits the bureau's review it cites 第三条 and 第七条, afterwards 第三条.
  The comparison runs while the project is being decided (draft, submitted,
  reviewed); after that the advice stays as it was when the project left
  review (``tongchou similar`` and the project page always compare afresh).
- The bureau settles a suspected pair on the project judged the duplicate:
  ``confirm_duplicate`` or ``dismiss_duplicate`` with ``of`` = the other
  project.  A confirmed duplicate is a ``violation`` of 第三条, and its O&M
  budget is refused citing 第二十三条.

The similarity rule is :class:`~.similarity.CharGramRule`; a pack swaps it by
registering ``DuplicateCheck(rule=...)`` in place of this plugin.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from tongchou import Action, Field, Finding, Guard, ProjectState

from . import dupindex
from .common import cite, hookimpl, parameters
from .similarity import CharGramRule, Match, Rule

TITLE = "统筹：重复建设比对"
ARTICLES = (3, 7, 23)

SUSPECTED = "xichuan.duplicates.suspected"
CONFIRMED = "xichuan.duplicates.confirmed"
#: statuses in which a project is still being decided: compared afresh
LIVE_STATUSES = ("draft", "submitted", "reviewed")
#: statuses awaiting the bureau's technical review (第七条 is cited too)
AWAITING_REVIEW = ("draft", "submitted")
#: earlier projects that no longer count as what a new one would duplicate
IGNORED_STATUSES = dupindex.IGNORED_STATUSES
_OF = re.compile(r"#(\d+)")


def _db():
    """The open ledger's database (read-only use), or None outside a ledger."""
    from tongchou.models import database
    return database.obj


def decisions(history) -> dict[int, str]:
    """The bureau's latest word on each pair: other project id → "confirm" or "dismiss"."""
    out: dict[int, str] = {}
    for ev in history:
        if ev.action in ("confirm_duplicate", "dismiss_duplicate"):
            out[int(ev.args["of"])] = ev.action.split("_")[0]
    return out


def _phrases(m: Match) -> str:
    return "、".join(f"“{p}”" for p in m.overlap[:5]) or "（无明显相同词组）"


class _Earlier:
    """Membership test: the projects a newer one may duplicate (entered
    before it, not rejected or retired), optionally within ``among``."""

    def __init__(self, meta, project_id: int | None, among=None):
        self.meta, self.project_id, self.among = meta, project_id, among

    def __contains__(self, pid: int) -> bool:
        m = self.meta.get(pid)
        return (m is not None and m.status not in IGNORED_STATUSES
                and (self.project_id is None or pid < self.project_id)
                and (self.among is None or pid in self.among))


class DuplicateCheck:
    """The plugin: fields-free, reads other projects through the ledger index."""

    TITLE = TITLE
    ARTICLES = ARTICLES
    __doc__ = __doc__

    def __init__(self, rule: Rule | None = None):
        self.rule = rule or CharGramRule()

    # -- reading the ledger -------------------------------------------------

    def index(self, db=None) -> dupindex.LedgerIndex:
        return dupindex.ledger_index(db if db is not None else _db(), self.rule)

    def similar(self, project: ProjectState, *, db=None, top: int = 5, earlier_only: bool = False,
                among: Mapping[int, Any] | None = None) -> list[Match]:
        """The projects most like ``project``, best first."""
        # under the index's lock: a page being built in another thread may be
        # bringing the same index up to date
        with dupindex.LOCK:
            state = self.index(db)
            name, scope = project.name, project.get("scope", "") or ""
            if earlier_only and among is None:
                return state.memo(("earlier", project.id, name, scope, top), lambda: state.index.similar(
                    name, scope, exclude=project.id, top=top, among=_Earlier(state.meta, project.id)))
            if earlier_only:
                among = _Earlier(state.meta, project.id, among)
            return state.index.similar(name, scope, exclude=project.id, top=top, among=among)

    @staticmethod
    def threshold(params, on: dt.date) -> float:
        return float(params.value("duplicate_threshold", on))

    # -- what the plugin contributes ----------------------------------------

    @hookimpl
    def tongchou_parameters(self):
        return parameters("duplicate_threshold")

    @hookimpl
    def tongchou_actions(self):
        args = (Field("of", "与之重复(或不重复)的项目编号", "int", required=True, minimum=1),
                Field("note", "审查意见", "text", maximum=500))
        return [
            Action("confirm_duplicate", "确认重复建设", roles=("bureau",), citation=cite(3, 7), args=args,
                   help="在被认定为重复的（通常是在后的）项目上办理，of 为与之重复的项目"),
            Action("dismiss_duplicate", "排除疑似重复", roles=("bureau",), citation=cite(3, 7), args=args,
                   help="经审查两个项目建设内容不重复，不再提示"),
        ]

    def _other_exists(self, ctx):
        other = int(ctx.args["of"])
        if other == ctx.project.id:
            return "of（与之重复的项目编号）不能是本项目自身"
        db = _db() if ctx.projects.live else None
        if db is not None and other not in self.index(db).meta:
            return f"of（与之重复的项目编号）：台账中没有编号为 {other} 的项目"
        return None

    @staticmethod
    def _om_not_duplicate(ctx):
        confirmed = sorted(pid for pid, word in decisions(ctx.history).items() if word == "confirm")
        if confirmed:
            ids = "、".join(f"#{pid}" for pid in confirmed)
            return f"经审查确认与项目 {ids} 重复建设，不得安排运维经费"
        return None

    @hookimpl
    def tongchou_guards(self):
        return [
            Guard("xichuan.duplicates.of_exists", ("confirm_duplicate", "dismiss_duplicate"),
                  self._other_exists, cite(3), "比对的项目须存在"),
            Guard("xichuan.duplicates.om_confirmed", ("request_om_budget",), self._om_not_duplicate, cite(23),
                  "确认重复建设的不安排运维经费"),
        ]

    @hookimpl
    def tongchou_findings(self, project, history, params, projects):
        word = decisions(history)
        out = []
        # Only a live ledger is compared with (not a what-if replay, nor rules
        # evaluated without a ledger, where the process's database may be another one).
        db = _db() if projects.live else None
        meta = self.index(db).meta if db is not None and word else {}
        for pid in sorted(p for p, w in word.items() if w == "confirm"):
            other = meta.get(pid)
            label = f"“{self.index(db).index.texts[pid][0]}”({other.unit})" if other else ""
            out.append(Finding(CONFIRMED, "violation", cite(3),
                               f"经县行政审批和政务信息管理局审查，确认与项目 #{pid}{label}重复建设"))
        if db is None or project.id is None:
            return out
        if project.status in LIVE_STATUSES:
            on = history[-1].date if history else dt.date.today()
            threshold = self.threshold(params, on)
            citation = cite(3, 7) if project.status in AWAITING_REVIEW else cite(3)
            state = self.index(db)
            for m in self.similar(project, db=db, top=3, earlier_only=True):
                if m.score < threshold or m.id in word:
                    continue
                other = state.meta[m.id]
                out.append(Finding(SUSPECTED, "advice", citation,
                                   f"疑似与项目 #{m.id}“{state.index.texts[m.id][0]}”({other.unit},{other.year} 年度)"
                                   f"重复建设：相似度 {m.score:.2f}（阈值 {threshold:.2f}），重合内容 {_phrases(m)}。"
                                   "请在技术审查中核实项目的集约性，由县行政审批和政务信息管理局确认或排除"))
        else:
            # Decided projects keep the advice they left review with (one
            # indexed read), less the pairs the bureau has since settled.
            rows = db.execute_sql(f'SELECT "message" FROM "finding" WHERE "project_id" = {db.param} '
                                  f'AND "code" = {db.param}', (project.id, SUSPECTED)).fetchall()
            for (message,) in rows:
                found = _OF.search(message)
                if found and int(found.group(1)) not in word:
                    out.append(Finding(SUSPECTED, "advice", cite(3), message))
        return out

    @hookimpl
    def tongchou_project_panels(self, ledger, project, user):
        from .duplicates_panel import panel
        return panel(self, ledger, project, user)


def find_check(ledger) -> DuplicateCheck:
    """The duplicate check registered in ``ledger``'s jurisdiction."""
    from tongchou.errors import ConfigurationError
    for plugin in ledger.pm.get_plugins():
        if isinstance(plugin, DuplicateCheck):
            return plugin
    raise ConfigurationError("本辖区未启用重复建设比对插件（xichuan.duplicates）")


PLUGIN = DuplicateCheck()
