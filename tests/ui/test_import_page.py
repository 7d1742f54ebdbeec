"""导入台账 page: upload, the dry-run report as a table (row, column, problem),
then the import.  Driven once in Python (the page's widgets) and once in
headless Chromium against ``tongchou serve``."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tongchou.cli import seed_demo
from tongchou.ledger import Ledger
from tongchou.ui import queries
from tongchou.ui.app import TongchouApp

HEADER = ["序号", "项目名称", "建设单位", "计划建设年度", "项目类别", "项目类型", "项目来源", "概算总投资(万元)"]


def workbook(path, rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["县教育局信息化项目台账"])
    ws.merge_cells("A1:H1")
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def good_rows(tag: str, year: int):
    return [[1, f"教育{tag}一号", "县教育局", year, "政府购买服务类", "政务信息系统", "单位申报", 12.5],
            [2, f"教育{tag}二号", "县教育局", year, "单纯设备和软件类采购", "信息设备和网络设备", "单位申报", "3"]]


def bad_rows(tag: str, year: int):
    rows = good_rows(tag, year)
    rows[1][7] = "12,3x"
    rows.append([3, f"教育{tag}三号", "县公安局", year, "政府购买服务类", "政务信息系统", "单位申报", 1])
    return rows


def find(obj, css: str):
    """The first widget or pane under ``obj`` carrying ``css``."""
    if css in (getattr(obj, "css_classes", None) or []):
        return obj
    for child in getattr(obj, "objects", None) or ():
        hit = find(child, css)
        if hit is not None:
            return hit
    return None


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("importpage")
    ledger = Ledger.open(str(folder / "demo.db"), jurisdiction="xichuan", key_file=folder / "audit.key")
    seed_demo(ledger, dt.date.today())
    queries.changed()
    yield ledger
    ledger.close()


def test_page_checks_then_imports(demo, tmp_path):
    year = dt.date.today().year + 1
    app = TongchouApp(demo)
    app.login(demo.authenticate("jiaoyu", "demo1234"))
    assert "import" in [p for p, _label in app._nav_items()]
    app.go("import")
    page = app.content.objects[0]
    file_in, check, go, out = (find(page, c) for c in ("tc-import-file", "tc-import-check", "tc-import-go",
                                                        "tc-import-report"))
    check.clicks += 1
    assert "请先选择" in out.object and go.disabled
    bad = workbook(tmp_path / "bad.xlsx", bad_rows("页", year))
    file_in.put("bad.xlsx", bad.read_bytes())
    check.clicks += 1
    assert "tc-import-problems" in out.object and go.disabled
    assert "第 4 行" not in out.object  # rows are numbered in columns, not in sentences
    assert "<td class=\"num\">4</td><td>概算总投资(万元)</td><td>不是金额：12,3x</td>" in out.object
    assert "只能登记本单位的项目" in out.object
    before = demo.projects(None)[1]
    # --partial: the good row can go in.
    find(page, "tc-import-partial").value = True
    check.clicks += 1
    assert not go.disabled
    go.clicks += 1
    assert "已导入 1 个项目" in out.object and demo.projects(None)[1] == before + 1
    good = workbook(tmp_path / "good.xlsx", good_rows("好", year))
    file_in.put("good.xlsx", good.read_bytes())
    assert go.disabled  # a new file needs a new check
    check.clicks += 1
    assert "检查通过" in out.object and not go.disabled
    go.clicks += 1
    assert "已导入 2 个项目" in out.object and demo.projects(None)[1] == before + 3
    # Others may not import; the page says so rather than offering the form.
    other = TongchouApp(demo)
    other.login(demo.authenticate("bureau", "demo1234"))
    assert "import" not in [p for p, _label in other._nav_items()]
    other.go("import")
    assert find(other.content.objects[0], "tc-import-file") is None


@pytest.mark.browser
def test_import_in_the_browser(page, ui_server, tmp_path, screenshots):
    expect = pytest.importorskip("playwright.sync_api").expect
    from tests.ui.test_journeys import login
    year = dt.date.today().year + 1
    login(page, ui_server, "jiaoyu")
    page.locator(".tc-nav-import button").click()
    expect(page.locator(".tc-page-import")).to_be_visible()
    bad = workbook(tmp_path / "bad.xlsx", bad_rows("浏览器", year))
    page.locator(".tc-import-file input[type=file]").set_input_files(str(bad))
    page.wait_for_timeout(500)
    page.locator(".tc-import-check button").click()
    table = page.locator(".tc-import-problems")
    expect(table).to_be_visible(timeout=15000)
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("不是金额：12,3x")
    expect(table).to_contain_text("概算总投资(万元)")
    expect(page.locator(".tc-import-go button")).to_be_disabled()
    page.screenshot(path=str(screenshots / "import.png"))
    # One row only: the shared demo ledger's page counts are checked by other tests.
    good = workbook(tmp_path / "good.xlsx", good_rows("浏览器", year)[:1])
    page.locator(".tc-import-file input[type=file]").set_input_files(str(good))
    page.wait_for_timeout(500)
    page.locator(".tc-import-check button").click()
    expect(page.locator(".tc-import-report")).to_contain_text("检查通过", timeout=15000)
    expect(page.locator(".tc-import-go button")).to_be_enabled()
    page.locator(".tc-import-go button").click()
    expect(page.locator(".tc-import-report")).to_contain_text("已导入 1 个项目", timeout=15000)
    page.locator(".tc-nav-ledger button").click()
    page.locator(".tc-search input").fill("教育浏览器")
    page.locator(".tc-search input").press("Enter")
    expect(page.locator(".tabulator-row")).to_have_count(1, timeout=15000)
