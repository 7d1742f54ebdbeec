"""Official documents (公文): the xichuan pack's technical review opinion,
rectification notice and acceptance opinion, the template language, a
county's replacement template, conflicts, authorisation and the CLI.

Every test opens the produced .docx with python-docx and reads what is in it.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import types
from pathlib import Path

import docx
import pytest

from tongchou import Pack, hookimpl
from tongchou import official
from tongchou.cli import main
from tongchou.errors import ConfigurationError, InvalidInput, NotFound, PermissionDenied, PluginConflict
from tongchou.ledger import Ledger
from tongchou.docx_fill import document_text, fill
from tongchou.official import DocumentTemplate
from tongchou.packs import Discovered, discover, load_jurisdiction

from .conftest import CLAUSES, DIMS, DOCS, County

D = dt.date
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "plugins" / "xichuan" / "templates"
DIM_LABELS = ["建设的必要性", "规模的合理性", "技术的先进性", "安全的可靠性", "项目的集约性"]


def memory_county(*plugins) -> County:
    jur = load_jurisdiction("xichuan", extra_plugins=list(plugins))
    return County(Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)))


def rows(data: bytes, table: int = 0) -> list[list[str]]:
    document = docx.Document(io.BytesIO(data))
    return [[c.text for c in r.cells] for r in document.tables[table].rows]


def build_to_completion(c: County, **fields):
    """A purchased-service project taken to `completed` on 2026-01-31."""
    p = c.project(**fields)
    c.act(p, "apply", "unit", D(2025, 6, 20))
    c.act(p, "review", "bureau", D(2025, 7, 10), result="pass", dimensions=DIMS)
    c.act(p, "approve", "government", D(2025, 7, 20))
    c.act(p, "budget", "finance", D(2025, 8, 1), amount="1000000")
    c.act(p, "tender", "unit", D(2025, 9, 1))
    c.act(p, "sign_contract", "unit", D(2025, 10, 1), clauses=CLAUSES)
    c.act(p, "start_construction", "unit", D(2025, 10, 2))
    c.act(p, "complete", "unit", D(2026, 1, 31))
    return p


# ---------------------------------------------------------------------------
# The xichuan documents


def test_technical_review_opinion_names_the_project_and_the_five_dimensions(county):
    p = county.project(name="智慧教育云平台", estimate="1234567.80")
    county.act(p, "apply", "unit", D(2025, 6, 20))
    county.act(p, "review", "bureau", D(2025, 7, 10), result="pass", dimensions=DIMS)
    ledger = county.ledger
    bureau = county.users["bureau"]
    assert ("technical_review", "技术审查意见") in official.available(ledger, p.id, bureau, D(2025, 7, 11))
    data = official.render(ledger, p.id, "technical_review", bureau, D(2025, 7, 11))
    text = document_text(data)
    assert "“智慧教育云平台”项目" in text
    assert "县教育局：" in text
    assert "1,234,567.80 元" in text
    assert "2025年7月10日对该项目进行了技术审查" in text
    assert "第七条的规定" in text and "第八条" not in text
    assert "审查结论：通过。" in text
    assert "2025年7月11日" in text  # issue date
    assert "淅政办〔2025〕6号" in text
    table = rows(data)
    assert table[0] == ["审查内容", "审查情况", "审查结论"]
    assert table[1:] == [[label, "已审查", "通过"] for label in DIM_LABELS]


def test_failed_review_of_an_ad_hoc_project_cites_articles_7_and_8():
    c = memory_county()
    p = c.project(source="ad_hoc", year=2025, day=D(2025, 9, 1))
    c.act(p, "apply", "unit", D(2025, 9, 2))
    c.act(p, "leader_consent", "leader", D(2025, 9, 3))
    c.act(p, "review", "bureau", D(2025, 9, 10), result="fail", dimensions=DIMS)
    data = official.render(c.ledger, p.id, "technical_review", c.users["drc"], D(2025, 9, 12))
    text = document_text(data)
    assert "第七条、第八条的规定" in text
    assert "已于2025年9月3日经县分管领导同意" in text
    assert "审查结论：不通过。" in text and "重新申报" in text
    assert [r[2] for r in rows(data)[1:]] == ["不通过"] * 5
    assert rows(data)[1:][0][0] == "建设的必要性"


def test_rectification_notice_lists_overdue_acceptance_with_article_and_deadlines():
    c = memory_county()
    p = build_to_completion(c, name="电子证照系统")
    on = D(2026, 8, 10)  # acceptance was due 2026-07-31 (第十八条)
    assert ("rectification_notice", "整改通知") in official.available(c.ledger, p.id, c.users["bureau"], on)
    data = official.render(c.ledger, p.id, "rectification_notice", c.users["bureau"], on)
    text = document_text(data)
    assert "“电子证照系统”项目" in text and "存在以下1项问题" in text
    # no order from a supervising body: one month (rectification_months, 第十九条) from the notice
    assert "请你单位于2026年9月10日前完成整改（第十九条）" in text
    (header, item) = rows(data)
    assert header == ["存在问题", "违反条款", "原定期限", "整改期限"]
    assert item[1:] == ["第十八条", "2026年7月31日", "2026年9月10日"]
    assert "已逾期" in item[0]


def test_rectification_notice_takes_the_ordered_deadline_and_the_order_reason():
    c = memory_county()
    p = build_to_completion(c, infrastructure="standalone")
    c.act(p, "order_rectification", "drc", D(2026, 2, 1), deadline="2026-03-15", reason="机房未迁移至政务云")
    data = official.render(c.ledger, p.id, "rectification_notice", c.users["drc"], D(2026, 2, 2))
    text = document_text(data)
    assert "请你单位于2026年3月15日前完成整改（第三十五条）" in text
    items = {r[1]: r for r in rows(data)[1:]}
    assert items["第三十五条"][0] == "限期整改：机房未迁移至政务云"
    assert items["第三十五条"][3] == "2026年3月15日"
    assert "第二十五条" in items and items["第二十五条"][3] == "2026年3月15日"  # the standalone machine room
    assert "第十八条" not in items  # acceptance not yet due on 2026-02-02


def test_nothing_to_rectify_means_no_notice():
    c = memory_county()
    p = build_to_completion(c)
    on = D(2026, 3, 1)
    assert "rectification_notice" not in dict(official.available(c.ledger, p.id, c.users["bureau"], on))
    with pytest.raises(InvalidInput, match="整改通知"):
        official.render(c.ledger, p.id, "rectification_notice", c.users["bureau"], on)


@pytest.mark.parametrize("result", ["pass", "fail"])
def test_acceptance_opinion(result):
    c = memory_county()
    p = build_to_completion(c, name="政务服务好差评系统")
    c.act(p, "accept", "unit", D(2026, 3, 20), result=result, documents=DOCS)
    data = official.render(c.ledger, p.id, "acceptance_opinion", c.users["unit"], D(2026, 3, 21))
    text = document_text(data)
    assert "项目名称：政务服务好差评系统" in text
    assert "建成日期：2026年1月31日" in text and "验收日期：2026年3月20日" in text
    assert rows(data)[1:] == [["项目建设总结", "已提交"], ["财务报告", "已提交"], ["审计报告", "已提交"],
                              ["安全风险评估报告", "已提交"]]
    if result == "pass":
        assert "第十八条的规定" in text and "验收结论：通过。" in text
    else:
        # 第十九条: rectified within one month, then accepted anew
        assert "第十八条、第十九条的规定" in text and "验收结论：不通过。" in text
        assert "请于2026年4月20日前完成整改后重新组织验收" in text


def test_documents_offered_follow_the_project():
    c = memory_county()
    p = c.project()
    bureau = c.users["bureau"]
    assert official.available(c.ledger, p.id, bureau, D(2025, 6, 2)) == []
    with pytest.raises(InvalidInput, match="技术审查意见"):
        official.render(c.ledger, p.id, "technical_review", bureau, D(2025, 6, 2))
    with pytest.raises(NotFound, match="technical_review"):
        official.render(c.ledger, p.id, "no_such_document", bureau)


def test_a_unit_user_gets_only_their_own_units_documents():
    c = memory_county()
    p = build_to_completion(c)
    c.ledger.add_unit("县公安局")
    other = c.ledger.add_user("police", "unit", "县公安局")
    with pytest.raises(NotFound):
        official.available(c.ledger, p.id, other, D(2026, 3, 1))
    with pytest.raises(NotFound):
        official.render(c.ledger, p.id, "technical_review", other, D(2026, 3, 1))
    # their own unit's user is served
    assert official.render(c.ledger, p.id, "technical_review", c.users["unit"], D(2026, 3, 1))


def test_user_text_is_inserted_as_text_not_markup():
    c = memory_county()
    name = '</w:t><w:t>注入</w:t> & "{{ project.unit }}" \x0b<b>'
    p = c.project(name=name)
    c.act(p, "apply", "unit", D(2025, 6, 20))
    c.act(p, "review", "bureau", D(2025, 7, 10), result="pass", dimensions=DIMS)
    data = official.render(c.ledger, p.id, "technical_review", c.users["bureau"], D(2025, 7, 11))
    text = document_text(data)
    # printed literally (minus the control character XML cannot hold), never re-expanded
    assert '“</w:t><w:t>注入</w:t> & "{{ project.unit }}" <b>”项目' in text
    body = docx.Document(io.BytesIO(data)).element.xml
    assert "<w:t>注入</w:t>" not in body and "&lt;/w:t&gt;" in body


# ---------------------------------------------------------------------------
# The template language


def _split_template(tmp_path: Path) -> bytes:
    d = docx.Document()
    p = d.add_paragraph()
    p.add_run("项目:{{ proj").bold = True
    p.add_run("ect.na")
    p.add_run("me }},单位:{")
    p.add_run("{ project.unit }}。")
    t = d.add_table(rows=3, cols=2)
    t.rows[0].cells[0].text = "问题"
    t.rows[0].cells[1].text = "条款"
    r = t.rows[1].cells
    r[0].paragraphs[0].add_run("{{ items[].pro")
    r[0].paragraphs[0].add_run("blem }}")
    r[1].text = "{{ items[].article }}"
    t.rows[2].cells[0].text = "合计 {{ count }} 项"
    d.sections[0].footer.paragraphs[0].text = "页脚 {{ project.name }}"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_fill_handles_split_runs_repeating_rows_and_footers(tmp_path):
    data = fill(_split_template(tmp_path), {
        "project": {"name": "甲项目", "unit": "乙单位"}, "count": 2,
        "items": [{"problem": "问题一", "article": "第十八条"}, {"problem": "问题二", "article": "第三十五条"}]})
    document = docx.Document(io.BytesIO(data))
    para = document.paragraphs[0]
    assert para.text == "项目:甲项目,单位:乙单位。"
    assert para.runs[0].bold and para.runs[0].text.startswith("项目:甲项目")
    assert [[c.text for c in r.cells] for r in document.tables[0].rows] == [
        ["问题", "条款"], ["问题一", "第十八条"], ["问题二", "第三十五条"], ["合计 2 项", ""]]
    assert document.sections[0].footer.paragraphs[0].text == "页脚 甲项目"


def test_an_empty_list_removes_the_row_and_unknown_names_are_errors(tmp_path):
    data = fill(_split_template(tmp_path), {"project": {"name": "甲", "unit": "乙"}, "count": 0, "items": []})
    assert [[c.text for c in r.cells] for r in docx.Document(io.BytesIO(data)).tables[0].rows] == [
        ["问题", "条款"], ["合计 0 项", ""]]
    with pytest.raises(ConfigurationError, match=r"my\.docx.*project\.unit"):
        fill(_split_template(tmp_path), {"project": {"name": "甲"}, "count": 0, "items": []}, name="my.docx")
    with pytest.raises(ConfigurationError, match="not a readable .docx"):
        fill(b"not a zip", {}, name="broken.docx")


def test_shipped_templates_are_what_the_script_makes(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_templates", TEMPLATES / "make_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.main(tmp_path)
    assert sorted(p.name for p in made) == ["acceptance_opinion.docx", "rectification_notice.docx",
                                            "technical_review.docx"]
    for path in made:
        assert document_text(path.read_bytes()) == document_text((TEMPLATES / path.name).read_bytes()), path.name


# ---------------------------------------------------------------------------
# Another county's templates


def _toy_template(path: Path) -> Path:
    d = docx.Document()
    d.add_paragraph("玩具县技术审查意见书:{{ project.name }},结论{{ verdict }}")
    d.save(path)
    return path


def _toy_plugin(path: Path, replaces: str | None):
    def context(doc):
        review = doc.last("review")
        return None if review is None else {"verdict": review.args["result"]}

    mod = types.ModuleType("toy_official")

    @hookimpl
    def tongchou_document_templates():
        return [DocumentTemplate("technical_review", "玩具县审查意见书", path, context, replaces=replaces)]
    mod.tongchou_document_templates = tongchou_document_templates
    return mod


def _with_pack(plugin) -> Discovered:
    found = discover()
    toy = Pack(name="toyland", title="玩具县", document="玩具办〔2026〕1号", extends="xichuan",
               plugins={"toyland.official": plugin})
    return Discovered({**found.packs, "toyland": toy}, found.extras, {**found.versions, "toyland": "1"})


def test_a_pack_replaces_the_template_of_a_kind(tmp_path):
    plugin = _toy_plugin(_toy_template(tmp_path / "toy.docx"), replaces="xichuan.official")
    jur = load_jurisdiction("toyland", found=_with_pack(plugin))
    c = County(Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)))
    p = c.project(name="玩具项目")
    c.act(p, "apply", "unit", D(2025, 6, 20))
    c.act(p, "review", "bureau", D(2025, 7, 10), result="pass", dimensions=DIMS)
    kinds = dict(official.available(c.ledger, p.id, c.users["bureau"], D(2025, 7, 11)))
    assert kinds["technical_review"] == "玩具县审查意见书"
    text = document_text(official.render(c.ledger, p.id, "technical_review", c.users["bureau"], D(2025, 7, 11)))
    assert text.strip() == "玩具县技术审查意见书:玩具项目,结论pass"
    assert official.templates(c.ledger.pm)["technical_review"].plugin == "toyland.official"
    # the kinds it does not replace are still xichuan's
    assert official.templates(c.ledger.pm)["acceptance_opinion"].plugin == "xichuan.official"


def test_two_packs_claiming_a_kind_is_a_conflict_naming_both(tmp_path):
    plugin = _toy_plugin(_toy_template(tmp_path / "toy.docx"), replaces=None)
    jur = load_jurisdiction("toyland", found=_with_pack(plugin))
    c = County(Ledger.open(":memory:", jurisdiction=jur, audit_key=os.urandom(32)))
    p = c.project()
    with pytest.raises(PluginConflict) as exc:
        official.available(c.ledger, p.id, c.users["bureau"])
    message = str(exc.value)
    assert "technical_review" in message and "xichuan.official" in message and "toyland.official" in message


def test_a_template_may_be_limited_to_roles(tmp_path):
    path = _toy_template(tmp_path / "toy.docx")
    mod = types.ModuleType("toy_roles")

    @hookimpl
    def tongchou_document_templates():
        return [DocumentTemplate("toy_notice", "玩具通知", path, lambda doc: {"verdict": "-"}, roles=("drc",))]
    mod.tongchou_document_templates = tongchou_document_templates
    c = memory_county(("toy.roles", mod))
    p = c.project()
    assert "toy_notice" in dict(official.available(c.ledger, p.id, c.users["drc"]))
    assert "toy_notice" not in dict(official.available(c.ledger, p.id, c.users["unit"]))
    # others who read the project may preview it (unnumbered), never issue it
    assert ("toy_notice", "玩具通知", False) in official.offered(c.ledger, p.id, c.users["unit"])
    assert ("toy_notice", "玩具通知", True) in official.offered(c.ledger, p.id, c.users["drc"])
    assert "测试项目" in document_text(official.render(c.ledger, p.id, "toy_notice", c.users["unit"]))
    assert not official.may_issue(c.ledger, "toy_notice", c.users["unit"])
    with pytest.raises(PermissionDenied, match="县发改委"):
        official.render(c.ledger, p.id, "toy_notice", c.users["unit"], number="玩〔2026〕1号")


# ---------------------------------------------------------------------------
# CLI


def test_cli_lists_and_writes_documents(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    db = str(tmp_path / "ledger.db")
    with Ledger.open(db) as ledger:
        c = County(ledger)
        p = build_to_completion(c, name="命令行项目")
        pid = p.id
    capsys.readouterr()
    assert main(["--db", db, "official", str(pid), "--user", "bureau", "--date", "2026-08-10"]) == 0
    listed = capsys.readouterr().out
    assert "technical_review  技术审查意见" in listed and "rectification_notice  整改通知" in listed
    assert "acceptance_opinion" not in listed
    out = tmp_path / "notice.docx"
    assert main(["--db", db, "official", str(pid), "rectification_notice", "--user", "bureau",
                 "--date", "2026-08-10", "--out", str(out)]) == 0
    assert "第十八条" in document_text(out.read_bytes())
    assert "2026年9月10日" in document_text(out.read_bytes())
    # no overwriting without --force; a stranger sees no project
    assert main(["--db", db, "official", str(pid), "rectification_notice", "--user", "bureau",
                 "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    with Ledger.open(db) as ledger:
        ledger.add_unit("县公安局")
        ledger.add_user("police", "unit", "县公安局")
    assert main(["--db", db, "official", str(pid), "technical_review", "--user", "police",
                 "--out", str(tmp_path / "x.docx")]) == 2
    assert "no project" in capsys.readouterr().err
    assert not (tmp_path / "x.docx").exists()
