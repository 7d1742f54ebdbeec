"""What staff do in the web UI, driven in headless Chromium against a real
``tongchou serve`` on the demo county (see conftest.py).

Each test uses its own browser context (a fresh session, so it logs in) and
its own demo projects, so the tests do not depend on one another's order.
Screenshots of the main pages go to a temporary folder (TONGCHOU_SCREENSHOTS=docs/screenshots
refreshes the ones in the docs).
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "demo1234"


def login(page, server, user: str, path: str = "", password: str = PASSWORD, wait: bool = True):
    page.goto(server["base"] + path)
    page.locator(".tc-login-user input").fill(user)
    page.locator(".tc-login-password input").fill(password)
    page.locator(".tc-login-button button").click()
    if wait:
        expect(page.locator(".tc-logout button")).to_be_visible(timeout=15000)


def logout(page):
    page.locator(".tc-logout button").click()
    expect(page.locator(".tc-login-user input")).to_be_visible()


def status(page):
    return page.locator(".tc-status")


def open_action(page, action: str):
    page.locator(f".tc-act-{action} button").click()
    expect(page.locator(f".tc-form-{action}")).to_be_visible()


def submit(page):
    page.locator(".tc-submit button").click()


def pass_review(page):
    """The bureau's 技术审查: 通过, with all five dimensions checked (第七条)."""
    open_action(page, "review")
    page.locator(".tc-f-result select").select_option(label="通过")
    boxes = page.locator(".tc-f-dimensions input[type=checkbox]")
    expect(boxes).to_have_count(5)
    for i in range(5):
        boxes.nth(i).check()
    submit(page)
    expect(status(page)).to_have_text("已审查", timeout=10000)


def test_wrong_password_is_refused(page, ui_server, screenshots):
    page.goto(ui_server["base"])
    expect(page.locator(".tc-login-user input")).to_be_visible(timeout=10000)
    # Before logging in there is nothing but the login form.
    expect(page.locator(".tc-nav-home")).to_have_count(0)
    expect(page.locator(".tabulator")).to_have_count(0)
    page.screenshot(path=str(screenshots / "login.png"))
    login(page, ui_server, "oversight", password="wrong-password", wait=False)
    expect(page.locator(".tc-login-message .tc-alert")).to_contain_text("用户名或密码错误")
    expect(page.locator(".tc-logout")).to_have_count(0)
    # The right password still works afterwards.
    page.locator(".tc-login-password input").fill(PASSWORD)
    page.locator(".tc-login-password input").press("Enter")
    expect(page.locator(".tc-logout button")).to_be_visible(timeout=15000)


def test_unit_creates_and_applies_then_bureau_reviews(page, ui_server, screenshots):
    name = "智慧食堂管理系统(界面测试)"
    year = dt.date.today().year + 2  # an application filed now is on time for this year (第七条)
    login(page, ui_server, "jiaoyu")
    page.locator(".tc-nav-new button").click()
    expect(page.locator(".tc-page-new")).to_be_visible()
    # The unit is the user's own and cannot be changed.
    expect(page.locator(".tc-f-unit select")).to_be_disabled()
    page.locator(".tc-f-name input").fill(name)
    page.locator(".tc-f-year input").fill(str(year))
    page.locator(".tc-f-category select").select_option(label="政府购买服务类")
    page.locator(".tc-f-kind select").select_option(label="政务信息系统")
    page.locator(".tc-f-source select").select_option(label="单位申报")
    page.locator(".tc-f-estimate input").fill("50万万")
    page.locator(".tc-create button").click()
    # A malformed amount is refused in Chinese, naming the field; nothing is created.
    expect(page.locator(".tc-form-errors .tc-alert")).to_contain_text("概算总投资")
    page.locator(".tc-f-estimate input").fill("500000.00")
    page.locator(".tc-create button").click()
    expect(page.locator(".tc-project-name")).to_have_text(name, timeout=10000)
    expect(status(page)).to_have_text("草稿")
    assert re.search(r"\?project=\d+$", page.url)

    open_action(page, "apply")
    submit(page)
    expect(status(page)).to_have_text("已申报", timeout=10000)
    expect(page.locator(".tc-timeline-section")).to_contain_text("申报")
    project_url = page.url

    logout(page)
    login(page, ui_server, "bureau")
    page.locator(".tc-nav-worklist button").click()
    row = page.locator(".tc-worklist-full .tabulator-row", has_text=name)
    expect(row).to_be_visible()
    expect(row).to_contain_text("技术审查")
    page.screenshot(path=str(screenshots / "worklist.png"), full_page=True)
    row.click()
    expect(page.locator(".tc-project-name")).to_have_text(name)
    assert page.url == project_url
    pass_review(page)
    expect(page.locator(".tc-timeline-section")).to_contain_text("审查结论：通过")


def test_complete_and_accept_with_documents(page, ui_server, screenshots):
    pid = ui_server["ids"]["教育资源公共服务平台"]  # under construction, uses AI
    login(page, ui_server, "jiaoyu", path=f"?project={pid}")
    expect(status(page)).to_have_text("建设中")
    open_action(page, "complete")
    submit(page)
    expect(status(page)).to_have_text("已建成待验收", timeout=10000)
    # Completion creates the 第十八条 acceptance deadline.
    expect(page.locator(".tc-obligations-section")).to_contain_text("第十八条")
    open_action(page, "accept")
    page.locator(".tc-f-result select").select_option(label="通过")
    # Documents are evidence: a kind can be named once it is uploaded (in place).
    from .test_worklists import upload_in_place
    for kind in ("项目建设总结", "财务报告", "审计报告", "安全风险评估报告"):
        upload_in_place(page, kind)
    docs = page.locator(".tc-f-documents input[type=checkbox]")
    expect(docs).to_have_count(4)
    for i in range(4):
        docs.nth(i).check()
    page.locator(".tc-f-ai_effect_evaluated input").check()
    submit(page)
    expect(status(page)).to_have_text("已验收", timeout=10000)
    page.screenshot(path=str(screenshots / "project.png"), full_page=True)


def test_refused_action_shows_article_and_changes_nothing(page, ui_server, screenshots):
    pid = ui_server["ids"]["电子健康档案系统"]  # completed, awaiting acceptance
    login(page, ui_server, "weijian", path=f"?project={pid}")
    expect(status(page)).to_have_text("已建成待验收")
    open_action(page, "accept")
    page.locator(".tc-f-result select").select_option(label="通过")
    from .test_worklists import upload_in_place
    upload_in_place(page, "财务报告")
    page.locator(".tc-f-documents input[type=checkbox]").first.check()
    submit(page)
    refusal = page.locator(".tc-form-errors .tc-alert")
    expect(refusal).to_contain_text("未通过规则检查")
    expect(refusal).to_contain_text("第十八条")
    # Expanding the citation shows the article's own text.
    refusal.locator("details summary").first.click()
    expect(refusal.locator("details div").first).to_contain_text("验收")
    expect(status(page)).to_have_text("已建成待验收")
    page.screenshot(path=str(screenshots / "refusal.png"), full_page=True)
    # Nothing was recorded: a reload (still logged in) shows no acceptance in the timeline.
    page.reload()
    expect(status(page)).to_have_text("已建成待验收", timeout=15000)
    expect(page.locator(".tc-timeline-section")).not_to_contain_text("组织验收")


def test_unit_cannot_open_another_units_project(page, ui_server):
    other = ui_server["ids"]["县域医共体影像云平台"]  # 县卫生健康委员会
    login(page, ui_server, "jiaoyu", path=f"?project={other}")
    expect(page.locator(".tc-not-found .tc-alert")).to_contain_text("项目不存在")
    expect(page.locator(".tc-project-name")).to_have_count(0)
    # The ledger shows the unit's own projects only.
    page.locator(".tc-nav-ledger button").click()
    units = page.locator(".tc-ledger-table .tabulator-cell[tabulator-field=unit]")
    expect(units.first).to_be_visible()
    assert set(units.all_inner_texts()) == {"县教育局"}


def _page_info(page):
    return page.locator(".tc-page-info span")


def test_ledger_filters_search_paging_and_export(page, ui_server, screenshots):
    login(page, ui_server, "bureau", path="?page=ledger")
    rows = page.locator(".tc-ledger-table .tabulator-row")
    expect(_page_info(page)).to_contain_text("第 1 / 2 页")
    expect(rows).to_have_count(20)
    page.screenshot(path=str(screenshots / "ledger.png"), full_page=True)
    page.locator(".tc-next button").click()
    expect(_page_info(page)).to_contain_text("第 2 / 2 页")
    first_ids = rows.locator("[tabulator-field=id]").all_inner_texts()
    assert first_ids and all(int(i) < 20 for i in first_ids[-3:])

    page.locator(".tc-filter-status select").select_option(label="建设中")
    expect(_page_info(page)).to_contain_text("第 1 / 1 页")
    statuses = rows.locator("[tabulator-field=status]")
    expect(statuses.first).to_have_text("建设中")
    assert set(statuses.all_inner_texts()) == {"建设中"}
    total = int(re.search(r"共 (\d+) 个项目", _page_info(page).inner_text()).group(1))

    with page.expect_download() as download:
        page.locator(".tc-export button").click()
    openpyxl = pytest.importorskip("openpyxl")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    data = list(sheet.iter_rows(values_only=True))
    assert data[0][:3] == ("编号", "状态", "项目名称")
    assert len(data) - 1 == total and {r[1] for r in data[1:]} == {"建设中"}

    page.locator(".tc-reset button").click()
    expect(_page_info(page)).to_contain_text("第 1 / 2 页")
    page.locator(".tc-search input").fill("平台")
    page.locator(".tc-search input").press("Enter")
    expect(_page_info(page)).to_contain_text("第 1 / 1 页")
    expect(rows.filter(has_not_text="平台")).to_have_count(0)
    assert rows.count() > 0

    page.locator(".tc-reset button").click()
    expect(_page_info(page)).to_contain_text("第 1 / 2 页")
    page.locator(".tc-filter-overdue input").check()
    expect(rows.filter(has_not_text="已逾期")).to_have_count(0)
    expect(rows.first.locator("[tabulator-field=overdue]")).to_have_text("已逾期")
    assert set(rows.locator("[tabulator-field=overdue]").all_inner_texts()) == {"已逾期"}

    # Clicking a row opens the project.
    rows.first.click()
    expect(page.locator(".tc-page-project")).to_be_visible()
    expect(page.locator(".tc-obligations-section .tc-badge.overdue").first).to_be_visible()


def test_home_dashboard_and_language_switch(page, ui_server, screenshots):
    login(page, ui_server, "bureau")
    expect(page.locator(".tc-page-home")).to_be_visible()
    expect(page.locator(".tc-kpis")).to_contain_text("项目总数")
    expect(page.locator(".tc-problems .tabulator-row").first).to_be_visible()
    expect(page.locator(".tc-chart-row")).to_be_visible(timeout=15000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)
    page.locator(".tc-header .tc-lang button", has_text="English").click()
    expect(page.locator(".tc-nav-ledger button")).to_have_text("Project ledger")
    expect(page.locator(".tc-logout button")).to_have_text("Log out")
    page.locator(".tc-header .tc-lang button", has_text="中文").click()
    expect(page.locator(".tc-nav-ledger button")).to_have_text("项目台账")


def test_admin_pages(page, ui_server, screenshots):
    login(page, ui_server, "admin")
    page.locator(".tc-nav-admin button").click()
    expect(page.locator(".tc-plugins-pane")).to_contain_text("xichuan.acceptance")
    expect(page.locator(".tc-plugins-pane")).to_contain_text("第十八条")
    page.screenshot(path=str(screenshots / "admin.png"), full_page=True)
    page.locator(".tc-admin-tabs button", has_text="参数").click()
    # Parameters are named by their Chinese description; the keys only in the advanced view.
    expect(page.locator(".tc-params-pane")).to_contain_text("项目建成后组织验收的期限")
    expect(page.locator(".tc-params-pane")).to_contain_text("6 个月")
    expect(page.locator(".tc-params-pane")).to_contain_text("第十八条")
    expect(page.locator(".tc-params-pane")).not_to_contain_text("acceptance_months")
    page.locator(".tc-param-advanced input").check()
    expect(page.locator(".tc-params-pane")).to_contain_text("acceptance_months")
    page.locator(".tc-admin-tabs button", has_text="用户").click()
    expect(page.locator(".tc-users-pane")).to_contain_text("jiaoyu")
    # Policy roles see no administration.
    logout(page)
    login(page, ui_server, "drc", path="?page=admin")
    expect(page.locator(".tc-nav-admin")).to_have_count(0)
    expect(page.locator(".tc-forbidden .tc-alert")).to_be_visible()


def test_reports_catalogue_and_calendar(page, ui_server, screenshots):
    login(page, ui_server, "renshe", path="?page=reports")
    report = page.locator(".tc-report-catalogue")
    expect(report).to_contain_text("人社一体化经办系统")
    expect(page.locator(".tc-calendar")).to_contain_text("第三十二条")
    page.screenshot(path=str(screenshots / "reports.png"), full_page=True)
    with page.expect_download() as download:
        page.locator(".tc-calendar-ics button").click()
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in text


def test_script_in_project_name_is_shown_as_text(page, ui_server):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    name = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    login(page, ui_server, "chengguan")
    page.locator(".tc-nav-new button").click()
    page.locator(".tc-f-name input").fill(name)
    page.locator(".tc-f-category select").select_option(label="政府购买服务类")
    page.locator(".tc-f-kind select").select_option(label="政务信息系统")
    page.locator(".tc-f-source select").select_option(label="单位申报")
    page.locator(".tc-create button").click()
    expect(page.locator(".tc-project-name")).to_have_text(name, timeout=10000)
    expect(page.locator(".tc-fields-section")).to_contain_text("<script>alert(1)</script>")
    page.locator(".tc-nav-ledger button").click()
    cell = page.locator(".tc-ledger-table .tabulator-cell[tabulator-field=name]", has_text="<script>").first
    expect(cell).to_be_visible()
    cell.hover()  # no tooltip may render the name as HTML
    page.wait_for_timeout(800)
    page.locator(".tc-nav-home button").click()
    cell = page.locator(".tc-worklist .tabulator-cell", has_text="<script>").first
    expect(cell).to_be_visible()
    cell.hover()
    page.wait_for_timeout(800)
    assert dialogs == []
