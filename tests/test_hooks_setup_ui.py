"""The hooks of ledger set-up (demo data) and of the web UI (project panels,
citation maps, worklists), each through a toy plugin beside ``xichuan``; see
tests/test_hooks.py."""
from __future__ import annotations

import datetime as dt
import types

import pytest

from tongchou import hookimpl
from tongchou import cli
from tongchou.errors import ConfigurationError, Refused
from tongchou.ledger import Ledger
from tongchou.packs import load_jurisdiction

from .toy_plugins import APPLY_DAY, DOCUMENT, cite, contributing

D = dt.date


# ---------------------------------------------------------------------------
# Ledger set-up


def test_tongchou_seed_demo_first_result_wins(toy_county):
    class ToyDemo:
        @hookimpl
        def tongchou_seed_demo(self, ledger, today):
            ledger.add_unit("玩具县教育局")
            return f"toy demo for {today}"

    c = toy_county(ToyDemo())
    units_before = len(c.ledger.units())
    assert cli.seed_demo(c.ledger, D(2026, 3, 1)) == "toy demo for 2026-03-01"
    # stops at the first non-None result: xichuan's demo county was not added
    assert len(c.ledger.units()) == units_before + 1
    assert c.ledger.projects()[1] == 0


def test_tongchou_seed_demo_none_passes_on(toy_county):
    asked: list[dt.date] = []

    class Shy:
        @hookimpl
        def tongchou_seed_demo(self, ledger, today):
            asked.append(today)
            return None

    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", Shy())])
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32) as ledger:
        summary = cli.seed_demo(ledger, D(2026, 3, 1))
        assert asked == [D(2026, 3, 1)]
        assert ledger.projects()[1] > 0 and "toy" not in summary


# ---------------------------------------------------------------------------
# Web UI


def test_tongchou_project_panels_are_collected(toy_county):
    class Toy:
        @hookimpl
        def tongchou_project_panels(self, ledger, project, user):
            if project["estimate"] and project["estimate"] > 1_000_000:
                return [("试点情况", f"{project.name}:{user.name}")]
            return None

    c = toy_county(Toy())
    big = c.project(estimate="2000000")
    small = c.project(name="小项目", estimate="10000")
    hook = c.ledger.pm.hook.tongchou_project_panels
    user = c.users["bureau"]
    got = hook(ledger=c.ledger, project=c.ledger.project(big.id), user=user)
    assert [pair for result in got for pair in result] == [("试点情况", "测试项目:bureau")]
    assert hook(ledger=c.ledger, project=c.ledger.project(small.id), user=user) == []


def test_tongchou_project_panels_reach_the_project_page(toy_county):
    page = pytest.importorskip("tongchou.ui.page_project")
    if not hasattr(page, "plugin_panels"):
        pytest.skip("the web UI has no plugin_panels() to build a project page's plugin panels")

    class Toy:
        @hookimpl
        def tongchou_project_panels(self, ledger, project, user):
            return [("试点情况", f"试点:{project.name}")]

    c = toy_county(Toy())
    p = c.project()
    app = types.SimpleNamespace(ledger=c.ledger, actor=c.users["bureau"], t=lambda key, **kw: key)
    (section,) = page.plugin_panels(app, c.ledger.project(p.id))
    texts = [getattr(obj, "object", None) for obj in section.objects]
    assert any(isinstance(t, str) and "试点情况" in t for t in texts)
    assert "试点:测试项目" in texts


def test_tongchou_citation_maps_make_reused_rules_cite_the_own_measures(toy_county):
    from tongchou import CitationMap
    from tongchou.errors import PluginConflict
    from tongchou.plugins.xichuan.common import DOCUMENT as XICHUAN
    # Xichuan's 第十七条 (change) is the toy measures' 第五条, 第十八条 (acceptance) its 第六条
    toy = contributing(tongchou_citation_maps=[CitationMap(XICHUAN, DOCUMENT, {17: 5, 18: 6}, "玩具县")])
    c = toy_county(toy)
    reg = c.ledger.registry
    assert reg.actions["request_change"].citation == cite(5)
    assert reg.guards["xichuan.change.threshold"].citation == cite(5)
    assert reg.parameters["change_threshold"].citation == cite(5)
    assert reg.actions["review"].citation.document == XICHUAN  # 第七条 is not mapped: left alone
    assert reg.actions["accept"].citation.document == XICHUAN  # (18, 19): 19 unmapped, left alone
    p = c.project(category="purchased_service", estimate="1000000")
    c.act(p, "apply", "unit", APPLY_DAY)
    c.act(p, "review", "bureau", D(2025, 7, 1), result="pass",
          dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
    c.act(p, "approve", "government", D(2025, 7, 2))
    with pytest.raises(Refused) as exc:  # a refusal of a reused guard
        c.act(p, "request_change", "unit", D(2025, 9, 1), amount="150000.01",
              reason="schedule_adjustment", goal_unchanged=True)
    assert [r.citation for r in exc.value.refusals] == [cite(5)]
    for step in ("budget", "tender", "sign_contract", "start_construction", "complete"):
        args = {"amount": "1000000"} if step == "budget" else {}
        c.act(p, step, "finance" if step == "budget" else "unit", D(2025, 9, 2), **args)
    (ob,) = c.ledger.obligations(project_id=p.id)  # a derived obligation of a reused plugin
    assert (ob.citation.document, ob.citation.articles, ob.due) == (DOCUMENT, (6,), D(2026, 3, 2))
    # a second map of the same document is a conflict, as for any name
    twice = contributing(tongchou_citation_maps=[CitationMap(XICHUAN, "另一个文件", {17: 1})])
    with pytest.raises(PluginConflict):
        load_jurisdiction("xichuan", extra_plugins=[("toy", toy), ("toy2", twice)])


def test_tongchou_citation_maps_also_cite_sweep_findings_and_notices(toy_county):
    from tongchou import CitationMap
    from tongchou.plugins.xichuan.common import DOCUMENT as XICHUAN
    toy = contributing(tongchou_citation_maps=[CitationMap(XICHUAN, DOCUMENT, {7: 2, 39: 9}, "玩具县")])
    c = toy_county(toy)
    p = c.project(source="unit_application")  # a draft never filed by 第七条's deadline
    (late,) = [f for f in c.ledger.findings(D(2025, 7, 1), project_id=p.id) if f.code.endswith("deadline_passed")]
    assert (late.severity, late.citation.document, late.citation.articles) == ("advice", DOCUMENT, (2,))
    (notice,) = c.ledger.notices(D(2027, 8, 29))  # the trial period of 第三十九条 is over
    assert (notice.citation.document, notice.citation.articles) == (DOCUMENT, (9,))


def test_tongchou_todos_put_a_step_on_the_list_of_who_may_take_it(toy_county):
    from tongchou import Todo

    class Toy:
        @hookimpl
        def tongchou_todos(self, project, history, params, on, obligations):
            out = [Todo("order_rectification", "玩具:每个已申报项目都应督促", cite(3))]
            if project.status == "submitted":
                out.append(Todo("retire", "不在可办状态,不列入", cite(3)))
                out.append(Todo("no_such_action", "不存在的事项,不列入", cite(3)))
            return out

    c = toy_county(Toy())
    p = c.project()
    c.act(p, "apply", "unit", APPLY_DAY)
    on = D(2025, 7, 1)
    mine = [(e.project_id, e.action, e.reason) for e in c.ledger.todos(c.users["bureau"], on)]
    # xichuan's own main path (技术审查) and the toy's step, but not retire (wrong status) nor the unknown action
    assert (p.id, "order_rectification", "玩具:每个已申报项目都应督促") in mine
    assert (p.id, "review", "对申报项目进行技术审查，出具审查意见") in mine
    assert not any(a in ("retire", "no_such_action") for _pid, a, _r in mine)
    assert [e.action for e in c.ledger.todos(c.users["unit"], on)] == []  # the unit waits
    steps = c.ledger.next_steps(p.id, c.users["unit"], on)
    assert {"order_rectification", "review"} <= {e.action for e in steps}


def test_todo_actions_narrow_the_projects_a_worklist_reads(toy_county):
    """When every tongchou_todos implementation declares what it proposes
    (xichuan's does), a worklist reads only the projects in statuses where
    one of those actions of the user's role may start; proposing an action
    not declared is a ConfigurationError naming it."""
    from tongchou import Todo, todo_actions
    proposes = {"action": "order_rectification"}

    def toy(declared):
        class Toy:
            @hookimpl
            @todo_actions(*declared)
            def tongchou_todos(self, project, history, params, on, obligations):
                return [Todo(proposes["action"], "玩具:督促已审查项目", cite(3))] if project.status == "reviewed" else []
        return Toy()

    for declared, reads_reviewed in ((("order_rectification",), True), (("budget",), False)):
        proposes["action"] = declared[0]
        c = toy_county(toy(declared))
        reviewed = c.project()
        c.act(reviewed, "apply", "unit", APPLY_DAY)
        c.act(reviewed, "review", "bureau", D(2025, 7, 1), result="pass",
              dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
        read: list[int] = []
        histories = c.ledger.histories

        def spy(ids, *args, **kwargs):
            read.extend(ids)
            return histories(ids, *args, **kwargs)
        c.ledger.histories = spy
        mine = [(e.project_id, e.action) for e in c.ledger.todos(c.users["bureau"], D(2025, 8, 1))]
        assert (reviewed.id in read) is reads_reviewed
        assert ((reviewed.id, "order_rectification") in mine) is reads_reviewed
        c.ledger.close()

    proposes["action"] = "order_rectification"  # but declared "budget" only
    c = toy_county(toy(("budget",)))
    p = c.project()
    c.act(p, "apply", "unit", APPLY_DAY)
    c.act(p, "review", "bureau", D(2025, 7, 1), result="pass",
          dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
    with pytest.raises(ConfigurationError, match="order_rectification"):
        c.ledger.next_steps(p.id, None, D(2025, 8, 1))
