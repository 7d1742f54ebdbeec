"""Phones, Chinese and a quiet server log, in headless Chromium (see conftest.py).

At 390×844 (a phone) no page scrolls sideways: the menu stacks above the
content and wide tables scroll inside their own box.  The page says it is
Chinese (``lang="zh-CN"``), a user's language choice survives a reload, and
a normal visit leaves no warning in the server log.
"""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from .test_journeys import login, logout, open_action, pass_review, status, submit

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def fill_new_project(page, name: str, estimate: str) -> None:
    """The 新建项目 form, as a unit fills it for a purchased information system."""
    page.locator(".tc-f-name input").fill(name)
    page.locator(".tc-f-year input").fill(str(dt.date.today().year + 2))
    page.locator(".tc-f-category select").select_option(label="政府购买服务类")
    page.locator(".tc-f-kind select").select_option(label="政务信息系统")
    page.locator(".tc-f-source select").select_option(label="单位申报")
    page.locator(".tc-f-estimate input").fill(estimate)


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
    # clicks add to its log.
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
    assert_quiet(ui_server, start)


def log_since(server, start: int) -> str:
    with open(server["log"], "rb") as fh:
        fh.seek(start)
        return fh.read().decode("utf-8", errors="replace")


def assert_quiet(server, start: int) -> None:
    """Nothing but quiet in what ``tongchou serve`` logged since ``start``."""
    log = log_since(server, start)
    bad = [line for line in log.splitlines()
           if any(word in line for word in ("Warning", "WARNING", "Traceback", "ERROR"))]
    assert not bad, "\n" + "\n".join(bad[:20]) + "\n---\n" + log[-3000:]


def open_a_project_from_the_ledger(page):
    page.locator(".tc-nav-ledger button").click()
    # the ledger page, not the page before it (slow when the machine is busy)
    expect(page.locator(".tc-page-info span")).to_contain_text("第 1 /", timeout=15000)
    page.locator(".tc-ledger-table .tabulator-row").first.click()
    expect(page.locator(".tc-project-name")).to_be_visible(timeout=15000)


def test_a_normal_day_leaves_no_warning_in_the_server_log(page, ui_server):
    """Staff of several roles log in (button and Enter key), open their home,
    worklist, ledger and a project, create a project, take actions from the
    worklist and log out: the server logs no warning and no traceback.
    These clicks used to log ``BokehUserWarning: reference already known``
    (a page that arrived after a click made the browser re-send the widget
    clicked next; see ui/known_models.py)."""
    start = ui_server["log"].stat().st_size
    name = "日志安静测试系统"
    login(page, ui_server, "jiaoyu")
    for nav, css in (("worklist", ".tc-page-worklist"), ("ledger", ".tc-ledger-table .tabulator-row"),
                     ("home", ".tc-page-home")):
        page.locator(f".tc-nav-{nav} button").click()
        expect(page.locator(css).first).to_be_visible()
    open_a_project_from_the_ledger(page)
    page.locator(".tc-nav-new button").click()
    fill_new_project(page, name, "60万")
    page.locator(".tc-create button").click()
    expect(page.locator(".tc-project-name")).to_have_text(name, timeout=10000)
    open_action(page, "apply")
    submit(page)
    expect(status(page)).to_have_text("已申报", timeout=10000)
    logout(page)

    # The bureau logs in with the Enter key and reviews it from its worklist.
    page.locator(".tc-login-user input").fill("bureau")
    page.locator(".tc-login-password input").fill("demo1234")
    page.locator(".tc-login-password input").press("Enter")
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=15000)
    page.locator(".tc-nav-worklist button").click()
    page.locator(".tc-worklist-full .tabulator-row", has_text=name).click()
    expect(page.locator(".tc-project-name")).to_have_text(name)
    pass_review(page)
    logout(page)

    login(page, ui_server, "government")
    page.locator(".tc-nav-worklist button").click()
    page.locator(".tc-worklist-full .tabulator-row", has_text=name).click()
    open_action(page, "approve")
    page.locator(".tc-cancel button").click()  # changes their mind once, then approves
    expect(page.locator(".tc-form-approve")).to_have_count(0)
    open_action(page, "approve")
    submit(page)
    expect(status(page)).to_have_text("已批准", timeout=10000)
    logout(page)

    for user in ("finance", "leader", "oversight"):
        login(page, ui_server, user)
        open_a_project_from_the_ledger(page)
        page.locator(".tc-back button").click()
        expect(page.locator(".tc-ledger-table .tabulator-row").first).to_be_visible()
        page.locator(".tc-nav-home button").click()
        expect(page.locator(".tc-page-home")).to_be_visible()
        logout(page)
    page.wait_for_timeout(500)  # what the last clicks make the server log
    assert_quiet(ui_server, start)


def test_unit_types_wan_and_sees_its_money_unit(page, ui_server):
    """A unit types 186 with 万元 selected; 186 元 would need confirming; the
    display follows the user's unit, always naming it."""
    login(page, ui_server, "jiaoyu", path="?page=new")
    fill_new_project(page, "万元录入测试系统", "186")
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
