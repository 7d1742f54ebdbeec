"""Issuing a 公文 from the project page, driven in headless Chromium against a
real ``tongchou serve``: the bureau previews (no number, nothing recorded),
is asked to confirm with the consequence named, issues (the next 文号, the
file kept with its SM3 digest, the audit entry) and downloads the issued file;
a role that may not issue sees the preview only."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest

from tongchou.audit import sm3_hex

from .test_downloads_documents import download, login

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
docx_fill = pytest.importorskip("tongchou.docx_fill")


def _db(server):
    return sqlite3.connect(f"file:{server['db']}?mode=ro", uri=True)


def _issues(server, kind: str) -> list[tuple]:
    with _db(server) as db:
        return db.execute("SELECT number, seq, digest, document_id, issued_by FROM official_issue WHERE kind = ? "
                          "ORDER BY id", (kind,)).fetchall()


def test_the_bureau_issues_a_numbered_document_after_confirming(page, ui_server, screenshots):
    pid = ui_server["ids"]["雪亮工程视频资源整合"]  # 县公安局, reviewed: a technical review opinion applies
    login(page, ui_server, "bureau", path=f"?project={pid}")
    section = page.locator(".tc-official-section")
    expect(section).to_contain_text("技术审查意见：预览（无文号）")
    before = _issues(ui_server, "technical_review")

    # the preview takes no number and records nothing
    draft = docx_fill.document_text(download(page, ".tc-official-technical_review button"))
    assert "（草稿，未编号）" in draft and "雪亮工程视频资源整合" in draft
    assert _issues(ui_server, "technical_review") == before

    # the confirmation names the consequence; cancelling takes nothing
    issue = page.locator(".tc-official-issue-technical_review button")
    expect(issue).to_have_text("技术审查意见：签发并编号")
    issue.click()
    confirm = page.locator(".tc-official-confirm-text .tc-alert")
    expect(confirm).to_contain_text("将占用下一个文号", timeout=10000)
    expect(confirm).to_contain_text("审计日志")
    found = re.search(r"淅审〔\d{4}〕\d+号", confirm.inner_text())
    assert found, confirm.inner_text()
    expected = found.group(0)
    page.locator(".tc-official-section").scroll_into_view_if_needed()
    page.add_style_tag(content=".notyf { display: none !important; }")
    page.screenshot(path=str(screenshots / "official-issue-confirm.png"), full_page=True)
    page.locator(".tc-official-confirm-cancel button").click()
    expect(confirm).to_have_count(0)
    assert _issues(ui_server, "technical_review") == before

    issue.click()
    page.locator(".tc-official-confirm-go button").click()
    feedback = page.locator(".tc-official-feedback .tc-alert")
    expect(feedback).to_contain_text(f"已签发“技术审查意见”，文号 {expected}", timeout=20000)
    after = _issues(ui_server, "technical_review")
    assert len(after) == len(before) + 1
    number, seq, digest, doc_id, issued_by = after[-1]
    assert number == expected and issued_by == "bureau"
    with _db(ui_server) as db:
        details = [json.loads(d) for (d,) in db.execute(
            "SELECT detail FROM audit_entry WHERE kind = 'official' ORDER BY id").fetchall()]
        kept = db.execute("SELECT kind, project_id FROM document WHERE id = ?", (doc_id,)).fetchone()
    assert details[-1]["number"] == expected and details[-1]["digest"] == digest
    assert kept == ("official:technical_review", pid)

    # listed with its number, and the download is the kept file (SM3 checked)
    listing = page.locator(".tc-official-table")
    expect(listing).to_contain_text(expected)
    data = download(page, f".tc-official-download button:has-text('{expected}')")
    assert sm3_hex(data) == digest
    text = docx_fill.document_text(data)
    assert expected in text and "草稿" not in text and "雪亮工程视频资源整合" in text
    page.screenshot(path=str(screenshots / "official-issued.png"), full_page=True)


def test_a_role_that_may_not_issue_previews_only(page, ui_server):
    pid = ui_server["ids"]["城市运行管理服务平台"]  # the project's own unit: it reads it, the bureau issues
    login(page, ui_server, "chengguan", path=f"?project={pid}")
    section = page.locator(".tc-official-section")
    expect(section).to_contain_text("技术审查意见：预览（无文号）")
    expect(section).to_contain_text("签发由有权签发的部门办理")
    expect(page.locator(".tc-official-issue")).to_have_count(0)
    before = _issues(ui_server, "technical_review")
    draft = docx_fill.document_text(download(page, ".tc-official-technical_review button"))
    assert "（草稿，未编号）" in draft and "城市运行管理服务平台" in draft
    assert _issues(ui_server, "technical_review") == before
