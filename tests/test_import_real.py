"""A 台账 as county offices really make it: a merged title, a two-row merged
header (投资情况 over 估算投资（万元）/资金来源), 万元 amounts, synonyms of
headers and choices, a 合计 row and 填表人/注 footers, unit aliases, and dated
milestones that bring a project in at its real status with its history."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.cli import main
from tongchou.errors import InvalidInput, PermissionDenied
from tongchou.import_headers import abbreviation, combine, set_unit_alias, unit_aliases
from tongchou.imports import ImportRefused, import_workbook, parse_cell
from tongchou.models import AuditEntry, Event, Project

TOP = ["序号", "项目名称", "建设单位", "建设年度", "项目类别", "项目类型", "项目来源", "投资情况", None,
       "建设内容", "是否涉密", "批复日期和文号", "合同签订日期", "开工日期", "竣工日期", "验收日期", "投运日期", "备注"]
BOTTOM = [None, None, None, None, None, None, None, "估算投资（万元）", "资金来源", None, None, None, None, None, None,
          None, None, None]


def messy(path: Path, rows, *, top=TOP, bottom=BOTTOM, footer=True) -> Path:
    """Title merged across, the unit line, a two-row header with 投资情况 merged
    over two columns and the others merged down, rows, 合计, then footers."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2025年台账"
    width = len(top)
    ws.append(["淅川县政务信息化项目台账(2025年)"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.append(["填报单位(盖章):县政务服务和大数据管理局", None, None, None, None, None, None, None, None, None,
               "填报日期:2025年12月"])
    ws.append(top)
    ws.append(bottom)
    ws.merge_cells(start_row=3, start_column=8, end_row=3, end_column=9)
    for col in range(1, width + 1):
        if bottom[col - 1] is None:
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
    for r in rows:
        ws.append(r)
    if footer:
        ws.append([None, "合计", None, None, None, None, None, sum(r[7] or 0 for r in rows if isinstance(r[7], (int, float)))])
        ws.append([])
        ws.append(["填表人:张三", None, None, "审核人:李四", None, None, "联系电话:0377-1234567"])
        ws.append(["注:1.投资单位为万元;2.涉密项目不在本表填报。"])
    wb.save(path)
    return path


def data_row(i, name, *, unit="县卫健委", category="政府投资", kind="信息系统", source="上级要求", wan=12.5,
             funding="县级财政预算资金", scope="建设预约挂号和电子病历子系统", classified="否", approved=None,
             contract=None, start=None, complete=None, accept=None, operate=None):
    return [i, name, unit, "2025年", category, kind, source, wan, funding, scope, classified, approved, contract,
            start, complete, accept, operate, None]


@pytest.fixture
def health(ledger, county):
    ledger.add_unit("县卫生健康委员会")
    set_unit_alias(ledger, "县卫健委", "县卫生健康委员会", county.users["admin"])
    return county


FIRST = 5  # the first data row under the two-row header


def test_a_real_taizhang_imports_without_a_mapping_file(ledger, health, tmp_path):
    rows = [
        data_row(1, "全民健康信息平台", wan=125.5),
        data_row(2, "基层医疗设备", category="设备采购", kind="设备购置", source="单位申报", wan=30,
                 funding="上级专项资金"),
        data_row(3, "医保结算系统", category="购买服务", kind="政务信息系统", wan="8.75万元"),
        data_row(4, "健康档案上云", category="政府购买服务类", kind="云平台", source="县政府研究决定", wan=0.01),
    ]
    path = messy(tmp_path / "卫健.xlsx", rows)
    report = import_workbook(ledger, path, health.users["admin"], date=dt.date(2025, 12, 20))
    assert report.ok, [p.text for p in report.problems]
    assert (report.header_row, report.header_rows, report.rows, len(report.imported)) == (3, (3, 4), 4, 4)
    fields = dict(report.columns)
    assert fields["估算投资（万元）"] == "estimate" and fields["资金来源"] == "funding"
    assert fields["建设年度"] == "year" and fields["是否涉密"] == "classified" and fields["建设内容"] == "scope"
    assert set(report.ignored) == {"序号", "备注"}
    reasons = {s.row: s.reason for s in report.skipped}
    assert reasons[1] == reasons[2] == "表头上方的标题行"
    assert reasons[FIRST + 4] == "合计行"
    footers = [r for r, why in reasons.items() if why.startswith("表尾")]
    assert footers == [FIRST + 6, FIRST + 7]
    a, b, c, d = (ledger.project(i) for i in report.imported)
    # 万元 × 10,000 exactly (Decimal, no float tail), to the fen.
    assert (a["estimate"], b["estimate"], c["estimate"], d["estimate"]) == \
        (Decimal("1255000.00"), Decimal("300000.00"), Decimal("87500.00"), Decimal("100.00"))
    assert a["unit"] == "县卫生健康委员会" and a["year"] == 2025
    assert (a["category"], a["kind"], a["source"]) == ("government_investment", "information_system", "higher_level")
    assert (b["category"], b["kind"], b["source"]) == ("equipment_software", "equipment_network", "unit_application")
    assert c["category"] == "purchased_service" and d["kind"] == "cloud_platform"
    assert (a["funding"], b["funding"], a["scope"]) == ("县级财政预算资金", "上级专项资金", "建设预约挂号和电子病历子系统")
    assert all(ledger.project(i).status == "draft" for i in report.imported)  # no milestone: a draft
    assert ledger.verify_audit().ok


def test_cli_json_report_lists_skipped_rows_and_problems_by_excel_row(ledger, health, tmp_path, capsys):
    rows = [data_row(1, "全民健康信息平台"),
            data_row(2, "坏类别", category="自己建"),
            data_row(3, "坏金额", wan="十二万"),
            data_row(4, "坏单位", unit="县卫计委")]
    path = messy(tmp_path / "bad.xlsx", rows)
    assert main(["--db", ledger.url, "import", str(path), "--user", "admin1", "--json",
                 "--date", "2025-12-20"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["rows"] == 4 and data["good"] == 1
    by_row = {p["row"]: p for p in data["problems"]}
    assert set(by_row) == {FIRST + 1, FIRST + 2, FIRST + 3}
    assert by_row[FIRST + 1]["column"] == "项目类别"
    # Chinese labels, never the codes
    assert "政府投资建设类、政府购买服务类、单纯设备和软件类采购" in by_row[FIRST + 1]["message"]
    assert "government_investment" not in json.dumps(data["problems"], ensure_ascii=False)
    assert by_row[FIRST + 2]["column"] == "估算投资（万元）"
    assert "县卫计委" in by_row[FIRST + 3]["message"]
    assert {s["reason"] for s in data["skipped"]} >= {"合计行", "表尾（填表人、审核人、注等）"}


def test_cli_json_report_even_when_the_file_is_refused_whole(ledger, health, tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.append(["甲", "乙"])
    wb.active.append([1, 2])
    wb.save(tmp_path / "none.xlsx")
    assert main(["--db", ledger.url, "import", str(tmp_path / "none.xlsx"), "--user", "admin1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["imported"] == 0 and "找不到表头行" in data["problems"][0]["message"]
    (tmp_path / "junk.xlsx").write_text("not a workbook")
    assert main(["--db", ledger.url, "import", str(tmp_path / "junk.xlsx"), "--user", "admin1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and "无法读取 Excel" in data["problems"][0]["message"]
    no_money = [c for c in TOP if c != "项目类别"]
    path = messy(tmp_path / "nocat.xlsx", [data_row(1, "x")[:4] + data_row(1, "x")[5:]], top=no_money,
                 bottom=BOTTOM[:-1], footer=False)
    assert main(["--db", ledger.url, "import", str(path), "--user", "admin1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["problems"][0]["column"] == "项目类别" and "缺少必填列" in data["problems"][0]["message"]


def test_columns_mapped_by_letter_and_merged_header_columns_by_text(ledger, health, tmp_path):
    top = ["名称", "单位", "年份", "分类", "类型", "来源", "钱", "备注"]
    path = messy(tmp_path / "letters.xlsx", [["甲系统", "县卫健委", 2026, "政府投资", "信息系统", "上级要求", 3, "x"]],
                 top=top, bottom=[None] * len(top), footer=False)
    mapping = {"columns": {"C": "year", "D列": "category", "G": {"field": "estimate", "unit": "万元"}},
               "defaults": {}}
    report = import_workbook(ledger, path, health.users["admin"], mapping=mapping, date=dt.date(2025, 12, 20))
    assert report.ok and len(report.imported) == 1, [p.text for p in report.problems]
    p = ledger.project(report.imported[0])
    assert (p["year"], p["category"], p["estimate"]) == (2026, "government_investment", Decimal("30000.00"))


def test_unit_aliases_are_admin_data_audited(ledger, health, capsys):
    assert unit_aliases(ledger) == {"县卫健委": "县卫生健康委员会"}
    with pytest.raises(PermissionDenied):
        set_unit_alias(ledger, "卫健委", "县卫生健康委员会", health.users["unit"])
    with pytest.raises(InvalidInput, match="未知|unknown|没有"):
        set_unit_alias(ledger, "水利局", "县水利局", health.users["admin"])
    assert main(["--db", ledger.url, "unit", "alias", "卫健委", "县卫生健康委员会", "--user", "admin1"]) == 0
    assert main(["--db", ledger.url, "unit", "aliases", "--json"]) == 0
    capsys.readouterr()
    assert unit_aliases(ledger) == {"县卫健委": "县卫生健康委员会", "卫健委": "县卫生健康委员会"}
    assert main(["--db", ledger.url, "unit", "alias", "卫健委", "", "--user", "admin1"]) == 0
    assert unit_aliases(ledger) == {"县卫健委": "县卫生健康委员会"}
    settings_entries = [json.loads(e.detail) for e in AuditEntry.select().where(AuditEntry.kind == "setting")]
    assert [d["key"] for d in settings_entries].count("unit_aliases") == 3
    assert ledger.verify_audit().ok


def test_status_migration_brings_the_history_in_as_imported_events(ledger, health, tmp_path):
    rows = [
        # built and not yet accepted: 第十八条 — accept within 6 months of completion
        data_row(1, "电子病历系统", category="购买服务", approved="2025-03-10 淅政审〔2025〕12号",
                 contract=dt.datetime(2025, 4, 1), start="2025/4/15", complete="2026年1月31日"),
        # accepted and running
        data_row(2, "预约挂号平台", category="购买服务", approved="淅政审〔2024〕3号(2024年5月6日)",
                 contract="2024-06-01", start="2024-06-10", complete="2024-12-01", accept="2025-01-15",
                 operate="2025-02-01"),
        # only approved
        data_row(3, "远程会诊", approved=dt.date(2025, 9, 1)),
    ]
    path = messy(tmp_path / "history.xlsx", rows)
    report = import_workbook(ledger, path, health.users["admin"], date=dt.date(2026, 2, 10))
    assert report.ok, [p.text for p in report.problems]
    built, running, approved = (ledger.project(i) for i in report.imported)
    assert (built.status, running.status, approved.status) == ("completed", "in_operation", "approved")
    history = ledger.histories([built.id])[built.id]
    assert [e.action for e in history] == ["approve", "sign_contract", "start_construction", "complete"]
    assert all(e.args.get("imported") is True for e in history)
    assert history[0].args["document_no"] == "淅政审〔2025〕12号" and history[0].date == dt.date(2025, 3, 10)
    assert [(e.from_status, e.to_status) for e in history][-1] == ("under_construction", "completed")
    assert ledger.histories([running.id])[running.id][0].args["document_no"] == "淅政审〔2024〕3号"
    # 第十八条: completed 2026-01-31, not accepted → acceptance due 2026-07-31, open
    owed = [(o.code, o.due) for o in ledger.obligations(project_id=built.id)]
    assert ("xichuan.acceptance.due", dt.date(2026, 7, 31)) in owed
    assert not [o for o in ledger.obligations(project_id=running.id) if o.code == "xichuan.acceptance.due"]
    # the events are audited as imported, and the chain verifies
    entries = [json.loads(e.detail) for e in AuditEntry.select().where(
        (AuditEntry.kind == "event") & (AuditEntry.project_id == built.id))]
    assert len(entries) == 4 and all(d["imported"] is True for d in entries)
    assert Event.select().where(Event.project == built.id).count() == 4
    assert ledger.verify_audit().ok
    before = dict(Project.select(Project.id, Project.derived).tuples())
    ledger.recompute_all()
    assert dict(Project.select(Project.id, Project.derived).tuples()) == before
    # the imported project goes on like any other
    staff = ledger.add_user("wj1", "unit", "县卫生健康委员会")
    ledger.act(built.id, "accept", staff, dt.date(2026, 3, 1), {
        "result": "pass", "documents": ["summary", "financial_report", "audit_report", "security_risk_assessment"]})
    assert ledger.project(built.id).status == "accepted"


def test_milestones_out_of_order_or_in_the_future_are_problems(ledger, health, tmp_path):
    rows = [data_row(1, "倒序项目", category="购买服务", complete="2025-05-01", accept="2025-03-01"),
            data_row(2, "未来项目", category="购买服务", approved="2027-01-01"),
            data_row(3, "坏日期", category="购买服务", approved="淅政审〔2025〕1号")]
    path = messy(tmp_path / "order.xlsx", rows)
    with pytest.raises(ImportRefused) as exc:
        import_workbook(ledger, path, health.users["admin"], date=dt.date(2025, 12, 1))
    texts = [p.text for p in exc.value.report.problems]
    assert texts[0].startswith(f"第 {FIRST} 行「验收日期」：日期 2025-03-01 早于「竣工日期」")
    assert texts[1] == f"第 {FIRST + 1} 行「批复日期和文号」：日期 2027-01-01 晚于导入日期 2025-12-01"
    assert texts[2].startswith(f"第 {FIRST + 2} 行「批复日期和文号」：不是日期")
    assert Project.select().count() == 0


def test_combine_carries_a_merged_upper_header_over_its_columns():
    assert combine(["项目名称", "投资情况", None, "备注"], [None, "估算投资（万元）", "资金来源", None]) == \
        ["项目名称", "投资情况\n估算投资（万元）", "投资情况\n资金来源", "备注"]


@pytest.mark.parametrize("word,value", [
    ("政府投资", "government_investment"), ("购买服务", "purchased_service"), ("设备采购", "equipment_software"),
    ("信息系统", "information_system"), ("设备购置", "equipment_network"), ("政务云", "gov_cloud"),
    ("上级要求", "higher_level"), ("政府购买服务类", "purchased_service")])
def test_choice_synonyms(ledger, word, value):
    from tongchou.import_headers import import_vocabulary
    from tongchou.imports import _enum_lookup
    vocab = import_vocabulary(ledger.pm, ledger.registry)
    for name, spec in ledger.registry.fields.items():
        if spec.type == "enum" and value in {c.value for c in spec.choices}:
            assert parse_cell(spec, word, _lookup=_enum_lookup(spec, {}, vocab.values.get(name))) == value


def test_an_abbreviation_of_two_choices_is_no_choice(ledger):
    spec = ledger.registry.fields["kind"]
    assert abbreviation(spec, "系统") is None  # 政务信息系统 and 系统集成
    assert abbreviation(spec, "数据") == "data_center"


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("99999999.9999"), places=4))
def test_property_wan_column_is_exact_ten_thousand(wan):
    from tongchou.vocabulary import Field
    money = Field("estimate", "概算总投资(元)", "money")
    assert parse_cell(money, str(wan), unit=Decimal(10000)) == (wan * 10000).quantize(Decimal("0.01"))


def test_an_upper_header_alone_names_no_field_of_its_lower_columns(ledger):
    # 投资 over 估算投资（万元）and 已完成投资: only the first is the estimate
    from tongchou.import_headers import import_vocabulary
    from tongchou.imports import default_mapping
    cmap = default_mapping(ledger.registry, import_vocabulary(ledger.pm, ledger.registry))
    heads = combine(["投资", None], ["估算投资（万元）", "已完成投资"])
    (text, rule), (_t, other) = cmap.rule_at(0, heads[0]), cmap.rule_at(1, heads[1])
    assert (text, rule.field, rule.unit) == ("估算投资（万元）", "estimate", Decimal(10000)) and other is None
