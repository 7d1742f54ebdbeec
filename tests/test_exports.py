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
    cells = list(wb.active.iter_rows(values_only=True))[1:]  # under the title row
    assert cells[0][:3] == ("编号", "状态", "项目名称") and len(cells) == 4 and cells[-1][0] == "合计（2 项）"
    assert cells[1][2] == "'=HYPERLINK(\"http://x\")" and cells[1][header.index("概算总投资(元)")] == 1234.5
    assert cells[1][header.index("第三方云合同到期日")] == dt.datetime(2026, 1, 31)
    assert cells[-1][header.index("概算总投资(元)")] == 51234.5
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
    assert sheet[0][0].startswith(f"{unit}{year}年度")
    assert list(sheet[1]) == CATALOGUE_COLUMNS and [r[0] for r in sheet[2:-1]] == [r["name"] for r in expected]
    assert sheet[-1][0] == f"合计（{len(expected)} 项）"
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
    assert len(sheet) > 3 and all(r[-1] == "是" for r in sheet[2:-1])
    assert main(["--db", db, "export", "--out", str(tmp_path / "x.pdf")]) == 2
    assert main(["--db", db, "export", "--format", "csv", "--out", str(tmp_path / "y.csv"), "nosuchfield=1"]) == 2


def test_ledger_workbook_is_print_ready(ledger, county):
    long_name = "县域智慧教育云平台暨校园安全视频监控联网系统建设项目"
    county.project(name=long_name, estimate="1234567.89")
    county.project(name="短名", estimate="100.01")
    data = exports.export_projects(ledger, None, "xlsx", on=dt.date(2026, 3, 1))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[2]]
    assert ws["A1"].value.endswith("项目台账（截至 2026 年 3 月 1 日）") and "A1:" in str(ws.merged_cells)
    name_col = openpyxl.utils.get_column_letter(header.index("项目名称") + 1)
    status_col = openpyxl.utils.get_column_letter(header.index("状态") + 1)
    # widths from the content: a CJK character counts two
    assert ws.column_dimensions[name_col].width >= 2 * len(long_name)
    assert ws.column_dimensions[status_col].width < ws.column_dimensions[name_col].width / 3
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == f"A2:{openpyxl.utils.get_column_letter(len(header))}4"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$1:$2" and int(ws.page_setup.paperSize) == 9
    money = header.index("概算总投资(元)")
    total = [c.value for c in ws[5]]
    assert total[0] == "合计（2 项）" and Decimal(str(total[money])) == Decimal("1234667.90")
    # 万元 by option: the header says so and the amounts are exact
    wan = openpyxl.load_workbook(io.BytesIO(exports.export_projects(ledger, None, "xlsx", money="wan"))).active
    wheader = [c.value for c in wan[2]]
    assert "概算总投资(万元)" in wheader
    col = wheader.index("概算总投资(万元)")
    assert [Decimal(str(wan.cell(r, col + 1).value)) for r in (3, 4, 5)] == \
        [Decimal("123.456789"), Decimal("0.010001"), Decimal("123.46679")]
    rows = read_csv(exports.export_projects(ledger, None, "csv", money="wan"))
    assert [r[rows[0].index("概算总投资(万元)")] for r in rows[1:]] == ["123.456789", "0.010001"]
    with pytest.raises(InvalidInput):
        exports.export_projects(ledger, None, "xlsx", money="qian")


def test_text_width_counts_cjk_double():
    assert exports.text_width("项目名称") == 8 and exports.text_width("abc") == 3
    assert exports.text_width("ＡＢ") == 4 and exports.text_width(None) == 0
    assert exports.column_widths(["号"], [[1], [12]]) == [exports.MIN_WIDTH]
    assert exports.column_widths(["编号"], [[1], [12345]]) == [5 + 2]
    assert exports.column_widths(["名"], [["字" * 100]]) == [exports.MAX_WIDTH]


def test_catalogue_funding_and_approval_numbers(ledger, county):
    from tests.conftest import CLAUSES, DIMS, DOCS
    p = county.project(name="档案系统", funding="上级专项资金")
    county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    county.act(p, "review", "bureau", dt.date(2025, 6, 3), result="pass", dimensions=DIMS)
    county.act(p, "approve", "government", dt.date(2025, 6, 4), document_no="淅政审〔2025〕7号")
    county.act(p, "tender", "unit", dt.date(2025, 6, 5))
    county.act(p, "sign_contract", "unit", dt.date(2025, 6, 6), clauses=CLAUSES)
    county.act(p, "budget", "finance", dt.date(2025, 6, 7), amount="1000000")
    county.act(p, "start_construction", "unit", dt.date(2025, 6, 8))
    county.act(p, "complete", "unit", dt.date(2025, 9, 1))
    county.act(p, "accept", "unit", dt.date(2025, 9, 2), result="pass", documents=DOCS)
    rows = read_csv(exports.export_report(ledger, None, "catalogue", "csv", {"year": 2025}))
    row = dict(zip(rows[0], rows[1]))
    assert row["经费渠道"] == "上级专项资金"
    assert "淅政审〔2025〕7号" in row["审批部门和文号"] and "2025-06-04" in row["审批部门和文号"]
