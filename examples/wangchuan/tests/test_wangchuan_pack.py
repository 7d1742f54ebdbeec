"""The ``wangchuan`` pack's own tests: run them with the pack installed
(``pip install -e examples/wangchuan``; ``pytest examples/wangchuan/tests``).

The scenarios (``tongchou scenario run scenarios``) check the rules case by
case; these check what scenarios cannot: how the pack and its two versions are
put together, what each version cites, the quota under concurrent applications,
and the working-day deadline over many dates against the national calendar.
"""
from __future__ import annotations

import datetime as dt
import multiprocessing as mp
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tongchou_wangchuan
from tongchou import HistoryEvent, ProjectState
from tongchou.errors import InvalidInput, Refused
from tongchou.ledger import Ledger
from tongchou.packs import default_jurisdiction, discover, load_jurisdiction
from tongchou.scenario import run_paths
from tongchou_wangchuan.common import DOCUMENT, DOCUMENT_2024, articles
from tongchou_wangchuan.filing import filing_due
from tongchou_wangchuan.quota import counted

D = dt.date
HERE = Path(__file__).resolve().parent.parent
DIMENSIONS = ["necessity", "scale", "technology", "security", "intensiveness"]
DOCS = ["summary", "financial_report", "audit_report", "security_risk_assessment"]


@pytest.fixture(scope="module")
def jur():
    return load_jurisdiction("wangchuan")


def _users(ledger, jur):
    ledger.add_unit("县教育局")
    ledger.add_unit("县城投公司")
    users = {r: ledger.add_user(r, r, "县教育局" if jur.registry.roles[r].unit_scoped else None)
             for r in jur.registry.roles if r != "admin"}
    users["builder"] = ledger.add_user("ct", "unit", "县城投公司")
    users["admin"] = ledger.add_user("root", "admin")
    return users


@pytest.fixture
def county(jur):
    """An in-memory 望川县 ledger with one unit, the builder and a user per role."""
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32) as ledger:
        yield ledger, _users(ledger, jur)


def _project(ledger, users, day, name="智慧校园平台", **fields):
    raw = {"name": name, "unit": "县教育局", "builder": "县城投公司", "year": 2027,
           "category": "purchased_service", "kind": "information_system", "source": "unit_application",
           "estimate": "2000000", **fields}
    return ledger.create_project(raw, users["unit"], day).id


def _approved(ledger, users, pid, applied):
    ledger.act(pid, "apply", users["unit"], applied)
    ledger.act(pid, "review", users["bureau"], applied + dt.timedelta(days=8),
               {"result": "pass", "dimensions": DIMENSIONS})
    ledger.act(pid, "approve", users["government"], applied + dt.timedelta(days=18))


def test_the_pack_is_found_through_its_entry_point_and_xichuan_stays_the_default():
    found = discover()
    assert found.packs["wangchuan"] is tongchou_wangchuan.PACK
    assert default_jurisdiction(found) == "xichuan"


def test_two_versions_anchored_on_apply(jur):
    assert [(v.name, v.effective, v.expires) for v in jur.versions] == [
        ("2024", D(2024, 1, 1), D(2025, 12, 31)), ("2026", D(2026, 1, 1), None)]
    assert jur.anchor == "apply"


@pytest.mark.parametrize("version, document", [("2024", DOCUMENT_2024), ("2026", DOCUMENT)])
def test_every_rule_of_a_version_cites_that_version_measures(jur, version, document):
    (loaded,) = [v for v in jur.versions if v.name == version]
    reg = loaded.jurisdiction.registry
    for kind, items in (("action", reg.actions), ("guard", reg.guards), ("parameter", reg.parameters)):
        for name, item in items.items():
            assert item.citation.document == document, f"{version} {kind} {name} cites {item.citation.label}"
            for n in item.citation.articles:
                assert reg.article(document, n) is not None, f"{kind} {name}: no text for 第{n}条"


def test_what_is_switched_off_and_what_only_the_2026_version_has(jur):
    old, new = (v.jurisdiction.registry for v in jur.versions)
    for reg in (old, new):
        assert "xichuan.approval.deadline" not in reg.guards       # by its code
        assert "xichuan.approval.ad_hoc_consent" in reg.guards     # the rest of the plugin stays
        assert "uses_ai" not in reg.fields and "trial_end" not in reg.parameters
        assert reg.actions["accept"].party == "builder" and reg.actions["apply"].party is None
        assert reg.fields["builder"].party and reg.fields["builder"].required
        assert "wangchuan.filing.due" in reg.obligation_rules
    assert "wangchuan.quota.yearly" not in old.guards and "yearly_applications" not in old.parameters
    assert new.guards["wangchuan.quota.yearly"].reads_projects


def test_a_project_without_its_builder_is_refused_naming_the_field(county):
    ledger, users = county
    with pytest.raises(InvalidInput, match="建设运营单位"):
        _project(ledger, users, D(2026, 3, 1), builder=None)
    assert ledger.projects(users["bureau"])[1] == 0


def test_the_version_follows_the_first_application_and_an_admin_may_move_a_project(county):
    ledger, users = county
    old = _project(ledger, users, D(2025, 11, 1), name="旧项目")
    new = _project(ledger, users, D(2025, 11, 1), name="新项目", year=2028)
    assert ledger.project_rules(new).name == "2024"          # entered in 2025, not applied yet
    _approved(ledger, users, old, D(2025, 12, 31))
    _approved(ledger, users, new, D(2026, 1, 1))
    assert (ledger.project_rules(old).name, ledger.project_rules(new).name) == ("2024", "2026")
    change = {"amount": "300000", "reason": "schedule_adjustment", "goal_unchanged": True}
    assert ledger.check(old, "request_change", users["unit"], D(2026, 9, 1), change) == []
    with pytest.raises(Refused) as exc:
        ledger.act(new, "request_change", users["unit"], D(2026, 9, 1), change)
    assert [r.citation.label for r in exc.value.refusals] == [f"{DOCUMENT} 第十二条"]
    assert ledger.move_rules([old], "2026", users["admin"], note="县政府常务会议决定") == 1
    assert [r.citation.label for r in ledger.check(old, "request_change", users["unit"], D(2026, 9, 1), change)] \
        == [f"{DOCUMENT} 第十二条"]


def _racer(url: str, key: bytes, project_id: int, barrier, results) -> None:
    """One applicant in its own process (a Ledger is one per process: its
    models are bound to one database at a time)."""
    ledger = Ledger.open(url, jurisdiction=load_jurisdiction("wangchuan"), audit_key=key)
    outcome = "error"
    try:
        actor = ledger.actor("unit")
        barrier.wait(timeout=60)
        try:
            ledger.act(project_id, "apply", actor, D(2026, 3, 2))
            outcome = "applied"
        except Refused as exc:
            outcome = ",".join(r.code for r in exc.refusals)
    finally:
        ledger.close()
        results.put((project_id, outcome))


def test_the_quota_holds_when_two_applications_of_a_unit_arrive_at_the_same_moment(jur, tmp_path):
    """Two applicants of one unit apply for the same year at once: the guard
    reads other projects, so the core decides them one after the other."""
    url = str(tmp_path / "wangchuan.db")
    key = b"k" * 32
    with Ledger.open(url, jurisdiction=jur, audit_key=key) as ledger:
        users = _users(ledger, jur)
        ids = [_project(ledger, users, D(2026, 3, 1), name=n) for n in ("甲项目", "乙项目")]
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(len(ids)), ctx.Queue()
    procs = [ctx.Process(target=_racer, args=(url, key, pid, barrier, results)) for pid in ids]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=180)
        assert p.exitcode == 0
    outcomes = dict(results.get(timeout=5) for _ in procs)
    assert sorted(outcomes.values()) == ["applied", "wangchuan.quota.yearly"]
    with Ledger.open(url, jurisdiction=jur, audit_key=key) as ledger:
        assert ledger.status_counts() == {"submitted": 1, "draft": 1}


@given(st.lists(st.tuples(st.sampled_from(["draft", "submitted", "reviewed", "rejected", "approved",
                                            "under_construction", "in_operation", "retired"]),
                          st.sampled_from(["unit_application", "county_decision", "higher_level", "ad_hoc"])),
                max_size=8))
def test_only_applied_projects_that_are_not_ad_hoc_count_against_the_quota(rows):
    projects = [ProjectState(i, status, {"source": source}) for i, (status, source) in enumerate(rows, 1)]
    expected = [p.id for p in projects
                if p.status not in ("draft", "rejected") and p["source"] != "ad_hoc"]
    assert [p.id for p in counted(projects)] == expected


def _accepted_on(day):
    return (HistoryEvent(1, "accept", day, "unit", {"result": "pass"}, "completed", "accepted"),)


@settings(max_examples=80, deadline=None)
@given(st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 11, 30)))
def test_filing_is_due_on_the_fifteenth_official_working_day_after_acceptance(jur, accepted):
    """Checked against chinesecalendar itself, day by day: the due day is a
    working day and exactly 15 working days follow the acceptance up to it."""
    (ob,) = filing_due(ProjectState(1, "accepted", {}), _accepted_on(accepted), jur.parameters())
    assert chinese_calendar.is_workday(ob.due)
    days = (ob.due - accepted).days
    between = [accepted + dt.timedelta(days=i) for i in range(1, days + 1)]
    assert sum(chinese_calendar.is_workday(d) for d in between) == 15
    assert ob.citation.label == f"{DOCUMENT} 第十四条" and "尚未公布" not in ob.message


def test_the_pack_list_of_2027_holidays_moves_the_deadline(jur):
    (ob,) = filing_due(ProjectState(1, "accepted", {}), _accepted_on(D(2026, 12, 15)), jur.parameters())
    assert ob.due == D(2027, 1, 6)          # 元旦 2027-01-01..03 off (illustrative list)
    (ob,) = filing_due(ProjectState(1, "accepted", {}), _accepted_on(D(2027, 1, 29)), jur.parameters())
    # 2027-02-05..13 off, Saturday 2027-02-20 a working day: 2/1-2/4 (4), 2/15-2/20 (10), 2/22-26 (15)
    assert ob.due == D(2027, 2, 26)


def test_a_deadline_in_a_year_nobody_covers_says_so(jur):
    (ob,) = filing_due(ProjectState(1, "accepted", {}), _accepted_on(D(2027, 12, 20)), jur.parameters())
    assert ob.due.year == 2028 and "2028年节假日安排尚未公布或未录入" in ob.message


def test_filing_by_the_builder_closes_the_deadline_and_the_unit_may_not_file(county):
    ledger, users = county
    pid = _project(ledger, users, D(2026, 3, 1))
    _approved(ledger, users, pid, D(2026, 3, 2))
    ledger.act(pid, "budget", users["finance"], D(2026, 4, 1), {"amount": "2000000"})
    ledger.act(pid, "tender", users["unit"], D(2026, 4, 5))
    ledger.act(pid, "sign_contract", users["unit"], D(2026, 5, 5))
    ledger.act(pid, "start_construction", users["unit"], D(2026, 5, 10))
    with pytest.raises(Refused) as exc:
        ledger.act(pid, "complete", users["unit"], D(2026, 8, 14))
    assert [r.code for r in exc.value.refusals] == ["permission"]
    ledger.act(pid, "complete", users["builder"], D(2026, 8, 14))
    ledger.act(pid, "accept", users["builder"], D(2026, 9, 10), {"result": "pass", "documents": DOCS})
    (due,) = ledger.obligations(users["builder"], project_id=pid)   # the builder sees it
    assert (due.code, due.due) == ("wangchuan.filing.due", D(2026, 10, 8))
    late = ledger.findings(D(2026, 10, 9), users["builder"], project_id=pid, include_advice=False)
    assert [(f.code, f.citation.label) for f in late] == [("wangchuan.filing.due.overdue", f"{DOCUMENT} 第十四条")]
    with pytest.raises(Refused) as exc:
        ledger.act(pid, "file_acceptance", users["unit"], D(2026, 10, 8))
    assert [r.code for r in exc.value.refusals] == ["permission"]
    ledger.act(pid, "file_acceptance", users["builder"], D(2026, 10, 8))
    assert ledger.obligations(users["builder"], project_id=pid) == []
    assert ledger.findings(D(2026, 10, 9), users["builder"], project_id=pid, include_advice=False) == []
    assert ledger.projects(users["builder"])[1] == 1


def test_the_articles_are_read_from_the_published_texts():
    new = {a.number: a for a in articles(DOCUMENT)}
    old = {a.number: a for a in articles(DOCUMENT_2024)}
    assert sorted(new) == sorted(old) == list(range(1, 21))
    assert new[6].title == "年度申报数量" and old[6].title == "申报材料"
    assert "10%" in new[12].text and "15%" in old[12].text
    assert "15个工作日" in new[14].text


def test_the_pack_scenarios_pass():
    passed, failed = run_paths([HERE / "scenarios"])
    assert failed == 0 and passed >= 30


WRONG = """
- name: 2024年办法的拒绝写成2026年办法的第十二条,必须失败
  jurisdiction: wangchuan
  project: {name: 智慧水务平台, unit: 县水利局, builder: 县城投公司, year: 2027, category: purchased_service, kind: information_system, source: unit_application, estimate: 2000000}
  steps:
    - {date: 2025-06-02, as: unit, do: apply}
    - {date: 2025-06-10, as: bureau, do: review, with: {result: pass, dimensions: [necessity, scale, technology, security, intensiveness]}}
    - {date: 2025-06-20, as: government, do: approve}
    - {date: 2026-09-01, as: unit, do: request_change, with: {amount: 300000.01, reason: schedule_adjustment, goal_unchanged: true}, refused: %s}
"""


@pytest.mark.parametrize("cited, ok", [("望政办〔2024〕5号 第十二条", True), ("第十二条", False),
                                       ("望政办〔2026〕2号 第十二条", False), ("淅政办〔2025〕6号 第十七条", False)])
def test_a_refusal_under_the_old_measures_passes_only_with_the_old_document(tmp_path, cited, ok):
    from tongchou.scenario import Loader, Runner
    path = tmp_path / "wrong.yaml"
    path.write_text(WRONG % cited, encoding="utf-8")
    loader = Loader()
    (case,) = loader.load_file(path)
    result = Runner(loader).run(case)
    assert result.ok is ok, "\n".join(result.lines)


def test_the_web_ui_shows_the_builder_its_project_with_the_filing_deadline_and_the_version(jur):
    """The builder's staff open the project in the web UI (rendered without a
    browser): the parties, the version that governs it and the working-day
    deadline citing the 2026 measures' 第十四条."""
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
        users = _users(ledger, jur)
        ledger.add_user("ct-web", "unit", "县城投公司", password="password-1")
        pid = _project(ledger, users, D(2026, 3, 1))
        _approved(ledger, users, pid, D(2026, 3, 2))
        ledger.act(pid, "budget", users["finance"], D(2026, 4, 1), {"amount": "2000000"})
        for action, day in (("tender", D(2026, 4, 5)), ("sign_contract", D(2026, 5, 5)),
                            ("start_construction", D(2026, 5, 10))):
            ledger.act(pid, action, users["unit"], day)
        ledger.act(pid, "complete", users["builder"], D(2026, 8, 14))
        ledger.act(pid, "accept", users["builder"], D(2026, 9, 10), {"result": "pass", "documents": DOCS})
        app = TongchouApp(ledger, today=lambda: D(2026, 9, 20))
        app.login(ledger.authenticate("ct-web", "password-1"))
        app.go("project", project=pid)
        page = text_of(app.content)
        assert "县城投公司" in page and "2026-10-08" in page
        assert 'data-version="2026"' in page and "适用规则版本" in page
        assert f"{DOCUMENT} 第十四条" in page and "淅政办" not in page
