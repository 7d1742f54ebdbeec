"""The third jurisdiction, examples/wangchuan (望川县: two versions of its
measures, a yearly quota, a builder party and a working-day deadline),
installed as its own distribution next to Tongchou, as test_shili.py installs
examples/shili: its scenarios pass through the CLI, its own tests pass, and a
ledger made for it lists its rules and says which version governs a project.

The pack is installed with ``pip install --no-deps --target`` into a
throw-away folder put on PYTHONPATH, from a copy of its source, so that
nothing is built in the repository and the suite's environment is untouched.
"""
from __future__ import annotations

import json

import pytest

from .example_packs import install_example, pack_env, run_python



_env, _run = pack_env, run_python


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(site folder, copy of the pack's source)."""
    return install_example("wangchuan", tmp_path_factory.mktemp("wangchuan"))


def test_wangchuan_scenarios_pass_through_the_cli(installed):
    site, src = installed
    done = _run(["-m", "tongchou", "scenario", "run", str(src / "scenarios")], _env(site), src)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    passed = int(last.split()[0])
    assert last == f"{passed} passed, 0 failed" and passed >= 30


def test_wangchuan_own_tests_pass(installed):
    site, src = installed
    done = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], _env(site), src)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_a_wangchuan_ledger_lists_its_rules_and_the_version_of_a_project(installed, tmp_path):
    site, _src = installed
    env = _env(site)
    db = tmp_path / "wc.db"

    def cli(*args):
        done = _run(["-m", "tongchou", "--db", str(db), *args], env, tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "jurisdiction wangchuan" in cli("--jurisdiction", "wangchuan", "init")
    listed = cli("plugins", "list")
    assert "jurisdiction: wangchuan (望川县, 望政办〔2026〕2号)" in listed
    assert "wangchuan.filing.due" in listed and "wangchuan.quota.yearly" in listed
    assert "xichuan.ai" not in listed
    # both versions' plugins are listed, each with the versions that load it
    quota = listed[listed.index("wangchuan.quota "):]
    assert quota.split("\n    rule versions: ")[1].split("\n")[0] == "2026"
    by_name = {p["name"]: p for p in json.loads(cli("plugins", "list", "--json"))}
    assert by_name["wangchuan.quota"]["rule_versions"] == ["2026"]
    assert by_name["wangchuan.citations"]["rule_versions"] == ["2024", "2026"]
    for unit in ("县教育局", "县城投公司"):
        cli("unit", "add", unit)
    cli("user", "add", "jy", "--role", "unit", "--unit", "县教育局")
    cli("project", "add", "--user", "jy", "name=智慧校园平台", "unit=县教育局", "builder=县城投公司",
        "year=2027", "category=purchased_service", "kind=information_system", "source=unit_application",
        "estimate=800000", "--date", "2025-12-01")
    cli("act", "1", "apply", "--user", "jy", "--date", "2025-12-31")
    shown = json.loads(cli("project", "show", "1", "--user", "jy", "--json"))
    assert shown["rules"]["name"] == "2024"
    assert {"field": "builder", "label": "建设运营单位", "unit": "县城投公司"} in shown["parties"]
