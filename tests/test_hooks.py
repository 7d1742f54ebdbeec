"""Every hookspec has an effect through the engine: the start-up hooks here,
the hooks run after each change in tests/test_hooks_changes.py, and those of
ledger set-up and the web UI in tests/test_hooks_setup_ui.py.

Each test registers a toy plugin next to the ``xichuan`` pack (the
``toy_county`` fixture in tests/conftest.py: ``load_jurisdiction("xichuan",
extra_plugins=[("toy", plugin)])`` on an in-memory ledger) and checks what the
hook changed.  The last test is the meta-test: a hook added to
core/hookspecs.py without a test in one of those files (a test whose name
contains the hook's name) or without a ``### <hook>`` entry in
docs/plugins.md fails the suite.
"""
from __future__ import annotations

import ast
import datetime as dt
import json
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from tongchou import (ANY_ACTION, CREATE_PROJECT, Action, ActionArgument, Article, Choice, Field, Guard, Role,
                      Status, hookimpl)
from tongchou import cli
from tongchou.errors import InvalidInput, Refused
from tongchou.ledger import Ledger
from tongchou.packs import load_jurisdiction
from tongchou.parameters import load_parameters

from .conftest import County
from .toy_plugins import APPLY_DAY, DOCUMENT, cite, contributing

ROOT = Path(__file__).resolve().parent.parent
HOOK_TESTS = sorted(Path(__file__).resolve().parent.glob("test_hooks*.py"))
D = dt.date


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
    from tongchou import docx_fill, official
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
    assert "玩具通知:玩具项目 于 2025-06-20 申报" in docx_fill.document_text(data)


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


def hook_test_names() -> set[str]:
    """The test functions of tests/test_hooks*.py."""
    return {node.name for path in HOOK_TESTS for node in ast.parse(path.read_text(encoding="utf-8")).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_hookspecs_are_found():
    names = hookspec_names()
    assert len(names) >= 15 and all(n.startswith("tongchou_") for n in names)
    from tongchou import hookspecs
    assert set(names) == {n for n in dir(hookspecs) if n.startswith("tongchou_")}
    assert len(HOOK_TESTS) == 3 and "test_hooks_changes.py" in {p.name for p in HOOK_TESTS}


@pytest.mark.parametrize("hook", hookspec_names())
def test_every_hook_is_tested_and_documented(hook):
    tests = [n for n in hook_test_names() if n == f"test_{hook}" or n.startswith(f"test_{hook}_")]
    assert tests, f"hook {hook} has no test in tests/test_hooks*.py (name one test_{hook}_...)"
    docs = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    headings = {line[4:].strip().strip("`") for line in docs.splitlines() if line.startswith("### ")}
    assert hook in headings, f"hook {hook} has no '### {hook}' entry in docs/plugins.md"
