"""Importing a county's 台账 from Excel: the cell parser, the column mapping,
the row-by-row report, all-or-nothing writing, authorisation, speed, and a
``kill -9`` in the middle of an import."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.cli import main
from tongchou.errors import InvalidInput, PermissionDenied
from tongchou.imports import (CellError, ImportRefused, import_workbook, load_mapping, norm,
                              parse_cell, split_unit)
from tongchou.models import AuditEntry, Project
from tongchou.vocabulary import Choice, Field

HEADER = ["序号", "项目名称", "建设单位", "计划建设年度", "项目类别", "项目类型", "项目来源",
          "概算总投资(元)", "部署方式", "第三方云合同到期日", "涉密", "备注"]


def row(i: int = 1, **over):
    base = {"序号": i, "项目名称": f"项目{i}", "建设单位": "县教育局", "计划建设年度": 2026,
            "项目类别": "政府购买服务类", "项目类型": "政务信息系统", "项目来源": "单位申报",
            "概算总投资(元)": 100000 + i, "部署方式": "县级政务云", "第三方云合同到期日": None,
            "涉密": "否", "备注": ""}
    base.update(over)
    return base


def workbook(path: Path, rows, header=HEADER, titles=("淅川县政务信息化项目台账", "填报单位:县政务服务和大数据管理局"),
             blank_between: bool = False, sheet: str = "台账") -> Path:
    """A 台账 as counties keep it: merged title rows above the header."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for t in titles:
        ws.append([t])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=len(header))
    ws.append(list(header))
    for r in rows:
        if blank_between:
            ws.append([])
        ws.append([r.get(h) for h in header] if isinstance(r, dict) else list(r))
    wb.save(path)
    return path


def first_data_row(titles: int = 2) -> int:
    return titles + 2


# ---------------------------------------------------------------------------
# The cell parser


ESTIMATE = Field("estimate", "概算总投资(元)", "money")
DUE = Field("due", "到期日", "date")
YEAR = Field("year", "计划建设年度", "year", required=True)
LEVEL = Field("mlps_level", "等保级别", "int", minimum=1, maximum=5)
FLAG = Field("classified", "涉密", "bool")
KIND = Field("kind", "项目类型", "enum", choices=(Choice("data_center", "数据中心"), Choice("cloud_platform", "云平台")))


@pytest.mark.parametrize("raw, unit, want", [
    (1234, 1, "1234.00"), (1234.5, 1, "1234.50"), ("12,345.67", 1, "12345.67"), ("12,345元", 1, "12345.00"),
    ("¥ 1,000", 1, "1000.00"), ("12.5", 10000, "125000.00"), (12.5, 10000, "125000.00"),
    ("12.5万元", 1, "125000.00"), ("3万", 1, "30000.00"), ("300元", 10000, "300.00"),
    ("１２３４", 1, "1234.00"), (1234.5600000000002, 1, "1234.56"), (Decimal("7.1"), 1, "7.10"),
])
def test_money_cells(raw, unit, want):
    assert parse_cell(ESTIMATE, raw, unit=Decimal(unit)) == Decimal(want)


@pytest.mark.parametrize("raw, message", [
    ("12,3x", "不是金额：12,3x"), ("1.234", "金额只能精确到分：1.234"), (-5, "金额不能为负数：-5"),
    (True, "不是金额：True"), ("#REF!", "单元格是公式错误 #REF!"),
])
def test_bad_money_cells(raw, message):
    with pytest.raises(CellError) as exc:
        parse_cell(ESTIMATE, raw)
    assert str(exc.value) == message


@pytest.mark.parametrize("raw", [dt.datetime(2027, 3, 1), dt.date(2027, 3, 1), "2027-03-01", "2027/3/1",
                                 "2027.3.1", "2027年3月1日", "20270301", "2027-03-01 00:00:00", 46447])
def test_date_cells(raw):
    assert parse_cell(DUE, raw) == dt.date(2027, 3, 1)


@pytest.mark.parametrize("raw", ["2027-02-30", "下月", 12, "3/1/2027", dt.datetime(2027, 3, 1, 9, 30)])
def test_bad_date_cells(raw):
    with pytest.raises(CellError):
        parse_cell(DUE, raw)


def test_other_cells():
    assert parse_cell(YEAR, 2026.0) == 2026 and parse_cell(YEAR, "2026年") == 2026
    assert parse_cell(LEVEL, "三级") == 3 and parse_cell(LEVEL, "第3级") == 3 and parse_cell(LEVEL, 2) == 2
    with pytest.raises(CellError, match="不能大于 5"):
        parse_cell(LEVEL, 6)
    with pytest.raises(CellError, match="不是年份"):
        parse_cell(YEAR, "明年")
    assert parse_cell(FLAG, "是") is True and parse_cell(FLAG, "√") is True and parse_cell(FLAG, "否") is False
    assert parse_cell(FLAG, None) is None and parse_cell(FLAG, "  ") is None
    assert parse_cell(KIND, "数据中心") == "data_center" and parse_cell(KIND, "cloud_platform") == "cloud_platform"
    assert parse_cell(KIND, "云平台 ") == "cloud_platform"
    assert parse_cell(KIND, "云", values={"云": "cloud_platform"}) == "cloud_platform"
    with pytest.raises(CellError, match="不在允许范围内"):
        parse_cell(KIND, "机房")


def test_headers_are_compared_without_width_spaces_or_units():
    assert norm(" 项目\n名称 ") == "项目名称" and norm("概算总投资（万元）") == "概算总投资(万元)"
    assert split_unit("概算总投资（万元）") == ("概算总投资", Decimal(10000))
    assert split_unit("概算总投资【元】") == ("概算总投资", Decimal(1))
    assert split_unit("项目名称") == ("项目名称", None)


cents = st.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(cents, st.sampled_from(["plain", "commas", "yuan", "float", "int"]))
def test_property_money_round_trips_in_any_spelling(amount, spelling):
    text = {"plain": format(amount, "f"), "commas": f"{amount:,.2f}", "yuan": f"{amount}元",
            "float": None, "int": None}[spelling]
    if spelling == "float":
        raw = float(amount)
        if Decimal(repr(raw)).quantize(Decimal("0.01")) != amount:
            return  # beyond a double's precision: not something Excel can hold either
    elif spelling == "int":
        raw = int(amount)
        amount = Decimal(raw).quantize(Decimal("0.01"))
    else:
        raw = text
    assert parse_cell(ESTIMATE, raw) == amount


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("9999999.999999"), places=6, allow_nan=False))
def test_property_wan_yuan_is_ten_thousand_yuan(wan):
    yuan = wan * 10000
    if yuan != yuan.quantize(Decimal("0.01")):
        with pytest.raises(CellError, match="精确到分"):
            parse_cell(ESTIMATE, format(wan, "f"), unit=Decimal(10000))
    else:
        assert parse_cell(ESTIMATE, format(wan, "f"), unit=Decimal(10000)) == yuan.quantize(Decimal("0.01"))
        assert parse_cell(ESTIMATE, f"{wan}万元") == yuan.quantize(Decimal("0.01"))


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)),
       st.sampled_from(["iso", "slash", "dot", "chinese", "compact", "datetime", "serial"]))
def test_property_dates_in_any_spelling(day, spelling):
    raw = {"iso": day.isoformat(), "slash": f"{day.year}/{day.month}/{day.day}",
           "dot": f"{day.year}.{day.month}.{day.day}", "chinese": f"{day.year}年{day.month}月{day.day}日",
           "compact": day.strftime("%Y%m%d"), "datetime": dt.datetime(day.year, day.month, day.day),
           "serial": (day - dt.date(1899, 12, 30)).days}[spelling]
    assert parse_cell(DUE, raw) == day


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                 st.decimals(allow_nan=True), st.datetimes()),
       st.sampled_from([ESTIMATE, DUE, YEAR, LEVEL, FLAG, KIND, Field("name", "项目名称", "text", maximum=200)]))
def test_property_any_cell_is_a_value_or_a_cell_error(raw, field):
    try:
        parse_cell(field, raw)
    except CellError as exc:
        assert str(exc)  # a message for the report, nothing else escapes


# ---------------------------------------------------------------------------
# Importing


def test_good_workbook_with_title_rows_variants_and_empty_rows(ledger, county, tmp_path):
    header = ["序号", " 项目\n名称 ", "建设单位", "计划建设年度", "项目类别", "项目类型", "项目来源",
              "概算总投资（万元）", "部署方式", "第三方云合同到期日", "涉密", "备注"]
    rows = [
        [1, "智慧教育云平台", "县教育局", 2026, "政府购买服务类", "政务信息系统", "单位申报", 12.5, "第三方云",
         dt.datetime(2027, 6, 30), "否", "示例"],
        [2, "校园安防", "县教育局", "2026", "equipment_software", "信息设备和网络设备", "县政府研究决定", "30万元",
         "县级政务云", None, "", None],
        [3, "  数据中台  ", "县教育局", 2027.0, "政府投资建设类", "数据中心", "上级明确要求", "1,234,567.80元",
         "第三方云", "2028年1月5日", "否", None],
    ]
    rows.append([None, "合 计", None, None, None, None, None, 1234.5, None, None, None, None])
    path = workbook(tmp_path / "ok.xlsx", rows, header=header, blank_between=True)
    report = import_workbook(ledger, path, county.users["admin"], date=dt.date(2025, 6, 1))
    assert report.ok and report.rows == 3 and report.header_row == 3 and len(report.imported) == 3
    assert ("概算总投资（万元）", "estimate") in report.columns and set(report.ignored) == {"序号", "备注"}
    projects, total = ledger.projects(filters={"unit": "县教育局"}, order_by="id")
    assert total == 3
    a, b, c = projects
    assert (a.name, a["estimate"], a["infrastructure"], a["third_party_cloud_expires"]) == \
        ("智慧教育云平台", Decimal("125000.00"), "third_party_cloud", dt.date(2027, 6, 30))
    assert (b["estimate"], b["category"], b["kind"], b["year"]) == \
        (Decimal("300000.00"), "equipment_software", "equipment_network", 2026)
    assert (c.name, c["estimate"], c["year"], c["third_party_cloud_expires"], c.status) == \
        ("数据中台", Decimal("1234567.80"), 2027, dt.date(2028, 1, 5), "draft")
    # What a hand-entered project would owe is derived for imported ones too (第二十五条).
    due = {(o.project_id, o.due) for o in ledger.obligations()}
    assert (a.id, dt.date(2027, 6, 30)) in due and (c.id, dt.date(2028, 1, 5)) in due
    assert ledger.verify_audit().ok
    kinds = [e.kind for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert kinds[-4:] == ["project", "project", "project", "import"]
    detail = json.loads(AuditEntry.select().order_by(AuditEntry.id.desc()).get().detail)
    assert detail["imported"] == 3 and detail["file"] == "ok.xlsx" and len(detail["sm3"]) == 64
    # Derived rows are what the ledger itself would derive.
    before = dict(Project.select(Project.id, Project.derived).tuples())
    ledger.recompute_all()
    assert dict(Project.select(Project.id, Project.derived).tuples()) == before


def test_every_kind_of_problem_is_reported_by_row_and_column_and_nothing_is_written(ledger, county, tmp_path):
    county.project(name="已有项目")
    rows = [
        row(1),
        row(2, **{"概算总投资(元)": "12,3x"}),
        row(3, 计划建设年度="明年"),
        row(4, 项目类别="政府自建"),  # 政府投资 is a synonym now (see test_import_real)
        row(5, 项目名称=None),
        row(6, 建设单位="县水利局"),
        row(7, 涉密="是"),
        row(8, 项目名称="项目1"),
        row(9, 项目名称="已有项目"),
        row(10, 第三方云合同到期日="2027-02-30"),
    ]
    path = workbook(tmp_path / "bad.xlsx", rows)
    before = Project.select().count()
    with pytest.raises(ImportRefused) as exc:
        import_workbook(ledger, path, county.users["admin"], date=dt.date(2025, 6, 1))
    report = exc.value.report
    texts = [p.text for p in report.problems]
    r = first_data_row()
    assert texts[0] == f"第 {r + 1} 行「概算总投资(元)」：不是金额：12,3x"
    assert texts[1] == f"第 {r + 2} 行「计划建设年度」：不是年份：明年"
    assert texts[2] == (f"第 {r + 3} 行「项目类别」：取值 '政府自建' 不在允许范围内"
                        "（可选：政府投资建设类、政府购买服务类、单纯设备和软件类采购）")
    assert texts[3] == f"第 {r + 4} 行「项目名称」：必填项，不能为空"
    assert texts[4].startswith(f"第 {r + 5} 行「建设单位」：未知单位“县水利局”")
    assert texts[5].startswith(f"第 {r + 6} 行：") and "第三十八条" in texts[5]
    assert texts[6] == f"第 {r + 7} 行「项目名称」：与第 {r} 行重复（同一单位、年度、项目名称）"
    assert texts[7].startswith(f"第 {r + 8} 行「项目名称」：台账中已有该单位 2026 年度的同名项目")
    assert texts[8].startswith(f"第 {r + 9} 行「第三方云合同到期日」：不是有效日期")
    assert len(texts) == 9 and report.good == 1 and report.bad_rows == 9
    assert Project.select().count() == before
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert last.kind == "import_refused" and json.loads(last.detail)["bad_rows"] == 9
    assert ledger.verify_audit().ok
    # A dry run says the same and writes nothing; --partial writes the good row.
    dry = import_workbook(ledger, path, county.users["admin"], dry_run=True, date=dt.date(2025, 6, 1))
    assert [p.text for p in dry.problems] == texts and Project.select().count() == before
    part = import_workbook(ledger, path, county.users["admin"], partial=True, date=dt.date(2025, 6, 1))
    assert len(part.imported) == 1 and Project.select().count() == before + 1
    assert ledger.project(part.imported[0]).name == "项目1"


def test_unit_staff_import_their_own_unit_only(ledger, county, tmp_path):
    ledger.add_unit("县水利局")
    header = [h for h in HEADER if h != "建设单位"]
    own = workbook(tmp_path / "own.xlsx", [row(1), row(2)], header=header)
    report = import_workbook(ledger, own, county.users["unit"], date=dt.date(2025, 6, 1))
    assert len(report.imported) == 2
    assert {ledger.project(i)["unit"] for i in report.imported} == {"县教育局"}
    other = workbook(tmp_path / "other.xlsx", [row(3), row(4, 建设单位="县水利局")])
    with pytest.raises(ImportRefused) as exc:
        import_workbook(ledger, other, county.users["unit"], date=dt.date(2025, 6, 1))
    assert [p.text for p in exc.value.report.problems] == [f"第 {first_data_row() + 1} 行「建设单位」：只能登记本单位的项目"]
    with pytest.raises(PermissionDenied):
        import_workbook(ledger, own, county.users["bureau"], dry_run=True)
    with pytest.raises(PermissionDenied):
        import_workbook(ledger, own, county.users["unit"], create_units=True)


def test_admin_may_add_the_units_a_file_names(ledger, county, tmp_path):
    path = workbook(tmp_path / "u.xlsx", [row(1, 建设单位="县水利局"), row(2, 建设单位="县水利局"), row(3)])
    dry = import_workbook(ledger, path, county.users["admin"], dry_run=True, create_units=True)
    assert dry.ok and dry.new_units == ("县水利局",)
    report = import_workbook(ledger, path, county.users["admin"], create_units=True, date=dt.date(2025, 6, 1))
    assert len(report.imported) == 3
    assert [ledger.project(i)["unit"] for i in report.imported] == ["县水利局", "县水利局", "县教育局"]
    assert ledger.verify_audit().ok


def test_mapping_file_renames_columns_gives_units_translates_values_and_defaults(ledger, county, tmp_path):
    header = ["编号", "项目", "单位", "年度", "类别", "类型", "概算金额", "说明"]
    rows = [[1, "一号工程", "县教育局", 2026, "购买服务", "政务信息系统", "12.5", "x"],
            [2, "二号工程", "县教育局", 2026, "政府投资", "数据中心", 8, "y"]]
    path = workbook(tmp_path / "m.xlsx", rows, header=header, titles=("标题",))
    mapping = tmp_path / "map.yaml"
    mapping.write_text("""
columns:
  项目: name
  单位: unit
  年度: year
  类别:
    field: category
    values: {购买服务: purchased_service, 政府投资: 政府投资建设类}
  类型: kind
  概算金额: {field: estimate, unit: 万元}
defaults:
  source: unit_application
""", encoding="utf-8")
    report = import_workbook(ledger, path, county.users["admin"], mapping=mapping, date=dt.date(2025, 6, 1))
    assert report.header_row == 2 and len(report.imported) == 2 and set(report.ignored) == {"编号", "说明"}
    one, two = (ledger.project(i) for i in report.imported)
    assert (one["estimate"], one["category"], one["source"]) == (Decimal("125000.00"), "purchased_service",
                                                                 "unit_application")
    assert (two["estimate"], two["category"]) == (Decimal("80000.00"), "government_investment")


def test_mapping_errors_name_the_key(ledger, tmp_path):
    reg = ledger.registry
    for data, where in [({"columns": {"金额": "budget"}}, "columns.金额"),
                        ({"columns": {"名称": {"field": "name", "unit": "万元"}}}, "columns.名称"),
                        ({"columns": {"金额": {"field": "estimate", "unit": "千元"}}}, "columns.金额"),
                        ({"columns": {"类别": {"field": "category", "values": {"a": "nope"}}}}, "columns.类别.values.a"),
                        ({"defaults": {"year": "soon"}}, "defaults.year"), ({"colums": {}}, "mapping"),
                        ({"header_row": 0}, "header_row")]:
        with pytest.raises(InvalidInput) as exc:
            load_mapping(data, reg)
        assert exc.value.field == where, data
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: [", encoding="utf-8")
    with pytest.raises(InvalidInput, match="YAML"):
        load_mapping(bad, reg)


def test_files_that_are_no_ledger_are_refused_whole(ledger, county, tmp_path):
    no_header = workbook(tmp_path / "h.xlsx", [["a", "b"]], header=["甲", "乙"])
    with pytest.raises(InvalidInput, match="找不到表头行"):
        import_workbook(ledger, no_header, county.users["admin"], dry_run=True)
    missing = workbook(tmp_path / "m.xlsx", [row(1)], header=[h for h in HEADER if h != "项目类别"])
    with pytest.raises(InvalidInput, match="「项目类别」：缺少必填列"):
        import_workbook(ledger, missing, county.users["admin"], dry_run=True)
    twice = workbook(tmp_path / "t.xlsx", [row(1)], header=HEADER + ["项目名称"])
    with pytest.raises(InvalidInput, match="对应同一字段"):
        import_workbook(ledger, twice, county.users["admin"], dry_run=True)
    text = tmp_path / "x.xlsx"
    text.write_text("not a workbook")
    with pytest.raises(InvalidInput, match="无法读取 Excel"):
        import_workbook(ledger, text, county.users["admin"], dry_run=True)
    with pytest.raises(InvalidInput, match="没有名为“无此表”的工作表"):
        import_workbook(ledger, missing, county.users["admin"], sheet="无此表", dry_run=True)


def test_an_export_imports_into_another_ledger(ledger, county, tmp_path, xichuan, monkeypatch):
    from tongchou.exports import export_projects
    from tongchou.ledger import Ledger
    county.project(name="导出一", estimate="1234.56", infrastructure="third_party_cloud",
                   third_party_cloud_expires="2027-01-31")
    county.project(name="导出二", category="government_investment", kind="data_center", mlps_level=3)
    path = tmp_path / "export.xlsx"
    path.write_bytes(export_projects(ledger, None, "xlsx"))
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "other.key"))
    other = Ledger.open(str(tmp_path / "other.db"), jurisdiction=xichuan)
    try:
        other.add_unit("县教育局")
        admin = other.add_user("boss", "admin")
        report = import_workbook(other, path, admin, date=dt.date(2025, 6, 1))
        assert len(report.imported) == 2 and set(report.ignored) == {"编号", "状态", "有逾期义务"}
        for pid, original in zip(report.imported, ledger.projects(order_by="id")[0]):
            assert dict(other.project(pid).fields) == dict(original.fields)
    finally:
        other.close()


def test_cli_import_dry_run_then_import(ledger, county, tmp_path, capsys, monkeypatch):
    url = ledger.url
    good = workbook(tmp_path / "g.xlsx", [row(1), row(2)])
    bad = workbook(tmp_path / "b.xlsx", [row(3), row(4, **{"概算总投资(元)": "12,3x"})])
    assert main(["--db", url, "import", str(bad), "--user", "admin1", "--dry-run"]) == 1
    out = capsys.readouterr().out
    assert f"第 {first_data_row() + 1} 行「概算总投资(元)」：不是金额：12,3x" in out and "未写入任何数据" in out
    assert main(["--db", url, "import", str(bad), "--user", "admin1"]) == 1
    err = capsys.readouterr().err
    assert "不是金额：12,3x" in err and "未导入任何项目" in err
    assert main(["--db", url, "import", str(good), "--user", "admin1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["imported"] == 2
    assert main(["--db", url, "import", str(tmp_path / "none.xlsx"), "--user", "admin1"]) == 2
    assert main(["--db", url, "import", str(bad), "--user", "admin1", "--partial"]) == 0
    assert "已导入 2 行中的 1 行" in capsys.readouterr().out


def _big(path: Path, n: int) -> Path:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("台账")
    ws.append(["县级政务信息化项目台账"])
    ws.append(HEADER)
    for i in range(n):
        ws.append([i + 1, f"项目{i:05d}", "县教育局", 2026, "政府购买服务类", "政务信息系统", "单位申报",
                   f"{100000 + i}.50", "第三方云" if i % 4 == 0 else "县级政务云",
                   dt.datetime(2027, 1, 1) if i % 4 == 0 else None, "否", ""])
    wb.save(path)
    return path


def test_import_statements_grow_linearly_with_rows(tmp_path, monkeypatch, xichuan):
    """A per-row query beyond the project's own insert, or a quadratic step,
    would show in the number of SQL statements an import runs (counted, not
    timed: bench/import_bench.py measures the seconds, 10,000 rows ≤ 10 s)."""
    from tongchou.ledger import Ledger
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    statements = {}
    for n in (200, 800):
        path = _big(tmp_path / f"big{n}.xlsx", n)
        with Ledger.open(str(tmp_path / f"l{n}.db"), jurisdiction=xichuan) as ledger:
            ledger.add_unit("县教育局")
            admin = ledger.add_user("boss", "admin")
            real = ledger.db.execute_sql
            count = [0]

            def counted(sql, params=None, *args, **kwargs):
                # xichuan's duplicate index checks it is fresh (the audit head) on every
                # derive, as for any project entered: the pack's cost, not the import's
                if sql != 'SELECT "last_id", "last_mac" FROM "audit_head"':
                    count[0] += 1
                return real(sql, params, *args, **kwargs)
            monkeypatch.setattr(ledger.db, "execute_sql", counted)
            report = import_workbook(ledger, path, admin, date=dt.date(2025, 6, 1))
            monkeypatch.setattr(ledger.db, "execute_sql", real)
            statements[n] = count[0]
            assert len(report.imported) == n
            assert Project.select().count() == n and len(ledger.obligations()) == n // 4
            assert ledger.verify_audit().ok
    per_row = (statements[800] - statements[200]) / 600
    # per project its INSERT and its seal's UPDATE (tongchou.seals), plus batches of a
    # few hundred (obligations, audit entries)
    assert per_row < 2.2, statements


def _tongchou(*args: str) -> list[str]:
    return [sys.executable, "-m", "tongchou", *args]


def test_kill_9_in_the_middle_of_an_import_leaves_none_or_all(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env["TONGCHOU_AUDIT_KEY_FILE"] = str(tmp_path / "audit.key")
    db = tmp_path / "ledger.db"
    n = 12_000
    path = _big(tmp_path / "big.xlsx", n)
    for cmd in (["unit", "add", "县教育局"], ["user", "add", "boss", "--role", "admin"]):
        subprocess.run(_tongchou("--db", str(db), *cmd), env=env, check=True, capture_output=True, timeout=60)
    wal = Path(str(db) + "-wal")
    start_size = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen(_tongchou("--db", str(db), "import", str(path), "--user", "boss", "--date", "2025-06-01"),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    # Kill once the import is writing: its uncommitted pages spill into the WAL.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > start_size + 512 * 1024:
            break
        time.sleep(0.02)
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert killed, "the import finished before it could be killed; make the file bigger"
    assert proc.returncode == -signal.SIGKILL

    def count() -> int:
        out = subprocess.run(_tongchou("--db", str(db), "project", "list", "--json", "--limit", "1"), env=env,
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return json.loads(out)["total"]
    found = count()
    assert found in (0, n)
    verify = subprocess.run(_tongchou("--db", str(db), "audit", "verify"), env=env, capture_output=True,
                            text=True, timeout=60)
    assert verify.returncode == 0, verify.stderr
    if found == 0:
        again = subprocess.run(_tongchou("--db", str(db), "import", str(path), "--user", "boss", "--date",
                                         "2025-06-01"), env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        assert count() == n
    assert subprocess.run(_tongchou("--db", str(db), "audit", "verify"), env=env, capture_output=True,
                          timeout=60).returncode == 0
