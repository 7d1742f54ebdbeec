"""The hooks run after each change (obligations, findings, the sweep, action
results, notices), each through a toy plugin beside ``xichuan``; see
tests/test_hooks.py."""
from __future__ import annotations

import datetime as dt

import pytest

from tongchou import Finding, Notice, Obligation, Parameter, hookimpl
from tongchou.errors import ConfigurationError, Refused
from tongchou.packs import load_jurisdiction

from .toy_plugins import APPLY_DAY, DOCUMENT, cite, contributing

D = dt.date


# ---------------------------------------------------------------------------
# After each change


def test_tongchou_obligations_open_close_and_fall_overdue(toy_county):
    class Toy:
        @hookimpl
        def tongchou_obligations(self, project, history, params):
            applied = next((ev for ev in history if ev.action == "apply"), None)
            if applied is None:
                return None
            reviewed = next((ev for ev in history if ev.action == "review"), None)
            return [Obligation("toy.review_due", cite(6), applied.date + dt.timedelta(days=20),
                               "申报后20日内完成审查", closed_on=reviewed.date if reviewed else None)]

    c = toy_county(Toy())
    p = c.project()
    assert c.ledger.obligations(project_id=p.id) == []
    c.act(p, "apply", "unit", APPLY_DAY)
    (ob,) = c.ledger.obligations(project_id=p.id)
    assert (ob.code, ob.due, ob.closed_on) == ("toy.review_due", D(2025, 7, 10), None)
    codes = lambda on: [f.code for f in c.ledger.findings(on, project_id=p.id)]  # noqa: E731
    assert "toy.review_due.overdue" not in codes(D(2025, 7, 10))  # the due day is on time
    overdue = [f for f in c.ledger.findings(D(2025, 7, 11), project_id=p.id) if f.code == "toy.review_due.overdue"]
    assert len(overdue) == 1 and overdue[0].severity == "overdue" and overdue[0].citation.cites(6)
    c.act(p, "review", "bureau", D(2025, 7, 15), result="pass",
          dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
    assert c.ledger.obligations(project_id=p.id) == []
    (closed,) = c.ledger.obligations(project_id=p.id, open_only=False)
    assert closed.closed_on == D(2025, 7, 15)
    assert "toy.review_due.overdue" not in codes(D(2025, 8, 1))


def test_tongchou_obligation_rules_open_close_and_can_be_switched_off_alone(toy_county):
    from tongchou import ObligationRule

    def review_due(project, history, params, **optional):  # **optional: arguments the core adds later
        applied = next((ev for ev in history if ev.action == "apply"), None)
        if applied is None:
            return None
        reviewed = next((ev for ev in history if ev.action == "review"), None)
        due = applied.date + dt.timedelta(days=params.value("toy_days", applied.date))
        return [Obligation("toy.review_due", cite(6), due, "申报后按期完成审查",
                           closed_on=reviewed.date if reviewed else None)]

    days = Parameter("toy_days", "审查期限(日)", cite(6), "int", {D(2025, 1, 1): 20})
    toy = contributing(tongchou_parameters=[days], tongchou_obligation_rules=[
        ObligationRule("toy.review_due", cite(6), review_due, "按期审查")])
    c = toy_county(toy)
    p = c.project()
    c.act(p, "apply", "unit", APPLY_DAY)
    (ob,) = c.ledger.obligations(project_id=p.id)
    assert (ob.code, ob.due, ob.closed_on) == ("toy.review_due", D(2025, 7, 10), None)
    assert ob.citation.document == DOCUMENT and ob.citation.cites(6)
    c.act(p, "review", "bureau", D(2025, 7, 15), result="pass",
          dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
    (closed,) = c.ledger.obligations(project_id=p.id, open_only=False)
    assert closed.closed_on == D(2025, 7, 15)
    off = load_jurisdiction("xichuan", extra_plugins=[("toy", toy)], disabled=["toy.review_due"])
    assert "toy.review_due" not in off.registry.obligation_rules and "toy_days" in off.registry.parameters


def test_tongchou_finding_rules_take_the_arguments_they_name_and_keep_to_their_code(toy_county):
    from tongchou import FindingRule

    def big(project):  # a rule may take only some of the arguments
        if project["estimate"] is not None and project["estimate"] > 3_000_000:
            return [Finding("toy.big.estimate", "violation", cite(7), "概算超过三百万元")]
        return None

    c = toy_county(contributing(tongchou_finding_rules=[FindingRule("toy.big", cite(7), big)]))
    p = c.project(estimate="4000000")
    assert [f.code for f in c.ledger.findings(D(2025, 6, 2), project_id=p.id) if f.code.startswith("toy.")] == [
        "toy.big.estimate"]
    stray = FindingRule("toy.stray", cite(7), lambda project: [Finding("toy.other", "advice", cite(7), "x")])
    c2 = toy_county(contributing(tongchou_finding_rules=[stray]))
    with pytest.raises(ConfigurationError, match=r"'toy\.stray' \(plugin 'toy'\)"):
        c2.project()


def test_tongchou_findings_follow_the_project(toy_county):
    class Toy:
        @hookimpl
        def tongchou_findings(self, project, history, params):
            if project["estimate"] is not None and project["estimate"] > 3_000_000:
                return [Finding("toy.big", "violation", cite(7), "概算超过三百万元")]
            return None

    c = toy_county(Toy())
    p = c.project(estimate="4000000")
    found = [f for f in c.ledger.findings(D(2025, 6, 2)) if f.code == "toy.big"]
    assert len(found) == 1 and found[0].severity == "violation" and found[0].project_id == p.id
    c.ledger.update_project(p.id, {"estimate": "2000000"}, c.users["unit"], D(2025, 6, 3))
    assert not [f for f in c.ledger.findings(D(2025, 6, 4)) if f.code == "toy.big"]


def test_tongchou_findings_may_not_claim_overdue(toy_county):
    class Toy:
        @hookimpl
        def tongchou_findings(self, project, history, params):
            return [Finding("toy.late", "overdue", cite(7), "逾期")]

    c = toy_county(Toy())
    with pytest.raises(ConfigurationError):
        c.project()
    assert c.ledger.projects()[1] == 0  # the whole creation rolled back


def test_tongchou_action_taken_sees_success_only_and_can_roll_back(toy_county):
    calls: list[tuple] = []

    class Recorder:
        @hookimpl
        def tongchou_action_taken(self, ctx, event_id):
            calls.append((ctx.action, ctx.actor.name, event_id, ctx.project.status, ctx.date))

    c = toy_county(Recorder())
    p = c.project()
    r = c.act(p, "apply", "unit", APPLY_DAY)
    assert calls == [("apply", "unit1", r.event_id, "draft", APPLY_DAY)]
    with pytest.raises(Refused):
        c.act(p, "approve", "government", D(2025, 6, 21))
    assert len(calls) == 1

    class Veto:
        @hookimpl
        def tongchou_action_taken(self, ctx, event_id):
            raise RuntimeError("notification service down")

    c2 = toy_county(Veto())
    q = c2.project()
    with pytest.raises(RuntimeError):
        c2.act(q, "apply", "unit", APPLY_DAY)
    assert c2.ledger.project(q.id).status == "draft"
    assert c2.ledger.history(q.id) == []
    assert c2.ledger.verify_audit().ok


def test_tongchou_ledger_notices_by_date(toy_county):
    class Toy:
        @hookimpl
        def tongchou_parameters(self):
            return [Parameter("toy_sunset", "玩具办法失效日", cite(8), "date",
                              {D(2025, 1, 1): D(2026, 12, 31)})]

        @hookimpl
        def tongchou_ledger_notices(self, params, on):
            end = params.value("toy_sunset", on)
            if on > end:
                return [Notice("toy.sunset", cite(8), f"玩具办法已于 {end} 失效")]
            return None

    c = toy_county(Toy())
    assert "toy.sunset" not in [n.code for n in c.ledger.notices(D(2026, 12, 31))]
    notices = [n for n in c.ledger.notices(D(2027, 1, 1)) if n.code == "toy.sunset"]
    assert len(notices) == 1 and notices[0].message == "玩具办法已于 2026-12-31 失效"


def test_tongchou_sweep_answers_for_many_projects_at_once(toy_county):
    calls = []

    class Toy:
        @hookimpl
        def tongchou_sweep(self, projects, on, params):
            calls.append(len(projects))
            return {p.id: [Finding("toy.stale", "violation", cite(8), f"{on} 仍为草稿")]
                    for p in projects if p.status == "draft" and on >= D(2026, 1, 1)}

    c = toy_county(Toy())
    drafts = [c.project(), c.project()]
    c.act(drafts[1], "apply", "unit", APPLY_DAY)
    assert [f for f in c.ledger.findings(D(2025, 12, 31)) if f.code == "toy.stale"] == []
    stale = [f for f in c.ledger.sweep(D(2026, 1, 1)).findings if f.code == "toy.stale"]
    assert [(f.project_id, f.message) for f in stale] == [(drafts[0].id, "2026-01-01 仍为草稿")]
    assert calls[-1] == 2  # both projects in one call


def test_tongchou_sweep_marked_with_statuses_gets_only_those_projects(toy_county):
    from tongchou import sweep_statuses
    seen: list[set[str]] = []

    class Toy:
        @hookimpl
        @sweep_statuses("submitted")
        def tongchou_sweep(self, projects, on, params):
            seen.append({p.status for p in projects})
            return {p.id: [Finding("toy.waiting", "violation", cite(8), "待审查")] for p in projects
                    if p.status == "submitted"}

    c = toy_county(Toy())
    draft, submitted, reviewed = c.project(), c.project(), c.project()
    for p in (submitted, reviewed):
        c.act(p, "apply", "unit", APPLY_DAY)
    c.act(reviewed, "review", "bureau", D(2025, 7, 1), result="pass",
          dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
    found = [f.project_id for f in c.ledger.sweep(D(2025, 8, 1)).findings if f.code == "toy.waiting"]
    assert found == [submitted.id]
    # every implementation is marked (xichuan's looks at drafts): the reviewed project is not read
    assert seen == [{"draft", "submitted"}]


def test_an_advice_only_sweep_is_not_asked_when_advice_is_not_wanted(toy_county):
    """Declared ``severities=("advice",)``: the home page's problem counts
    (no advice) neither call it nor read a project for it; a listing with
    advice does; and an implementation giving a severity it did not declare
    is a ConfigurationError naming the finding."""
    from tongchou import sweep_statuses
    calls: list[int] = []
    wrong = {"severity": "advice"}

    class Toy:
        @hookimpl
        @sweep_statuses("draft", severities=("advice",))
        def tongchou_sweep(self, projects, on, params):
            calls.append(len(projects))
            return {p.id: [Finding("toy.old_draft", wrong["severity"], cite(8), "草稿未报")] for p in projects
                    if p.status == "draft"}

    c = toy_county(Toy())
    draft = c.project()
    day = D(2025, 8, 1)
    assert c.ledger.finding_counts(on=day, include_advice=False).get("advice") is None
    assert not [f for f in c.ledger.top_findings(on=day, include_advice=False) if f.code == "toy.old_draft"]
    assert calls == []  # xichuan's own sweep is advice-only too: nothing was read
    counts = c.ledger.finding_counts(on=day, include_advice=True)
    assert calls and counts["advice"] >= 1
    assert [f.project_id for f in c.ledger.sweep(day).findings if f.code == "toy.old_draft"] == [draft.id]
    wrong["severity"] = "violation"
    with pytest.raises(ConfigurationError, match="toy.old_draft"):
        c.ledger.sweep(day)
    with pytest.raises(ConfigurationError, match="severities"):
        sweep_statuses("draft", severities=("overdue",))
