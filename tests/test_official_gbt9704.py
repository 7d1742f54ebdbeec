"""公文 to GB/T 9704-2012: the section geometry and page-number field of the
.docx, the 文号 register (per kind and issue year, never shared between two
issuers, on SQLite and PostgreSQL), issuing (stored with its SM3, audited)
against drafts (nothing recorded), and each kind rendered by LibreOffice."""
from __future__ import annotations

import datetime as dt
import html
import io
import json
import multiprocessing as mp
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm

from tongchou import official, official_issue
from tongchou.audit import sm3_hex
from tongchou.cli import main
from tongchou.documents import DocumentStore
from tongchou.errors import PermissionDenied
from tongchou.ledger import Ledger
from tongchou.docx_fill import document_text
from tongchou.official import chinese_numeral_date, fullwidth

from .conftest import DOCS
from .test_official import build_to_completion, memory_county

D = dt.date
KINDS = ("technical_review", "rectification_notice", "acceptance_opinion")


def _all_kinds(c):
    """A project for which all three documents apply on 2026-12-01."""
    p = build_to_completion(c, name="智慧教育云平台(二期)")
    c.act(p, "accept", "unit", D(2026, 3, 20), result="fail", documents=DOCS)
    return p


def test_chinese_numeral_dates_and_full_width_punctuation():
    assert chinese_numeral_date(D(2026, 12, 1)) == "二〇二六年十二月一日"
    assert chinese_numeral_date(D(2030, 10, 31)) == "二〇三〇年十月三十一日"
    assert chinese_numeral_date(D(2026, 1, 20)) == "二〇二六年一月二十日"
    assert fullwidth("经核查,你单位(当前状态:草稿);") == "经核查，你单位（当前状态：草稿）；"
    assert fullwidth("1,234.56 元 08:00 (a)") == "1,234.56 元 08:00 (a)"


@pytest.mark.parametrize("kind", KINDS)
def test_section_geometry_and_page_number_field(kind):
    c = memory_county()
    p = _all_kinds(c)
    data = official.render(c.ledger, p.id, kind, c.users["bureau"], D(2026, 12, 1), number="淅审〔2026〕3号")
    document = docx.Document(io.BytesIO(data))
    s, imprint = document.sections  # the body, then the 版记 on a page of its own
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    # 版心 156 × 225 mm, 22 lines: line pitch 225/22 mm ≈ 28.95 pt on the grid and in the body
    assert round((s.page_width - s.left_margin - s.right_margin) / 36000) == 156
    assert round((s.page_height - s.top_margin - s.bottom_margin) / 36000) == 225
    grid = s._sectPr.find(qn("w:docGrid"))
    assert int(grid.get(qn("w:linePitch"))) == 579 and 22 * 579 / 20 <= Mm(225).pt
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16 and abs(normal.paragraph_format.line_spacing.pt - 28.95) < 0.01
    # 28 characters of 16 pt plus their spacing fill the 156 mm line
    spacing = int(normal.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert abs(28 * (16 + spacing) - Mm(156).pt) < 28 * 0.05
    # page numbers "— N —", a PAGE field, odd pages right and even pages left
    assert document.settings.odd_and_even_pages_header_footer
    for footer, align in ((s.footer, "right"), (s.even_page_footer, "left")):
        para = footer.paragraphs[0]
        xml = para._p.xml
        assert "PAGE" in "".join(t.text for t in para._p.iter(qn("w:instrText")))
        assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert para.text.startswith("— ") and para.text.endswith(" —")
        assert para.alignment is not None and para.alignment.name.lower() == align
    text = document_text(data)
    assert "淅川县行政审批和政务信息管理局文件" in text and "淅审〔2026〕3号" in text
    assert "二〇二六年十二月一日" in text  # 落款
    assert "抄送：县发改委，县财政局。" in text and "2026年12月1日印发" in text  # 版记
    # the 版记 (7.4) starts on an even page, at the foot of the 版心: the same page geometry,
    # bottom-aligned, an exact-height spacer, then two exact rows between a thick, a thin
    # and a thick rule (0.35 / 0.25 / 0.35 mm), ending within 2 pt of the 版心's bottom edge
    assert imprint.start_type.name == "EVEN_PAGE"
    assert (imprint.page_height, imprint.top_margin, imprint.bottom_margin) == (s.page_height, s.top_margin,
                                                                               s.bottom_margin)
    assert imprint._sectPr.find(qn("w:vAlign")).get(qn("w:val")) == "bottom"
    body = document.element.body
    last_table = body.findall(qn("w:tbl"))[-1]
    assert "抄送：" in "".join(t.text or "" for t in last_table.iter(qn("w:t")))
    spacer = last_table.getprevious()
    assert spacer.getprevious().find(qn("w:pPr")).find(qn("w:sectPr")) is not None  # the body ends before it
    heights = [float(p.find(qn("w:pPr")).find(qn("w:spacing")).get(qn("w:line"))) / 20
               for p in (spacer, last_table.getnext())]
    rows = [float(tr.find(qn("w:trPr")).find(qn("w:trHeight")).get(qn("w:val"))) / 20
            for tr in last_table.findall(qn("w:tr"))]
    assert all(tr.find(qn("w:trPr")).find(qn("w:trHeight")).get(qn("w:hRule")) == "exact"
               for tr in last_table.findall(qn("w:tr")))
    used = heights[0] + sum(rows) + heights[1]
    assert Mm(225).pt - 2 <= used <= Mm(225).pt - 0.2, used
    rules = last_table.find(qn("w:tblPr")).find(qn("w:tblBorders"))
    assert [rules.find(qn(f"w:{side}")).get(qn("w:sz")) for side in ("top", "insideH", "bottom")] == ["8", "6", "8"]
    # the red separator under the 文号
    numbered = next(p for p in document.paragraphs if "淅审〔2026〕3号" in p.text)
    bottom = numbered._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")).upper() == "FF0000"
    # the fonts are named with their fallbacks
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        fonts = z.read("word/fontTable.xml").decode()
    assert re.search(r'w:name="仿宋_GB2312"><w:altName w:val="仿宋"', fonts)
    assert re.search(r'w:name="方正小标宋简体"><w:altName w:val="宋体"', fonts)
    # generated text is punctuated as Chinese
    assert "，" in text and not re.search(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]", text)


def test_issuing_takes_numbers_per_kind_and_issue_year_and_keeps_the_file(tmp_path):
    c = memory_county()
    p = _all_kinds(c)
    bureau = c.users["bureau"]
    store = DocumentStore(tmp_path / "files")
    # a draft takes no number and records nothing
    draft = official_issue.draft(c.ledger, p.id, "technical_review", bureau, D(2026, 12, 1))
    assert "（草稿，未编号）" in document_text(draft)
    assert official_issue.issued(c.ledger, p.id, bureau) == []
    assert official_issue.last_number("technical_review", 2026) == 0
    from tongchou.models import AuditEntry
    audit_before = AuditEntry.select().count()
    one = official_issue.issue(c.ledger, p.id, "technical_review", bureau, D(2026, 12, 1), store=store)
    two = official_issue.issue(c.ledger, p.id, "technical_review", bureau, D(2026, 12, 2), store=store)
    other = official_issue.issue(c.ledger, p.id, "rectification_notice", bureau, D(2026, 12, 2), store=store)
    next_year = official_issue.issue(c.ledger, p.id, "technical_review", bureau, D(2027, 1, 4), store=store)
    assert [one.number, two.number, other.number, next_year.number] == [
        "淅审〔2026〕1号", "淅审〔2026〕2号", "淅审改〔2026〕1号", "淅审〔2027〕1号"]
    assert "淅审〔2026〕2号" in document_text(two.data) and "二〇二六年十二月二日" in document_text(two.data)
    # kept with the project under its SM3, and the audit chain has each issue
    meta, data = store.get(c.ledger, two.document_id, bureau)
    assert data == two.data and meta.digest == sm3_hex(two.data) == two.digest and meta.project_id == p.id
    assert meta.kind == "official:technical_review"
    assert [i.number for i in official_issue.issued(c.ledger, p.id, bureau)] == [
        one.number, two.number, other.number, next_year.number]
    assert c.ledger.verify_audit().ok
    assert AuditEntry.select().where(AuditEntry.kind == "official").count() == 4
    assert AuditEntry.select().count() > audit_before + 4  # the store's get is audited too
    logged = [json.loads(e.detail)["number"] for e in AuditEntry.select().where(AuditEntry.kind == "official")
              .order_by(AuditEntry.id)]
    assert logged == [one.number, two.number, other.number, next_year.number]


def test_a_refused_issue_uses_no_number(tmp_path):
    c = memory_county()
    p = build_to_completion(c)
    with pytest.raises(Exception, match="整改通知"):
        official_issue.issue(c.ledger, p.id, "rectification_notice", c.users["bureau"], D(2026, 3, 1),
                             store=DocumentStore(tmp_path))
    assert official_issue.last_number("rectification_notice", 2026) == 0
    # only the bureau issues the pack's documents; the project's own unit may preview them
    unit = c.users["unit"]
    with pytest.raises(PermissionDenied, match="县行政审批和政务信息管理局"):
        official_issue.issue(c.ledger, p.id, "technical_review", unit, D(2026, 3, 1), store=DocumentStore(tmp_path))
    assert official_issue.last_number("technical_review", 2026) == 0
    assert official.offered(c.ledger, p.id, unit, D(2026, 3, 1)) == [("technical_review", "技术审查意见", False)]
    assert "（草稿，未编号）" in document_text(official_issue.draft(c.ledger, p.id, "technical_review", unit,
                                                                 D(2026, 3, 1)))
    done = official_issue.issue(c.ledger, p.id, "technical_review", c.users["bureau"], D(2026, 3, 1),
                                store=DocumentStore(tmp_path))
    assert done.number == "淅审〔2026〕1号"


def _issuer(url: str, key_file: str, pid: int, count: int, files: str, results) -> None:
    led = Ledger.open(url, key_file=Path(key_file))
    try:
        store = DocumentStore(Path(files))
        got = [official_issue.issue(led, pid, "technical_review", led.actor("bureau"), D(2026, 12, 1),
                                    store=store).seq for _ in range(count)]
    finally:
        led.close()
    results.put(got)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_issuers_at_once_never_share_a_number(backend, tmp_path, request, monkeypatch):
    url = str(tmp_path / "l.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    key = tmp_path / "audit.key"
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(key))
    from .conftest import County
    with Ledger.open(url, jurisdiction="xichuan", key_file=key) as led:
        p = build_to_completion(County(led))
        pid = p.id
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    each = 4
    procs = [ctx.Process(target=_issuer, args=(url, str(key), pid, each, str(tmp_path / "files"), results))
             for _ in range(2)]
    for proc in procs:
        proc.start()
    got = [results.get(timeout=240) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    numbers = sorted(n for g in got for n in g)
    assert numbers == list(range(1, 2 * each + 1))
    with Ledger.open(url, key_file=key) as led:
        assert official_issue.last_number("technical_review", 2026) == 2 * each
        assert led.verify_audit().ok


def test_cli_issues_and_drafts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_FILES", str(tmp_path / "files"))
    db = str(tmp_path / "ledger.db")
    from .conftest import County
    with Ledger.open(db) as ledger:
        pid = build_to_completion(County(ledger)).id
    capsys.readouterr()
    draft = tmp_path / "draft.docx"
    assert main(["--db", db, "official", str(pid), "technical_review", "--user", "bureau", "--draft",
                 "--date", "2026-12-01", "--out", str(draft)]) == 0
    assert "草稿" in capsys.readouterr().out and "（草稿，未编号）" in document_text(draft.read_bytes())
    out = tmp_path / "issued.docx"
    assert main(["--db", db, "official", str(pid), "technical_review", "--user", "bureau",
                 "--date", "2026-12-01", "--out", str(out)]) == 0
    assert "淅审〔2026〕1号" in capsys.readouterr().out
    assert "淅审〔2026〕1号" in document_text(out.read_bytes())
    with Ledger.open(db) as ledger:
        (done,) = official_issue.issued(ledger, pid, ledger.actor("bureau"))
        assert done.number == "淅审〔2026〕1号" and done.digest == sm3_hex(out.read_bytes())
    # the project's unit (its user is unit1) may preview, not issue
    unit = "unit1"
    assert main(["--db", db, "official", str(pid), "--user", unit, "--date", "2026-12-01"]) == 0
    assert "technical_review  技术审查意见  （仅可预览：--draft）" in capsys.readouterr().out
    refused = tmp_path / "by-unit.docx"
    assert main(["--db", db, "official", str(pid), "technical_review", "--user", unit, "--date", "2026-12-01",
                 "--out", str(refused)]) == 2
    assert "只能由县行政审批和政务信息管理局签发" in capsys.readouterr().err and not refused.exists()


# ---------------------------------------------------------------------------
# LibreOffice


def _soffice() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


#: a blank page LibreOffice inserts before an even-page section is printed,
#: and so exported too (its PDF export leaves such pages out by default)
PDF_FILTER = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'
NO_RENDERER = (_soffice() is None or shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None)
NO_RENDERER_REASON = ("needs LibreOffice to render the documents to PDF and poppler-utils to read them "
                      "(apt-get install libreoffice-writer-nogui poppler-utils; scripts/test installs them)")


def _to_pdf(folder: Path, docs: list[Path]) -> None:
    """All of ``docs`` to PDF in one LibreOffice run, with a profile of its own
    (a user's running LibreOffice or another test's profile is never touched)."""
    done = subprocess.run([_soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
                           "--convert-to", PDF_FILTER, "--outdir", str(folder), *map(str, docs)],
                          capture_output=True, timeout=180)
    missing = [d for d in docs if not d.with_suffix(".pdf").exists()]
    assert done.returncode == 0 and not missing, (missing, done.stderr[-2000:])


def _pdf_pages(pdf: Path) -> list[tuple[float, float]]:
    """Each page's size in points (pdfinfo)."""
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], check=True, capture_output=True,
                         text=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", out)]


def _pdf_words(pdf: Path) -> list[list[tuple[str, float, float]]]:
    """The words of each page with their top and bottom y (points from the top), by pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for page in re.split(r"<page ", out)[1:]:
        pages.append([(html.unescape(w), float(y0), float(y1)) for y0, y1, w in
                      re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
                                 page)])
    return pages


@pytest.mark.skipif(NO_RENDERER, reason=NO_RENDERER_REASON)
def test_each_kind_renders_to_gbt9704_through_libreoffice(tmp_path):
    """A4, an even number of pages, “— 1 —” on the first, and the 版记 alone
    at the foot of the last page: its first rule's text inside the bottom
    60 mm, its last line ending at the 版心's bottom edge (35 mm up)."""
    c = memory_county()
    p = _all_kinds(c)
    docs = []
    for kind in KINDS:
        path = tmp_path / f"{kind}.docx"
        path.write_bytes(official.render(c.ledger, p.id, kind, c.users["bureau"], D(2026, 12, 1),
                                         number="淅审〔2026〕3号"))
        docs.append(path)
    # a short document too: its body ends on page 1, so the 版记 is on page 2 and no page is blank
    short = tmp_path / "short.docx"
    document = docx.Document(io.BytesIO(docs[0].read_bytes()))
    body = document.element.body
    title = next(p for p in document.paragraphs if "技术审查意见" in p.text and "关于" in p.text)
    ends = next(p for p in document.paragraphs if p._p.find(qn("w:pPr")) is not None
                and p._p.find(qn("w:pPr")).find(qn("w:sectPr")) is not None)
    children = list(body)
    for el in children[children.index(title._p) + 2:children.index(ends._p) - 4]:  # keep the 落款
        body.remove(el)
    document.save(short)
    docs.append(short)
    _to_pdf(tmp_path, docs)
    bottom_edge = 841.89 - Mm(35).pt  # the 版心's bottom edge, from the top of the page
    for path in docs:
        pdf = path.with_suffix(".pdf")
        pages = _pdf_pages(pdf)
        assert len(pages) % 2 == 0, (path.name, len(pages))
        for w, h in pages:  # A4 is 595.28 × 841.89 pt
            assert abs(w - 595.28) < 1 and abs(h - 841.89) < 1, (path.name, w, h)
        first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                               capture_output=True, text=True).stdout
        assert re.search(r"—\s*1\s*—", first), first[-300:]
        words = _pdf_words(pdf)
        assert len(words) == len(pages)
        last = words[-1]
        copied = [w for w in last if w[0].startswith("抄送")]
        printed = [w for w in last if w[0].endswith("印发")]
        assert copied and printed, (path.name, last)
        assert copied[0][1] > 841.89 - Mm(60).pt, (path.name, copied)  # in the bottom 60 mm
        assert bottom_edge - Mm(10).pt < printed[0][2] <= bottom_edge, (path.name, printed)
        assert not any("抄送" in w[0] for page in words[:-1] for w in page)  # only on the last page
        # the 版记 page holds the 版记 (and its page number) only; a blank page before it holds nothing
        assert all(w[1] > 841.89 - Mm(60).pt for w in last), (path.name, last)
        if len(pages) > 2 and not any("二〇二六年十二月一日" in w[0] for w in words[-2]):
            assert words[-2] == [], (path.name, words[-2])
    assert len(_pdf_pages(short.with_suffix(".pdf"))) == 2


def _from_numerals(text: str) -> dt.date:
    """The inverse of chinese_numeral_date, written independently."""
    digits = {c: i for i, c in enumerate("〇一二三四五六七八九")}
    year, rest = text.split("年")
    month, rest = rest.split("月")
    day = rest.rstrip("日")

    def small(s: str) -> int:
        if "十" not in s:
            return digits[s]
        tens, _, ones = s.partition("十")
        return (digits[tens] if tens else 1) * 10 + (digits[ones] if ones else 0)
    return D(int("".join(str(digits[c]) for c in year)), small(month), small(day))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2099, 12, 31)))
def test_property_numeral_dates_read_back(day):
    text = chinese_numeral_date(day)
    assert _from_numerals(text) == day and not any(c.isdigit() for c in text)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**9), st.text(alphabet="项目单位", min_size=1, max_size=4))
def test_property_full_width_keeps_numbers(amount, word):
    number = f"{amount:,}"
    out = fullwidth(f"{word}({number}元,{word}:{number})")
    assert out == f"{word}（{number}元，{word}：{number}）"


@pytest.mark.skipif(NO_RENDERER, reason=NO_RENDERER_REASON)
def test_a_full_page_holds_22_lines_of_28_characters(tmp_path):
    from tongchou.plugins import xichuan
    document = docx.Document(str(Path(xichuan.__file__).parent / "templates" / "technical_review.docx"))
    # plain body paragraphs in the template's Normal style, before the 落款's date (which
    # ends the body's section: after it comes the 版记's page)
    ends = next(p for p in document.paragraphs if p._p.find(qn("w:pPr")) is not None
                and p._p.find(qn("w:pPr")).find(qn("w:sectPr")) is not None)
    for _ in range(60):
        ends.insert_paragraph_before("一二三四五六七八九十" * 5)
    document.save(tmp_path / "long.docx")
    _to_pdf(tmp_path, [tmp_path / "long.docx"])
    page = subprocess.run(["pdftotext", "-f", "4", "-l", "4", "-layout", str(tmp_path / "long.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout
    lines = [line.strip() for line in page.splitlines() if "一" in line or "五" in line]
    assert len(lines) == 22
    # each 50-character paragraph fills one line of 28 and leaves 22 on the next
    assert {len(line) for line in lines} == {28, 22}, lines
