"""Exports of the ledger, of a filtered part of it, and of 第二十八条's
catalogue, to Excel and CSV, from the core (CLI and UI use the same code)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from decimal import Decimal

import openpyxl
import pytest

from tongchou import exports
from tongchou.cli import main
from tongchou.errors import InvalidInput, NotFound

CATALOGUE_COLUMNS = ["名称", "类型", "建设依据", "审批部门和文号", "投资额度", "运维费用", "经费渠道",
                     "信息资源目录", "共享开放情况", "等保和分保情况", "绩效指标"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


def test_csv_cells_are_safe_and_typed():
    assert exports.csv_value(Decimal("1234.5"), "money") == "1234.50"
    assert exports.csv_value(Decimal("0.125")) == "0.125"
    assert exports.csv_value(dt.date(2026, 3, 1)) == "2026-03-01"
    assert exports.csv_value(True) == "是" and exports.csv_value(None) == ""
    for evil in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x"):
        assert exports.csv_value(evil).startswith("'"), evil
    assert exports.csv_value("普通文字") == "普通文字"
    rows = read_csv(exports.csv_bytes(["名称", "金额"], [["a,\"b\"\n", Decimal("1")]], ["", "money"]))
    assert rows == [["名称", "金额"], ["a,\"b\"\n", "1.00"]]


def test_the_ui_uses_the_core_writers():
    from tongchou.ui import exports as ui_exports
    assert ui_exports.workbook is exports.workbook and ui_exports.obligations_ics is exports.obligations_ics


def test_ledger_export_to_csv_and_xlsx_with_filters(ledger, county):
    ledger.add_unit("县水利局")
    water = ledger.add_user("shuili", "unit", "县水利局")
    a = county.project(name="=HYPERLINK(\"http://x\")", estimate="1234.5", infrastructure="third_party_cloud",
                       third_party_cloud_expires="2026-01-31")
    b = county.project(name="教育云", year=2027, estimate="50000")
    c = ledger.create_project({"name": "水利监测", "unit": "县水利局", "year": 2026, "category": "purchased_service",
                               "kind": "information_system", "source": "unit_application"}, water,
                              dt.date(2025, 6, 1))
    rows = read_csv(exports.export_projects(ledger, None, "csv", on=dt.date(2026, 3, 1)))
    header = rows[0]
    assert header[:4] == ["编号", "状态", "项目名称", "建设单位"] and header[-1] == "有逾期义务"
    by_id = {int(r[0]): dict(zip(header, r)) for r in rows[1:]}
    assert set(by_id) == {a.id, b.id, c.id}
    first = by_id[a.id]
    assert first["项目名称"] == "'=HYPERLINK(\"http://x\")" and first["概算总投资(元)"] == "1234.50"
    assert first["第三方云合同到期日"] == "2026-01-31" and first["部署方式"] == "第三方云"
    assert first["涉密"] == "否" and first["状态"] == "草稿" and first["有逾期义务"] == "是"
    assert by_id[c.id]["概算总投资(元)"] == "" and by_id[b.id]["有逾期义务"] == "否"
    # The same filters as Ledger.projects.
    only = read_csv(exports.export_projects(ledger, None, "csv", filters={"unit": "县教育局", "year": 2027}))
    assert [int(r[0]) for r in only[1:]] == [b.id]
    late = read_csv(exports.export_projects(ledger, None, "csv", filters={"overdue_on": dt.date(2026, 3, 1)}))
    assert [int(r[0]) for r in late[1:]] == [a.id]
    # A unit's user gets its own unit's projects whatever it asks for.
    mine = read_csv(exports.export_projects(ledger, water, "csv", filters={"unit": "县教育局"}))
    assert mine[1:] == []
    mine = read_csv(exports.export_projects(ledger, water, "csv"))
    assert [int(r[0]) for r in mine[1:]] == [c.id]
    wb = openpyxl.load_workbook(io.BytesIO(exports.export_projects(ledger, None, "xlsx", filters={"unit": "县教育局"})))
    cells = list(wb.active.iter_rows(values_only=True))
    assert cells[0][:3] == ("编号", "状态", "项目名称") and len(cells) == 3
    assert cells[1][2] == "'=HYPERLINK(\"http://x\")" and cells[1][header.index("概算总投资(元)")] == 1234.5
    assert cells[1][header.index("第三方云合同到期日")] == dt.datetime(2026, 1, 31)
    with pytest.raises(InvalidInput):
        exports.export_projects(ledger, None, "pdf")
    with pytest.raises(NotFound):
        exports.export_report(ledger, None, "no-such-report", "csv")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TONGCHOU_AUDIT_KEY_FILE", str(folder / "audit.key"))
        assert main(["--db", str(folder / "ledger.db"), "init", "--demo", "--today", "2026-11-25"]) == 0
    return folder


@pytest.fixture
def db(demo, tmp_path, monkeypatch, capsys):
    for name in ("ledger.db", "ledger.db-wal", "audit.key"):
        if (demo / name).exists():
            shutil.copy(demo / name, tmp_path / name)
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    capsys.readouterr()
    return str(tmp_path / "ledger.db")


def _catalogue_units(db, capsys) -> list[tuple[str, int]]:
    """(unit, year) pairs whose catalogue has rows in the demo county."""
    assert main(["--db", db, "project", "list", "--json", "--status", "in_operation"]) == 0
    projects = json.loads(capsys.readouterr().out)["projects"]
    return sorted({(p["fields"]["unit"], 2026) for p in projects})


def test_catalogue_export_has_the_article_28_columns_per_unit_and_year(db, capsys, tmp_path):
    pairs = _catalogue_units(db, capsys)
    assert pairs, "the demo county should have systems in operation"
    unit, year = pairs[0]
    assert main(["--db", db, "report", "catalogue", f"unit={unit}", f"year={year}", "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)["rows"]
    assert expected
    out = tmp_path / "catalogue.csv"
    assert main(["--db", db, "export", "--report", "catalogue", f"unit={unit}", f"year={year}",
                 "--out", str(out)]) == 0
    rows = read_csv(out.read_bytes())
    assert rows[0] == CATALOGUE_COLUMNS
    assert [r[0] for r in rows[1:]] == [r["name"] for r in expected]
    for r, e in zip(rows[1:], expected):
        assert r[4] == (format(Decimal(e["investment"]), ".2f") if e["investment"] is not None else "")
    xlsx = tmp_path / "catalogue.xlsx"
    assert main(["--db", db, "export", "--report", "catalogue", f"unit={unit}", f"year={year}",
                 "--format", "xlsx", "--out", str(xlsx)]) == 0
    sheet = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert list(sheet[0]) == CATALOGUE_COLUMNS and [r[0] for r in sheet[1:]] == [r["name"] for r in expected]
    # A unit's user gets its own unit's catalogue, whatever unit it names.
    assert main(["--db", db, "export", "--report", "catalogue", "unit=县公安局", f"year={year}", "--user", "jiaoyu",
                 "--out", str(tmp_path / "mine.csv")]) == 0
    capsys.readouterr()
    assert main(["--db", db, "report", "catalogue", "unit=县教育局", f"year={year}", "--json"]) == 0
    own = json.loads(capsys.readouterr().out)["rows"]
    assert [r[0] for r in read_csv((tmp_path / "mine.csv").read_bytes())[1:]] == [r["name"] for r in own]


def test_cli_export_of_the_ledger(db, capsys, tmp_path):
    assert main(["--db", db, "project", "list", "--json", "--unit", "县教育局"]) == 0
    wanted = sorted(p["id"] for p in json.loads(capsys.readouterr().out)["projects"])
    out = tmp_path / "edu.csv"
    assert main(["--db", db, "export", "--unit", "县教育局", "--out", str(out)]) == 0
    assert "exported to" in capsys.readouterr().out
    assert sorted(int(r[0]) for r in read_csv(out.read_bytes())[1:]) == wanted
    assert main(["--db", db, "export", "--format", "csv", "--out", "-", "status=in_operation|retired"]) == 0
    data = capsys.readouterr().out
    statuses = {r[1] for r in list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))[1:]}
    assert statuses and statuses <= {"运行维护中", "已关停"}
    assert main(["--db", db, "export", "--out", str(tmp_path / "all.xlsx"), "--overdue", "--date", "2026-11-25"]) == 0
    sheet = list(openpyxl.load_workbook(tmp_path / "all.xlsx").active.iter_rows(values_only=True))
    assert len(sheet) > 1 and all(r[-1] == "是" for r in sheet[1:])
    assert main(["--db", db, "export", "--out", str(tmp_path / "x.pdf")]) == 2
    assert main(["--db", db, "export", "--format", "csv", "--out", str(tmp_path / "y.csv"), "nosuchfield=1"]) == 2
