"""The `tongchou` command as scripts and staff use it."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tongchou.cli import main


@pytest.fixture(scope="module")
def demo_ledger(tmp_path_factory):
    """One demo county per module (seeding hashes a dozen passwords); tests copy it."""
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "ledger.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TONGCHOU_AUDIT_KEY_FILE", str(folder / "audit.key"))
        assert main(["--db", str(path), "init", "--demo", "--today", "2026-11-25"]) == 0
    import sqlite3
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return folder


@pytest.fixture
def db(demo_ledger, tmp_path, monkeypatch, capsys):
    shutil.copy(demo_ledger / "ledger.db", tmp_path / "ledger.db")
    shutil.copy(demo_ledger / "audit.key", tmp_path / "audit.key")
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    capsys.readouterr()
    return str(tmp_path / "ledger.db")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_county_has_projects_in_every_status_and_a_user_for_every_role(db, capsys):
    code, out, _ = run(capsys, "--db", db, "project", "list", "--json")
    data = json.loads(out)
    statuses = {p["status"] for p in data["projects"]}
    assert code == 0 and data["total"] >= 30
    assert statuses == {"draft", "submitted", "reviewed", "rejected", "approved", "planned", "procuring",
                        "contracted", "under_construction", "completed", "acceptance_failed", "accepted",
                        "in_operation", "retired", "suspended"}
    code, out, _ = run(capsys, "--db", db, "user", "list", "--json")
    roles = {u["role"] for u in json.loads(out)}
    assert roles == {"unit", "bureau", "drc", "finance", "government", "leader", "oversight", "admin"}


def test_unit_staff_list_only_their_unit(db, capsys):
    _, out, _ = run(capsys, "--db", db, "project", "list", "--user", "jiaoyu", "--json")
    units = {p["fields"]["unit"] for p in json.loads(out)["projects"]}
    assert units == {"县教育局"}


def test_add_apply_and_refuse_from_the_command_line(db, capsys):
    code, out, _ = run(capsys, "--db", db, "project", "add", "--user", "jiaoyu", "--date", "2026-06-01", "--json",
                       "name=课后服务管理平台", "year=2027", "category=purchased_service",
                       "kind=information_system", "source=unit_application", "estimate=480000.50")
    assert code == 0
    pid = json.loads(out)["id"]
    code, out, err = run(capsys, "--db", db, "act", str(pid), "apply", "--user", "jiaoyu", "--date", "2026-07-01")
    assert code == 1 and "第七条" in err
    code, out, _ = run(capsys, "--db", db, "act", str(pid), "apply", "--user", "jiaoyu", "--date", "2026-06-30",
                       "--json")
    assert code == 0 and json.loads(out)["to"] == "submitted"
    code, out, err = run(capsys, "--db", db, "act", str(pid), "review", "--user", "jiaoyu", "result=pass")
    assert code == 1 and "无权" in err
    code, out, _ = run(capsys, "--db", db, "act", str(pid), "review", "--user", "bureau", "--date", "2026-07-02",
                       "result=pass", "dimensions=necessity,scale,technology,security,intensiveness", "--json")
    assert code == 0 and json.loads(out)["to"] == "reviewed"
    code, out, _ = run(capsys, "--db", db, "project", "show", str(pid), "--json")
    data = json.loads(out)
    assert [e["action"] for e in data["events"]] == ["apply", "review"]
    assert data["fields"]["estimate"] == "480000.50"


@pytest.mark.parametrize("argv,needle", [
    (["project", "add", "--user", "jiaoyu", "name=x", "year=2027", "category=bogus", "kind=information_system",
      "source=unit_application"], "category"),
    (["project", "add", "--user", "jiaoyu", "name=x", "year=2027", "category=purchased_service",
      "kind=information_system", "source=unit_application", "estimate=12.345"], "estimate"),
    (["project", "add", "--user", "jiaoyu", "name=x", "year=2027"], "category"),
    (["project", "add", "--user", "jiaoyu", "oops"], "key=value"),
    (["act", "1", "fly", "--user", "jiaoyu"], "unknown action"),
    (["act", "1", "review", "--user", "bureau", "result=maybe"], "result"),
    (["act", "99999", "apply", "--user", "jiaoyu"], "no project"),
    (["act", "1", "apply", "--user", "nobody"], "unknown user"),
    (["params", "set", "change_threshold", "abc", "--from", "2026-01-01", "--user", "admin"], "change_threshold"),
    (["params", "set", "change_threshold", "0.1", "--from", "2026-01-01", "--user", "jiaoyu"], "管理员"),
])
def test_bad_input_is_one_line_naming_what_is_wrong(db, capsys, argv, needle):
    code, out, err = run(capsys, "--db", db, *argv)
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1


def test_findings_json_is_stable_for_scripts(db, capsys):
    code, out, _ = run(capsys, "--db", db, "findings", "--date", "2026-11-25", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"date", "jurisdiction", "recompute_pending", "notices", "findings", "obligations"}
    assert data["recompute_pending"] is False
    assert any(f["severity"] == "overdue" and f["article"] == "第十八条" for f in data["findings"])
    assert any(f["severity"] == "violation" and f["article"] == "第二十五条" for f in data["findings"])
    assert all(set(o) >= {"project_id", "article", "citation", "due", "overdue"} for o in data["obligations"])
    code, out, _ = run(capsys, "--db", db, "findings", "--date", "2027-08-29", "--json")
    assert [n["citation"] for n in json.loads(out)["notices"]] == ["淅政办〔2025〕6号 第三十九条"]


def test_params_show_and_set_by_date(db, capsys):
    code, out, _ = run(capsys, "--db", db, "params", "show", "--json")
    params = {p["name"]: p for p in json.loads(out)["parameters"]}
    assert params["change_threshold"]["value"] == "0.15"
    assert params["application_deadline"]["value"] == "06-30"
    assert params["acceptance_months"]["citation"].endswith("第十八条")
    assert run(capsys, "--db", db, "params", "set", "change_threshold", "0.10", "--from", "2027-01-01",
               "--user", "admin")[0] == 0
    _, out, _ = run(capsys, "--db", db, "params", "show", "--date", "2026-12-31", "--json")
    assert {p["name"]: p["value"] for p in json.loads(out)["parameters"]}["change_threshold"] == "0.15"
    _, out, _ = run(capsys, "--db", db, "params", "show", "--date", "2027-01-01", "--json")
    assert {p["name"]: p["value"] for p in json.loads(out)["parameters"]}["change_threshold"] == "0.10"


def test_plugins_can_be_disabled_per_ledger(db, capsys):
    assert run(capsys, "--db", db, "plugins", "disable", "xichuan.supervision", "--user", "admin")[0] == 0
    _, out, _ = run(capsys, "--db", db, "plugins", "list", "--json")
    state = {p["name"]: p["enabled"] for p in json.loads(out)}
    assert state["xichuan.supervision"] is False and state["xichuan.approval"] is True
    code, _, err = run(capsys, "--db", db, "act", "1", "appoint_supervisor", "--user", "jiaoyu",
                       "name=x", "qualification=y")
    assert code == 2 and "unknown action" in err
    # Disabling a plugin that others depend on is refused before it is saved.
    code, _, err = run(capsys, "--db", db, "plugins", "disable", "xichuan.approval", "--user", "admin")
    assert code == 2


def test_catalogue_report(db, capsys):
    code, out, _ = run(capsys, "--db", db, "report", "catalogue", "--json", "unit=县公安局")
    rows = json.loads(out)["rows"]
    assert code == 0 and [r["name"] for r in rows] == ["公安政务服务一网通办"]
    assert rows[0]["protection"].startswith("等保4级")


def test_scenario_run_prints_the_closing_line(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("""
- name: 临时安排项目随时申报
  project: {unit: 县教育局, year: 2026, category: purchased_service, kind: information_system, source: ad_hoc}
  steps:
    - {date: 2026-03-01, as: unit, do: apply}
  expect: {status: submitted, findings: []}
- name: 故意写错的期望
  project: {unit: 县教育局, year: 2026, category: purchased_service, kind: information_system, source: ad_hoc}
  steps:
    - {date: 2026-03-01, as: unit, do: apply}
  expect: {status: approved}
""", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "tongchou", "scenario", "run", str(good)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1] == "1 passed, 1 failed"
    assert "status should be 'approved', is 'submitted'" in proc.stdout
