"""Worklists from the rules: the demo county's 我的待办 per role through
``tongchou todo``, the same list the web UI shows, read set-based; the
next-step checklist; and a check that reports only what refuses whatever the
arguments."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.cli import main
from tongchou.ledger import Ledger

TODAY = "2026-11-25"
ON = dt.date(2026, 11, 25)


# The demo county built on TODAY, copied for each test: the fixtures of test_cli.py.
from .test_cli import db, demo_ledger  # noqa: E402,F401


def todo(capsys, db, user, *extra):
    capsys.readouterr()
    assert main(["--db", db, "todo", "--user", user, "--date", TODAY, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def pairs(entries):
    return {(e["project_id"], e["action"]) for e in entries}


# The demo county's worklists, role by role (projects 1-32 keep their ids and statuses; #33 was added).
EXPECTED = {
    "bureau": {(3, "review"), (4, "review")},
    "government": {(5, "approve"), (6, "approve")},
    # 第九条: the approval documents of the government-investment projects, in order; 列入年度计划
    "drc": {(10, "approve_document"), (10, "plan"), (11, "approve_document")},
    # 第十一条: approved and planned projects without a budget (demo #9-#12)
    "finance": {(9, "budget"), (10, "budget"), (11, "budget"), (12, "budget")},
    # 第八条: the 临时安排 project #33 waits for 县分管领导同意 (before the bureau's review)
    "leader": {(33, "leader_consent")},
    "oversight": set(),
    "admin": set(),
    "jiaoyu": {(1, "apply"), (13, "sign_contract"), (19, "complete"), (25, "start_operation")},
    "weijian": {(14, "sign_contract"), (20, "accept"), (26, "start_operation"), (32, "rectify")},
    "chengguan": {(17, "complete"), (23, "accept")},
    "gongan": {(18, "complete"), (24, "accept"), (24, "explain_delay")},
    "ziran": {(16, "start_construction"), (22, "accept"), (28, "record_sharing")},
    "renshe": {(2, "apply"), (15, "start_construction"), (21, "accept"), (21, "explain_delay"),
               (27, "record_assessment")},
}


@pytest.mark.parametrize("user", sorted(EXPECTED))
def test_each_demo_role_sees_its_worklist(db, capsys, user):
    entries = todo(capsys, db, user)
    assert pairs(entries) == EXPECTED[user]
    for e in entries:
        assert e["reason"] and "第" in e["citation"] and e["ready"] is True


def test_entries_say_what_is_owed_and_when_earliest_due_first(db, capsys):
    entries = todo(capsys, db, "renshe")
    overdue = [e for e in entries if e["project_id"] == 21]
    assert {e["code"] for e in overdue} == {"xichuan.acceptance.due"}
    assert all(e["overdue"] and e["due"] == "2026-11-09" for e in overdue)
    assert entries[0]["project_id"] == 21  # the overdue acceptance comes first
    (assessment,) = [e for e in entries if e["action"] == "record_assessment"]
    assert assessment["code"] == "xichuan.security.mlps_next" and assessment["overdue"] is False
    # the text form is the same list
    assert main(["--db", db, "todo", "--user", "renshe", "--date", TODAY]) == 0
    out = capsys.readouterr().out
    assert "5 项" in out and "#21 劳动保障监察网格化系统" in out and "已逾期" in out


def test_an_assessment_far_off_is_not_yet_a_todo(db, capsys):
    # 等保 of #27 falls due 2026-12-20: 30 days ahead (todo_lead_days) it is listed, 31 not
    assert main(["--db", db, "todo", "--user", "renshe", "--date", "2026-11-19", "--json"]) == 0
    assert (27, "record_assessment") not in pairs(json.loads(capsys.readouterr().out))
    assert main(["--db", db, "todo", "--user", "renshe", "--date", "2026-11-20", "--json"]) == 0
    assert (27, "record_assessment") in pairs(json.loads(capsys.readouterr().out))


def test_the_list_moves_with_the_project(db, capsys):
    assert main(["--db", db, "act", "9", "budget", "--user", "finance", "--date", TODAY, "amount=460000"]) == 0
    assert (9, "budget") not in pairs(todo(capsys, db, "finance"))
    assert (9, "tender") in pairs(todo(capsys, db, "weijian"))  # the unit's turn now


def test_a_contracted_government_project_needs_a_supervisor_before_construction(db, capsys):
    # take #12 (planned, documents approved) to contract without a supervisor
    steps = [("12", "budget", "finance", ["amount=3100000"]), ("12", "tender", "gongan", []),
             ("12", "sign_contract", "gongan",
              ["clauses=" + ",".join(["scope", "standards", "technical_specs", "schedule", "equipment_list",
                                      "acceptance_requirements", "training", "payment", "documentation",
                                      "warranty", "intellectual_property", "confidentiality", "after_sales",
                                      "liability"])])]
    for pid, action, user, args in steps:
        assert main(["--db", db, "act", pid, action, "--user", user, "--date", TODAY, *args]) == 0, action
    capsys.readouterr()
    entries = {e["action"]: e for e in todo(capsys, db, "gongan") if e["project_id"] == 12}
    assert set(entries) == {"appoint_supervisor", "start_construction"}
    assert entries["appoint_supervisor"]["ready"]
    blocked = entries["start_construction"]
    assert not blocked["ready"] and [r["code"] for r in blocked["blocked_by"]] == ["xichuan.supervision.required"]
    assert [e["project_id"] for e in todo(capsys, db, "gongan", "--ready") if e["action"] == "start_construction"] == []


def test_a_worklist_is_read_in_a_few_queries_whatever_the_number_of_projects(db):
    with Ledger.open(db) as ledger:
        finance = ledger.actor("finance")
        calls = []
        real = ledger.db.execute_sql

        def counting(sql, params=None, *a, **kw):
            calls.append(sql)
            return real(sql, params, *a, **kw)

        ledger.db.execute_sql = counting
        entries = ledger.todos(finance, ON)
        ledger.db.execute_sql = real
    assert len(entries) == 4
    # candidates, histories, documents, obligations (+ a unit-name lookup or two): not one per project
    assert len(calls) <= 8, calls


def test_next_steps_list_what_each_still_needs(db):
    with Ledger.open(db) as ledger:
        unit = ledger.actor("ziran")
        steps = {s.action: s for s in ledger.next_steps(10, unit, ON)}
        assert set(steps) == {"plan", "approve_document", "budget"}
        assert all(s.roles for s in steps.values())
        # 开工 of a contracted project with no supervisor and no budget: the checklist names both
        p = ledger.project(16, unit)
        assert p.status == "contracted"
        refusals = ledger.check(16, "start_construction", unit, ON, partial=True)
        assert refusals == []  # #16 is a purchased service with its budget


def test_a_partial_check_ignores_what_the_form_will_supply(db):
    with Ledger.open(db) as ledger:
        bureau, finance = ledger.actor("bureau"), ledger.actor("finance")
        # 技术审查 needs its five dimensions: typed in the form, not a reason to disable it
        assert ledger.check(3, "review", bureau, ON, partial=True) == []
        full = ledger.check(3, "review", bureau, ON, {"result": "pass"})
        assert [r.code for r in full] == ["xichuan.approval.review_dimensions"]
        # 安排预算 on a project never reviewed is refused whatever the amount
        assert [r.code for r in ledger.check(3, "budget", finance, ON, partial=True)] == \
            ["xichuan.funds.budget_unreviewed"]
        # a suspended project refuses everything but rectify/resume, before anything is typed
        assert "xichuan.oversight.suspended" in {r.code for r in ledger.check(32, "budget", finance, ON,
                                                                                 partial=True)}


def test_a_county_can_require_the_named_acceptance_documents_to_be_uploaded(db, tmp_path):
    from tongchou.documents import DocumentStore
    docs = ["summary", "financial_report", "audit_report", "security_risk_assessment"]
    args = {"result": "pass", "documents": docs}
    with Ledger.open(db) as ledger:
        unit, admin = ledger.actor("weijian"), ledger.actor("admin")
        assert ledger.check(20, "accept", unit, ON, args) == []  # off by default: naming is enough
        ledger.set_parameter("require_uploaded_documents", dt.date(2026, 11, 25), "1", admin)
        assert ledger.check(20, "accept", unit, dt.date(2026, 11, 24), args) == []  # the day before it applies
        (refusal,) = ledger.check(20, "accept", unit, ON, args)
        assert refusal.code == "xichuan.acceptance.documents_uploaded" and refusal.citation.cites(18)
        assert "项目建设总结" in refusal.message and "审计报告" in refusal.message
        store = DocumentStore(tmp_path / "files")
        # by label or by the choice's value, as the UI and the CLI name them
        for kind in ("项目建设总结", "财务报告", "audit_report"):
            store.add(ledger, 20, kind, f"{kind}.pdf", b"%PDF-1.4 test", unit)
        (refusal,) = ledger.check(20, "accept", unit, ON, args)
        assert "安全风险评估报告" in refusal.message and "审计报告" not in refusal.message
        store.add(ledger, 20, "安全风险评估报告", "risk.pdf", b"%PDF-1.4 test", unit)
        assert ledger.check(20, "accept", unit, ON, args) == []
        # a worklist's partial check never disables 组织验收 over what the form will name
        assert ledger.check(20, "accept", unit, ON, partial=True) == []


def test_worklists_and_next_steps_on_both_backends(county):
    """The same list on SQLite and PostgreSQL, from a project taken step by step."""
    from .conftest import CLAUSES, DIMS
    c, D = county, dt.date
    p = c.project(category="government_investment", source="unit_application")
    c.act(p, "apply", "unit", D(2025, 6, 20))
    c.act(p, "review", "bureau", D(2025, 7, 1), result="pass", dimensions=DIMS)
    c.act(p, "approve", "government", D(2025, 7, 10))
    on = D(2025, 7, 20)
    todos = lambda role: {(e.project_id, e.action) for e in c.ledger.todos(c.users[role], on)}  # noqa: E731
    assert todos("finance") == {(p.id, "budget")}
    assert todos("drc") == {(p.id, "plan"), (p.id, "approve_document")}
    assert todos("unit") == set()
    for i, doc in enumerate(("proposal", "feasibility", "preliminary_design")):
        c.act(p, "approve_document", "drc", D(2025, 7, 11 + i), document=doc, sharing_chapter=True)
    c.act(p, "budget", "finance", D(2025, 7, 15), amount="1000000")
    c.act(p, "tender", "unit", D(2025, 7, 16))
    c.act(p, "sign_contract", "unit", D(2025, 7, 18), clauses=CLAUSES)
    entries = {e.action: e for e in c.ledger.todos(c.users["unit"], on)}
    assert set(entries) == {"appoint_supervisor", "start_construction"}
    assert entries["appoint_supervisor"].ready and not entries["start_construction"].ready
    steps = {s.action: s for s in c.ledger.next_steps(p.id, c.users["bureau"], on)}
    assert [r.code for r in steps["start_construction"].blocked_by] == ["xichuan.supervision.required"]
    c.act(p, "appoint_supervisor", "unit", D(2025, 7, 19), name="甲监理", qualification="甲级")
    assert [(e.action, e.ready) for e in c.ledger.todos(c.users["unit"], on)] == [("start_construction", True)]


_XICHUAN = None


def _xichuan():
    global _XICHUAN
    if _XICHUAN is None:
        from tongchou.packs import load_jurisdiction
        _XICHUAN = load_jurisdiction("xichuan")
    return _XICHUAN


@settings(max_examples=60, deadline=None)
@given(days=st.integers(min_value=-90, max_value=120))
def test_an_owed_assessment_is_listed_from_todo_lead_days_before_its_due_date(days):
    from tongchou import Obligation, ProjectState
    from tongchou.plugins.xichuan import worklist
    from tongchou.plugins.xichuan.common import cite
    params = _xichuan().parameters()
    lead = params.value("todo_lead_days", ON)
    ob = Obligation("xichuan.security.mlps_next", cite(32), ON + dt.timedelta(days=days), "等保测评")
    project = ProjectState(id=1, status="in_operation", fields={"category": "purchased_service"})
    history = ()
    todos = worklist.tongchou_todos(project, history, params, ON, (ob,))
    listed = any(t.action == "record_assessment" and t.due == ob.due for t in todos)
    assert listed == (days <= lead)
