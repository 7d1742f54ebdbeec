"""Make the ``xichuan`` pack's official-document templates (.docx).

The .docx files next to this script are generated, not hand-edited, so that
their wording can be reviewed here as text and rebuilt the same way::

    .venv/bin/python plugins/xichuan/templates/make_templates.py

A county that wants other wording copies this script (or opens a generated
file in Word), edits it and contributes the result from its own plugin with
``replaces="xichuan.official"``.  Placeholders are ``{{ name.path }}``; a table
row with ``{{ list[].field }}`` repeats once per item (docs/official-documents.md).
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

HERE = Path(__file__).resolve().parent
BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
# Fixed so that rebuilding gives the same document properties.
STAMP = dt.datetime(2025, 8, 29, 0, 0, 0)


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _new() -> docx.document.Document:
    document = docx.Document()
    props = document.core_properties
    props.author = "tongchou"
    props.last_modified_by = "tongchou"
    props.created = STAMP
    props.modified = STAMP
    props.revision = 1
    return document


def _title(document, text: str) -> None:
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(text), TITLE_FONT, 22)


def _para(document, text: str, *, center=False, right=False, bold=False, indent=True) -> None:
    p = document.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif indent:
        p.paragraph_format.first_line_indent = Pt(32)
    _font(p.add_run(text), BODY_FONT, 16, bold)


def _table(document, header: list[str], row: list[str]) -> None:
    """A table with a header row and one repeating row of placeholders."""
    table = document.add_table(rows=2, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cells, texts, bold in ((table.rows[0].cells, header, True), (table.rows[1].cells, row, False)):
        for cell, text in zip(cells, texts):
            cell.paragraphs[0].text = ""
            _font(cell.paragraphs[0].add_run(text), BODY_FONT, 14, bold)


def _footer(document) -> None:
    p = document.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("{{ jurisdiction.title }}政务信息化项目台账 · 项目编号 {{ project.id }}"), BODY_FONT, 9)


def technical_review() -> docx.document.Document:
    d = _new()
    _title(d, "政务信息化项目技术审查意见")
    _para(d, "审查编号:技审〔{{ project.year }}〕{{ project.id }}号", center=True)
    _para(d, "{{ project.unit }}:", indent=False)
    _para(d, "你单位报送的“{{ project.name }}”项目(计划建设年度:{{ project.year }}年;项目类别:"
             "{{ project.category }};概算总投资:{{ project.estimate }})材料收悉。根据《{{ measures }}》"
             "({{ jurisdiction.document }}){{ review.basis }}的规定,我局于{{ review.date }}对该项目"
             "进行了技术审查。{{ review.consent }}审查情况如下:")
    _table(d, ["审查内容", "审查情况", "审查结论"],
           ["{{ dimensions[].label }}", "{{ dimensions[].reviewed }}", "{{ dimensions[].result }}"])
    _para(d, "审查结论:{{ review.result }}。{{ review.conclusion }}")
    _para(d, "依据:{{ review.basis }}“{{ review.article_text }}”")
    _para(d, "{{ jurisdiction.title }}行政审批和政务信息管理局", right=True)
    _para(d, "{{ date }}", right=True)
    _footer(d)
    return d


def rectification_notice() -> docx.document.Document:
    d = _new()
    _title(d, "政务信息化项目整改通知书")
    _para(d, "{{ project.unit }}:", indent=False)
    _para(d, "经核查,你单位“{{ project.name }}”项目(当前状态:{{ project.status }})存在以下"
             "{{ notice.count }}项问题,不符合《{{ measures }}》({{ jurisdiction.document }})的规定:")
    _table(d, ["存在问题", "违反条款", "原定期限", "整改期限"],
           ["{{ items[].problem }}", "{{ items[].article }}", "{{ items[].due }}", "{{ items[].deadline }}"])
    _para(d, "请你单位于{{ notice.deadline }}前完成整改({{ notice.deadline_basis }}),并将整改情况书面报送"
             "县行政审批和政务信息管理局。逾期未整改的,将依照第三十五条采取暂缓拨付资金、暂停项目建设等措施。")
    _para(d, "{{ jurisdiction.title }}行政审批和政务信息管理局", right=True)
    _para(d, "{{ date }}", right=True)
    _footer(d)
    return d


def acceptance_opinion() -> docx.document.Document:
    d = _new()
    _title(d, "政务信息化项目验收意见")
    _para(d, "项目名称:{{ project.name }}", indent=False)
    _para(d, "建设单位:{{ project.unit }}", indent=False)
    _para(d, "概算总投资:{{ project.estimate }}", indent=False)
    _para(d, "建成日期:{{ acceptance.completed }}    验收日期:{{ acceptance.date }}", indent=False)
    _para(d, "根据《{{ measures }}》({{ jurisdiction.document }}){{ acceptance.basis }}的规定,"
             "项目建设单位组织了验收。验收材料情况如下:")
    _table(d, ["验收材料", "提交情况"], ["{{ documents[].label }}", "{{ documents[].submitted }}"])
    _para(d, "{{ acceptance.ai }}")
    _para(d, "验收结论:{{ acceptance.result }}。{{ acceptance.conclusion }}")
    _para(d, "验收组(签字):", indent=False)
    _para(d, "{{ date }}", right=True)
    _footer(d)
    return d


DOCUMENTS = {
    "technical_review.docx": technical_review,
    "rectification_notice.docx": rectification_notice,
    "acceptance_opinion.docx": acceptance_opinion,
}


def main(out: Path = HERE) -> list[Path]:
    written = []
    for name, build in DOCUMENTS.items():
        path = out / name
        build().save(path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"written {path}")
