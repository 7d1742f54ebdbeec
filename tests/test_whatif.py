"""What if: the ledger's history replayed under a draft rule set.

Most tests use one demo county (the demo seeding function, built around
TODAY) with one change request added, and only read it; the last ones run a
small county on both backends.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tongchou import whatif
from tongchou.cli import main, seed_demo
from tongchou.dates import add_months
from tongchou.errors import ConfigurationError, InvalidInput
from tongchou.ledger import Ledger
from tongchou.models import MODELS
from tongchou.parameters import render

from .conftest import DIMS

D = dt.date
TODAY = D(2026, 11, 20)
#: an approved purchased-service project of the demo county (estimate 460,000 元)
CHANGED = "家庭医生签约服务系统"
CHANGE_AMOUNT = Decimal("55200")  # 12 % of the estimate: allowed at 15 %, not at 10 %


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whatif")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TONGCHOU_AUDIT_KEY_FILE", str(folder / "audit.key"))
        ledger = Ledger.open(str(folder / "ledger.db"))
        seed_demo(ledger, TODAY)
        (p,), _n = ledger.projects(filters={"name": CHANGED})
        unit = ledger.actor("weijian")
        ledger.act(p.id, "request_change", unit, TODAY - dt.timedelta(days=2),
                   {"amount": CHANGE_AMOUNT, "reason": "schedule_adjustment", "goal_unchanged": True})
        yield ledger, folder
        ledger.close()


def ids(ledger) -> dict[str, int]:
    projects, _n = ledger.projects()
    return {p.name: p.id for p in projects}


def by_name(result: whatif.WhatIf) -> dict[str, whatif.ProjectDiff]:
    return {p.name: p for p in result.projects}


def test_current_rules_change_nothing(demo):
    ledger, _folder = demo
    result = whatif.run(ledger, whatif.Draft(), on=TODAY)
    assert result.examined == 33
    assert result.projects == ()


def test_a_lower_change_threshold_refuses_a_past_change_citing_article_17(demo):
    ledger, _folder = demo
    result = whatif.run(ledger, whatif.Draft({"change_threshold": "0.10"}), on=TODAY)
    assert result.overrides == {"change_threshold": ("0.15", "0.10")}
    assert [p.name for p in result.projects] == [CHANGED]
    (step,) = by_name(result)[CHANGED].refused
    assert step.action == "request_change" and step.date == TODAY - dt.timedelta(days=2)
    assert step.articles == ("第十七条",)
    assert "46,000.00 元" in step.refusals[0].message  # 10 % of the estimate
    # the rest of its history is kept as recorded: nothing else differs
    assert by_name(result)[CHANGED].obligations == () and by_name(result)[CHANGED].findings == ()
    # at the boundary (12 %) the change is still allowed
    assert whatif.run(ledger, whatif.Draft({"change_threshold": "0.12"}), on=TODAY).projects == ()


def test_disabling_a_plugin_removes_its_findings_and_obligations(demo):
    ledger, _folder = demo
    result = whatif.run(ledger, whatif.Draft(disabled=["xichuan.cloud"]), on=TODAY)
    diffs = by_name(result)
    assert set(diffs) == {"教育局机房独立改造", "地质灾害监测预警平台"}
    (finding,) = diffs["教育局机房独立改造"].findings
    assert (finding.change, finding.severity, finding.citation.article_labels) == ("removed", "violation", ("第二十五条",))
    (obligation,) = diffs["地质灾害监测预警平台"].obligations
    assert obligation.change == "removed" and obligation.citation.article_labels == ("第二十五条",)
    assert all(not d.refused for d in diffs.values())


def test_shorter_acceptance_months_move_due_dates(demo):
    ledger, _folder = demo
    pid = ids(ledger)["电子健康档案系统"]
    (current,) = [o for o in ledger.obligations(project_id=pid) if o.code == "xichuan.acceptance.due"]
    result = whatif.run(ledger, whatif.Draft({"acceptance_months": "3"}), on=TODAY)
    diff = by_name(result)["电子健康档案系统"]
    (moved,) = diff.obligations
    assert moved.change == "changed" and moved.citation.article_labels == ("第十八条",)
    assert moved.before.due == current.due
    completed = [h for h in ledger.history(pid) if h["action"] == "complete"][0]["date"]
    assert moved.after.due == add_months(completed, 3) < TODAY
    # so the acceptance is overdue under the draft
    (late,) = diff.findings
    assert (late.change, late.severity, late.citation.article_labels) == ("added", "overdue", ("第十八条",))
    # the demo's projects were accepted within weeks: in time under 3 months ...
    assert not any(o.late_after for p in result.projects for o in p.obligations)
    # ... but late if acceptance were due on the day of completion
    strict = whatif.run(ledger, whatif.Draft({"acceptance_months": "0"}), on=TODAY)
    late_ones = {p.name for p in strict.projects for o in p.obligations if o.late_after}
    assert "学生资助管理信息系统" in late_ones


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_overrides_equal_to_current_values_change_nothing(demo, data):
    ledger, _folder = demo
    params = ledger.params
    names = data.draw(st.sets(st.sampled_from(sorted(params.specs)), min_size=1))
    on = data.draw(st.dates(min_value=TODAY - dt.timedelta(days=400), max_value=TODAY + dt.timedelta(days=400)))
    # the xichuan values have one effective date, so today's value is every date's value
    overrides = {n: render(params.specs[n].type, params.value(n, TODAY)) for n in names}
    result = whatif.run(ledger, whatif.Draft(overrides), on=on)
    assert result.projects == ()
    assert all(cur == new for cur, new in result.overrides.values())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("0.30"), places=3))
@example(rate=Decimal("0.12"))
@example(rate=Decimal("0.119"))
def test_the_past_change_is_refused_exactly_when_the_draft_threshold_is_below_it(demo, rate):
    ledger, _folder = demo
    result = whatif.run(ledger, whatif.Draft({"change_threshold": str(rate)}), on=TODAY)
    refused = [r for p in result.projects for r in p.refused]
    estimate = Decimal("460000")
    if CHANGE_AMOUNT > estimate * rate:  # the boundary itself is allowed (第十七条: 不超过)
        assert [(r.action, r.articles) for r in refused] == [("request_change", ("第十七条",))]
    else:
        assert refused == []


def _snapshot(ledger, folder) -> tuple:
    ledger.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    counts = tuple(m.select().count() for m in MODELS)
    con = sqlite3.connect(folder / "ledger.db")
    last = con.execute("SELECT max(id), max(mac) FROM audit_entry").fetchone()
    con.close()
    return counts, last, (folder / "ledger.db").read_bytes()


def test_whatif_never_writes_the_ledger(demo):
    ledger, folder = demo
    before = _snapshot(ledger, folder)
    whatif.run(ledger, whatif.Draft({"change_threshold": "0.05", "acceptance_months": "1"},
                                    ["xichuan.cloud", "xichuan.security"]), on=TODAY)
    with pytest.raises(InvalidInput):
        whatif.run(ledger, whatif.Draft({"change_threshold": "abc"}))
    after = _snapshot(ledger, folder)
    assert after[:2] == before[:2]
    assert after[2] == before[2]  # the database file, byte for byte
    assert ledger.verify_audit().ok


def test_bad_drafts_are_clear_errors(demo):
    ledger, _folder = demo
    with pytest.raises(InvalidInput, match="未知参数“nope”"):
        whatif.run(ledger, whatif.Draft({"nope": "1"}))
    with pytest.raises(InvalidInput, match="change_threshold"):
        whatif.run(ledger, whatif.Draft({"change_threshold": "十五"}))
    with pytest.raises(InvalidInput, match="未启用的插件“xichuan.nope”"):
        whatif.run(ledger, whatif.Draft(disabled=["xichuan.nope"]))
    with pytest.raises(InvalidInput, match="核心插件"):
        whatif.run(ledger, whatif.Draft(disabled=["tongchou.core"]))
    # a draft that cannot be put together says which plugins were switched off
    with pytest.raises(ConfigurationError, match="xichuan.approval"):
        whatif.run(ledger, whatif.Draft(disabled=["xichuan.approval"]))
    with pytest.raises(InvalidInput):
        whatif.parse_overrides(["change_threshold"])
    with pytest.raises(InvalidInput, match="两次"):
        whatif.parse_overrides(["a=1", "a=2"])


def test_a_unit_user_sees_only_their_own_projects(demo):
    ledger, _folder = demo
    unit = ledger.actor("weijian")
    result = whatif.run(ledger, whatif.Draft({"change_threshold": "0.10", "acceptance_months": "3"}),
                        on=TODAY, actor=unit)
    assert result.examined == 6
    assert {p.unit for p in result.projects} == {"县卫生健康委员会"}
    assert CHANGED in by_name(result)


def test_cli_whatif(demo, capsys, monkeypatch):
    ledger, folder = demo
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(folder / "audit.key"))
    db = str(folder / "ledger.db")
    capsys.readouterr()
    assert main(["--db", db, "whatif", "--param", "change_threshold=0.10", "--date", TODAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "change_threshold: 0.15 -> 0.10" in out and "1 past steps would be refused" in out
    assert CHANGED in out and "第十七条" in out
    assert main(["--db", db, "whatif", "--param", "acceptance_months=3", "--disable", "xichuan.cloud",
                 "--date", TODAY.isoformat(), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["disabled"] == ["xichuan.cloud"] and data["examined"] == 33
    names = {p["project"] for p in data["projects"]}
    assert {"电子健康档案系统", "教育局机房独立改造"} <= names
    assert main(["--db", db, "whatif", "--param", "nope=1"]) == 2
    assert "nope" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# Both backends: a small county, with a field edit between the events


def test_replay_follows_edits_and_keeps_refused_steps_on_both_backends(county):
    c = county
    p = c.project(name="草稿项目", estimate="1000000")
    # edited while still a draft: the replay starts from the entry, then applies the edit
    c.ledger.update_project(p.id, {"estimate": "2000000"}, c.users["unit"], D(2025, 6, 10))
    c.act(p, "apply", "unit", D(2025, 6, 20))
    c.act(p, "review", "bureau", D(2025, 7, 10), result="pass", dimensions=DIMS)
    c.act(p, "approve", "government", D(2025, 7, 20))
    # 12 % of the edited estimate (2,000,000), 24 % of the one it was entered with
    c.act(p, "request_change", "unit", D(2025, 8, 1), amount="240000", reason="schedule_adjustment",
          goal_unchanged=True)
    c.act(p, "request_change", "unit", D(2025, 8, 2), amount="100000", reason="schedule_adjustment",
          goal_unchanged=True)
    assert whatif.run(c.ledger, whatif.Draft(), on=D(2025, 9, 1)).projects == ()
    result = whatif.run(c.ledger, whatif.Draft({"change_threshold": "0.10"}), on=D(2025, 9, 1))
    (diff,) = result.projects
    # the first change is refused; the second (5 %) is still checked and allowed
    assert [(r.seq, r.action, r.articles) for r in diff.refused] == [(4, "request_change", ("第十七条",))]
    assert diff.notes == ()


def test_findings_plugins_see_on_the_date_are_compared_too():
    import os

    from tongchou import Finding, hookimpl
    from tongchou.packs import load_jurisdiction

    from .conftest import County
    from .toy_plugins import cite

    class Sweeper:
        """Sees a violation in every project still in draft on the date."""

        @hookimpl
        def tongchou_sweep(self, projects, on, params):
            return {p.id: [Finding("toy.stale_draft", "violation", cite(4), "草稿久未申报")]
                    for p in projects if p.status == "draft"}

    jur = load_jurisdiction("xichuan", extra_plugins=[("toy.sweep", Sweeper())])
    c = County(Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)))
    try:
        c.project(name="久未申报")
        assert whatif.run(c.ledger, whatif.Draft(), on=D(2025, 9, 1)).projects == ()
        (diff,) = whatif.run(c.ledger, whatif.Draft(disabled=["toy.sweep"]), on=D(2025, 9, 1)).projects
        assert [(f.code, f.change) for f in diff.findings] == [("toy.stale_draft", "removed")]
    finally:
        c.ledger.close()
