"""Rule versions (DESIGN §5): each project is governed by the version of the
measures in force on its anchor event and evaluated with that version's
plugins and parameters until an administrator moves it.

The toy pack extends ``xichuan`` with one guard: ``apply`` is refused when the
estimate is over ``toy_limit``.  Version ``2024`` allows up to 2,000,000 yuan;
version ``2025.6`` (from 2025-06-15) only 500,000 and adds a plugin
(``toy.v2``) with a finding and a sweep of its own.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings, strategies as st

from tongchou import Finding, Guard, Pack, Parameter, RuleVersion, hookimpl, whatif
from tongchou.cli import main
from tongchou.errors import ConfigurationError, NotFound, PermissionDenied, Refused
from tongchou.ledger import Ledger
from tongchou.models import AuditEntry
from tongchou.packs import Discovered, discover, load_jurisdiction

from .conftest import County
from .toy_plugins import DOCUMENT, cite, contributing

D = dt.date
OLD, NEW = "2024", "2025.6"
SWITCH = D(2025, 6, 15)  # the day version 2025.6 takes effect


def _limit(ctx):
    limit, estimate = ctx.params["toy_limit"], ctx.project["estimate"]
    if estimate is not None and estimate > limit:
        return f"估算 {estimate} 元超过本版本规定的上限 {limit} 元"
    return None


BASE = contributing(
    tongchou_parameters=[Parameter("toy_limit", "申报项目估算上限", cite(3), "decimal",
                                   {D(2024, 1, 1): Decimal("2000000")}, unit="元")],
    tongchou_guards=[Guard("toy.limit", ("apply",), _limit, cite(3), "估算上限")])


class NewOnly:
    """A plugin only version 2025.6 has: a finding and a sweep."""

    TITLE = "新办法的备案要求"

    def __init__(self):
        self.swept: list[set[int]] = []

    @hookimpl
    def tongchou_findings(self, project, history, params):
        if project.status == "submitted":
            return [Finding("toy.v2.filing", "advice", cite(4), "新办法要求申报后报送备案表")]
        return None

    @hookimpl
    def tongchou_sweep(self, projects, on, params):
        self.swept.append({p.id for p in projects})
        return {p.id: [Finding("toy.v2.swept", "advice", cite(5), "新办法的年度检查")] for p in projects}


NEW_ONLY = NewOnly()
VERSIONS = (
    RuleVersion(OLD, effective=D(2024, 1, 1), expires=SWITCH - dt.timedelta(days=1), description="旧办法",
                parameter_overrides={"toy_limit": {"2024-01-01": "2000000"}}),
    RuleVersion(NEW, effective=SWITCH, expires=D(2027, 12, 31), plugins={"toy.v2": NEW_ONLY},
                parameter_overrides={"toy_limit": "500000"}),  # on every date
)
TOY_PACK = Pack(name="toyver", title="玩具县", document=DOCUMENT, extends="xichuan",
                plugins={"toy.base": BASE}, versions=VERSIONS, anchor="apply")
ENTRY_PACK = attrs.evolve(TOY_PACK, name="toyentry", anchor=None)
PLAIN_PACK = attrs.evolve(TOY_PACK, name="toyplain", versions=(), anchor=None)


def found(*packs: Pack) -> Discovered:
    base = discover()
    return Discovered({**base.packs, **{p.name: p for p in packs}}, base.extras,
                      {**base.versions, **{p.name: p.version for p in packs}})


@pytest.fixture
def county(backend_url):
    """``county(pack, **load_jurisdiction arguments)``: a County on a fresh
    ledger of the pack, on SQLite and on PostgreSQL."""
    opened = []

    def make(pack=TOY_PACK, **kw) -> County:
        NEW_ONLY.swept.clear()
        jur = load_jurisdiction(pack.name, found=found(pack), **kw)
        ledger = Ledger.open(backend_url, jurisdiction=jur, audit_key=b"v" * 32)
        opened.append(ledger)
        return County(ledger)

    yield make
    for ledger in opened:
        ledger.close()


def version_of(c: County, p) -> str:
    return c.ledger.project_rules(p.id).name


def codes(c: County, p, on=D(2025, 7, 1)) -> set[str]:
    return {f.code for f in c.ledger.findings(on, project_id=p.id)}


# -- which version governs a project ------------------------------------------------------


def test_the_anchor_action_pins_a_project_to_the_version_in_force_on_its_date(county):
    c = county()
    big = c.project(D(2025, 6, 1))
    assert version_of(c, big) == OLD  # before it is applied: the version of its entry
    with pytest.raises(Refused) as exc:
        c.act(big, "apply", "unit", D(2025, 6, 20))  # applied under 2025.6: 500,000 at most
    assert [r.code for r in exc.value.refusals] == ["toy.limit"]
    assert "上限 500000 元" in exc.value.refusals[0].message
    assert version_of(c, big) == OLD  # a refused anchor pins nothing

    small = c.project(D(2025, 6, 1), name="小项目", estimate="300000")
    c.act(small, "apply", "unit", D(2025, 6, 20))
    assert version_of(c, small) == NEW
    assert "toy.v2.filing" in codes(c, small)  # the plugin only 2025.6 has

    early = c.project(D(2025, 6, 1), name="早申报项目")
    c.act(early, "apply", "unit", D(2025, 6, 10))  # under 2024: 2,000,000 allowed
    assert version_of(c, early) == OLD
    assert "toy.v2.filing" not in codes(c, early)
    assert c.ledger.verify_audit().ok  # the pinned rows' seals include their version


def test_without_an_anchor_the_entry_date_pins_the_version(county):
    c = county(ENTRY_PACK)
    old = c.project(D(2025, 6, 1))
    new = c.project(D(2025, 6, 16), name="新项目")
    assert (version_of(c, old), version_of(c, new)) == (OLD, NEW)
    c.act(old, "apply", "unit", D(2025, 6, 20))  # still the 2024 limit, although 2025.6 is in force
    assert c.ledger.project(old.id).status == "submitted"
    with pytest.raises(Refused) as exc:
        c.act(new, "apply", "unit", D(2025, 6, 20))
    assert [r.code for r in exc.value.refusals] == ["toy.limit"]
    again = c.project(D(2025, 6, 1), name="另一旧项目")
    assert c.ledger.check(again.id, "apply", c.users["unit"], D(2025, 6, 20)) == []
    assert [r.code for r in c.ledger.check(new.id, "apply", c.users["unit"], D(2025, 6, 20))] == ["toy.limit"]


def test_an_entry_before_the_first_version_is_governed_by_the_first(county):
    c = county(ENTRY_PACK)
    p = c.project(D(2023, 5, 1), year=2024)
    assert version_of(c, p) == OLD
    assert c.ledger.version_on(D(2023, 5, 1)).name == OLD


@pytest.fixture(scope="module")
def toy_versions():
    return load_jurisdiction("toyver", found=found(TOY_PACK)).versions


@settings(max_examples=40, deadline=None)
@given(day=st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)))
def test_the_version_in_force_changes_on_its_effective_date(toy_versions, day):
    from tongchou.versions import version_on
    assert version_on(toy_versions, day).name == (OLD if day < SWITCH else NEW)
    assert version_on(toy_versions, SWITCH).name == NEW  # the effective date itself
    assert version_on(toy_versions, SWITCH - dt.timedelta(days=1)).name == OLD


def test_a_pack_without_versions_has_one_implicit_version(county):
    c = county(PLAIN_PACK)
    (only,) = c.ledger.rule_versions
    assert (only.name, only.declared, only.tag) == ("0", False, "toyplain@0")
    p = c.project(D(2025, 6, 1))
    assert c.ledger._row(p.id).rules == "toyplain@0"  # as projects were always tagged
    assert version_of(c, p) == "0"
    c.act(p, "apply", "unit", D(2025, 6, 20))  # the base limit: 2,000,000
    assert c.ledger.notices(D(2031, 1, 1)) == [] or all(
        n.code != "tongchou.rules.expired" for n in c.ledger.notices(D(2031, 1, 1)))


def test_xichuan_is_one_version_whose_expiry_its_own_notice_reports(ledger):
    (v,) = ledger.rule_versions
    assert (v.name, v.effective, v.expires) == ("2025.6", D(2025, 8, 29), D(2027, 8, 28))
    assert ledger.notices(D(2027, 8, 28)) == []
    (notice,) = ledger.notices(D(2027, 8, 29))  # 第三十九条's notice, not a second one
    assert notice.code == "xichuan.final.trial_ended" and notice.citation.articles == (39,)


def test_a_ledger_whose_newest_version_expired_says_so(county):
    c = county()
    assert "tongchou.rules.expired" not in [n.code for n in c.ledger.notices(D(2027, 12, 31))]
    (notice,) = [n for n in c.ledger.notices(D(2028, 1, 1)) if n.code == "tongchou.rules.expired"]
    assert "2025.6" in notice.message and "2027-12-31" in notice.message
    assert notice.citation.document == DOCUMENT


# -- sweep, move, what-if -----------------------------------------------------------------


def test_the_sweep_asks_each_version_about_its_own_projects(county):
    c = county(ENTRY_PACK)
    old = [c.project(D(2025, 6, 1), name=f"旧{i}") for i in range(2)]
    new = [c.project(D(2025, 6, 16), name=f"新{i}") for i in range(3)]
    NEW_ONLY.swept.clear()
    found_ = c.ledger.findings(D(2025, 7, 1))
    assert NEW_ONLY.swept == [{p.id for p in new}]  # one call, only 2025.6's projects
    swept = {f.project_id for f in found_ if f.code == "toy.v2.swept"}
    assert swept == {p.id for p in new} and not swept & {p.id for p in old}


def test_an_admin_moves_projects_to_a_newer_version_audited(county):
    c = county()
    p = c.project(D(2025, 6, 1), estimate="300000")
    c.act(p, "apply", "unit", D(2025, 6, 10))
    assert version_of(c, p) == OLD and "toy.v2.filing" not in codes(c, p)
    with pytest.raises(PermissionDenied):
        c.ledger.move_rules([p.id], NEW, c.users["unit"])
    with pytest.raises(NotFound):
        c.ledger.move_rules([p.id], "1999", c.users["admin"])
    assert version_of(c, p) == OLD
    assert c.ledger.move_rules([p.id], NEW, c.users["admin"], note="统一适用新办法") == 1
    assert version_of(c, p) == NEW
    assert "toy.v2.filing" in codes(c, p)  # re-derived under 2025.6
    entry = AuditEntry.select().where(AuditEntry.kind == "rules").get()
    assert entry.project_id == p.id and json.loads(entry.detail)["to"] == NEW
    assert c.ledger.verify_audit().ok
    assert c.ledger.move_rules([p.id], NEW, c.users["admin"]) == 0  # already there
    assert c.ledger.rules_counts() == {OLD: 0, NEW: 1}


def test_what_if_shows_what_moving_a_project_would_change(county):
    c = county()
    big = c.project(D(2025, 6, 1))
    c.act(big, "apply", "unit", D(2025, 6, 10))
    other = c.project(D(2025, 6, 1), name="另一项目")
    result = whatif.run(c.ledger, whatif.Draft(version=NEW), on=D(2025, 7, 1), project_ids=[big.id])
    assert result.examined == 1 and result.version == NEW
    (diff,) = result.projects
    assert diff.project_id == big.id
    (step,) = diff.refused
    assert step.action == "apply" and [r.code for r in step.refusals] == ["toy.limit"]
    assert {(f.code, f.change) for f in diff.findings} >= {("toy.v2.filing", "added")}
    assert version_of(c, big) == OLD and version_of(c, other) == OLD  # nothing written


def test_a_version_that_changes_the_vocabulary_is_refused_at_load():
    from tongchou import Field
    extra = contributing(tongchou_fields=[Field("toy_new_field", "新字段", "text")])
    bad = attrs.evolve(TOY_PACK, name="toybad", versions=(
        VERSIONS[0], attrs.evolve(VERSIONS[1], plugins={"toy.v2": NEW_ONLY, "toy.extra": extra})))
    with pytest.raises(ConfigurationError, match="toy_new_field"):
        load_jurisdiction("toybad", found=found(bad))


def test_versions_must_follow_each_other():
    bad = attrs.evolve(TOY_PACK, name="toyorder", versions=(VERSIONS[1], VERSIONS[0]))
    with pytest.raises(ConfigurationError, match="take effect after"):
        load_jurisdiction("toyorder", found=found(bad))


def test_a_version_only_plugin_can_be_disabled_and_extra_plugins_reach_every_version(county):
    extra = contributing(tongchou_guards=[Guard("toy.extra", ("apply",), lambda ctx: "额外规则拒绝", cite(6),
                                                "额外规则")])
    c = county(ENTRY_PACK, disabled=["toy.v2"], extra_plugins=[("toy.extra", extra)])
    new = c.project(D(2025, 6, 16), estimate="300000")
    old = c.project(D(2025, 6, 1), name="旧项目")
    for p in (new, old):
        with pytest.raises(Refused) as exc:
            c.act(p, "apply", "unit", D(2025, 6, 20))
        assert [r.code for r in exc.value.refusals] == ["toy.extra"]
    assert "toy.v2.swept" not in {f.code for f in c.ledger.findings(D(2025, 7, 1))}


# -- the command line ---------------------------------------------------------------------


def test_cli_shows_the_version_and_moves_projects(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.test_versions:ENTRY_PACK")
    path = str(tmp_path / "ledger.db")
    with Ledger.open(path, jurisdiction="toyentry") as ledger:
        c = County(ledger)
        old = c.project(D(2025, 6, 1))
        c.act(old, "apply", "unit", D(2025, 6, 10))
        new = c.project(D(2025, 6, 16), name="新项目")
    capsys.readouterr()

    def run(*argv) -> str:
        assert main(["--db", path, *argv]) == 0
        return capsys.readouterr().out

    shown = json.loads(run("project", "show", str(old.id), "--json", "--date", "2025-07-01"))
    assert shown["rules"]["name"] == OLD and shown["rules"]["tag"] == "toyentry@2024"
    assert f"版本 {NEW}" in run("project", "show", str(new.id), "--date", "2025-07-01")
    listed = json.loads(run("rules", "list", "--json", "--date", "2025-07-01"))
    assert [(v["name"], v["projects"], v["current"]) for v in listed["versions"]] == [(OLD, 1, False),
                                                                                       (NEW, 1, True)]
    dry = run("rules", "move", NEW, "--all-before", "2025-06-15", "--dry-run", "--date", "2025-07-01")
    assert "1 projects would move" in dry and "1 past steps would be refused" in dry
    assert "refused  step 1 2025-06-10" in dry and "上限 500000 元" in dry
    assert json.loads(run("rules", "list", "--json"))["versions"][0]["projects"] == 1  # dry run wrote nothing
    assert main(["--db", path, "rules", "move", NEW, "--project", str(old.id), "--user", "unit1"]) == 2
    assert "1 of 1 projects moved" in run("rules", "move", NEW, "--project", str(old.id), "--user", "admin1")
    assert json.loads(run("project", "show", str(old.id), "--json"))["rules"]["name"] == NEW


def test_the_project_page_says_which_version_governs(county):
    pytest.importorskip("panel")
    from tongchou.ui import queries
    from tongchou.ui.app import TongchouApp

    from .ui.test_app import html_of
    c = county(ENTRY_PACK)
    old = c.project(D(2025, 6, 1))
    queries.changed()
    app = TongchouApp(c.ledger)
    app.login(c.users["admin"])
    app.go("project", project=old.id)
    page = html_of(app.content)
    assert f'data-version="{OLD}"' in page and f"适用规则版本：{OLD}（旧办法）" in page


def test_cli_disables_a_plugin_only_a_version_has(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.test_versions:ENTRY_PACK")
    path = str(tmp_path / "ledger.db")
    with Ledger.open(path, jurisdiction="toyentry") as ledger:
        County(ledger).project(D(2025, 6, 16))
    assert main(["--db", path, "plugins", "disable", "toy.v2", "--user", "admin1"]) == 0
    with Ledger.open(path) as ledger:
        assert "toy.v2.swept" not in {f.code for f in ledger.findings(D(2025, 7, 1))}
        assert not ledger.rule_versions[-1].jurisdiction.pm.has_plugin("toy.v2")


def test_params_show_gives_the_values_of_the_version_in_force_on_the_date(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.test_versions:ENTRY_PACK")
    path = str(tmp_path / "ledger.db")
    Ledger.open(path, jurisdiction="toyentry").close()
    capsys.readouterr()

    def shown(day: str) -> dict:
        assert main(["--db", path, "params", "show", "--json", "--date", day]) == 0
        return json.loads(capsys.readouterr().out)

    before, on_switch = shown("2025-06-14"), shown(SWITCH.isoformat())
    limit = {r["name"]: r["value"] for r in before["parameters"]}["toy_limit"]
    assert before["version"] == OLD and Decimal(limit) == Decimal("2000000")
    limit = {r["name"]: r["value"] for r in on_switch["parameters"]}["toy_limit"]
    assert on_switch["version"] == NEW and Decimal(limit) == Decimal("500000")
