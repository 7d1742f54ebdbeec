"""The ``shili`` pack's own tests: run them with the pack installed
(``pip install -e examples/shili``; ``pytest examples/shili/tests``).

The policy scenarios (``tongchou scenario run scenarios``) check the rules
case by case; these check what scenarios cannot: how the pack is put
together, what it cites, and the boundaries over many values.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tongchou_shili
from tongchou.dates import add_months
from tongchou.errors import ConfigurationError, InvalidInput, Refused
from tongchou.ledger import Ledger
from tongchou.packs import default_jurisdiction, discover, load_jurisdiction
from tongchou.scenario import run_paths
from tongchou_shili.approval import needs_expert_review
from tongchou_shili.common import DOCUMENT, articles

D = dt.date
HERE = Path(__file__).resolve().parent.parent
DIMENSIONS = ["necessity", "scale", "technology", "security", "intensiveness"]


@pytest.fixture(scope="module")
def jur():
    return load_jurisdiction("shili")


@pytest.fixture
def city(jur):
    """An in-memory 示例市 ledger with one unit and a user per role."""
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32) as ledger:
        ledger.add_unit("市教育局")
        users = {r: ledger.add_user(r, r, "市教育局" if jur.registry.roles[r].unit_scoped else None)
                 for r in jur.registry.roles if r != "admin"}
        yield ledger, users


def _project(ledger, users, estimate="800000", **fields):
    raw = {"name": "智慧校园平台", "unit": "市教育局", "year": 2027, "category": "purchased_service",
           "kind": "information_system", "source": "unit_application", "estimate": estimate, **fields}
    return ledger.create_project(raw, users["unit"], D(2026, 3, 1)).id


def _to_reviewed(ledger, users, pid):
    ledger.act(pid, "apply", users["unit"], D(2026, 3, 2))
    ledger.act(pid, "review", users["bureau"], D(2026, 3, 10), {"result": "pass", "dimensions": DIMENSIONS})


def test_the_pack_is_found_through_its_entry_point_and_xichuan_stays_the_default():
    found = discover()
    assert found.packs["shili"] is tongchou_shili.PACK
    assert "xichuan" in found.packs
    assert default_jurisdiction(found) == "xichuan"


def test_every_rule_the_jurisdiction_runs_cites_the_city_measures(jur):
    reg = jur.registry
    for kind, items in (("action", reg.actions), ("guard", reg.guards), ("parameter", reg.parameters)):
        for name, item in items.items():
            assert item.citation.document == DOCUMENT, f"{kind} {name} cites {item.citation.label}"
            for n in item.citation.articles:  # and the text of every cited article is there
                assert reg.article(DOCUMENT, n) is not None, f"{kind} {name}: no text for 第{n}条"


def test_switched_off_and_replaced_plugins(jur):
    reg = jur.registry
    names = {i.name: i for i in jur.plugins}
    for off in ("xichuan.ai", "xichuan.acceptance", "xichuan.final", "xichuan.demo"):
        assert off not in names
    assert "uses_ai" not in reg.fields and "accept" not in reg.actions
    assert reg.actions["approve"].plugin == "shili.approval"
    assert reg.actions["approve"].from_statuses == ("reviewed", "expert_reviewed")
    assert reg.roles["bureau"].label == "市政务服务和数据管理局"
    assert reg.actions["final_accept"].roles == ("bureau",)
    # the reused rules are Xichuan's own code
    assert reg.guards["xichuan.change.threshold"].plugin == "xichuan.change"


def test_a_field_of_a_switched_off_plugin_is_refused_as_unknown(city):
    ledger, users = city
    with pytest.raises(InvalidInput, match="uses_ai"):
        _project(ledger, users, uses_ai=True)


def test_refusals_and_obligations_of_reused_rules_cite_the_city_article(city):
    ledger, users = city
    pid = _project(ledger, users, estimate="2000000")
    _to_reviewed(ledger, users, pid)
    ledger.act(pid, "approve", users["government"], D(2026, 3, 20))
    with pytest.raises(Refused) as exc:  # Xichuan's 第十七条 is the city's 第十二条
        ledger.act(pid, "request_change", users["unit"], D(2026, 9, 1),
                   {"amount": "200000.01", "reason": "schedule_adjustment", "goal_unchanged": True})
    assert [r.citation.label for r in exc.value.refusals] == ["示政办〔2026〕3号 第十二条"]
    assert re.search(r"超过概算总投资的 10(\.0+)?%", exc.value.refusals[0].message)


def test_expert_review_refusal_cites_article_six(city):
    ledger, users = city
    pid = _project(ledger, users, estimate="5000000.01")
    _to_reviewed(ledger, users, pid)
    with pytest.raises(Refused) as exc:
        ledger.act(pid, "approve", users["government"], D(2026, 3, 20))
    assert [(r.code, r.citation.label) for r in exc.value.refusals] == [
        ("shili.approval.expert_review_first", "示政办〔2026〕3号 第六条")]
    assert ledger.project(pid).status == "reviewed"


@given(st.integers(min_value=0, max_value=20_000_000_00))
def test_expert_review_is_needed_exactly_above_five_million(cents):
    amount = Decimal(cents) / 100
    assert needs_expert_review(amount, Decimal("5000000")) == (amount > Decimal("5000000"))


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=D(2026, 1, 1), max_value=D(2029, 12, 31)))
def test_preliminary_acceptance_falls_due_three_months_after_completion(jur, completed):
    from tongchou import HistoryEvent, ProjectState
    from tongchou_shili.acceptance import tongchou_obligations
    history = (HistoryEvent(1, "complete", completed, "unit", {}, "under_construction", "completed"),)
    (ob,) = tongchou_obligations(ProjectState(1, "completed", {}), history, jur.parameters())
    assert ob.due == add_months(completed, 3)
    assert ob.due.month == (completed.month + 2) % 12 + 1  # never spills into the next month
    assert ob.citation.label == "示政办〔2026〕3号 第十三条"


def test_the_notice_after_the_measures_expire(city):
    ledger, _users = city
    assert ledger.notices(D(2030, 12, 31)) == []
    (notice,) = ledger.notices(D(2031, 1, 1))
    assert notice.citation.label == "示政办〔2026〕3号 第二十二条"


def test_a_ledger_stays_bound_to_its_jurisdiction(tmp_path):
    url = str(tmp_path / "shili.db")
    with Ledger.open(url, jurisdiction="shili") as ledger:
        assert ledger.jurisdiction.name == "shili"
    with Ledger.open(url) as ledger:  # no name: the recorded one, not the default
        assert ledger.jurisdiction.name == "shili"
    with pytest.raises(ConfigurationError, match="shili"):
        Ledger.open(url, jurisdiction="xichuan")


def test_the_articles_are_read_from_the_published_text():
    table = {a.number: a for a in articles()}
    assert sorted(table) == list(range(1, 23))
    assert table[6].title == "专家评审" and "500万元" in table[6].text


def test_the_pack_scenarios_pass():
    passed, failed = run_paths([HERE / "scenarios"])
    assert (passed, failed) == (passed, 0) and passed >= 20


def test_the_web_ui_shows_the_new_stages_and_the_city_articles(jur):
    """Nothing in the web UI knows Xichuan's statuses: a project in 试运行 is
    shown with its 终验 deadline citing the city's 第十四条."""
    import os

    from tongchou.ui.app import TongchouApp

    def text_of(obj) -> str:
        out = []

        def walk(o):
            if isinstance(getattr(o, "object", None), str):
                out.append(o.object)
            for child in getattr(o, "objects", None) or ():
                walk(child)
        walk(obj)
        return "\n".join(out)

    with Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)) as ledger:
        ledger.add_unit("市教育局")
        for role in ("unit", "bureau", "government", "finance"):
            ledger.add_user(role, role, "市教育局" if role == "unit" else None, password="password-1")
        users = {r: ledger.actor(r) for r in ("unit", "bureau", "government", "finance")}
        pid = _project(ledger, users)
        _to_reviewed(ledger, users, pid)
        ledger.act(pid, "approve", users["government"], D(2026, 3, 20))
        ledger.act(pid, "budget", users["finance"], D(2026, 4, 1), {"amount": "800000"})
        for action, day in (("tender", D(2026, 4, 5)), ("sign_contract", D(2026, 5, 5)),
                            ("start_construction", D(2026, 5, 10)), ("complete", D(2026, 8, 15))):
            ledger.act(pid, action, users["unit"], day)
        ledger.act(pid, "preliminary_accept", users["unit"], D(2026, 11, 15), {"result": "pass"})
        app = TongchouApp(ledger, today=lambda: D(2026, 12, 1))
        app.login(ledger.authenticate("bureau", "password-1"))
        app.go("project", project=pid)
        page = text_of(app.content)
        assert "初验通过(试运行)" in page and "竣工验收(终验)" in page
        assert "示政办〔2026〕3号 第十四条" in page and "淅政办" not in page
