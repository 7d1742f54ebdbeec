"""规则推演 in the browser: an administrator drafts parameter values and
switches plugins off, and sees what the draft would have done to the demo
county (driven in headless Chromium against ``tongchou serve``)."""
from __future__ import annotations

import pytest

from .test_journeys import login

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def test_admin_runs_a_draft_and_sees_changed_deadlines_and_findings(page, ui_server, screenshots):
    login(page, ui_server, "admin")
    page.locator(".tc-nav-whatif button").click()
    expect(page.locator(".tc-page-whatif")).to_be_visible(timeout=15000)
    months = page.locator(".tc-whatif-param-acceptance_months input")
    expect(months).to_have_value("6")  # today's value is offered
    # a value the parameter cannot take is refused, naming the parameter
    months.fill("三")
    months.press("Enter")
    page.locator(".tc-whatif-run button").click()
    expect(page.locator(".tc-whatif-result .tc-alert")).to_contain_text("acceptance_months")
    # shorter acceptance: due dates move (第十八条); without the cloud plugin its finding goes
    months.fill("3")
    months.press("Enter")
    page.locator(".tc-whatif-plugins label", has_text="xichuan.cloud").locator("input").uncheck()
    page.locator(".tc-whatif-run button").click()
    result = page.locator(".tc-whatif-result")
    expect(result.locator(".tc-whatif-summary")).to_contain_text("acceptance_months", timeout=30000)
    expect(result.locator(".tc-whatif-summary")).to_contain_text("xichuan.cloud")
    table = result.locator("table.tc-whatif-table")
    expect(table).to_contain_text("项目建成后 3 个月内组织验收")
    expect(table).to_contain_text("第十八条")
    expect(table.locator("tr", has_text="教育局机房独立改造")).to_contain_text("第二十五条")
    expect(table.locator("tr", has_text="教育局机房独立改造")).to_contain_text("消失")
    page.screenshot(path=str(screenshots / "whatif.png"), full_page=True)


def test_the_page_is_for_administrators_only(page, ui_server):
    # asked for by its address, by someone who is not an administrator
    login(page, ui_server, "bureau", path="?page=whatif")
    expect(page.locator(".tc-content .tc-alert")).to_contain_text("只有系统管理员可以进行规则推演", timeout=15000)
    expect(page.locator(".tc-whatif-run")).to_have_count(0)
    expect(page.locator(".tc-nav-whatif")).to_have_count(0)
