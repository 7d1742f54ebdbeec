"""Phones, Chinese and a quiet server log, in headless Chromium (see conftest.py).

At 390×844 (a phone) no page scrolls sideways: the menu stacks above the
content and wide tables scroll inside their own box.  The page says it is
Chinese (``lang="zh-CN"``), a user's language choice survives a reload, and
a normal visit leaves no warning in the server log.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_journeys import login, logout

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_phone_layout_has_no_horizontal_scroll(browser, ui_server, screenshots):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(ui_server["base"])
        expect(page.locator(".tc-login-user input")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.locator('meta[name="viewport"]').count() == 1
        assert no_sideways_scroll(page), "login"
        page.screenshot(path=str(screenshots / "phone-login.png"))
        login(page, ui_server, "leader")
        expect(page.locator(".tc-overview")).to_contain_text("县域项目总览")
        page.wait_for_timeout(1500)  # the charts arrive after the page
        assert no_sideways_scroll(page), "home"
        page.screenshot(path=str(screenshots / "phone-home.png"), full_page=True)
        for nav, css in (("worklist", ".tc-page-worklist"), ("ledger", ".tc-ledger-table .tabulator-row")):
            page.locator(f".tc-nav-{nav} button").click()
            expect(page.locator(css).first).to_be_visible()
            assert no_sideways_scroll(page), nav
        page.screenshot(path=str(screenshots / "phone-ledger.png"), full_page=True)
        page.locator(".tc-ledger-table .tabulator-row").first.click()
        expect(page.locator(".tc-project-name")).to_be_visible()
        expect(page.locator(".tc-timeline-section")).to_be_visible()
        assert no_sideways_scroll(page), "project"
        page.screenshot(path=str(screenshots / "phone-project.png"), full_page=True)
    finally:
        context.close()


def test_language_kept_per_user_and_quiet_server_log(page, ui_server):
    # The server is shared by the session's browser tests: look only at what this test's
    # clicks add to its log (other tests' form submits still log Bokeh warnings, see #12).
    start = ui_server["log"].stat().st_size
    login(page, ui_server, "oversight")
    expect(page.locator(".tc-oversight")).to_contain_text("检查与整改清单")
    page.locator(".tc-lang button", has_text="English").click()
    expect(page.locator(".tc-nav-home button")).to_have_text("Home")
    page.reload()
    expect(page.locator(".tc-nav-home button")).to_have_text("Home", timeout=10000)
    for nav in ("ledger", "reports", "home"):
        page.locator(f".tc-nav-{nav} button").click()
        page.wait_for_timeout(400)
    page.locator(".tc-lang button", has_text="中文").click()
    expect(page.locator(".tc-nav-home button")).to_have_text("首页")
    logout(page)
    with open(ui_server["log"], "rb") as fh:
        fh.seek(start)
        log = fh.read().decode("utf-8", errors="replace")
    assert "Warning" not in log and "WARNING" not in log, "\n" + log[-3000:]


def test_unit_types_wan_and_sees_its_money_unit(page, ui_server):
    """A unit types 186 with 万元 selected; 186 元 would need confirming; the
    display follows the user's unit, always naming it."""
    import datetime as dt
    login(page, ui_server, "jiaoyu", path="?page=new")
    page.locator(".tc-f-name input").fill("万元录入测试系统")
    page.locator(".tc-f-year input").fill(str(dt.date.today().year + 2))
    page.locator(".tc-f-category select").select_option(label="政府购买服务类")
    page.locator(".tc-f-kind select").select_option(label="政务信息系统")
    page.locator(".tc-f-source select").select_option(label="单位申报")
    page.locator(".tc-f-estimate input").fill("186")
    page.locator(".tc-f-estimate input").blur()
    # 186 元 for a system is most likely a unit slip: a tick box asks to confirm it.
    expect(page.locator(".tc-money-confirm")).to_be_visible()
    page.locator(".tc-create button").click()
    expect(page.locator(".tc-form-errors .tc-alert")).to_contain_text("不足 1 万元")
    page.locator(".tc-money-unit button", has_text="万元").click()
    expect(page.locator(".tc-money-confirm")).to_be_hidden()
    page.locator(".tc-create button").click()
    expect(page.locator(".tc-fields-section")).to_contain_text("1,860,000.00 元", timeout=10000)
    page.locator(".tc-money-pref button", has_text="万元").click()
    expect(page.locator(".tc-fields-section")).to_contain_text("186.00 万元")
    page.locator(".tc-money-pref button", has_text="元").first.click()
    expect(page.locator(".tc-fields-section")).to_contain_text("1,860,000.00 元")
