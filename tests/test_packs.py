"""Loading packs and plugins: entry points, extends/disable, conflicts and
``replaces=``, load-time checks, the allow-list and autoload switches, pack
parameter overrides, ``tongchou plugins list``, and the worked example of
docs/plugins.md."""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import tongchou.plugins.xichuan as xichuan_pkg
from tongchou import Action, ActionArgument, Field, Guard, Pack, Status, cli
from tongchou.errors import ConfigurationError, NotFound, PluginConflict, Refused
from tongchou.ledger import Ledger
from tongchou.packs import CORE_PLUGIN, Discovered, discover, load_jurisdiction
from tongchou.scenario import run_paths

from . import toy_plugins as toys
from .conftest import County
from .toy_plugins import (DOCUMENT, TOY_FIELD, TOY_ROLE, TOY_STATUS, cite, contributing, toy_action,
                          toy_guard, toy_parameter, toy_report)

ROOT = Path(__file__).resolve().parent.parent
D = dt.date
XICHUAN_PLUGINS = [name for name, _obj in xichuan_pkg.PACK.plugins]


def with_packs(*packs: Pack) -> Discovered:
    """What discovery finds, plus the given packs (as if installed)."""
    found = discover()
    return Discovered({**found.packs, **{p.name: p for p in packs}}, found.extras,
                      {**found.versions, **{p.name: p.version for p in packs}})


# ---------------------------------------------------------------------------
# Entry points and packs


def test_xichuan_pack_loads_through_the_entry_point():
    eps = {ep.name: ep for ep in entry_points(group="tongchou")}
    assert eps["xichuan"].value == "tongchou.plugins.xichuan:PACK"
    found = discover(autoload=True)
    assert found.packs["xichuan"] is xichuan_pkg.PACK
    jur = load_jurisdiction("xichuan")
    assert jur.name == "xichuan" and jur.document == "淅政办〔2025〕6号"
    assert [i.name for i in jur.plugins] == [CORE_PLUGIN] + XICHUAN_PLUGINS
    assert all(i.enabled and i.pack == "xichuan" for i in jur.plugins[1:])
    reg = jur.registry
    assert reg.initial_status == "draft"
    assert {"apply", "review", "approve", "accept", "retire"} <= set(reg.actions)
    assert reg.actions["accept"].plugin == "xichuan.acceptance"


def test_unknown_jurisdiction_is_not_found():
    with pytest.raises(NotFound, match="nowhere"):
        load_jurisdiction("nowhere")


def test_extending_pack_that_disables_a_plugin_loses_its_actions():
    base = load_jurisdiction("xichuan").registry
    assert "appoint_supervisor" in base.actions and "xichuan.supervision.required" in base.guards
    jur = load_jurisdiction("toy_nosup", found=with_packs(toys.NO_SUPERVISION))
    reg = jur.registry
    assert "appoint_supervisor" not in reg.actions
    assert "xichuan.supervision.required" not in reg.guards
    assert not [g for g in reg.guards_for("start_construction") if g.plugin == "xichuan.supervision"]
    assert "start_construction" in reg.actions  # the rest of xichuan is still there
    names = [i.name for i in jur.plugins]
    assert "xichuan.supervision" not in names and "xichuan.approval" in names
    assert [p.name for p in jur.chain] == ["xichuan", "toy_nosup"]


def test_pack_may_not_disable_what_its_base_lacks_nor_add_what_it_has():
    bad_disable = Pack(name="t1", title="t", document=DOCUMENT, plugins=(), extends="xichuan",
                       disable=("xichuan.nothing",))
    with pytest.raises(ConfigurationError, match="xichuan.nothing"):
        load_jurisdiction("t1", found=with_packs(bad_disable))
    twice = Pack(name="t2", title="t", document=DOCUMENT, extends="xichuan",
                 plugins={"xichuan.ai": contributing()})
    with pytest.raises(ConfigurationError, match="xichuan.ai"):
        load_jurisdiction("t2", found=with_packs(twice))
    loop_a = Pack(name="loop_a", title="t", document=DOCUMENT, plugins=(), extends="loop_b")
    loop_b = Pack(name="loop_b", title="t", document=DOCUMENT, plugins=(), extends="loop_a")
    with pytest.raises(ConfigurationError, match="loop"):
        load_jurisdiction("loop_a", found=with_packs(loop_a, loop_b))


# ---------------------------------------------------------------------------
# Conflicts and replaces=


CONFLICTING = {
    "action": ("tongchou_actions", lambda r=None: toy_action("apply", replaces=r), "apply"),
    "status": ("tongchou_statuses", lambda r=None: Status("draft", "草稿", initial=True, replaces=r), "draft"),
    "field": ("tongchou_fields", lambda r=None: Field("category", "类别", "text", replaces=r), "category"),
    "parameter": ("tongchou_parameters", lambda r=None: toy_parameter("change_threshold", replaces=r),
                  "change_threshold"),
    "guard": ("tongchou_guards", lambda r=None: toy_guard("xichuan.approval.deadline", replaces=r),
              "xichuan.approval.deadline"),
}
OWNER = {"action": "xichuan.approval", "status": "xichuan.approval", "field": "xichuan.general",
         "parameter": "xichuan.change", "guard": "xichuan.approval"}


@pytest.mark.parametrize("kind", sorted(CONFLICTING))
def test_a_name_claimed_by_a_pack_plugin_and_another_is_a_conflict(kind):
    hook, make, name = CONFLICTING[kind]
    with pytest.raises(PluginConflict) as exc:
        load_jurisdiction("xichuan", extra_plugins=[("toy", contributing(**{hook: [make()]}))])
    err = exc.value
    assert (err.kind, err.name) == (kind, name)
    assert {err.first, err.second} == {OWNER[kind], "toy"}
    assert OWNER[kind] in str(err) and "toy" in str(err)


TOY_CONFLICTS = {
    "action": ("tongchou_actions", lambda: toy_action("toy_step")),
    "status": ("tongchou_statuses", lambda: TOY_STATUS),
    "field": ("tongchou_fields", lambda: TOY_FIELD),
    "parameter": ("tongchou_parameters", lambda: toy_parameter()),
    "guard": ("tongchou_guards", lambda: toy_guard("toy.guard")),
    "role": ("tongchou_roles", lambda: TOY_ROLE),
    "report": ("tongchou_reports", lambda: toy_report()),
}


@pytest.mark.parametrize("kind", sorted(TOY_CONFLICTS))
def test_two_new_plugins_claiming_one_name_conflict_naming_both(kind):
    hook, make = TOY_CONFLICTS[kind]
    plugins = [("toy.alpha", contributing(**{hook: [make()]})),
               ("toy.beta", contributing(**{hook: [make()]}))]
    for order in (plugins, plugins[::-1]):
        with pytest.raises(PluginConflict) as exc:
            load_jurisdiction("xichuan", extra_plugins=order)
        assert exc.value.kind == kind
        assert {exc.value.first, exc.value.second} == {"toy.alpha", "toy.beta"}
        assert "'toy.alpha'" in str(exc.value) and "'toy.beta'" in str(exc.value)


def test_action_argument_clash_is_a_conflict():
    toy = contributing(tongchou_action_arguments=[ActionArgument("review", Field("result", "结论"))])
    with pytest.raises(PluginConflict) as exc:
        load_jurisdiction("xichuan", extra_plugins=[("toy", toy)])
    assert {exc.value.first, exc.value.second} == {"xichuan.approval", "toy"}
    both = [("toy.a", contributing(tongchou_action_arguments=[ActionArgument("apply", Field("x", "x"))])),
            ("toy.b", contributing(tongchou_action_arguments=[ActionArgument("apply", Field("x", "x"))]))]
    with pytest.raises(PluginConflict, match="toy.a.*toy.b|toy.b.*toy.a"):
        load_jurisdiction("xichuan", extra_plugins=both)


def test_articles_with_different_text_conflict_naming_both():
    from tongchou import Article
    a = contributing(tongchou_articles=[Article(1, "甲", document=DOCUMENT)])
    b = contributing(tongchou_articles=[Article(1, "乙", document=DOCUMENT)])
    same = contributing(tongchou_articles=[Article(1, "甲", document=DOCUMENT)])
    load_jurisdiction("xichuan", extra_plugins=[("toy.a", a), ("toy.same", same)])
    with pytest.raises(PluginConflict) as exc:
        load_jurisdiction("xichuan", extra_plugins=[("toy.a", a), ("toy.b", b)])
    assert {exc.value.first, exc.value.second} == {"toy.a", "toy.b"}


@pytest.mark.parametrize("name", ["aaa.approval", "zzz.approval"])  # sorts before / after xichuan.*
@pytest.mark.parametrize("reverse", [False, True])
def test_replaces_is_explicit_and_order_independent(name, reverse):
    mine = toy_action("approve", roles=("bureau",), replaces="xichuan.approval",
                      from_statuses=("reviewed",), to_status="approved")
    extra = [(name, contributing(tongchou_actions=[mine])), ("toy.other", contributing())]
    jur = load_jurisdiction("xichuan", extra_plugins=extra[::-1] if reverse else extra)
    action = jur.registry.actions["approve"]
    assert action.plugin == name and action.roles == ("bureau",)


@pytest.mark.parametrize("reverse", [False, True])
def test_replacements_chain_whatever_the_names(reverse):
    # county1 replaces xichuan's review; county2 (extending county1) replaces county1's.
    first = contributing(tongchou_actions=[toy_action("review", replaces="xichuan.approval")])
    second = contributing(tongchou_actions=[toy_action("review", roles=("drc",), replaces="a.county1")])
    extra = [("a.county1", first), ("b.county2", second)]
    jur = load_jurisdiction("xichuan", extra_plugins=extra[::-1] if reverse else extra)
    assert jur.registry.actions["review"].plugin == "b.county2"
    assert jur.registry.actions["review"].roles == ("drc",)


def test_mutual_replacement_is_a_conflict():
    a = contributing(tongchou_actions=[toy_action("toy_step", replaces="toy.b")])
    b = contributing(tongchou_actions=[toy_action("toy_step", replaces="toy.a")])
    with pytest.raises(PluginConflict):
        load_jurisdiction("xichuan", extra_plugins=[("toy.a", a), ("toy.b", b)])


def test_replacing_a_guard_switches_it_off():
    quiet = Guard("xichuan.approval.deadline", ("apply",), lambda ctx: None, cite(1),
                  replaces="xichuan.approval")
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy", contributing(tongchou_guards=[quiet]))])
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32) as ledger:
        c = County(ledger)
        p = c.project()
        c.act(p, "apply", "unit", D(2025, 12, 1))  # months after xichuan's June 30 deadline
        assert ledger.project(p.id).status == "submitted"


# ---------------------------------------------------------------------------
# Load-time checks


def test_misspelt_hookimpl_fails_loudly():
    with pytest.raises(ConfigurationError, match="tongchou_gaurds"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", toys.Misspelt())])


def test_hookimpl_with_unknown_argument_fails_loudly():
    with pytest.raises(ConfigurationError, match="hist"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", toys.WrongArguments())])


def test_same_plugin_under_two_names_fails():
    import tongchou.plugins.xichuan.ai as ai
    with pytest.raises(ConfigurationError, match="toy"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", ai)])


def test_wrong_record_type_fails():
    with pytest.raises(ConfigurationError, match="expected Action"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", contributing(tongchou_actions=[TOY_STATUS]))])


@pytest.mark.parametrize("hook,item", [
    ("tongchou_guards", toy_guard("toy.g", ("no_such_action",))),
    ("tongchou_action_arguments", ActionArgument("no_such_action", Field("x", "x"))),
])
def test_guard_or_argument_naming_an_unknown_action_fails(hook, item):
    with pytest.raises(ConfigurationError, match="no_such_action"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", contributing(**{hook: [item]}))])


@pytest.mark.parametrize("kw,missing", [
    ({"roles": ("no_such_role",)}, "no_such_role"),
    ({"from_statuses": ("no_such_status",)}, "no_such_status"),
    ({"to_status": "nowhere_status"}, "nowhere_status"),
])
def test_action_naming_unknown_role_or_status_fails(kw, missing):
    kw = {"roles": ("bureau",), **kw}
    action = Action("toy_step", "玩具", citation=cite(1), **kw)
    with pytest.raises(ConfigurationError, match=missing):
        load_jurisdiction("xichuan", extra_plugins=[("toy", contributing(tongchou_actions=[action]))])


def test_exactly_one_initial_status():
    second = contributing(tongchou_statuses=[Status("toy_start", "另一个起点", initial=True)])
    with pytest.raises(ConfigurationError, match="exactly one initial"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", second)])
    none = contributing(tongchou_statuses=[Status("draft", "草稿", replaces="xichuan.approval")])
    with pytest.raises(ConfigurationError, match="exactly one initial"):
        load_jurisdiction("xichuan", extra_plugins=[("toy", none)])


# ---------------------------------------------------------------------------
# Allow-list and autoload switches


def test_allow_list_argument_and_environment(monkeypatch):
    allowed = [n for n in XICHUAN_PLUGINS if n != "xichuan.ai"]
    by_argument = load_jurisdiction("xichuan", allow=allowed)
    monkeypatch.setenv("TONGCHOU_PLUGINS", ",".join(allowed))
    by_environment = load_jurisdiction("xichuan")
    for jur in (by_argument, by_environment):
        reg = jur.registry
        assert "uses_ai" not in reg.fields and reg.action("accept").arg("ai_effect_evaluated") is None
        assert "admin" in reg.roles  # the core's plugin is always registered
        info = {i.name: i for i in jur.plugins}
        assert not info["xichuan.ai"].enabled and info["xichuan.ai"].hooks == ()
        assert info["xichuan.approval"].enabled
    monkeypatch.delenv("TONGCHOU_PLUGINS")
    assert "uses_ai" in load_jurisdiction("xichuan").registry.fields


def test_allow_list_must_still_hold_together():
    allowed = [n for n in XICHUAN_PLUGINS if n != "xichuan.general"]  # the roles' plugin
    with pytest.raises(ConfigurationError, match="unknown role"):
        load_jurisdiction("xichuan", allow=allowed)


@pytest.mark.parametrize("kw", [{"allow": ["xichuan.approval", "xichuan.nosuch"]},
                                {"disabled": ["xichuan.nosuch"]}])
def test_unknown_plugin_names_in_allow_or_disabled_are_not_found(kw):
    with pytest.raises(NotFound, match="xichuan.nosuch"):
        load_jurisdiction("xichuan", **kw)


def test_unknown_plugin_name_in_environment_allow_list(monkeypatch):
    monkeypatch.setenv("TONGCHOU_PLUGINS", "xichuan.general,xichuan.typo")
    with pytest.raises(NotFound, match="xichuan.typo"):
        load_jurisdiction("xichuan")


def test_disable_autoload_then_load_by_reference(monkeypatch):
    monkeypatch.setenv("TONGCHOU_DISABLE_AUTOLOAD", "1")
    monkeypatch.delenv("TONGCHOU_LOAD", raising=False)
    assert discover().packs == {}
    with pytest.raises(NotFound, match="xichuan"):
        load_jurisdiction("xichuan")
    monkeypatch.setenv("TONGCHOU_LOAD", "tongchou.plugins.xichuan:PACK,tests.toy_plugins:NO_SUPERVISION")
    assert set(discover().packs) == {"xichuan", "toy_nosup"}
    jur = load_jurisdiction("toy_nosup")
    assert "appoint_supervisor" not in jur.registry.actions
    assert {i.version for i in jur.plugins if i.pack == "toy_nosup"} <= {"1.2"}
    # a pack that extends one not loaded cannot resolve
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.toy_plugins:NO_SUPERVISION")
    with pytest.raises(NotFound, match="xichuan"):
        load_jurisdiction("toy_nosup")


def test_load_reference_that_does_not_import_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.no_such_module:PACK")
    with pytest.raises(ConfigurationError, match="no_such_module"):
        discover()


def test_stand_alone_plugin_from_load_joins_every_jurisdiction(monkeypatch):
    monkeypatch.setenv("TONGCHOU_LOAD", "tests.toy_plugins:COUNT_REPORT")
    for name in ("xichuan", "toy_nosup"):
        found = discover()
        found = Discovered({**found.packs, "toy_nosup": toys.NO_SUPERVISION}, found.extras, found.versions)
        assert "toy_count" in load_jurisdiction(name, found=found).registry.reports


# ---------------------------------------------------------------------------
# Pack parameter overrides


def test_pack_parameter_override_takes_effect_from_its_date():
    jur = load_jurisdiction("toy_threshold", found=with_packs(toys.LOWER_THRESHOLD))
    params = jur.parameters()
    assert params.value("change_threshold", D(2025, 12, 31)) == Decimal("0.15")
    assert params.value("change_threshold", D(2026, 1, 1)) == Decimal("0.10")
    assert [(d, s) for d, _v, s in params.history("change_threshold")] == [
        (D(2025, 8, 29), "plugin"), (D(2026, 1, 1), "pack:toy_threshold")]
    # ... and a ledger value still beats it from its own date
    later = jur.parameters([("change_threshold", D(2026, 6, 1), Decimal("0.2"))])
    assert later.value("change_threshold", D(2026, 3, 1)) == Decimal("0.10")
    assert later.value("change_threshold", D(2026, 6, 1)) == Decimal("0.2")


def test_pack_parameter_override_changes_a_rule():
    jur = load_jurisdiction("toy_threshold", found=with_packs(toys.LOWER_THRESHOLD))
    dims = ["necessity", "scale", "technology", "security", "intensiveness"]
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32) as ledger:
        c = County(ledger)
        p = c.project(estimate="1000000")
        c.act(p, "apply", "unit", D(2025, 6, 20))
        c.act(p, "review", "bureau", D(2025, 7, 1), result="pass", dimensions=dims)
        c.act(p, "approve", "government", D(2025, 7, 2))
        change = {"amount": "120000", "reason": "schedule_adjustment", "goal_unchanged": True}
        c.act(p, "request_change", "unit", D(2025, 12, 31), **change)  # 12 % <= 15 %
        with pytest.raises(Refused) as exc:
            c.act(p, "request_change", "unit", D(2026, 1, 1), **change)  # 12 % > 10 %
        assert [r.code for r in exc.value.refusals] == ["xichuan.change.threshold"]


def test_override_of_an_undeclared_parameter_fails():
    with pytest.raises(ConfigurationError, match="no_such_parameter"):
        load_jurisdiction("toy_bad_override", found=with_packs(toys.BAD_OVERRIDE))


# ---------------------------------------------------------------------------
# tongchou plugins list / disable


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    db = str(tmp_path / "ledger.db")
    assert cli.main(["--db", db, "init"]) == 0
    return db


def test_plugins_list_shows_name_version_and_hooks(cli_db, capsys):
    capsys.readouterr()
    assert cli.main(["--db", cli_db, "plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert "jurisdiction: xichuan" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("xichuan.acceptance "))
    assert line.startswith(f"xichuan.acceptance {xichuan_pkg.PACK.version}") and "第十八条" in line
    hooks_line = out.splitlines()[out.splitlines().index(line) + 1]
    assert "tongchou_obligation_rules" in hooks_line and "tongchou_guards" in hooks_line
    assert cli.main(["--db", cli_db, "plugins", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_name = {p["name"]: p for p in data}
    assert list(by_name) == [CORE_PLUGIN] + XICHUAN_PLUGINS
    acc = by_name["xichuan.acceptance"]
    assert acc["version"] == "2025.6" and acc["enabled"] is True and acc["pack"] == "xichuan"
    assert acc["articles"] == [18, 19]
    assert set(acc["hooks"]) == {"tongchou_statuses", "tongchou_actions", "tongchou_guards",
                                 "tongchou_obligation_rules", "tongchou_parameters", "tongchou_articles"}


def test_plugins_disable_and_enable_per_ledger(cli_db, capsys):
    assert cli.main(["--db", cli_db, "user", "add", "root", "--role", "admin"]) == 0
    assert cli.main(["--db", cli_db, "plugins", "disable", "xichuan.ai", "--user", "root"]) == 0
    capsys.readouterr()
    assert cli.main(["--db", cli_db, "plugins", "list", "--json"]) == 0
    ai = next(p for p in json.loads(capsys.readouterr().out) if p["name"] == "xichuan.ai")
    assert ai["enabled"] is False and ai["hooks"] == []
    with Ledger.open(cli_db) as ledger:
        assert "uses_ai" not in ledger.registry.fields
    # a combination that does not hold together is refused before it is saved
    assert cli.main(["--db", cli_db, "plugins", "disable", "xichuan.general", "--user", "root"]) == 2
    assert "unknown role" in capsys.readouterr().err
    assert cli.main(["--db", cli_db, "plugins", "disable", "xichuan.nosuch", "--user", "root"]) == 2
    assert cli.main(["--db", cli_db, "plugins", "enable", "xichuan.ai", "--user", "root"]) == 0
    with Ledger.open(cli_db) as ledger:
        assert "uses_ai" in ledger.registry.fields


# ---------------------------------------------------------------------------
# The worked example of docs/plugins.md, installed under a real entry point


def doc_block(lang: str, first_line: str) -> str:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for m in re.finditer(rf"```{lang}\n(.*?)```", text, re.S):
        if m.group(1).startswith(first_line):
            return m.group(1)
    raise AssertionError(f"docs/plugins.md has no ```{lang} block starting {first_line!r}")


@pytest.fixture
def lanshui(tmp_path, monkeypatch):
    """The docs' pack as an installed distribution: its module and a dist-info
    declaring the ``tongchou`` entry point, on sys.path."""
    (tmp_path / "tongchou_lanshui.py").write_text(doc_block("python", "# tongchou_lanshui.py"),
                                                  encoding="utf-8")
    info = tmp_path / "tongchou_lanshui-9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tongchou-lanshui\nVersion: 9.9\n")
    (info / "entry_points.txt").write_text("[tongchou]\nlanshui = tongchou_lanshui:PACK\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "tongchou_lanshui", raising=False)
    yield
    sys.modules.pop("tongchou_lanshui", None)


def test_docs_worked_example_pack(lanshui):
    found = discover()
    assert "lanshui" in found.packs
    jur = load_jurisdiction("lanshui", found=found)
    reg = jur.registry
    assert [p.name for p in jur.chain] == ["xichuan", "lanshui"]
    # 1. disabled: the AI article's field, argument and guard are gone
    assert "uses_ai" not in reg.fields and reg.action("accept").arg("ai_effect_evaluated") is None
    # 2. replaced and guarded
    approve = reg.action("approve")
    assert approve.plugin == "lanshui.approval" and approve.roles == ("bureau",)
    assert "lanshui.approval.defended" in [g.code for g in reg.guards_for("approve")]
    info = {i.name: i for i in jur.plugins}
    assert info["lanshui.approval"].version == "2026.1" and info["lanshui.approval"].articles == (8, 9)
    # 3. the dated override
    params = jur.parameters()
    assert params.value("change_threshold", D(2025, 12, 31)) == Decimal("0.15")
    assert params.value("change_threshold", D(2026, 1, 1)) == Decimal("0.10")
    dims = ["necessity", "scale", "technology", "security", "intensiveness"]
    with Ledger.open(":memory:", jurisdiction=jur, audit_key=b"k" * 32) as ledger:
        c = County(ledger)
        p = c.project(year=2027)
        c.act(p, "apply", "unit", D(2026, 6, 20))
        c.act(p, "review", "bureau", D(2026, 7, 10), result="pass", dimensions=dims)
        with pytest.raises(Refused) as exc:
            c.act(p, "approve", "bureau", D(2026, 7, 20))
        assert exc.value.refusals[0].code == "lanshui.approval.defended"
        c.act(p, "expert_defence", "bureau", D(2026, 7, 25))
        with pytest.raises(Refused) as exc:
            c.act(p, "approve", "government", D(2026, 7, 30))
        assert exc.value.is_permission
        assert c.act(p, "approve", "bureau", D(2026, 7, 30)).to_status == "approved"


def test_docs_scenario_file_passes(lanshui, tmp_path):
    path = tmp_path / "lanshui.yaml"
    path.write_text(doc_block("yaml", "# lanshui.yaml"), encoding="utf-8")
    lines: list[str] = []
    passed, failed = run_paths([path], emit=lines.append)
    assert (passed, failed) == (2, 0), lines
    assert lines[-1] == "2 passed, 0 failed"
