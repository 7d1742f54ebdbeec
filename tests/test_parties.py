"""Parties besides the requesting unit (DESIGN §5 "Parties").

A toy pack (tests/toy_plugins.py ``BUILDER``) declares ``builder`` (建设运营方)
as a party field and ``build_report`` as the builder's action.  The county-owned
company builds for 县卫健委 and for 县教育局; its staff see exactly those
projects, everywhere a list is made, and take only the builder's actions.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from tongchou import Action, Field
from tongchou.cli import main
from tongchou.errors import ConfigurationError, InvalidInput, NotFound, Refused
from tongchou.exports import export_projects
from tongchou.imports import import_workbook
from tongchou.ledger import Ledger
from tongchou.models import AuditEntry, ProjectParty
from tongchou.packs import load_jurisdiction

from .test_imports import HEADER, row, workbook
from .toy_plugins import BUILDER, TOY_ROLE, cite, contributing

D = dt.date
APPLY_DAY = D(2025, 6, 20)  # inside xichuan's application window for 2026
WJW, CT, JY = "县卫健委", "县城投公司", "县教育局"


@pytest.fixture(scope="module")
def builder_pack():
    return load_jurisdiction("xichuan", extra_plugins=[("toy_builder", BUILDER)])


class Town:
    """Three units, a unit user each, the bureau; four projects:
    wjw_ct (县卫健委, built by 县城投公司), wjw (县卫健委 alone),
    jy_ct (县教育局, built by 县城投公司), jy (县教育局 alone)."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        for unit in (WJW, CT, JY):
            ledger.add_unit(unit)
        self.wjw = ledger.add_user("wjw", "unit", WJW)
        self.ct = ledger.add_user("ct", "unit", CT)
        self.jy = ledger.add_user("jy", "unit", JY)
        self.bureau = ledger.add_user("bureau", "bureau")
        self.wjw_ct = self.project(self.wjw, "全民健康信息平台", builder=CT)
        self.wjw_only = self.project(self.wjw, "预约挂号")
        self.jy_ct = self.project(self.jy, "智慧校园", builder=CT)
        self.jy_only = self.project(self.jy, "教育资源平台")

    def project(self, user, name, **fields):
        base = {"name": name, "unit": user.unit, "year": 2026, "category": "purchased_service",
                "kind": "information_system", "source": "unit_application", "estimate": "1000000"}
        base.update(fields)
        return self.ledger.create_project(base, user, D(2025, 6, 1))

    def seen(self, user) -> set[int]:
        rows, total = self.ledger.projects(user)
        assert total == len(rows)
        return {p.id for p in rows}


@pytest.fixture
def town(backend_url, builder_pack, tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    led = Ledger.open(backend_url, jurisdiction=builder_pack)
    yield Town(led)
    led.close()


def test_the_builders_staff_see_exactly_the_projects_it_builds_in_every_list(town):
    led, ct = town.ledger, town.ct
    theirs = {town.wjw_ct.id, town.jy_ct.id}
    for p in (town.wjw_ct, town.jy_ct):
        led.act(p.id, "apply", town.wjw if p["unit"] == WJW else town.jy, APPLY_DAY)
    led.act(town.wjw_only.id, "apply", town.wjw, APPLY_DAY)
    on = D(2025, 9, 1)  # the builder's progress reports are overdue by then

    assert town.seen(ct) == theirs
    assert town.seen(town.wjw) == {town.wjw_ct.id, town.wjw_only.id}
    assert town.seen(town.jy) == {town.jy_ct.id, town.jy_only.id}
    assert len(town.seen(town.bureau)) == 4
    # Filters and pages work on the party's scope as on a unit's.
    rows, total = led.projects(ct, filters={"unit": WJW})
    assert [p.id for p in rows] == [town.wjw_ct.id] and total == 1
    rows, total = led.projects(ct, limit=1)
    assert total == 2 and len(rows) == 1
    rows, total = led.projects(town.bureau, filters={"builder": CT})
    assert {p.id for p in rows} == theirs and total == 2

    assert led.project(town.wjw_ct.id, ct)["builder"] == CT
    assert {o.project_id for o in led.obligations(ct)} == theirs
    assert {f.project_id for f in led.findings(on, ct)} == theirs
    sweep = led.sweep(on, ct)
    assert {f.project_id for f in sweep.findings} == theirs
    assert {o.project_id for o in sweep.obligations} == theirs
    # The requesting unit's own lists are unchanged by the builder's projects elsewhere.
    assert {o.project_id for o in led.obligations(town.wjw) if o.code == "toy.build.report"} == {town.wjw_ct.id}
    assert sum(led.status_counts(ct).values()) == 2
    assert led.total_estimate(ct) == 2000000
    assert led.estimate_totals(ct, "unit") == {WJW: 1000000, JY: 1000000}
    csv = export_projects(led, ct, "csv", on=on).decode("utf-8-sig")
    assert "全民健康信息平台" in csv and "智慧校园" in csv
    assert "预约挂号" not in csv and "教育资源平台" not in csv

    for hidden in (town.wjw_only, town.jy_only):
        with pytest.raises(NotFound, match="no project"):
            led.project(hidden.id, ct)
        with pytest.raises(NotFound):
            led.history(hidden.id, ct)
        with pytest.raises(NotFound):
            led.findings(on, ct, project_id=hidden.id)
        with pytest.raises(NotFound):
            led.obligations(ct, project_id=hidden.id)


def test_the_builder_takes_builder_actions_and_nothing_else(town):
    led, ct, wjw = town.ledger, town.ct, town.wjw
    p = town.wjw_ct
    # The application is the requesting unit's: the builder sees the project but may not file it.
    with pytest.raises(Refused) as exc:
        led.act(p.id, "apply", ct, APPLY_DAY)
    assert exc.value.is_permission and "建设单位" in exc.value.refusals[0].message
    led.act(p.id, "apply", wjw, APPLY_DAY)
    assert [a.name for a in led.available_actions(p.id, ct)] == ["build_report"]
    assert "build_report" not in [a.name for a in led.available_actions(p.id, wjw)]
    # The requesting unit does not report the builder's progress.
    with pytest.raises(Refused) as exc:
        led.act(p.id, "build_report", wjw, D(2025, 7, 1), {"percent": 30})
    assert exc.value.is_permission and "建设运营方" in exc.value.refusals[0].message
    assert led.check(p.id, "build_report", ct, D(2025, 7, 1), {"percent": 30}) == []
    result = led.act(p.id, "build_report", ct, D(2025, 7, 1), {"percent": 30})
    assert result.project["build_progress"] == 30
    assert [(e["action"], e["actor"]) for e in led.history(p.id, ct)] == [("apply", "wjw"), ("build_report", "ct")]
    # Nor may the builder edit the project's fields: it acts through its actions only.
    with pytest.raises(Refused) as exc:
        led.update_project(p.id, {"name": "改名"}, ct, D(2025, 7, 2))
    assert exc.value.is_permission
    # Another unit's project without the builder: invisible ("no project", as for an
    # id that does not exist), and the attempt logged as a refusal.
    led.act(town.wjw_only.id, "apply", wjw, APPLY_DAY)
    with pytest.raises(NotFound):
        led.act(town.wjw_only.id, "build_report", ct, D(2025, 7, 1), {"percent": 10})
    with pytest.raises(NotFound):
        led.available_actions(town.wjw_only.id, ct)
    # 县教育局's staff are no party to 县卫健委's project.
    with pytest.raises(NotFound):
        led.act(p.id, "build_report", town.jy, D(2025, 7, 3), {"percent": 40})
    logged = [(e.actor, e.project_id) for e in AuditEntry.select().where(AuditEntry.kind == "refusal")]
    assert ("ct", town.wjw_only.id) in logged and (town.jy.name, p.id) in logged
    assert led.verify_audit().ok


def test_a_project_that_names_no_builder_leaves_the_builders_actions_to_its_unit(town):
    led, ct, wjw = town.ledger, town.ct, town.wjw
    p = town.wjw_only  # 县卫健委 builds it itself: the builder field is empty
    led.act(p.id, "apply", wjw, APPLY_DAY)
    # The builder company is no party to it: it neither sees nor acts on it.
    with pytest.raises(NotFound):
        led.act(p.id, "build_report", ct, D(2025, 7, 1), {"percent": 10})
    assert "build_report" in [a.name for a in led.available_actions(p.id, wjw)]
    assert led.act(p.id, "build_report", wjw, D(2025, 7, 1), {"percent": 20}).project["build_progress"] == 20
    # Once a builder is named, the action is the builder's alone.
    led.update_project(p.id, {"builder": CT}, wjw, D(2025, 7, 2))
    with pytest.raises(Refused) as exc:
        led.act(p.id, "build_report", wjw, D(2025, 7, 3), {"percent": 30})
    assert exc.value.is_permission
    led.act(p.id, "build_report", ct, D(2025, 7, 3), {"percent": 30})


def test_a_party_field_naming_an_unknown_unit_is_an_input_error_and_writes_nothing(town):
    led = town.ledger
    before = led.projects()[1]
    with pytest.raises(InvalidInput) as exc:
        town.project(town.wjw, "新项目", builder="县不存在公司")
    assert exc.value.field == "builder" and "建设运营方" in str(exc.value) and "县不存在公司" in str(exc.value)
    with pytest.raises(InvalidInput) as exc:
        led.update_project(town.wjw_only.id, {"builder": "县不存在公司"}, town.wjw, D(2025, 6, 2))
    assert exc.value.field == "builder"
    with pytest.raises(InvalidInput) as exc:
        led.act(town.wjw_only.id, "hand_over", town.wjw, D(2025, 6, 2), {"to": "县不存在公司"})
    assert exc.value.field == "to" and "接收单位" in str(exc.value)
    assert led.projects()[1] == before
    assert led.project(town.wjw_only.id)["builder"] is None
    assert ProjectParty.select().count() == 2


def test_changing_the_party_moves_who_sees_the_project(town):
    led, ct = town.ledger, town.ct
    led.update_project(town.wjw_only.id, {"builder": CT}, town.wjw, D(2025, 6, 2))
    assert town.seen(ct) == {town.wjw_ct.id, town.wjw_only.id, town.jy_ct.id}
    led.update_project(town.wjw_ct.id, {"builder": None}, town.wjw, D(2025, 6, 2))
    assert town.seen(ct) == {town.wjw_only.id, town.jy_ct.id}
    with pytest.raises(NotFound):
        led.project(town.wjw_ct.id, ct)
    # Handing over by an action moves it too (the effect sets the party field).
    led.act(town.jy_ct.id, "hand_over", town.jy, D(2025, 6, 3), {"to": WJW})
    assert town.seen(ct) == {town.wjw_only.id}
    assert town.jy_ct.id in town.seen(town.wjw)
    assert {(r.project_id, r.field, r.unit_id) for r in ProjectParty.select()} == {
        (town.wjw_only.id, "builder", led.unit_id(CT)), (town.jy_ct.id, "builder", led.unit_id(WJW))}
    # A rule change re-derives the index from the projects' own data.
    ProjectParty.delete().execute()
    assert town.seen(ct) == set()
    led.recompute_all()
    assert town.seen(ct) == {town.wjw_only.id}


def test_the_builder_files_documents_for_its_projects_only(town, tmp_path):
    from tongchou.documents import DocumentStore
    store = DocumentStore(tmp_path / "docs")
    pdf = b"%PDF-1.4\n%toy\n"
    doc = store.add(town.ledger, town.wjw_ct.id, "建设进度报告", "jindu.pdf", pdf, town.ct)
    assert store.get(town.ledger, doc.id, town.ct)[1] == pdf
    with pytest.raises(NotFound):
        store.add(town.ledger, town.wjw_only.id, "建设进度报告", "jindu.pdf", pdf, town.ct)
    other = store.add(town.ledger, town.wjw_only.id, "需求说明", "xuqiu.pdf", pdf, town.wjw)
    with pytest.raises(NotFound):
        store.get(town.ledger, other.id, town.ct)
    with pytest.raises(NotFound):  # no party to it
        store.add(town.ledger, town.wjw_ct.id, "材料", "a.pdf", pdf, town.jy)


def test_imported_projects_name_their_builder(town, tmp_path):
    header = HEADER + ["建设运营方"]
    rows = [row(1, 建设运营方=CT), row(2), row(3, 建设运营方="县不存在公司")]
    path = workbook(tmp_path / "t.xlsx", rows, header=header)
    report = import_workbook(town.ledger, path, town.ledger.add_user("admin1", "admin"), date=D(2025, 6, 1),
                             partial=True)
    assert len(report.imported) == 2
    assert [(p.row, p.column) for p in report.problems] == [(6, "建设运营方")]
    assert "县不存在公司" in report.problems[0].text
    first = report.imported[0]
    assert first in town.seen(town.ct) and report.imported[1] not in town.seen(town.ct)


def test_an_action_naming_an_undeclared_party_fails_at_load_naming_the_plugin():
    bad = contributing(tongchou_actions=[Action("operate", "运维", roles=("unit",), citation=cite(5),
                                                party="operator")])
    with pytest.raises(ConfigurationError, match=r"'operate' \(toy_bad\).*'operator'"):
        load_jurisdiction("xichuan", extra_plugins=[("toy_bad", bad)])
    text_field = contributing(tongchou_fields=[Field("operator", "运维方", "text")], tongchou_actions=[
        Action("operate", "运维", roles=("unit",), citation=cite(5), party="operator")])
    with pytest.raises(ConfigurationError, match="not a party field"):
        load_jurisdiction("xichuan", extra_plugins=[("toy_bad", text_field)])
    with pytest.raises(ValueError, match="only a 'unit' field"):
        Field("operator", "运维方", "text", party=True)


def test_a_pack_without_parties_filters_by_unit_alone(county):
    # No party field declared: the scope is today's plain unit comparison.
    from tongchou.parties import scope
    s = scope(county.ledger.registry, county.users["unit"])
    assert s.sql("p") == ('p."unit_id" = ?', [county.users["unit"].unit_id])
    assert scope(county.ledger.registry, county.users["bureau"]) is None


def test_cli_shows_the_builder_its_projects_and_the_parties(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.toy_plugins:BUILDER")
    path = str(tmp_path / "ledger.db")
    with Ledger.open(path) as led:
        assert led.registry.party_fields == ("builder",)
        town = Town(led)
        ids = (town.wjw_ct.id, town.wjw_only.id)
    capsys.readouterr()
    assert main(["--db", path, "project", "list", "--user", "ct", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {p["id"] for p in listed["projects"]} == {ids[0], town.jy_ct.id}
    assert listed["projects"][0]["parties"] == [{"field": "unit", "label": "建设单位", "unit": WJW},
                                                {"field": "builder", "label": "建设运营方", "unit": CT}]
    assert main(["--db", path, "project", "show", str(ids[0]), "--user", "ct", "--date", "2025-06-02"]) == 0
    assert "parties: 建设单位:县卫健委;建设运营方:县城投公司" in capsys.readouterr().out
    code = main(["--db", path, "project", "show", str(ids[1]), "--user", "ct"])
    assert code != 0 and "no project" in capsys.readouterr().err


SCENARIO = """
- name: 建设运营方报送建设进度,需求单位和其他单位不得代报
  project: {name: 全民健康信息平台, unit: 县卫健委, builder: 县城投公司, year: 2026, category: purchased_service,
            kind: information_system, source: unit_application, estimate: 2000000}
  steps:
    - {date: 2025-06-20, as: unit@县城投公司, do: apply, refused: permission}
    - {date: 2025-06-20, as: unit, do: apply}
    - {date: 2025-07-01, as: unit, do: build_report, with: {percent: 30}, refused: permission}
    - {date: 2025-07-01, as: unit@县教育局, do: build_report, with: {percent: 30}, refused: permission}
    - {date: 2025-07-01, as: unit@县城投公司, do: build_report, with: {percent: 30}}
  expect:
    date: 2025-07-02
    status: submitted
"""


def test_scenarios_name_the_builder_and_act_as_its_staff(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.toy_plugins:BUILDER")
    path = tmp_path / "parties.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    assert main(["scenario", "run", str(path)]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out


def test_what_if_replays_the_builders_steps_as_the_builders(town):
    from tongchou.whatif import Draft, run
    led = town.ledger
    led.act(town.wjw_ct.id, "apply", town.wjw, APPLY_DAY)
    led.act(town.wjw_ct.id, "build_report", town.ct, D(2025, 7, 1), {"percent": 30})
    # An empty draft changes nothing: the builder's report is not a refused step under the same rules.
    answer = run(led, Draft(), on=D(2025, 7, 2))
    assert answer.examined == 4 and answer.refused_steps == 0
    assert [p.project_id for p in answer.projects] == []
    mine = run(led, Draft(), on=D(2025, 7, 2), actor=town.ct)
    assert mine.examined == 2


def test_a_user_whose_role_the_rules_no_longer_know_reads_no_project(tmp_path):
    # The role came from a plugin since removed: the account stays, but a role the
    # rules do not declare grants nothing (a project is read only under a known role).
    with_role = load_jurisdiction("xichuan", extra_plugins=[("toy_role", contributing(tongchou_roles=[TOY_ROLE]))])
    with Ledger.open(str(tmp_path / "l.db"), jurisdiction=with_role, key_file=tmp_path / "k") as led:
        led.add_unit(JY)
        jy = led.add_user("jy", "unit", JY)
        p = led.create_project({"name": "智慧校园", "unit": JY, "year": 2026, "category": "purchased_service",
                                "kind": "information_system", "source": "unit_application", "estimate": "1000000"},
                               jy, APPLY_DAY)
        led.add_user("toy", "toy_role")
        assert led.project(p.id, led.actor("toy")).name == "智慧校园"
    with Ledger.open(str(tmp_path / "l.db"), jurisdiction=load_jurisdiction("xichuan"), key_file=tmp_path / "k") as led:
        orphan = led.actor("toy")
        assert orphan.role not in led.registry.roles
        with pytest.raises(NotFound):
            led.project(p.id, orphan)
        assert led.project(p.id, led.actor("jy")).name == "智慧校园"
        # ... nor in any list (before: the lists took an unknown role for one that sees every unit)
        assert led.projects(orphan) == ([], 0)
        assert led.findings(APPLY_DAY, orphan, include_advice=True) == []
        assert led.obligations(orphan, open_only=False) == []
        assert led.projects(led.actor("jy"))[1] == 1
