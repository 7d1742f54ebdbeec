"""Make the ``xichuan`` pack's official-document templates (.docx), laid out
to GB/T 9704-2012《党政机关公文格式》.

The .docx files next to this script are generated, not hand-edited, so that
their wording and layout can be reviewed here as text and rebuilt the same way::

    .venv/bin/python plugins/xichuan/templates/make_templates.py

Layout (GB/T 9704-2012, section numbers in brackets):

- A4 paper; 版心 156 mm × 225 mm: margins top 37, bottom 35, left 28,
  right 26 mm (5.2); 22 lines of 28 characters (5.2.2): 3号 (16 pt)
  仿宋_GB2312 body at a fixed line pitch of 225 mm / 22 ≈ 28.95 pt, and the
  document grid says the same to Word and LibreOffice;
- 红头: the issuing body + “文件” in red 小标宋 (7.2.1); the 文号 centred two
  lines below it, e.g. 淅审〔2026〕3号 (7.2.4); the red separator line under
  the 文号, as wide as the 版心 (7.2.6);
- the title in 2号 小标宋 (7.3.1), the addressee (7.3.2), the body with a
  two-character first-line indent (7.3.3);
- the 落款: three empty lines for the seal, the issuing body and the date in
  Chinese numerals (二〇二六年十二月一日), right-aligned with the date four
  characters from the right edge (7.3.5);
- the 版记 (抄送, 印发机关 and 印发日期 between a 0.35 mm, a 0.25 mm and a
  0.35 mm rule) alone at the foot of the last page, which is an even page: a
  section of its own starting on the next even page, its last rule on the
  版心's bottom edge (7.4; see _imprint for why a section and not a frame);
- page numbers “— 1 —” in 4号 宋体, outer side: odd pages right, even pages
  left, one character in from the edge (7.5).

Fonts are named as the county's PCs have them (方正小标宋简体, 仿宋_GB2312)
with the usual alternatives in the font table (宋体 / 仿宋 / SimSun / FangSong),
so a machine without them still prints a Song or FangSong face.

A county that wants other wording copies this script (or opens a generated
file in Word), edits it and contributes the result from its own plugin with
``replaces="xichuan.official"``.  Placeholders are ``{{ name.path }}``; a table
row with ``{{ list[].field }}`` repeats once per item (docs/official-documents.md).
"""
from __future__ import annotations

import copy
import datetime as dt
import math
import sys
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips

HERE = Path(__file__).resolve().parent
TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
PAGE_FONT = "宋体"
#: font → the alternative Word and LibreOffice fall back on
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", PAGE_FONT: "SimSun", "仿宋": "FangSong", "黑体": "SimHei"}
RED = RGBColor(0xFF, 0x00, 0x00)
BODY = 16            # 3号
# 22 lines in the 225 mm 版心: 28.99 pt, taken down to whole twips (579 = 28.95 pt)
# so that 22 lines never overflow it by a rounding
LINE = int(225 / 22 * 72 / 25.4 * 20) / 20
CHAR = 156 / 28 * 72 / 25.4   # ≈ 15.79 pt: 28 characters in the 156 mm 版心
# Fixed so that rebuilding gives the same document properties.
STAMP = dt.datetime(2025, 8, 29, 0, 0, 0)


def _font(run, name: str, size: float, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _fixed(p, pitch: float = LINE, before: float = 0, after: float = 0) -> None:
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(round(pitch * 20))  # whole twips: 28.95 pt is 579
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)


def _border(p, side: str, size_eighths: int, color: str = "000000", space: int = 1) -> None:
    """A rule above or below a paragraph (size in eighths of a point)."""
    ppr = p._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        # the schema's order: (pStyle …) framePr, pBdr, shd, tabs, … spacing, ind, jc;
        # a pBdr out of place is dropped by LibreOffice
        bdr = OxmlElement("w:pBdr")
        frame = ppr.find(qn("w:framePr"))
        if frame is not None:
            frame.addnext(bdr)
        else:
            ppr.insert(0, bdr)
    el = OxmlElement(f"w:{side}")
    for k, v in (("w:val", "single"), ("w:sz", str(size_eighths)), ("w:space", str(space)), ("w:color", color)):
        el.set(qn(k), v)
    bdr.append(el)


def _section(document) -> None:
    s = document.sections[0]
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = Mm(210), Mm(297)
    s.top_margin, s.bottom_margin = Mm(37), Mm(35)
    s.left_margin, s.right_margin = Mm(28), Mm(26)
    s.header_distance = Mm(15)
    # the page number's rule is 7 mm under the 版心: a 14 pt line ends about 23 mm from the edge
    s.footer_distance = Mm(23)
    s.gutter = Mm(0)
    grid = s._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        s._sectPr.append(grid)
    # a line grid only: a character grid is measured from the document's
    # default font size and LibreOffice then spreads 16 pt characters over two
    # cells; 28 characters a line come from the character spacing (_defaults)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(int(LINE * 20)))


def _defaults(document) -> None:
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(BODY)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(int(LINE * 20))
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.widow_control = True
    # 28 characters of 16 pt in 156 mm: each character at most 15.79 pt, so
    # 0.25 pt closer (whole twips, rounded down: 0.2 pt would leave 27 a line)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(math.floor((CHAR - BODY) * 20)))
    normal.element.get_or_add_rPr().append(spacing)


def _font_table(document) -> None:
    """Name each font's fallback (w:altName) in the font table."""
    part = next(p for p in document.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    entries = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{"modern" if "仿宋" in name or "Fang" in name else "roman"}"/>'
        f'<w:pitch w:val="fixed"/></w:font>' for name, alt in FALLBACKS.items())
    blob = part.blob.decode("utf-8")
    part._blob = blob.replace("</w:fonts>", entries + "</w:fonts>").encode("utf-8")


def _page_numbers(document) -> None:
    """“— 1 —” in 4号 宋体: odd pages right, even pages left, one character in (7.5)."""
    document.settings.odd_and_even_pages_header_footer = True
    section = document.sections[0]
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                      WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        _fixed(p, 14 * 1.2)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Pt(14)
        else:
            p.paragraph_format.left_indent = Pt(14)
        _font(p.add_run("— "), PAGE_FONT, 14)
        for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
            run = p.add_run()
            _font(run, PAGE_FONT, 14)
            if kind:
                fld = OxmlElement("w:fldChar")
                fld.set(qn("w:fldCharType"), kind)
                run._r.append(fld)
            elif text == " PAGE ":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
            else:
                run.text = text
        _font(p.add_run(" —"), PAGE_FONT, 14)


def _new() -> docx.document.Document:
    document = docx.Document()
    props = document.core_properties
    props.author = "tongchou"
    props.last_modified_by = "tongchou"
    props.created = STAMP
    props.modified = STAMP
    props.revision = 1
    _defaults(document)
    _section(document)
    _font_table(document)
    _page_numbers(document)
    # python-docx's blank document starts with no paragraph; the first one is ours
    return document


def _blank(document, lines: int = 1) -> None:
    for _ in range(lines):
        _fixed(document.add_paragraph())


def _letterhead(document) -> None:
    """红头 (7.2.1), 文号 (7.2.4) and the red separator (7.2.6)."""
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # the mark's top edge 35 mm under the 版心's (7.2.1): about 3.5 lines less its own leading
    _fixed(p, 48, before=Mm(35).pt - 24)
    _font(p.add_run("{{ office.letterhead }}"), TITLE_FONT, 24, color=RED)
    _blank(document, 2)
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fixed(p)
    _font(p.add_run("{{ issue.number }}{{ issue.draft }}"), BODY_FONT, BODY)
    # the red line 4 mm under the 文号, as wide as the 版心
    _border(p, "bottom", 12, "FF0000", space=int(Mm(4).pt))
    _blank(document, 2)


def _title(document, text: str) -> None:
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fixed(p, 22 * 1.5)
    _font(p.add_run(text), TITLE_FONT, 22)
    _blank(document)


def _para(document, text: str, *, center=False, right=False, bold=False, indent=True,
          right_chars: float = 0) -> None:
    p = document.add_paragraph()
    _fixed(p)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(BODY * right_chars)
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        if indent:
            p.paragraph_format.first_line_indent = Pt(BODY * 2)
    _font(p.add_run(text), BODY_FONT, BODY, bold)


def _table(document, header: list[str], row: list[str]) -> None:
    """A table with a header row and one repeating row of placeholders (4号)."""
    table = document.add_table(rows=2, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cells, texts, bold in ((table.rows[0].cells, header, True), (table.rows[1].cells, row, False)):
        for cell, text in zip(cells, texts):
            p = cell.paragraphs[0]
            p.text = ""
            _fixed(p, 22)
            _font(p.add_run(text), BODY_FONT, 14, bold)


def _signature(document, signer: str = "{{ office.body }}") -> None:
    """落款 (7.3.5): room for the seal, the issuing body centred over the date,
    the date in Chinese numerals four characters from the right edge."""
    _blank(document, 3)
    _para(document, signer, right=True, right_chars=2)
    _para(document, "{{ issue.date }}", right=True, right_chars=4)


def _cell_flush(cell) -> None:
    """No cell margins (the rules run the 版心's full width; the text is set
    in by paragraph indents) and the text centred between the rules."""
    tcpr = cell._tc.get_or_add_tcPr()
    mar = OxmlElement("w:tcMar")
    for side in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tcpr.append(mar)
    valign = OxmlElement("w:vAlign")
    valign.set(qn("w:val"), "center")
    tcpr.append(valign)


def _imprint(document) -> None:
    """版记 (7.4) at the foot of the last page, on an even page.

    The 落款 ends the body's section; the 版记 is a section of its own that
    starts on the next even page (``w:type evenPage``: Word, and LibreOffice
    with a left-only page style, add the blank page when the body ends on an
    even page).  That page holds nothing else, so its layout is known here and
    needs no anchoring: an empty paragraph of exact height fills the 版心 down
    to the 版记, a table of two rows of exact height (one line of the grid
    each) between a thick rule above (0.35 mm), a thin one between (0.25 mm)
    and a thick one below, and the paragraph Word requires after a table, 1 pt
    high.  The last rule ends 1-2 pt above the 版心's bottom edge: a little
    room so that no rounding pushes the 版记 onto another page.  The section
    is also aligned to the bottom (``w:vAlign``) for Word.

    (A floating table anchored to the bottom margin, w:tblpPr
    vertAnchor="margin" tblpYSpec="bottom", would share the 落款's page, but
    cannot make that page even, and LibreOffice 7.4 leaves a floating table
    as wide as the 版心 inline where it stands (tried: a 150 mm one went to
    the bottom, the 156 mm one stayed under the text); the framePr frame the
    first version tried was dropped by LibreOffice's import.)
    """
    body = document.paragraphs[-1]._p  # the 落款's date: it ends the body's section
    final = document.sections[-1]._sectPr
    ending = copy.deepcopy(final)
    body.get_or_add_pPr().append(ending)
    document.sections[-1].start_type = WD_SECTION.EVEN_PAGE  # w:type, in its place after the references
    # the 版记 page has no line grid (its own exact heights), and its text is at the bottom
    grid = final.find(qn("w:docGrid"))
    if grid is not None:
        final.remove(grid)
    valign = OxmlElement("w:vAlign")
    valign.set(qn("w:val"), "bottom")
    # CT_SectPr order: … pgNumType, cols, formProt, vAlign, noEndnote, titlePg, textDirection, bidi, rtlGutter, docGrid
    anchor = final.find(qn("w:cols"))
    anchor.addnext(valign) if anchor is not None else final.append(valign)

    # 抄送机关 and 印发机关 one character in from the left, 印发日期 one in from the right (7.4.2, 7.4.3)
    rows = (("抄送：{{ office.copy_to }}。", False), ("{{ office.body }}\t{{ issue.printed }}印发", True))
    row_height = LINE   # one line of the body's grid each
    last = 1.0          # the paragraph after the table
    spacer = document.add_paragraph()
    height = Mm(225).pt - len(rows) * row_height - last - 0.5
    _fixed(spacer, math.floor(height * 20) / 20)
    _font(spacer.add_run(""), BODY_FONT, 1)

    table = document.add_table(rows=len(rows), cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tblpr = table._tbl.tblPr
    width = tblpr.find(qn("w:tblW"))
    width.set(qn("w:w"), str(round(Mm(156).twips)))
    width.set(qn("w:type"), "dxa")
    look = tblpr.find(qn("w:tblLook"))  # CT_TblPr order: … tblW, jc, tblInd, tblBorders, shd, tblLayout, …, tblLook
    borders = OxmlElement("w:tblBorders")
    # 7.4.1: first and last rules thick (0.35 mm ≈ 1 pt = 8 eighths), the one between thin (0.25 mm ≈ 6)
    for side, size in (("top", 8), ("left", 0), ("bottom", 8), ("right", 0), ("insideH", 6), ("insideV", 0)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    for el in (borders, layout):
        look.addprevious(el) if look is not None else tblpr.append(el)
    table.columns[0].width = Mm(156)
    for row, (text, tab) in zip(table.rows, rows):
        row.height = Twips(round(row_height * 20))
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        cell = row.cells[0]
        cell.width = Mm(156)
        _cell_flush(cell)
        p = cell.paragraphs[0]
        _fixed(p, 14 * 1.2)
        p.paragraph_format.left_indent = p.paragraph_format.right_indent = Pt(14)
        if tab:  # a right tab at the right indent: the date ends one character in
            p.paragraph_format.tab_stops.add_tab_stop(Mm(156) - Pt(14), alignment=2)
        _font(p.add_run(text), BODY_FONT, 14)
    after = document.add_paragraph()
    _fixed(after, last)
    _font(after.add_run(""), BODY_FONT, 1)


def _addressee(document) -> None:
    _para(document, "{{ project.unit }}：", indent=False)


def technical_review() -> docx.document.Document:
    d = _new()
    _letterhead(d)
    _title(d, "关于“{{ project.name }}”项目的技术审查意见")
    _addressee(d)
    _para(d, "你单位报送的“{{ project.name }}”项目（计划建设年度：{{ project.year }}年；项目类别："
             "{{ project.category }}；概算总投资：{{ project.estimate }}）材料收悉。根据《{{ measures }}》"
             "（{{ jurisdiction.document }}）{{ review.basis }}的规定，我局于{{ review.date }}对该项目"
             "进行了技术审查。{{ review.consent }}审查情况如下：")
    _table(d, ["审查内容", "审查情况", "审查结论"],
           ["{{ dimensions[].label }}", "{{ dimensions[].reviewed }}", "{{ dimensions[].result }}"])
    _para(d, "审查结论：{{ review.result }}。{{ review.conclusion }}")
    _para(d, "依据：{{ review.basis }}“{{ review.article_text }}”")
    _signature(d)
    _imprint(d)
    return d


def rectification_notice() -> docx.document.Document:
    d = _new()
    _letterhead(d)
    _title(d, "关于“{{ project.name }}”项目限期整改的通知")
    _addressee(d)
    _para(d, "经核查，你单位“{{ project.name }}”项目（当前状态：{{ project.status }}）存在以下"
             "{{ notice.count }}项问题，不符合《{{ measures }}》（{{ jurisdiction.document }}）的规定：")
    _table(d, ["存在问题", "违反条款", "原定期限", "整改期限"],
           ["{{ items[].problem }}", "{{ items[].article }}", "{{ items[].due }}", "{{ items[].deadline }}"])
    _para(d, "请你单位于{{ notice.deadline }}前完成整改（{{ notice.deadline_basis }}），并将整改情况书面报送"
             "{{ office.body }}。逾期未整改的，将依照第三十五条采取暂缓拨付资金、暂停项目建设等措施。")
    _signature(d)
    _imprint(d)
    return d


def acceptance_opinion() -> docx.document.Document:
    d = _new()
    _letterhead(d)
    _title(d, "关于“{{ project.name }}”项目的验收意见")
    _para(d, "项目名称：{{ project.name }}", indent=False)
    _para(d, "建设单位：{{ project.unit }}", indent=False)
    _para(d, "概算总投资：{{ project.estimate }}", indent=False)
    _para(d, "建成日期：{{ acceptance.completed }}　　验收日期：{{ acceptance.date }}", indent=False)
    _para(d, "根据《{{ measures }}》（{{ jurisdiction.document }}）{{ acceptance.basis }}的规定，"
             "项目建设单位组织了验收。验收材料情况如下：")
    _table(d, ["验收材料", "提交情况"], ["{{ documents[].label }}", "{{ documents[].submitted }}"])
    _para(d, "{{ acceptance.ai }}")
    _para(d, "验收结论：{{ acceptance.result }}。{{ acceptance.conclusion }}")
    _para(d, "验收组（签字）：", indent=False)
    _signature(d)
    _imprint(d)
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
