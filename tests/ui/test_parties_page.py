"""The web UI for parties, without a browser: the builder's staff find the
projects they build in the ledger page, see the parties on the project page
and take the builder's action there; forms offer units for ``unit`` fields."""
from __future__ import annotations

import datetime as dt

import panel as pn
import pytest

from tongchou.ledger import Ledger
from tongchou.packs import load_jurisdiction
from tongchou.ui import queries
from tongchou.ui.app import TongchouApp
from tongchou.ui.page_ledger import LedgerView
from tongchou.ui.page_project import ActionPanel

from ..toy_plugins import BUILDER
from .test_app import html_of

TODAY = dt.date.today()
PASSWORD = "parties1234"


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uiparties")
    jur = load_jurisdiction("xichuan", extra_plugins=[("toy_builder", BUILDER)])
    led = Ledger.open(str(folder / "t.db"), jurisdiction=jur, key_file=folder / "audit.key")
    for unit in ("县卫健委", "县城投公司", "县教育局"):
        led.add_unit(unit)
    for name, unit in (("wjw", "县卫健委"), ("ct", "县城投公司"), ("jy", "县教育局")):
        led.add_user(name, "unit", unit, password=PASSWORD)
    wjw = led.actor("wjw")
    base = {"year": TODAY.year + 1, "category": "purchased_service", "kind": "information_system",
            "source": "unit_application", "estimate": "1000000", "unit": "县卫健委"}
    ids = {}
    for name, builder in (("全民健康信息平台", "县城投公司"), ("预约挂号", None)):
        ids[name] = led.create_project({**base, "name": name, "builder": builder}, wjw, TODAY).id
    # Submitted without xichuan's application window in the way: the status is what matters here.
    from tongchou.models import Project
    Project.update(status="submitted").where(Project.id == ids["全民健康信息平台"]).execute()
    led._seal("project", [ids["全民健康信息平台"]])  # a shortcut of the test: sealed like a real write
    queries.changed()
    yield led, ids
    led.close()


def logged_in(ledger, name) -> TongchouApp:
    app = TongchouApp(ledger)
    app.login(ledger.authenticate(name, PASSWORD))
    return app


def _buttons(obj) -> list[str]:
    out = []

    def walk(o):
        if isinstance(o, pn.widgets.Button):
            out.append(o.name)
        for child in getattr(o, "objects", None) or ():
            walk(child)
    walk(obj)
    return out


def test_the_builder_sees_its_projects_and_takes_its_action(town):
    led, ids = town
    app = logged_in(led, "ct")
    view = LedgerView(app)
    view.fetch()
    assert [p.id for p in view.rows] == [ids["全民健康信息平台"]] and view.total == 1
    page = view.view()
    unit_filter = [w for w in _walk(page) if isinstance(w, pn.widgets.Select) and "tc-filter-unit" in w.css_classes][0]
    # Not fixed to the builder's own unit: the projects it builds belong to 县卫健委.
    assert unit_filter.value == "" and not unit_filter.disabled
    assert set(unit_filter.options.values()) == {"", "县城投公司"}

    pid = ids["全民健康信息平台"]
    app.go("project", project=pid)
    text = html_of(app.content)
    assert "建设运营方：县城投公司" in text and "出错了" not in text
    assert "修改项目信息" not in _buttons(app.content)  # the builder acts, it does not edit
    app.go("project", project=ids["预约挂号"])
    assert "项目不存在" in html_of(app.content)

    panel = ActionPanel(app, led.project(pid, app.actor))
    assert _buttons(panel.view()) == ["报送建设进度"]
    panel.open(led.registry.action("build_report"))
    box = panel.form_area[0]
    percent = [w for row in box[1] for w in row if hasattr(w, "value_input")][0]
    percent.value = "40"
    box[3][0].clicks += 1
    assert app.page == "project" and led.project(pid)["build_progress"] == 40
    # The requesting unit sees the party but has no builder's button.
    wjw = logged_in(led, "wjw")
    wjw.go("project", project=pid)
    assert "修改项目信息" in _buttons(wjw.content)
    assert "报送建设进度" not in _buttons(ActionPanel(wjw, led.project(pid, wjw.actor)).view())


def test_unit_fields_are_chosen_from_the_ledgers_units(town):
    led, ids = town
    app = logged_in(led, "wjw")
    app.go("edit", project=ids["预约挂号"])
    selects = [w for w in _walk(app.content) if isinstance(w, pn.widgets.Select) and "tc-f-builder" in w.css_classes]
    assert len(selects) == 1
    assert set(selects[0].options.values()) == {"", "县卫健委", "县城投公司", "县教育局"}
    panel = ActionPanel(app, led.project(ids["预约挂号"], app.actor))
    panel.view()
    panel.open(led.registry.action("hand_over"))
    to = [w for w in _walk(panel.form_area) if isinstance(w, pn.widgets.Select) and "tc-f-to" in w.css_classes]
    assert len(to) == 1 and "县城投公司" in to[0].options.values()


def _walk(obj):
    yield obj
    for child in getattr(obj, "objects", None) or ():
        yield from _walk(child)
