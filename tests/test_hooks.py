"""Every hookspec has an effect through the engine.

Each test registers a toy plugin next to the ``xichuan`` pack
(``load_jurisdiction("xichuan", extra_plugins=[("toy", plugin)])``), opens an
in-memory ledger on it and checks what the hook changed.  The last test is the
meta-test: a hook added to core/hookspecs.py without a test here (a test whose
name contains the hook's name) or without a ``### <hook>`` entry in
docs/plugins.md fails the suite.
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import sys
import textwrap
import types
from decimal import Decimal
from pathlib import Path

import pytest

from tongchou import (ANY_ACTION, CREATE_PROJECT, Action, ActionArgument, Article, Choice, Field,
                      Finding, Guard, Notice, Obligation, Parameter, Role, Status, hookimpl)
from tongchou import cli
from tongchou.errors import ConfigurationError, InvalidInput, Refused
from tongchou.ledger import Ledger
from tongchou.packs import load_jurisdiction
from tongchou.parameters import load_parameters

from .conftest import County
from .toy_plugins import DOCUMENT, cite, contributing

ROOT = Path(__file__).resolve().parent.parent
D = dt.date


@pytest.fixture
def toy_county():
    """``toy_county(plugin, ...)``: a County on an in-memory xichuan ledger with
    the given toy plugins registered (named toy, toy2, ...)."""
    opened: list[Ledger] = []

    def make(*plugins) -> County:
        named = [(f"toy{i + 1 if i else ''}", p) for i, p in enumerate(plugins)]
        jur = load_jurisdiction("xichuan", extra_plugins=named)
        ledger = Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32)
        opened.append(ledger)
        return County(ledger)

    yield make
    for ledger in opened:
        ledger.close()


APPLY_DAY = D(2025, 6, 20)  # before xichuan's application deadline for year 2026


# ---------------------------------------------------------------------------
# Start-up hooks


def test_tongchou_statuses_stage_is_reachable(toy_county):
    toy = contributing(
        tongchou_statuses=[Status("pre_review", "预审中", order=15)],
        tongchou_actions=[Action("start_pre_review", "进入预审", roles=("bureau",), citation=cite(1),
                                 from_statuses=("submitted",), to_status="pre_review")])
    c = toy_county(toy)
    assert c.ledger.registry.status("pre_review").plugin == "toy"
    p = c.project()
    c.act(p, "apply", "unit", APPLY_DAY)
    result = c.act(p, "start_pre_review", "bureau", D(2025, 6, 21))
    assert (result.from_status, result.to_status) == ("submitted", "pre_review")
    assert c.ledger.status_counts() == {"pre_review": 1}
    assert c.ledger.registry.status_label("pre_review") == "预审中"
    # xichuan's review starts from `submitted` only: the new stage is really in the way
    with pytest.raises(Refused) as exc:
        c.act(p, "review", "bureau", D(2025, 6, 22), result="pass")
    assert [r.code for r in exc.value.refusals][0] == "status"


def test_tongchou_roles_adds_a_role_only_it_may_act(toy_county):
    toy = contributing(
        tongchou_roles=[Role("expert", "评审专家")],
        tongchou_actions=[Action("expert_defence", "专家答辩", roles=("expert",), citation=cite(1),
                                 from_statuses=("submitted",))])
    c = toy_county(toy)
    assert "expert" in c.users  # County adds one user per role the registry knows
    p = c.project()
    c.act(p, "apply", "unit", APPLY_DAY)
    with pytest.raises(Refused) as exc:
        c.act(p, "expert_defence", "bureau", D(2025, 6, 21))
    assert exc.value.is_permission
    c.act(p, "expert_defence", "expert", D(2025, 6, 21))
    assert [e["action"] for e in c.ledger.history(p.id)] == ["apply", "expert_defence"]
    with pytest.raises(InvalidInput):
        c.ledger.add_user("ghost", "no_such_role")


def test_tongchou_fields_adds_a_project_field(toy_county):
    zones = (Choice("north", "北区"), Choice("south", "南区"))
    toy = contributing(tongchou_fields=[Field("pilot_zone", "试点片区", "enum", choices=zones, filterable=True)])
    c = toy_county(toy)
    p = c.project(pilot_zone="north")
    assert c.ledger.project(p.id)["pilot_zone"] == "north"
    assert c.ledger.projects(filters={"pilot_zone": "north"})[1] == 1
    assert c.ledger.projects(filters={"pilot_zone": "south"})[1] == 0
    assert c.project(name="另一个")["pilot_zone"] is None  # left out: the default
    with pytest.raises(InvalidInput):
        c.project(pilot_zone="east")


def test_tongchou_actions_adds_an_action_with_arguments_and_effects(toy_county):
    toy = contributing(tongchou_actions=[Action(
        "site_visit", "现场核查", roles=("bureau",), citation=cite(1),
        args=(Field("note", "核查意见", "text", required=True),),
        effects=lambda ctx: {"estimate": Decimal("900000.00")})])
    c = toy_county(toy)
    p = c.project()
    # no start status given: any status but the initial and terminal ones
    with pytest.raises(Refused) as exc:
        c.act(p, "site_visit", "bureau", D(2025, 6, 1), note="草稿")
    assert exc.value.refusals[0].code == "status"
    c.act(p, "apply", "unit", APPLY_DAY)
    with pytest.raises(InvalidInput):
        c.act(p, "site_visit", "bureau", D(2025, 6, 21))  # required argument missing
    r = c.act(p, "site_visit", "bureau", D(2025, 6, 21), note="已核查")
    assert r.to_status == "submitted"  # to_status None: stays
    assert c.ledger.project(p.id)["estimate"] == Decimal("900000.00")
    assert c.ledger.history(p.id)[-1]["args"] == {"note": "已核查"}


def test_tongchou_action_arguments_extends_another_plugins_action(toy_county):
    toy = contributing(tongchou_action_arguments=[
        ActionArgument("apply", Field("contact", "联系人", "text", required=True))])
    c = toy_county(toy)
    arg = c.ledger.registry.action("apply").arg("contact")
    assert arg is not None and arg.plugin == "toy"
    p = c.project()
    with pytest.raises(InvalidInput):
        c.act(p, "apply", "unit", APPLY_DAY)
    c.act(p, "apply", "unit", APPLY_DAY, contact="张三")
    assert c.ledger.history(p.id)[0]["args"] == {"contact": "张三"}


def test_tongchou_guards_refuse_with_citation_and_compose(toy_county):
    def cap(ctx):
        if ctx.project["estimate"] > 5_000_000:
            return "超过玩具县500万元上限"
        return None

    def no_data_centres(ctx):
        assert ctx.project.id is None and ctx.history == ()
        return "不登记数据中心项目" if ctx.project["kind"] == "data_center" else None

    seen: list[str] = []

    def watch_all(ctx):
        seen.append(ctx.action)
        return None

    toy = contributing(tongchou_guards=[
        Guard("toy.estimate_cap", ("apply",), cap, cite(2), "投资上限"),
        Guard("toy.no_data_centres", (CREATE_PROJECT,), no_data_centres, cite(3), "适用范围"),
        Guard("toy.watch", (ANY_ACTION,), watch_all, cite(4), "观察")])
    c = toy_county(toy)
    big = c.project(estimate="6000000")
    with pytest.raises(Refused) as exc:
        c.act(big, "apply", "unit", APPLY_DAY)
    assert [r.code for r in exc.value.refusals] == ["toy.estimate_cap"]
    assert exc.value.cites(2) and exc.value.refusals[0].citation.document == DOCUMENT
    assert c.ledger.project(big.id).status == "draft" and c.ledger.history(big.id) == []
    # check() says the same without acting
    assert [r.code for r in c.ledger.check(big.id, "apply", c.users["unit"], APPLY_DAY)] == ["toy.estimate_cap"]
    # refusals compose: xichuan's deadline (第七条) and the toy cap (article 2), sorted by article
    with pytest.raises(Refused) as exc:
        c.act(big, "apply", "unit", D(2025, 7, 10))
    assert [r.code for r in exc.value.refusals] == ["toy.estimate_cap", "xichuan.approval.deadline"]
    small = c.project(estimate="1000000")
    c.act(small, "apply", "unit", APPLY_DAY)
    assert c.ledger.project(small.id).status == "submitted"
    assert seen and set(seen) == {"apply"}  # ANY_ACTION sees actions, not the pseudo-actions
    with pytest.raises(Refused) as exc:
        c.project(kind="data_center")
    assert exc.value.cites(3)
    assert c.ledger.projects()[1] == 2


def test_tongchou_parameters_dated_values_from_yaml(toy_county, tmp_path):
    (tmp_path / "toy_limit.yaml").write_text(textwrap.dedent("""\
        description: 单个项目概算上限(百万元)
        reference: 第五条
        type: int
        unit: million yuan
        values:
          2025-01-01: 5
          2026-01-01: 3
        """), encoding="utf-8")

    class Toy:
        @hookimpl
        def tongchou_parameters(self):
            return load_parameters(tmp_path, ["toy_limit"], document=DOCUMENT)

        @hookimpl
        def tongchou_guards(self):
            def limit(ctx):
                cap = ctx.params["toy_limit"]
                if ctx.project["estimate"] > cap * 1_000_000:
                    return f"概算超过 {cap} 百万元"
                return None
            return [Guard("toy.limit", ("apply",), limit, cite(5))]

    c = toy_county(Toy())
    params = c.ledger.params
    spec = params.require("toy_limit")
    assert (spec.plugin, spec.unit, spec.citation.articles) == ("toy", "million yuan", (5,))
    assert params.value("toy_limit", D(2025, 12, 31)) == 5
    assert params.value("toy_limit", D(2026, 1, 1)) == 3
    a = c.project(estimate="4000000")
    c.act(a, "apply", "unit", APPLY_DAY)  # limit 5 on this date
    b = c.project(estimate="4000000", year=2027)
    with pytest.raises(Refused) as exc:
        c.act(b, "apply", "unit", D(2026, 3, 1))  # limit 3 from 2026
    assert exc.value.refusals[0].message == "概算超过 3 百万元"
    # an administrator's dated value in the ledger wins from its date
    c.ledger.set_parameter("toy_limit", D(2026, 2, 1), "10", c.users["admin"])
    assert c.ledger.params.value("toy_limit", D(2026, 3, 1)) == 10
    c.act(b, "apply", "unit", D(2026, 3, 1))


def test_tongchou_articles_text_is_looked_up_by_citation(toy_county):
    toy = contributing(
        tongchou_articles=[Article(2, "项目概算不得超过五百万元。", "投资上限", DOCUMENT)],
        tongchou_guards=[Guard("toy.never", ("apply",), lambda ctx: "不予申报", cite(2))])
    c = toy_county(toy)
    p = c.project()
    with pytest.raises(Refused) as exc:
        c.act(p, "apply", "unit", APPLY_DAY)
    citation = exc.value.refusals[0].citation
    article = c.ledger.registry.article(citation.document, citation.articles[0])
    assert article is not None and article.text == "项目概算不得超过五百万元。"
    assert c.ledger.registry.article(DOCUMENT, 99) is None


def test_tongchou_reports_runs_through_the_cli(tmp_path, monkeypatch, capsys):
    # a stand-alone plugin named in TONGCHOU_LOAD is registered into every jurisdiction
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.toy_plugins:COUNT_REPORT")
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    db = str(tmp_path / "ledger.db")
    assert cli.main(["--db", db, "init", "--demo", "--today", "2026-03-01"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", db, "project", "list", "--json", "--status", "in_operation"]) == 0
    expected = json.loads(capsys.readouterr().out)["total"]
    assert expected > 0
    assert cli.main(["--db", db, "report", "toy_count", "--json", "status=in_operation"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["report"] == "toy_count"
    assert out["rows"] == [{"status": "in_operation", "n": expected}]
    assert cli.main(["--db", db, "plugins", "list", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["tests.toy_plugins:COUNT_REPORT"]["hooks"] == ["tongchou_reports"]


def test_tongchou_document_templates_fill_a_toy_document(toy_county, tmp_path):
    # More in tests/test_official.py (xichuan's documents, replacement, conflicts).
    docx = pytest.importorskip("docx")
    from tongchou import official
    template = docx.Document()
    template.add_paragraph("玩具通知:{{ project.name }} 于 {{ applied }} 申报")
    template.save(tmp_path / "toy.docx")

    def context(doc):
        ev = doc.last("apply")
        return None if ev is None else {"applied": ev.date.isoformat()}

    toy = contributing(tongchou_document_templates=[
        official.DocumentTemplate("toy_notice", "玩具通知", tmp_path / "toy.docx", context)])
    c = toy_county(toy)
    p = c.project(name="玩具项目")
    assert "toy_notice" not in dict(official.available(c.ledger, p.id, c.users["bureau"]))
    c.act(p, "apply", "unit", APPLY_DAY)
    assert ("toy_notice", "玩具通知") in official.available(c.ledger, p.id, c.users["bureau"])
    data = official.render(c.ledger, p.id, "toy_notice", c.users["bureau"])
    assert "玩具通知:玩具项目 于 2025-06-20 申报" in official.document_text(data)


def test_tongchou_import_vocabulary_words_and_milestones_of_a_county_taizhang(tmp_path):
    # More in tests/test_import_real.py (xichuan's words, two-row headers, status migration).
    import openpyxl
    from tongchou.import_headers import HeaderSynonyms, ValueSynonyms
    from tongchou.import_history import Milestone
    from tongchou.imports import import_workbook
    toy = contributing(tongchou_import_vocabulary=[
        HeaderSynonyms("funding", ("钱从哪来",)),
        ValueSynonyms("category", {"买服务": "purchased_service"}),
        ValueSynonyms("no_such_field", {"x": "y"}),  # a field the jurisdiction lacks: left out
        Milestone("applied", "申报", "apply", headers=("申报日期",)),
    ])
    # a ledger in a file (not in memory): rule tests later in the run derive without a
    # ledger of their own, and xichuan's duplicate check then reads the last one opened
    ledger = Ledger.open(str(tmp_path / "toy.db"), jurisdiction=load_jurisdiction("xichuan", extra_plugins=[
        ("toy", toy)]), audit_key=b"k" * 32)
    c = County(ledger)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目名称", "建设单位", "年度", "项目类别", "项目类型", "项目来源", "钱从哪来", "申报日期"])
    ws.append(["玩具系统", "县教育局", 2026, "买服务", "政务信息系统", "单位申报", "县级财政", "2025-06-20"])
    wb.save(tmp_path / "toy.xlsx")
    report = import_workbook(c.ledger, tmp_path / "toy.xlsx", c.users["admin"], date=D(2025, 7, 1))
    assert report.ok, [p.text for p in report.problems]
    p = c.ledger.project(report.imported[0])
    assert (p["category"], p["funding"], p.status) == ("purchased_service", "县级财政", "submitted")
    (ev,) = c.ledger.histories([p.id])[p.id]
    assert (ev.action, ev.date, ev.args["imported"]) == ("apply", D(2025, 6, 20), True)
    ledger.close()


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


# ---------------------------------------------------------------------------
# The meta-test


def hookspec_names() -> list[str]:
    tree = ast.parse((ROOT / "core" / "hookspecs.py").read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                if isinstance(target, ast.Name) and target.id == "hookspec":
                    names.append(node.name)
    return names


def test_hookspecs_are_found():
    names = hookspec_names()
    assert len(names) >= 15 and all(n.startswith("tongchou_") for n in names)
    from tongchou import hookspecs
    assert set(names) == {n for n in dir(hookspecs) if n.startswith("tongchou_")}


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hook_is_tested_and_documented(hook):
    module = sys.modules[__name__]
    tests = [n for n in dir(module) if n == f"test_{hook}" or n.startswith(f"test_{hook}_")]
    assert tests, f"hook {hook} has no test in tests/test_hooks.py (name one test_{hook}_...)"
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    headings = {line[4:].strip().strip("`") for line in docs.splitlines() if line.startswith("### ")}
    assert hook in headings, f"hook {hook} has no '### {hook}' entry in docs/plugins.md"
