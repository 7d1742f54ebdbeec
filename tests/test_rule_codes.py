"""One rule at a time (DESIGN §5): every guard, obligation rule and finding
rule has a code, and a pack or a ledger switches off or replaces one rule by
its code without losing the rest of its plugin."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou import (Finding, FindingRule, HistoryEvent, Obligation, ObligationRule, Pack, ProjectState,
                      hookimpl)
from tongchou import cli, docx_fill, engine, official
from tongchou.dates import add_months
from tongchou.errors import ConfigurationError, NotFound, PluginConflict, Refused
from tongchou.ledger import Ledger
from tongchou.packs import Discovered, discover, load_jurisdiction
from tongchou.plugins.xichuan.common import DOCUMENT as XICHUAN, cite as xcite

from .conftest import CLAUSES, DIMS, DOCS, County
from .toy_plugins import DOCUMENT, cite, contributing

D = dt.date


def with_packs(*packs: Pack) -> Discovered:
    found = discover()
    return Discovered({**found.packs, **{p.name: p for p in packs}}, found.extras,
                      {**found.versions, **{p.name: p.version for p in packs}})


def ev(seq, action, day, **args):
    return HistoryEvent(seq, action, day, "unit", args, "", "")


COMPLETED_THEN_FAILED = (ev(1, "complete", D(2026, 1, 31)), ev(2, "accept", D(2026, 5, 10), result="fail"))


def obligations(jur, history, status="acceptance_failed"):
    obs, _findings = engine.derive(jur.pm, jur.parameters(), ProjectState(1, status, {}), history)
    return obs


def days_after(n):
    """A toy replacement of xichuan.acceptance.due: acceptance within ``n``
    calendar days of completion, reusing xichuan's replay of the history."""
    from tongchou.plugins.xichuan.acceptance import stages

    def derive(project, history, params, **optional):
        return [Obligation("xichuan.acceptance.due", xcite(18), s.event.date + dt.timedelta(days=n),
                           f"项目建成后 {n} 日内组织验收", closed_on=s.closed_on)
                for s in stages(history) if s.kind == "due"]
    return derive


# -- a pack switching off one obligation rule ---------------------------------------


NO_DUE = Pack(name="toy_no_due", title="玩具县", document=DOCUMENT, extends="xichuan",
              disable=("xichuan.acceptance.due",), plugins={})


def test_a_pack_disables_one_obligation_rule_and_keeps_the_rest_of_its_plugin():
    base = load_jurisdiction("xichuan")
    jur = load_jurisdiction("toy_no_due", found=with_packs(NO_DUE))
    assert [o.code for o in obligations(base, COMPLETED_THEN_FAILED)] == [  # by due date
        "xichuan.acceptance.rectify", "xichuan.acceptance.due"]
    (rectify,) = obligations(jur, COMPLETED_THEN_FAILED)
    assert (rectify.code, rectify.due) == ("xichuan.acceptance.rectify", D(2026, 6, 10))
    # the plugin itself is still there: its actions, guards and other rules
    assert "accept" in jur.registry.actions and "xichuan.acceptance.documents" in jur.registry.guards
    assert set(jur.registry.obligation_rules) >= {"xichuan.acceptance.explained", "xichuan.acceptance.rectify"}
    assert jur.registry.disabled_rules == {"xichuan.acceptance.due": "xichuan.acceptance"}


def test_a_pack_disables_one_guard_by_code():
    pack = Pack(name="toy_no_docs", title="玩具县", document=DOCUMENT, extends="xichuan",
                disable=("xichuan.acceptance.documents",), plugins={})
    jur = load_jurisdiction("toy_no_docs", found=with_packs(pack))
    assert "xichuan.acceptance.documents" not in jur.registry.guards
    # the uploaded-documents rule has a code of its own and stays
    assert sorted(g.code for g in jur.registry.guards_for("accept")) == [
        "xichuan.acceptance.documents_uploaded", "xichuan.ai.effect_at_acceptance", "xichuan.oversight.suspended"]


def test_a_name_neither_plugin_nor_rule_code_is_an_error_naming_it():
    pack = Pack(name="toy_typo", title="玩具县", document=DOCUMENT, extends="xichuan",
                disable=("xichuan.acceptance.dew",), plugins={})
    with pytest.raises(ConfigurationError, match=r"toy_typo.*xichuan\.acceptance\.dew"):
        load_jurisdiction("toy_typo", found=with_packs(pack))
    with pytest.raises(NotFound, match=r"xichuan\.acceptance\.dew"):
        load_jurisdiction("xichuan", disabled=["xichuan.acceptance.dew"])


# -- replacing one rule by code ------------------------------------------------------


def test_a_rule_replaced_by_code_from_another_plugin():
    toy = contributing(tongchou_obligation_rules=[
        ObligationRule("xichuan.acceptance.due", xcite(18), days_after(90), "90日内验收",
                       replaces="xichuan.acceptance")])
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", toy)])
    assert jur.registry.obligation_rules["xichuan.acceptance.due"].plugin == "toy"
    due, rectify = obligations(jur, COMPLETED_THEN_FAILED)
    assert (due.code, due.due, due.closed_on) == ("xichuan.acceptance.due", D(2026, 5, 1), D(2026, 5, 10))
    assert rectify.code == "xichuan.acceptance.rectify"  # the rest of the plugin is untouched


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=D(2025, 9, 1), max_value=D(2028, 12, 31)), st.integers(min_value=1, max_value=400))
def test_the_replaced_deadline_falls_exactly_n_days_after_completion(completed, n):
    toy = contributing(tongchou_obligation_rules=[
        ObligationRule("xichuan.acceptance.due", xcite(18), days_after(n), replaces="xichuan.acceptance")])
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", toy)])
    (due,) = obligations(jur, (ev(1, "complete", completed),), status="completed")
    assert due.due == completed + dt.timedelta(days=n) and due.closed_on is None
    (six_months,) = obligations(load_jurisdiction("xichuan"), (ev(1, "complete", completed),), "completed")
    assert six_months.due == add_months(completed, 6)


def test_the_same_rule_code_from_two_plugins_is_a_conflict_naming_both():
    toy = contributing(tongchou_obligation_rules=[
        ObligationRule("xichuan.acceptance.due", xcite(18), days_after(90))])
    with pytest.raises(PluginConflict, match="xichuan.acceptance.due") as exc:
        load_jurisdiction("xichuan", extra_plugins=[("toy", toy)])
    assert {exc.value.first, exc.value.second} == {"xichuan.acceptance", "toy"}


def test_a_guard_and_a_rule_may_not_share_a_code():
    toy = contributing(tongchou_finding_rules=[
        FindingRule("xichuan.acceptance.documents", cite(1), lambda project: None)])
    with pytest.raises(PluginConflict, match="xichuan.acceptance.documents"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", toy)])


def test_a_rule_returning_another_code_names_its_plugin():
    toy = contributing(tongchou_obligation_rules=[
        ObligationRule("toy.due", cite(1),
                       lambda history: [Obligation("other.due", cite(1), D(2026, 1, 1), "x")])])
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", toy)])
    with pytest.raises(ConfigurationError, match=r"'toy\.due' \(plugin 'toy'\).*'other\.due'"):
        obligations(jur, ())


# -- the older hooks: their outputs are filtered by code ---------------------------------


class Legacy:
    @hookimpl
    def tongchou_findings(self, project, history, params):
        return [Finding("toy.big", "violation", cite(7), "概算过大"),
                Finding("toy.big.twice", "advice", cite(7), "概算过大(建议)"),
                Finding("toy.small", "advice", cite(8), "概算过小")]


def test_outputs_of_older_hooks_are_filtered_by_code():
    def codes(jur):
        _obs, found = engine.derive(jur.pm, jur.parameters(), ProjectState(1, "draft", {}), ())
        return sorted(f.code for f in found if f.code.startswith("toy."))
    assert codes(load_jurisdiction("xichuan", extra_plugins=[("toy", Legacy())])) == [
        "toy.big", "toy.big.twice", "toy.small"]
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", Legacy())], disabled=["toy.big"])
    assert codes(jur) == ["toy.small"]  # toy.big covers toy.big.twice
    # a code under a plugin without older hooks is unknown
    with pytest.raises(NotFound, match="toy.nothing"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", contributing())], disabled=["toy.nothing"])


# -- per ledger --------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    db = str(tmp_path / "ledger.db")
    assert cli.main(["--db", db, "init"]) == 0
    assert cli.main(["--db", db, "user", "add", "root", "--role", "admin"]) == 0
    return db


def test_a_ledger_disables_and_enables_one_rule_code(cli_db, capsys):
    assert cli.main(["--db", cli_db, "plugins", "disable", "xichuan.acceptance.due", "--user", "root"]) == 0
    assert "rule xichuan.acceptance.due disabled" in capsys.readouterr().out
    with Ledger.open(cli_db) as ledger:
        assert ledger.setting("disabled_rules") == ["xichuan.acceptance.due"]
        assert ledger.setting("disabled_plugins", []) == []
        assert ledger.recompute_pending["reason"] == "rules"
        assert "xichuan.acceptance.due" not in ledger.registry.obligation_rules
        assert "xichuan.acceptance.rectify" in ledger.registry.obligation_rules
        obs, _f = engine.derive(ledger.pm, ledger.params, ProjectState(1, "acceptance_failed", {}),
                                COMPLETED_THEN_FAILED)
        assert [o.code for o in obs] == ["xichuan.acceptance.rectify"]
    assert cli.main(["--db", cli_db, "plugins", "list", "--json"]) == 0
    acc = next(p for p in json.loads(capsys.readouterr().out) if p["name"] == "xichuan.acceptance")
    assert acc["disabled_rules"] == ["xichuan.acceptance.due"] and acc["enabled"] is True
    assert cli.main(["--db", cli_db, "plugins", "disable", "xichuan.acceptance.dew", "--user", "root"]) == 2
    assert "xichuan.acceptance.dew" in capsys.readouterr().err
    assert cli.main(["--db", cli_db, "plugins", "enable", "xichuan.acceptance.due", "--user", "root"]) == 0
    with Ledger.open(cli_db) as ledger:
        assert ledger.setting("disabled_rules") == []
        assert "xichuan.acceptance.due" in ledger.registry.obligation_rules


def test_a_ledger_disables_a_guard_by_code_and_the_action_goes_ahead(ledger):
    c = County(ledger)
    p = c.project(category="equipment_software", kind="equipment_network")
    day = D(2025, 6, 1)
    for action, role, args in [("apply", "unit", {}),
                               ("review", "bureau", {"result": "pass", "dimensions": [
                                   "necessity", "scale", "technology", "security", "intensiveness"]}),
                               ("approve", "government", {}), ("budget", "finance", {"amount": "100000"}),
                               ("tender", "unit", {}), ("sign_contract", "unit", {"clauses": CLAUSES}),
                               ("start_construction", "unit", {}), ("complete", "unit", {})]:
        c.act(p, action, role, day, **args)
    admin = ledger.add_user("root", "admin")
    ledger.set_setting("disabled_rules", ["xichuan.acceptance.documents"], admin)
    with Ledger.open(ledger.url) as again:  # the setting is read when a ledger is opened
        assert "xichuan.acceptance.documents" not in again.registry.guards
        again.act(p.id, "accept", c.users["unit"], D(2025, 7, 1), {"result": "pass", "documents": []})
        assert again.project(p.id).status == "accepted"


# -- plugins list ------------------------------------------------------------------------


def test_plugins_list_shows_rule_codes_articles_and_documents(cli_db, capsys):
    assert cli.main(["--db", cli_db, "plugins", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("xichuan.acceptance "))
    block = "\n".join(lines[at:at + 7])
    assert "第十八条、第十九条" in block
    assert f"documents: {XICHUAN}" in block
    assert "guards: xichuan.acceptance.documents" in block
    assert ("obligation rules: xichuan.acceptance.due, xichuan.acceptance.explained, "
            "xichuan.acceptance.rectify") in block
    assert cli.main(["--db", cli_db, "plugins", "list", "--json"]) == 0
    by_name = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    sec = by_name["xichuan.security"]
    assert sec["obligation_rules"] == ["xichuan.security.crypto_next", "xichuan.security.mlps_next"]
    assert sec["finding_rules"] == ["xichuan.security.crypto_failed", "xichuan.security.mlps_failed",
                                    "xichuan.security.secure_products"]
    assert sec["documents"] == [XICHUAN] and sec["articles"] == [30, 31, 32, 33]
    assert by_name["xichuan.funds"]["guards"] == ["xichuan.funds.budget_unreviewed", "xichuan.funds.no_budget"]


# -- no xichuan rule assumes another xichuan plugin ran -----------------------------------


def memory_county(jur) -> County:
    return County(Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)))


def to_operation(c: County, day=D(2025, 6, 20)):
    """A small equipment purchase taken to `in_operation`, one step a day."""
    p = c.project(category="equipment_software", kind="equipment_network", source="county_decision")
    steps = [("apply", "unit", {}), ("review", "bureau", {"result": "pass", "dimensions": DIMS}),
             ("approve", "government", {}), ("budget", "finance", {"amount": "100000"}),
             ("tender", "unit", {}), ("sign_contract", "unit", {"clauses": CLAUSES}),
             ("start_construction", "unit", {}), ("complete", "unit", {}),
             ("accept", "unit", {"result": "pass", "documents": DOCS}),
             ("start_operation", "unit", {"mode": "self"}),
             ("review_om_fee", "bureau", {"year": 2026, "amount": "5000", "result": "pass"})]
    for action, role, args in steps:
        c.act(p, action, role, day, **args)
        day += dt.timedelta(days=1)
    return p


def test_the_om_budget_rule_on_sharing_does_not_outlive_the_sharing_plugin():
    with_sharing = memory_county(load_jurisdiction("xichuan"))
    p = to_operation(with_sharing)
    with pytest.raises(Refused) as exc:  # nothing recorded about sharing: refused (第二十三条)
        with_sharing.act(p, "request_om_budget", "unit", D(2025, 8, 1), year=2026)
    assert [r.code for r in exc.value.refusals] == ["xichuan.operation.om_sharing"]
    # without xichuan.sharing no one can record sharing; the rule that needs it is left out
    jur = load_jurisdiction("xichuan", disabled=["xichuan.sharing"])
    assert jur.registry.inactive_rules == {
        "xichuan.operation.om_sharing": ("xichuan.operation", ("record_sharing",))}
    c = memory_county(jur)
    p = to_operation(c)
    c.act(p, "request_om_budget", "unit", D(2025, 8, 1), year=2026)
    with pytest.raises(Refused) as exc:  # the other O&M rules still hold
        c.act(p, "request_om_budget", "unit", D(2025, 8, 1), year=2027)
    assert [r.code for r in exc.value.refusals] == ["xichuan.operation.om_fee_reviewed"]
    (info,) = [i for i in jur.plugins if i.name == "xichuan.operation"]
    assert "xichuan.operation.om_sharing" in info.disabled_rules


def approval_without_review():
    """A county's own approval plugin: no technical review, the government
    approves the application directly."""
    from tongchou import Action, Field, Status
    from tongchou.plugins.xichuan.common import APPROVAL_DOCUMENTS
    return contributing(
        tongchou_statuses=[Status("draft", "草稿", initial=True), Status("submitted", "已申报", order=10),
                           Status("approved", "已批准", order=30)],
        tongchou_actions=[
            Action("apply", "申报", roles=("unit",), citation=cite(1), from_statuses=("draft",),
                   to_status="submitted"),
            Action("approve", "批准", roles=("government",), citation=cite(2), from_statuses=("submitted",),
                   to_status="approved"),
            Action("approve_document", "批复审批文件", roles=("drc",), citation=cite(3),
                   args=(Field("document", "审批文件", "enum", required=True, choices=APPROVAL_DOCUMENTS),))])


def test_budgeting_does_not_wait_for_a_review_the_jurisdiction_does_not_have():
    pack = Pack(name="toy_no_review", title="玩具县", document=DOCUMENT, extends="xichuan",
                disable=("xichuan.approval", "xichuan.demo"), plugins={"toy.approval": approval_without_review()})
    jur = load_jurisdiction("toy_no_review", found=with_packs(pack))
    assert "review" not in jur.registry.actions
    assert "xichuan.funds.budget_unreviewed" in jur.registry.inactive_rules
    assert "xichuan.funds.no_budget" in jur.registry.guards
    c = memory_county(jur)
    p = c.project(category="purchased_service")
    c.act(p, "apply", "unit", D(2025, 6, 20))
    c.act(p, "approve", "government", D(2025, 6, 21))
    c.act(p, "budget", "finance", D(2025, 6, 22), amount="100000")
    # 第十七条's "approved first" looks at the status reached, not xichuan's action
    c.act(p, "request_change", "unit", D(2025, 6, 23), amount="1000", reason="schedule_adjustment",
          goal_unchanged=True)
    assert c.ledger.project(p.id).status == "approved"


# -- wording from data ----------------------------------------------------------------------


def catalogue(c: County) -> list[dict]:
    return c.ledger.registry.reports["catalogue"].build(c.ledger, c.users["bureau"])


def test_the_approving_body_is_one_text_parameter():
    base = memory_county(load_jurisdiction("xichuan"))
    p = to_operation(base)
    (row,) = catalogue(base)
    assert row["approval"] == "县政府批准（2025-06-22）"
    review = docx_fill.document_text(official.render(base.ledger, p.id, "technical_review",
                                                     base.users["bureau"], D(2025, 7, 1)))
    assert "请按程序报县政府批准" in review
    # a county whose city government approves from 2025-10-01 on changes one value
    pack = Pack(name="toy_city", title="玩具市", document=DOCUMENT, extends="xichuan", plugins={},
                parameter_overrides={"approval_body": {"2025-10-01": "市人民政府"}})
    c = memory_county(load_jurisdiction("toy_city", found=with_packs(pack)))
    to_operation(c)  # approved 2025-06-22, before the change: named as it was then
    p = to_operation(c, day=D(2025, 10, 1))  # reviewed 2025-10-02, approved 2025-10-03
    assert sorted(r["approval"] for r in catalogue(c)) == ["县政府批准（2025-06-22）", "市人民政府批准（2025-10-03）"]
    review = docx_fill.document_text(official.render(c.ledger, p.id, "technical_review",
                                                     c.users["bureau"], D(2025, 11, 1)))
    assert "请按程序报市人民政府批准" in review and "报县政府" not in review


def test_the_former_hook_functions_still_answer_and_warn_once():
    import warnings

    from tongchou.plugins.xichuan import acceptance, common
    jur = load_jurisdiction("xichuan")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        common._WARNED.discard(f"{acceptance.__name__}.tongchou_obligations")
        first = acceptance.tongchou_obligations(ProjectState(1, "acceptance_failed", {}), COMPLETED_THEN_FAILED,
                                                jur.parameters())
        acceptance.tongchou_obligations(ProjectState(1, "acceptance_failed", {}), (), jur.parameters())
    assert sorted(o.code for o in first) == ["xichuan.acceptance.due", "xichuan.acceptance.rectify"]
    (warning,) = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert "tongchou_obligation_rules" in str(warning.message)


def test_a_disabled_code_also_silences_the_sweep():
    def late(jur):
        c = memory_county(jur)
        p = c.project(source="unit_application")  # a draft never filed by 第七条's deadline
        return [f.code for f in c.ledger.findings(D(2025, 7, 1), project_id=p.id) if f.code.endswith("passed")]
    assert late(load_jurisdiction("xichuan")) == ["xichuan.approval.deadline_passed"]
    assert late(load_jurisdiction("xichuan", disabled=["xichuan.approval.deadline_passed"])) == []
