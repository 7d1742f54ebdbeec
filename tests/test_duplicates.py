"""The duplicate check of the xichuan pack (第三条, 第七条, 第二十三条): advice
on the newer of two alike projects, the bureau's confirm/dismiss, the O&M
refusal of a confirmed duplicate, the index following edits, the CLI, the
catalogue's 经费渠道 and the project page's panel."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings, strategies as st

from tongchou import cli
from tongchou.ledger import SYSTEM
from tongchou.errors import Refused
from tongchou.imports import default_mapping
from tongchou.plugins.xichuan.duplicates import CONFIRMED, PLUGIN, SUSPECTED
from tongchou.plugins.xichuan.duplicates_cli import duplicate_pairs, similar_rows
from tongchou.plugins.xichuan.duplicates_panel import panel_html

from .conftest import DIMS

DAY = dt.date(2025, 6, 1)
VIDEO = ("雪亮工程视频资源整合", "整合全县公共安全视频监控点位,建设视频图像共享交换平台,实现重点路口、学校周边视频监控联网共享和分级调阅")
VIDEO2 = ("城区视频监控资源共享平台", "整合城区公共安全视频监控点位和城管视频,建设视频图像共享交换平台,实现重点路口视频联网共享和调阅")
OTHER = ("中小学录播教室设备采购", "采购中小学录播教室设备,录播主机、高清摄像机和拾音设备")


@pytest.fixture
def two(county):
    """A county with a second unit and a user there."""
    county.ledger.add_unit("县公安局")
    county.users["police"] = county.ledger.add_user("police1", "unit", "县公安局")
    return county


def make(county, text, unit=None, **extra):
    fields = {"name": text[0], "scope": text[1], **extra}
    if unit == "县公安局":
        base = {"unit": unit, "year": 2026, "category": "purchased_service", "kind": "information_system",
                "source": "unit_application", "estimate": "1000000", **fields}
        return county.ledger.create_project(base, county.users["police"], DAY)
    return county.project(**fields)


def advice(ledger, pid):
    return [f for f in ledger.findings(dt.date(2026, 1, 1), project_id=pid) if f.code == SUSPECTED]


def test_the_newer_of_two_alike_projects_gets_advice_citing_3_and_7(two):
    led = two.ledger
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    assert advice(led, older.id) == []
    [found] = advice(led, newer.id)
    assert found.severity == "advice" and found.citation.articles == (3, 7)
    assert f"#{older.id}" in found.message and "视频图像共享交换平台" in found.message
    # advice is never a refusal: the project goes through application and review
    two.act(newer, "apply", "unit", DAY)
    assert advice(led, newer.id)[0].citation.articles == (3, 7)
    two.act(newer, "review", "bureau", DAY, result="pass", dimensions=DIMS)
    assert advice(led, newer.id)[0].citation.articles == (3,)
    two.act(newer, "approve", "government", DAY)
    # after the decision the advice stays as the project left review
    assert advice(led, newer.id)[0].citation.articles == (3,)
    assert all(f.severity == "advice" for f in led.findings(dt.date(2026, 1, 1), project_id=newer.id)
               if f.citation.articles[:1] == (3,))


def test_unlike_projects_get_no_advice_and_the_index_follows_edits(two):
    led = two.ledger
    make(two, VIDEO, unit="县公安局")
    newer = make(two, OTHER)
    assert advice(led, newer.id) == []
    led.update_project(newer.id, {"name": VIDEO2[0], "scope": VIDEO2[1]}, two.users["unit"], DAY)
    assert len(advice(led, newer.id)) == 1
    assert similar_rows(led, newer.id)[0]["suspected"] is True
    led.update_project(newer.id, {"name": OTHER[0], "scope": OTHER[1]}, two.users["unit"], DAY)
    assert advice(led, newer.id) == []
    assert all(not r["suspected"] for r in similar_rows(led, newer.id))


def _om_refusals(county, project):
    with pytest.raises(Refused) as exc:
        county.act(project, "request_om_budget", "unit", DAY, year=2026)
    return {r.code: r for r in exc.value.refusals}


def test_a_confirmed_duplicate_is_a_violation_and_gets_no_om_budget(two):
    led = two.ledger
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    two.act(newer, "apply", "unit", DAY)
    assert "xichuan.duplicates.om_confirmed" not in _om_refusals(two, newer)
    two.act(newer, "confirm_duplicate", "bureau", DAY, of=older.id, note="与雪亮工程重复")
    found = {f.code: f for f in led.findings(dt.date(2026, 1, 1), project_id=newer.id)}
    assert SUSPECTED not in found
    assert found[CONFIRMED].severity == "violation" and found[CONFIRMED].citation.articles == (3,)
    refusal = _om_refusals(two, newer)["xichuan.duplicates.om_confirmed"]
    assert refusal.citation.articles == (23,) and f"#{older.id}" in refusal.message
    # the bureau's later word wins: dismissed, the pair is neither advice nor a refusal
    two.act(newer, "dismiss_duplicate", "bureau", DAY, of=older.id)
    assert "xichuan.duplicates.om_confirmed" not in _om_refusals(two, newer)
    codes = {f.code for f in led.findings(dt.date(2026, 1, 1), project_id=newer.id)}
    assert not codes & {SUSPECTED, CONFIRMED}
    assert duplicate_pairs(led)[0]["decision"] == "dismissed"


def test_confirming_needs_the_bureau_and_another_existing_project(two):
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    two.act(newer, "apply", "unit", DAY)
    with pytest.raises(Refused) as exc:
        two.act(newer, "confirm_duplicate", "unit", DAY, of=older.id)
    assert exc.value.is_permission
    for of in (newer.id, 9999):
        with pytest.raises(Refused) as exc:
            two.act(newer, "confirm_duplicate", "bureau", DAY, of=of)
        [r] = exc.value.refusals
        assert r.citation.articles == (3,) and "of" in r.message


class _Params:
    def __init__(self, threshold):
        self.threshold = threshold

    def value(self, name, on):
        assert name == "duplicate_threshold"
        return self.threshold


@pytest.fixture(scope="module")
def boundary(tmp_path_factory):
    from tongchou.ledger import Ledger
    folder = tmp_path_factory.mktemp("dup")
    led = Ledger.open(str(folder / "l.db"), key_file=folder / "l.key")
    from .conftest import County
    c = County(led)
    c.ledger.add_unit("县公安局")
    c.users["police"] = led.add_user("police1", "unit", "县公安局")
    make(c, VIDEO, unit="县公安局")
    newer = make(c, VIDEO2)
    score = similar_rows(led, newer.id)[0]["score"]
    yield led, newer, score
    led.close()


@settings(max_examples=25, deadline=None)
@given(delta=st.one_of(st.just(0.0), st.just(0.0001), st.just(-0.0001), st.floats(-0.5, 0.5)))
def test_suspected_exactly_from_the_threshold_on(boundary, delta):
    led, newer, score = boundary
    threshold = min(1.0, max(0.0, score + delta))
    led.db.connect(reuse_if_open=True)
    found = PLUGIN.tongchou_findings(project=led.project(newer.id), history=(), params=_Params(threshold),
                                     projects=led.project_reader(exclude=newer.id))
    assert bool([f for f in found if f.code == SUSPECTED]) == (score >= threshold)


def test_cli_similar_and_duplicates_json(two, capsys, monkeypatch):
    led = two.ledger
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    make(two, OTHER)
    url = led.url
    assert cli.main(["--db", url, "similar", str(newer.id), "--top", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == older.id and rows[0]["suspected"] is True
    assert 0 < rows[0]["score"] <= 1 and any("视频图像共享交换平台" in p for p in rows[0]["overlap"])
    assert "第三条" in rows[0]["citation"] and len(rows) <= 2
    assert cli.main(["--db", url, "duplicates", "--json"]) == 0
    pairs = json.loads(capsys.readouterr().out)
    assert [(p["older"], p["newer"], p["decision"]) for p in pairs] == [(older.id, newer.id, "open")]
    assert cli.main(["--db", url, "duplicates", "--unit", "县教育局", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    assert cli.main(["--db", url, "duplicates", "--year", "2030"]) == 0
    assert "没有疑似重复建设" in capsys.readouterr().out
    # a unit's user compares within its own unit: the police project is not shown
    assert cli.main(["--db", url, "similar", str(newer.id), "--user", "unit1", "--json"]) == 0
    assert older.id not in [r["id"] for r in json.loads(capsys.readouterr().out)]


def test_scope_and_funding_are_imported_and_exported(two, xichuan):
    from tongchou.exports import projects_table
    mapping = default_mapping(xichuan.registry)
    assert mapping.rule("建设内容").field == "scope" and mapping.rule("主要建设内容").field == "scope"
    assert mapping.rule("经费渠道").field == "funding" and mapping.rule("资金来源").field == "funding"
    p = make(two, VIDEO2, funding="县级财政预算资金")
    headers, rows, _kinds = projects_table(two.ledger, [two.ledger.project(p.id)], frozenset())
    row = dict(zip(headers, next(iter(rows))))
    assert row["建设内容"] == VIDEO2[1] and row["资金来源"] == "县级财政预算资金"


def test_panel_escapes_user_text(two):
    led = two.ledger
    make(two, ("<script>alert(1)</script>视频监控资源共享", VIDEO[1]), unit="县公安局")
    newer = make(two, VIDEO2)
    html = panel_html(PLUGIN, led, led.project(newer.id), two.users["bureau"])
    assert "<script>" not in html and "&lt;script&gt;" in html and "疑似重复" in html
    # the unit's own user sees the other unit's project counted, not named
    html = panel_html(PLUGIN, led, led.project(newer.id), two.users["unit"])
    assert "script" not in html and "另有 1 个其他单位" in html


def test_demo_county_has_scopes_funding_and_one_genuine_overlap_across_units(tmp_path):
    from tongchou.ledger import Ledger
    from tongchou.plugins.xichuan import demo_data
    from tongchou.plugins.xichuan.catalogue import catalogue_rows
    with Ledger.open(str(tmp_path / "demo.db"), key_file=tmp_path / "demo.key") as led:
        demo_data.seed(led, dt.date(2026, 12, 1))
        projects, total = led.projects()
        assert total == 33 and all(p["scope"] and p["funding"] for p in projects)
        # 雪亮工程视频资源整合 (#6, 公安, reviewed) overlaps 城市运行管理服务平台 (#5, 城管)
        [found] = advice(led, 6)
        assert "#5" in found.message and found.citation.articles == (3,)
        assert [(r["older"], r["newer"]) for r in duplicate_pairs(led)] == [(5, 6)]
        rows = catalogue_rows(led, None)
        assert rows and all(r["funding"] == demo_data.SCOPES[r["name"]][1] for r in rows)


def test_the_similar_projects_panel_reaches_the_project_page():
    import os

    from tongchou.ledger import Ledger
    from tongchou.ui.app import TongchouApp

    def texts(obj, out):
        if isinstance(getattr(obj, "object", None), str):
            out.append(obj.object)
        for child in getattr(obj, "objects", None) or ():
            texts(child, out)
        return out

    with Ledger.open(":memory:", jurisdiction="xichuan", audit_key=os.urandom(32)) as led:
        led.add_unit("县公安局")
        led.add_user("reviewer", "bureau", password="password-1")
        base = {"unit": "县公安局", "year": 2027, "category": "purchased_service", "kind": "information_system",
                "source": "unit_application"}
        older = led.create_project({**base, "name": "<b>雪亮</b>" + VIDEO[0], "scope": VIDEO[1]}, SYSTEM, DAY)
        newer = led.create_project({**base, "name": VIDEO2[0], "scope": VIDEO2[1]}, SYSTEM, DAY)
        app = TongchouApp(led, today=lambda: dt.date(2026, 1, 1))
        app.login(led.authenticate("reviewer", "password-1"))
        app.go("project", project=newer.id)
        html = "\n".join(texts(app.content, []))
        assert "相似项目" in html and f'href="?project={older.id}"' in html
        assert "&lt;b&gt;雪亮&lt;/b&gt;" in html and "<b>雪亮" not in html


def test_packs_add_commands_through_an_entry_point_and_a_broken_one_only_warns(monkeypatch, capsys):
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert {"similar", "duplicates"} <= set(sub.choices)

    class Broken:
        name, value = "broken", "broken_pack:add_commands"

        def load(self):
            raise ImportError("no module named broken_pack")

    monkeypatch.setattr(cli, "entry_points", lambda group: [Broken()])
    parser = cli.build_parser()
    assert "broken_pack" in capsys.readouterr().err
    assert parser.parse_args(["findings"]).func is not None


def test_a_pack_swaps_the_similarity_rule_as_the_guide_shows():
    """docs/guide-duplicates.md: disable xichuan.duplicates, register a
    DuplicateCheck with one's own rule; CLI helpers and findings follow it."""
    import os

    from tongchou.ledger import Ledger
    from tongchou.packs import load_jurisdiction
    from tongchou.plugins.xichuan.duplicates import DuplicateCheck, find_check
    from tongchou.plugins.xichuan.similarity import GENERIC_TERMS, CharGramRule

    class ByNameOnly(CharGramRule):
        NAME_SHARE = 1.0

    mine = DuplicateCheck(ByNameOnly(generic_terms=GENERIC_TERMS + ("视频", "监控")))
    jur = load_jurisdiction("xichuan", disabled=["xichuan.duplicates"], extra_plugins=[("lanshui.duplicates", mine)])
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)) as led:
        assert find_check(led) is mine
        led.add_unit("县公安局")
        base = {"unit": "县公安局", "year": 2027, "category": "purchased_service", "kind": "information_system",
                "source": "unit_application"}
        led.create_project({**base, "name": VIDEO[0], "scope": VIDEO[1]}, SYSTEM, DAY)
        newer = led.create_project({**base, "name": VIDEO2[0], "scope": VIDEO2[1]}, SYSTEM, DAY)
        # the pack's rule scores, not the default one
        [row] = similar_rows(led, newer.id, top=1)
        assert row["score"] == mine.rule.score(VIDEO2, VIDEO).score != CharGramRule().score(VIDEO2, VIDEO).score
        assert bool(advice(led, newer.id)) == row["suspected"]


def test_rules_evaluated_without_a_ledger_never_read_the_processs_database(two):
    """engine.derive without a ledger (what-if, tools, tests) hands rules a
    reader with no live ledger: the duplicate rule must not fall back on
    whatever database this process opened last (it may be another ledger's)."""
    from tongchou import NO_PROJECTS
    led = two.ledger
    make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    state = led.project(newer.id)
    live = PLUGIN.tongchou_findings(project=state, history=(), params=_Params(0.0),
                                    projects=led.project_reader(exclude=newer.id))
    assert [f for f in live if f.code == SUSPECTED]
    assert PLUGIN.tongchou_findings(project=state, history=(), params=_Params(0.0), projects=NO_PROJECTS) == []


def test_cli_duplicates_lists_the_pairs_for_people_to_read(two, capsys):
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    assert cli.main(["--db", two.ledger.url, "duplicates"]) == 0
    out = capsys.readouterr().out
    assert "疑似重复建设的项目 1 对" in out and "第三条" in out
    [line] = [ln for ln in out.splitlines() if "⇄" in ln]
    assert f"#{older.id} {VIDEO[0]}（县公安局）" in line and f"#{newer.id} {VIDEO2[0]}" in line and "待审查" in line
    assert out.splitlines()[0].endswith("）：") and "\t重合：" in line  # Chinese punctuation for staff


@pytest.mark.parametrize("limit", [3000, 0], ids=["per-project", "ledger-wide"])
def test_a_rejected_project_is_no_longer_a_duplicate_for_either_search(two, monkeypatch, limit):
    # 第三条 compares with projects that stand: a rejected application drops out, whether
    # the audit compares project by project or blocks ledger-wide (above PER_PROJECT_LIMIT)
    from tongchou.plugins.xichuan import duplicates_cli
    monkeypatch.setattr(duplicates_cli, "PER_PROJECT_LIMIT", limit)
    led = two.ledger
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    make(two, OTHER)
    assert [(r["older"], r["newer"]) for r in duplicate_pairs(led)] == [(older.id, newer.id)]
    assert f"#{older.id}" in _suspected_now(led, newer)[0]
    two.act(older, "apply", "police", DAY)
    two.act(older, "review", "bureau", DAY, result="fail", dimensions=DIMS)
    assert led.project(older.id).status == "rejected"
    assert duplicate_pairs(led) == []
    assert _suspected_now(led, newer) == []     # the advice as the rule would give it today


def _suspected_now(led, project):
    found = PLUGIN.tongchou_findings(project=led.project(project.id), history=(), params=led.params,
                                     projects=led.project_reader(exclude=project.id))
    return [f.message for f in found if f.code == SUSPECTED]


def test_pairs_of_equal_score_are_listed_older_first_each_flagged_as_similar_flags_it(two):
    led = two.ledger
    ids = [make(two, VIDEO).id for _ in range(3)]
    rows = duplicate_pairs(led)
    assert [(r["older"], r["newer"]) for r in rows] == [(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])]
    assert {r["score"] for r in rows} == {1.0}
    # each pair is flagged as `tongchou similar` flags the same two projects
    assert {r["id"] for r in similar_rows(led, ids[2]) if r["suspected"]} == {ids[0], ids[1]}
    assert all(r["suspected"] is True for r in rows)


def test_the_panel_flags_a_project_exactly_at_the_threshold_as_the_finding_does(two):
    from tongchou.plugins.xichuan.duplicates import DuplicateCheck
    led = two.ledger
    make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    score = similar_rows(led, newer.id)[0]["score"]

    class At(DuplicateCheck):
        threshold = staticmethod(lambda params, on: at)

    for at, flagged in ((score, True), (min(1.0, score + 0.001), False)):
        html = panel_html(At(PLUGIN.rule), led, led.project(newer.id), two.users["bureau"])
        assert (">疑似重复</span>" in html) == flagged and (">相似</span>" in html) != flagged


def test_the_index_is_rebuilt_when_the_audit_chain_forked_since_it_was_built():
    # dupindex: a chain that went back and grew again (a restored backup, a rolled-back
    # write) may have changed projects before the old head too: read everything again
    from peewee import SqliteDatabase
    from tongchou.plugins.xichuan.dupindex import ledger_index
    from tongchou.plugins.xichuan.similarity import CharGramRule
    db = SqliteDatabase(":memory:")
    for ddl in ('CREATE TABLE "unit" ("id" INTEGER PRIMARY KEY, "name" TEXT)',
                'CREATE TABLE "project" ("id" INTEGER PRIMARY KEY, "name" TEXT, "data" TEXT, "unit_id" INTEGER, '
                '"year" INTEGER, "status" TEXT)',
                'CREATE TABLE "audit_entry" ("id" INTEGER PRIMARY KEY, "mac" TEXT, "project_id" INTEGER)',
                'CREATE TABLE "audit_head" ("id" INTEGER PRIMARY KEY, "last_id" INTEGER, "last_mac" TEXT)'):
        db.execute_sql(ddl)
    db.execute_sql('INSERT INTO "unit" VALUES (1, \'县公安局\')')
    db.execute_sql('INSERT INTO "project" VALUES (1, ?, \'{}\', 1, 2026, \'draft\')', (VIDEO[0],))
    db.execute_sql('INSERT INTO "audit_entry" VALUES (1, \'a\', 1), (2, \'b\', 1)')
    db.execute_sql('INSERT INTO "audit_head" VALUES (1, 2, \'b\')')
    rule = CharGramRule()
    assert ledger_index(db, rule).index.texts[1][0] == VIDEO[0]
    # the backup restored: entry 2 is another one (project 1 had another name there),
    # and the chain has since grown past where the index was built
    db.execute_sql('UPDATE "project" SET "name" = ? WHERE "id" = 1', (OTHER[0],))
    db.execute_sql('UPDATE "audit_entry" SET "mac" = \'b2\' WHERE "id" = 2')
    db.execute_sql('INSERT INTO "project" VALUES (2, ?, \'{}\', 1, 2026, \'draft\')', (VIDEO2[0],))
    db.execute_sql('INSERT INTO "audit_entry" VALUES (3, \'c2\', 2)')
    db.execute_sql('UPDATE "audit_head" SET "last_id" = 3, "last_mac" = \'c2\'')
    texts = ledger_index(db, rule).index.texts
    assert (texts[1][0], texts[2][0]) == (OTHER[0], VIDEO2[0])
    db.close()


def test_the_advice_goes_once_the_earlier_project_is_renamed_to_something_else(two):
    led = two.ledger
    older = make(two, VIDEO, unit="县公安局")
    newer = make(two, VIDEO2)
    assert f"#{older.id}" in _suspected_now(led, newer)[0]
    led.update_project(older.id, {"name": OTHER[0], "scope": OTHER[1]}, two.users["police"], DAY)
    assert _suspected_now(led, newer) == []
