"""Toy plugins and packs for tests/test_hooks*.py and tests/test_packs.py.

They cite a fictional document so that nothing here can be mistaken for one of
Xichuan's rules.  ``contributing(...)`` builds a one-off plugin object from
plain lists, for tests that only need a start-up hook to return something.
"""
from __future__ import annotations

import datetime as dt
import types

from tongchou import (Action, Citation, Field, Finding, Guard, Obligation, Pack, Parameter, Report, Role, Status,
                      hookimpl)

DOCUMENT = "玩具办〔2026〕1号"
#: before xichuan's application deadline for year 2026
APPLY_DAY = dt.date(2025, 6, 20)


def cite(*articles: int) -> Citation:
    return Citation(DOCUMENT, articles, "玩具县")


def contributing(**hooks) -> types.SimpleNamespace:
    """A plugin whose start-up hooks return the given lists, e.g.
    ``contributing(tongchou_actions=[Action(...)])``."""
    ns = {"TITLE": "玩具插件"}
    for name, items in hooks.items():
        def impl(_items=tuple(items)):
            return list(_items)
        impl.__name__ = name
        ns[name] = hookimpl(impl)
    return types.SimpleNamespace(**ns)


def toy_action(name: str = "toy_step", *, roles=("bureau",), replaces=None, **kw) -> Action:
    return Action(name, f"玩具事项 {name}", roles=roles, citation=cite(1), replaces=replaces, **kw)


def toy_guard(code: str = "toy.guard", actions=("apply",), *, message="玩具规则拒绝", replaces=None) -> Guard:
    return Guard(code, actions, lambda ctx: message, cite(2), "玩具规则", replaces=replaces)


def toy_parameter(name: str = "toy_limit", values=None, replaces=None) -> Parameter:
    return Parameter(name, "玩具参数", cite(3), "int",
                     values or {dt.date(2025, 1, 1): 5, dt.date(2026, 1, 1): 3}, replaces=replaces)


def toy_report(name: str = "toy_report", replaces=None) -> Report:
    return Report(name, "玩具报表", (Field("n", "数量", "int"),),
                  lambda ledger, user, **opts: [{"n": 1}], replaces=replaces)


TOY_STATUS = Status("toy_status", "玩具状态", order=999)
TOY_ROLE = Role("toy_role", "玩具角色")
TOY_FIELD = Field("toy_field", "玩具字段", "text")


# -- a module-level plugin with a misspelt hook name -------------------------

class Misspelt:
    """Has ``tongchou_gaurds``: a typo that must fail loudly at load."""

    @hookimpl
    def tongchou_gaurds(self):  # noqa: D401 - deliberately misspelt
        return []


class WrongArguments:
    """A hookimpl asking for an argument the hookspec does not pass."""

    @hookimpl
    def tongchou_findings(self, project, hist, params):
        return None


# -- a stand-alone plugin (registered into every jurisdiction via TONGCHOU_LOAD)

class CountReport:
    """玩具报表:按状态统计项目数"""

    TITLE = "玩具报表"
    ARTICLES = (4,)

    @hookimpl
    def tongchou_reports(self):
        def build(ledger, user, status=None):
            rows, total = ledger.projects(user, filters={"status": status} if status else {})
            return [{"status": status or "*", "n": total}]
        return [Report("toy_count", "项目数", (Field("status", "状态"), Field("n", "数量", "int")),
                       build, cite(4), options=(Field("status", "状态"),))]


COUNT_REPORT = CountReport()


# -- small packs ---------------------------------------------------------------

#: extends xichuan and drops its supervision plugin (第十六条's 监理).
NO_SUPERVISION = Pack(name="toy_nosup", title="玩具县", document=DOCUMENT, plugins=(),
                      extends="xichuan", disable=("xichuan.supervision",), version="1.2")

#: extends xichuan with a dated override of change_threshold.
LOWER_THRESHOLD = Pack(name="toy_threshold", title="玩具县", document=DOCUMENT, plugins=(),
                       extends="xichuan",
                       parameter_overrides={"change_threshold": {"2026-01-01": "0.10"}})

#: overrides a parameter nobody declares: loading must fail.
BAD_OVERRIDE = Pack(name="toy_bad_override", title="玩具县", document=DOCUMENT, plugins=(),
                    extends="xichuan", parameter_overrides={"no_such_parameter": {"2026-01-01": 1}})


# -- parties (tests/test_parties.py) ---------------------------------------------

class Builder:
    """玩具插件:项目由县属国有公司建设运营(建设运营方),部门只提需求"""

    TITLE = "玩具建设运营方"
    ARTICLES = (5,)

    @hookimpl
    def tongchou_fields(self):
        return [Field("builder", "建设运营方", "unit", party=True, filterable=True),
                Field("build_progress", "建设进度(%)", "int", minimum=0, maximum=100)]

    @hookimpl
    def tongchou_actions(self):
        return [
            Action("build_report", "报送建设进度", roles=("unit",), citation=cite(5), party="builder",
                   from_statuses=("submitted",), args=(Field("percent", "完成比例(%)", "int", required=True,
                                                             minimum=0, maximum=100),),
                   effects=lambda ctx: {"build_progress": ctx.args["percent"]}),
            Action("hand_over", "移交建设运营方", roles=("unit",), citation=cite(5),
                   from_statuses=("draft", "submitted"), args=(Field("to", "接收单位", "unit", required=True),),
                   effects=lambda ctx: {"builder": ctx.args["to"]}),
        ]

    @hookimpl
    def tongchou_obligations(self, project, history, params):
        # The builder owes a first progress report 30 days after the application.
        applied = next((ev for ev in reversed(history) if ev.action == "apply"), None)
        if not project["builder"] or applied is None:
            return []
        done = next((ev.date for ev in history if ev.action == "build_report"), None)
        return [Obligation("toy.build.report", cite(5), applied.date + dt.timedelta(days=30),
                           "建设运营方应报送建设进度", closed_on=done)]

    @hookimpl
    def tongchou_findings(self, project, history, params):
        if project["builder"] and project["builder"] == project["unit"]:
            return [Finding("toy.build.self", "violation", cite(5), "建设运营方不应是需求单位本身")]
        return []


BUILDER = Builder()


# Plugins that raise (the scenario runner charges the error to the plugin)


def _explode(ctx):
    return {}["no such key"]


class Boom:
    """Raises in a guard on review (a plain function the guard points to)."""

    @hookimpl
    def tongchou_guards(self):
        return [Guard("toy.boom.review", ("review",), _explode, Citation(DOCUMENT, (9,)), "爆炸")]


class BoomFindings:
    """Raises in its findings hook (a method) once a project is approved."""

    @hookimpl
    def tongchou_findings(self, project, history, params):
        if project.status == "approved":
            raise ZeroDivisionError("玩具插件算错了")
        return None
