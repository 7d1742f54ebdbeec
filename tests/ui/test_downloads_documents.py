"""Downloads (ledger view as Excel and CSV, the 第二十八条 catalogue, the
deadline calendar) and the project page's documents and official documents,
driven in headless Chromium against a real ``tongchou serve``.  Every
download is opened and its content checked."""
from __future__ import annotations

import csv
import io
import re
import sqlite3

import pytest

from tongchou.audit import sm3_hex

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
openpyxl = pytest.importorskip("openpyxl")

PASSWORD = "demo1234"
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def login(page, server, user: str, path: str = ""):
    page.goto(server["base"] + path)
    page.locator(".tc-login-user input").fill(user)
    page.locator(".tc-login-password input").fill(PASSWORD)
    page.locator(".tc-login-button button").click()
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=15000)


def download(page, selector: str) -> bytes:
    with page.expect_download(timeout=30000) as info:
        page.locator(selector).click()
    with open(info.value.path(), "rb") as fh:
        return fh.read()


def sheet_rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(values_only=True))


def test_ledger_view_downloads_as_excel_and_csv(page, ui_server):
    login(page, ui_server, "drc", path="?page=ledger")
    info = page.locator(".tc-page-info span")
    page.locator(".tc-filter-status select").select_option(label="已批准")
    expect(info).to_contain_text("第 1 / 1 页")
    shown = {int(i) for i in page.locator(".tc-ledger-table .tabulator-row [tabulator-field=id]").all_inner_texts()}
    names = set(page.locator(".tc-ledger-table .tabulator-row [tabulator-field=name]").all_inner_texts())
    assert shown and int(re.search(r"共 (\d+) 个项目", info.inner_text()).group(1)) == len(shown)

    rows = sheet_rows(download(page, ".tc-export button"))
    assert rows[0][:3] == ("编号", "状态", "项目名称")
    assert {r[0] for r in rows[1:]} == shown and {r[1] for r in rows[1:]} == {"已批准"}
    assert {r[2] for r in rows[1:]} == names

    text = download(page, ".tc-export-csv button").decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["编号", "状态", "项目名称"]
    assert {int(r[0]) for r in table[1:]} == shown and {r[2] for r in table[1:]} == names
    # Money keeps two decimals as text, never a float.
    money = table[0].index("概算总投资(元)")
    assert all(re.fullmatch(r"\d+\.\d\d", r[money]) for r in table[1:] if r[money])


def test_catalogue_and_calendar_download(page, ui_server):
    login(page, ui_server, "renshe", path="?page=reports")
    expect(page.locator(".tc-report-catalogue")).to_contain_text("人社一体化经办系统")
    rows = sheet_rows(download(page, ".tc-report-download button"))
    flat = [str(c) for r in rows for c in r if c is not None]
    assert "人社一体化经办系统" in flat
    # A unit's staff get their own unit's catalogue only.
    assert not any("公安" in c for c in flat)

    rows = sheet_rows(download(page, ".tc-calendar-xlsx button"))
    assert rows[0] == ("到期日", "项目编号", "项目名称", "建设单位", "事项", "依据", "状态")
    assert len(rows) > 1 and {r[3] for r in rows[1:]} == {"县人力资源和社会保障局"}
    assert any("第三十二条" in str(r[5]) for r in rows[1:])
    ics = download(page, ".tc-calendar-ics button").decode("utf-8")
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") == len(rows) - 1


def test_upload_list_and_download_a_document(page, ui_server, screenshots):
    pid = ui_server["ids"]["智慧校园统一身份认证平台"]  # 县教育局, draft
    login(page, ui_server, "jiaoyu", path=f"?project={pid}")
    section = page.locator(".tc-documents-section")
    expect(section).to_contain_text("尚未上传材料")
    # An executable is refused in Chinese, naming the field; nothing is stored.
    page.locator(".tc-doc-file input[type=file]").set_input_files(
        {"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ\x90\x00" * 64})
    page.locator(".tc-doc-upload button").click()
    feedback = page.locator(".tc-doc-feedback .tc-alert")
    expect(feedback).to_contain_text("文件", timeout=10000)
    expect(feedback).to_contain_text("不允许的文件类型")
    expect(section).to_contain_text("尚未上传材料")
    # A PDF whose name is a PDF but whose content is not is refused too.
    page.locator(".tc-doc-file input[type=file]").set_input_files(
        {"name": "fake.pdf", "mimeType": "application/pdf", "buffer": b"MZ not a pdf"})
    page.locator(".tc-doc-upload button").click()
    expect(feedback).to_contain_text("文件内容与扩展名", timeout=10000)

    name = "可行性研究报告(报批稿).pdf"
    page.locator(".tc-doc-kind select").select_option(label="可行性研究报告")
    page.locator(".tc-doc-file input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": PDF})
    page.locator(".tc-doc-upload button").click()
    listing = page.locator(".tc-doc-table")
    expect(listing).to_contain_text(name, timeout=10000)
    expect(listing).to_contain_text("可行性研究报告")
    expect(listing).to_contain_text(sm3_hex(PDF))
    expect(listing).to_contain_text(f"{len(PDF)} B")
    expect(listing).to_contain_text(page.locator(".tc-user").inner_text())  # the uploader
    page.locator(".tc-documents-section").scroll_into_view_if_needed()
    page.add_style_tag(content=".notyf { display: none !important; }")  # no toast caught mid-animation
    page.screenshot(path=str(screenshots / "documents.png"), full_page=True)
    assert download(page, f".tc-doc-download button:has-text('{name}')") == PDF

    # The administrator sees the list but takes no part (no upload); another unit sees nothing.
    page.locator(".tc-logout button").click()
    login(page, ui_server, "admin", path=f"?project={pid}")
    expect(page.locator(".tc-doc-table")).to_contain_text(name)
    expect(page.locator(".tc-doc-upload")).to_have_count(0)
    page.locator(".tc-logout button").click()
    login(page, ui_server, "weijian", path=f"?project={pid}")
    expect(page.locator(".tc-not-found")).to_be_visible()
    expect(page.locator(".tc-documents-section")).to_have_count(0)


def test_official_document_downloads_as_docx(page, ui_server):
    docx_fill = pytest.importorskip("tongchou.docx_fill")
    pid = ui_server["ids"]["城市运行管理服务平台"]  # reviewed: a technical review opinion applies
    login(page, ui_server, "bureau", path=f"?project={pid}")
    section = page.locator(".tc-official-section")
    expect(section).to_contain_text("技术审查意见")
    data = download(page, ".tc-official-technical_review button")
    assert data.startswith(b"PK\x03\x04")
    text = docx_fill.document_text(data)
    assert "城市运行管理服务平台" in text and "第七条" in text
    assert "{{" not in text


def test_a_document_over_the_size_limit_is_refused(page, ui_server):
    from tongchou.documents import MAX_BYTES
    pid = ui_server["ids"]["中小学录播教室设备采购"]  # 县教育局
    login(page, ui_server, "jiaoyu", path=f"?project={pid}")
    page.locator(".tc-doc-file input[type=file]").set_input_files(
        {"name": "扫描件.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * MAX_BYTES})
    # Refused in the browser before it is read or sent, naming the file and the limit ...
    refused = page.locator(".tc-upload-refused")
    expect(refused).to_contain_text("“扫描件.pdf”", timeout=10000)
    expect(refused).to_contain_text("超过 20 MB 上限，未上传")
    # ... so the form has no file to upload, and nothing is stored.
    page.locator(".tc-doc-upload button").click()
    expect(page.locator(".tc-doc-feedback .tc-alert")).to_contain_text("请先选择要上传的文件", timeout=10000)
    expect(page.locator(".tc-documents-section")).to_contain_text("尚未上传材料")
    # A file at the limit still goes through to the store's own checks.
    page.locator(".tc-doc-file input[type=file]").set_input_files(
        {"name": "扫描件.exe", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n" + b"0" * (MAX_BYTES - 9)})
    expect(refused).to_be_hidden()
    page.locator(".tc-doc-upload button").click()
    expect(page.locator(".tc-doc-feedback .tc-alert")).to_contain_text("不允许的文件类型", timeout=120000)


def test_a_changed_document_is_not_downloaded(page, ui_server):
    pid = ui_server["ids"]["教育局机房独立改造"]  # 县教育局
    body = PDF.replace(b"Count 0", b"Count 0 ") + "机房改造方案".encode()
    login(page, ui_server, "jiaoyu", path=f"?project={pid}")
    page.locator(".tc-doc-file input[type=file]").set_input_files(
        {"name": "方案.pdf", "mimeType": "application/pdf", "buffer": body})
    page.locator(".tc-doc-upload button").click()
    expect(page.locator(".tc-doc-table")).to_contain_text("方案.pdf", timeout=10000)
    digest = sm3_hex(body)
    stored = ui_server["db"].with_name(ui_server["db"].name + ".files") / digest[:2] / digest[2:4] / digest
    stored.write_bytes(body.replace(b"Catalog", b"Katalog"))  # someone edits the file on the server
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.locator(".tc-doc-download button:has-text('方案.pdf')").click()
    expect(page.locator(".notyf__message").filter(has_text="SM3 摘要不符")).to_be_visible(timeout=10000)
    page.wait_for_timeout(500)
    assert downloads == []
    with sqlite3.connect(f"file:{ui_server['db']}?mode=ro", uri=True) as db:
        gets = db.execute("SELECT count(*) FROM audit_entry WHERE kind = 'document' AND detail LIKE ? "
                          "AND detail LIKE ?", ('%"op":"get"%', f"%{digest}%")).fetchone()[0]
    assert gets == 0  # nothing was handed out
