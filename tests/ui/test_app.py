"""The web UI's logic without a browser: login and idle logout, scoping,
forms, escaping, the worklist, the ledger's server-side paging, exports."""
from __future__ import annotations

import datetime as dt
import io
import time
from decimal import Decimal

import openpyxl
import pytest

from tongchou.cli import seed_demo
from tongchou.errors import InvalidInput, Refused
from tongchou.ledger import Ledger
from tongchou.ui import exports, i18n, queries
from tongchou.ui.app import TongchouApp
from tongchou.ui.forms import FieldForm, changed_fields
from tongchou.ui.page_ledger import LedgerView
from tongchou.ui.page_project import error_html, fields_html, findings_html, obligations_html
from tongchou.ui.server import origins
from tongchou.vocabulary import Choice, Field

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uiapp")
    ledger = Ledger.open(str(folder / "demo.db"), jurisdiction="xichuan", key_file=folder / "audit.key")
    seed_demo(ledger, TODAY)
    queries.changed()
    yield ledger
    ledger.close()


def ids(ledger):
    rows, _ = ledger.projects(None)
    return {p.name: p.id for p in rows}


def html_of(obj) -> str:
    """All HTML the panes under ``obj`` would render."""
    out = []

    def walk(o):
        if hasattr(o, "object") and isinstance(getattr(o, "object"), str):
            out.append(o.object)
        for child in getattr(o, "objects", None) or ():
            walk(child)
    walk(obj)
    return "\n".join(out)


def logged_in(ledger, name, **kwargs) -> TongchouApp:
    app = TongchouApp(ledger, **kwargs)
    app.login(ledger.authenticate(name, "demo1234"))
    return app


def test_only_the_login_form_before_login_and_wrong_password(demo):
    app = TongchouApp(demo)
    user, password, button, feedback = app.login_widgets
    assert app.actor is None and app.content.objects == [] and app.nav.objects == []
    user.value = user.value_input = "jiaoyu"
    password.value = password.value_input = "not-the-password"
    button.clicks += 1
    assert app.actor is None
    assert "用户名或密码错误" in feedback.object
    password.value = password.value_input = "demo1234"
    button.clicks += 1
    assert app.actor is not None and app.actor.unit == "县教育局"
    assert app.page == "home" and app.nav.objects


def test_idle_session_is_logged_out(demo):
    app = logged_in(demo, "bureau", idle_minutes=30)
    assert not app.check_idle()
    app.last_active = time.monotonic() - 31 * 60
    calls = []
    wrapped = app.handler(lambda: calls.append(1))
    wrapped()
    assert calls == [] and app.actor is None
    assert "30 分钟" in html_of(app.root)


def test_every_page_carries_the_server_models_fix(demo):
    """The browser is told which widgets the server sent it, before and after
    login (ui/known_models.py), so a click never re-sends a widget in full."""
    from tongchou.ui.known_models import ServerModels
    app = TongchouApp(demo)
    assert any(isinstance(o, ServerModels) for o in app.root.objects)
    app.login(demo.authenticate("leader", "demo1234"))
    assert any(isinstance(o, ServerModels) for o in app.root.objects)


def test_logout(demo):
    app = logged_in(demo, "drc")
    app.logout()
    assert app.actor is None and app.content.objects == []


def test_unit_staff_cannot_open_another_units_project(demo):
    other = ids(demo)["县域医共体影像云平台"]  # 县卫生健康委员会
    app = logged_in(demo, "jiaoyu")
    app.go("project", project=other)
    text = html_of(app.content)
    assert "项目不存在" in text and "县域医共体影像云平台" not in text
    app.go("project", project="not-a-number")
    assert "项目不存在" in html_of(app.content)


def test_pages_render_for_every_role(demo):
    for user in ("jiaoyu", "bureau", "drc", "finance", "government", "leader", "oversight", "admin"):
        app = logged_in(demo, user)
        for page in ("home", "worklist", "ledger", "reports", "admin", "new"):
            app.go(page)
            assert "出错了" not in html_of(app.content), (user, page)
        app.go("project", project=ids(demo)["互联网医院平台"])
        assert "出错了" not in html_of(app.content)


def test_user_text_is_escaped(demo):
    jiaoyu = demo.actor("jiaoyu")
    p = demo.create_project({"name": "<script>alert(1)</script>", "year": TODAY.year + 2,
                             "category": "purchased_service", "kind": "information_system",
                             "source": "unit_application"}, jiaoyu, TODAY)
    queries.changed()
    app = logged_in(demo, "jiaoyu")
    app.go("project", project=p.id)
    text = html_of(app.content)
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;script&gt;" in fields_html(app, p)


def test_findings_and_obligations_show_article_text(demo):
    app = logged_in(demo, "bureau")
    pid = ids(demo)["劳动保障监察网格化系统"]  # acceptance overdue
    html = findings_html(app, demo.findings(TODAY, app.actor, project_id=pid))
    assert "第十八条" in html and "<details" in html and "验收" in html
    html = obligations_html(app, demo.obligations(app.actor, project_id=pid, open_only=False))
    assert "tc-badge overdue" in html


def test_refusal_shows_message_and_article(demo):
    app = logged_in(demo, "weijian")
    pid = ids(demo)["电子健康档案系统"]
    before = demo.project(pid, app.actor)
    with pytest.raises(Refused) as info:
        demo.act(pid, "accept", app.actor, TODAY, {"result": "pass", "documents": ["summary"]},
                 expected_version=before.version)
    html = error_html(app, info.value)
    assert "第十八条" in html and "验收材料" in html and "<details" in html
    assert demo.project(pid, app.actor).status == before.status


def test_forms_parse_typed_values_and_name_the_field():
    fields = [Field("amount", "预算金额(元)", "money", required=True),
              Field("when", "日期", "date"),
              Field("docs", "材料", "enum_list", choices=(Choice("a", "甲"), Choice("b", "乙"))),
              Field("ok", "同意", "bool"),
              Field("kind", "类型", "enum", required=True, choices=(Choice("x", "叉"),))]
    form = FieldForm(fields)
    form.widgets["amount"].value = "1,200,000.50"
    form.widgets["docs"].value = ["b"]
    form.widgets["kind"].value = "x"
    form.widgets["when"].value = dt.date(2026, 3, 1)
    values = form.parse()
    assert values == {"amount": Decimal("1200000.50"), "when": dt.date(2026, 3, 1), "docs": ("b",),
                      "ok": False, "kind": "x"}
    assert isinstance(values["amount"], Decimal)
    # County practice: "186万" is 186 万元, read exactly (no float on the way).
    form.widgets["amount"].value = "186万"
    assert form.parse()["amount"] == Decimal("1860000.00")
    form.widgets["amount"].value = "十二万"
    with pytest.raises(InvalidInput) as info:
        form.parse()
    assert "预算金额" in str(info.value)
    # The 万元 unit selector: a bare 186 then means 186 万元.
    form.widgets["amount"].unit.value = "wan"
    form.widgets["amount"].value = "186"
    assert form.parse()["amount"] == Decimal("1860000.00")
    # 186 元 for a budget is most likely a unit slip: it needs confirming.
    form.widgets["amount"].unit.value = "yuan"
    with pytest.raises(InvalidInput) as info:
        form.parse()
    assert "预算金额" in str(info.value) and "不足 1 万元" in str(info.value)
    assert form.widgets["amount"].confirm.visible
    form.widgets["amount"].confirm.value = True
    assert form.parse()["amount"] == Decimal("186.00")
    form.widgets["amount"].value = ""
    with pytest.raises(InvalidInput) as info:
        form.parse()
    assert "预算金额" in str(info.value) and "必填" in str(info.value)
    assert changed_fields({"a": 1, "b": (1,)}, {"a": 1, "b": (1,), "c": 2}) == {"c": 2}


def test_worklist_follows_the_role(demo):
    submitted = {p.id for p in demo.projects(None, filters={"status": "submitted"})[0]}
    # a 临时安排 project (#33) waits for the leader's consent before the bureau reviews it (第八条)
    awaiting_consent = {p.id for p in demo.projects(None, filters={"status": "submitted", "source": "ad_hoc"})[0]}
    assert awaiting_consent
    items, total = queries.worklist(demo, demo.actor("bureau"), on=TODAY)
    assert submitted - awaiting_consent <= {w.project.id for w in items}
    assert not awaiting_consent & {w.project.id for w in items}
    leader, _ = queries.worklist(demo, demo.actor("leader"), on=TODAY)
    assert {w.project.id for w in leader} == awaiting_consent
    assert all(w.actions for w in items)
    waits = [w.waiting_since for w in items if w.waiting_since]
    assert waits == sorted(waits)
    items, _ = queries.worklist(demo, demo.actor("jiaoyu"), on=TODAY)
    assert items and {w.project["unit"] for w in items} == {"县教育局"}
    assert queries.worklist(demo, demo.actor("admin"))[0] == []


def test_ledger_view_pages_on_the_server(demo):
    app = logged_in(demo, "bureau")
    view = LedgerView(app)
    view.fetch()
    total = view.total
    assert len(view.rows) == 20 and total >= 32
    view.page = 2
    view.fetch()
    assert len(view.rows) == total - 20
    view.page = 1
    view.state.update(status="under_construction")
    view.fetch()
    assert view.rows and {p.status for p in view.rows} == {"under_construction"}
    view.state.update(status="", overdue=True)
    view.fetch()
    assert view.rows and {p.id for p in view.rows} <= set(view.overdue_ids)
    wb = openpyxl.load_workbook(view.export())
    rows = list(wb.active.iter_rows(values_only=True))
    assert len(rows) - 1 == view.total and all(r[-1] == "是" for r in rows[1:])


def test_exports():
    class O:
        def __init__(self, i):
            self.project_id, self.code, self.due = i, "x.due", dt.date(2026, 12, 1)
            self.project, self.unit, self.message = "很长的项目名称" * 8, "县教育局", "按期验收;说明,"
            from tongchou.citation import Citation
            self.citation = Citation("淅政办〔2025〕6号", (18,))

        def overdue_on(self, on):
            return self.due < on
    ics = exports.obligations_ics([O(1), O(2)], calendar_name="日历").decode("utf-8")
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and ics.count("BEGIN:VEVENT") == 2
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert "DTSTART;VALUE=DATE:20261201" in ics and "\\;" in ics
    wb = openpyxl.load_workbook(exports.obligations_workbook([O(1)], dt.date(2027, 1, 1)))
    row = list(wb.active.iter_rows(values_only=True))[1]
    assert row[0] == dt.datetime(2026, 12, 1) and row[-1] == "已逾期"
    buf = exports.workbook([("t", ["a", "b"], [["=cmd()", Decimal("1.50")]], ["", "money"])])
    cells = list(openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active.iter_rows(values_only=True))[1]
    assert cells[0] == "'=cmd()" and cells[1] == 1.5


def test_i18n_has_both_languages():
    for key, pair in i18n.STRINGS.items():
        assert len(pair) == 2 and all(pair), key
    assert i18n.tr("nav_ledger") == "项目台账" and i18n.tr("nav_ledger", "en") == "Project ledger"
    assert i18n.tr("no-such-key") == "no-such-key"


def test_websocket_origins():
    assert origins("127.0.0.1", 5006) == ["127.0.0.1:5006", "localhost:5006"]
    assert origins("0.0.0.0", 80) == ["*:80"]


def test_action_form_submits_refuses_and_detects_conflicts(demo):
    from tongchou.ui.page_project import ActionPanel
    app = logged_in(demo, "ziran")
    pid = ids(demo)["不动产登记数据治理"]  # submitted long ago; the unit may record sharing etc.
    project = demo.project(pid, app.actor)
    spec = demo.registry.action("appoint_supervisor")
    panel = ActionPanel(app, project)
    panel.view()
    panel.open(spec)
    box = panel.form_area[0]
    submit, errors = box[3][0], box[4]
    submit.clicks += 1  # required fields left empty
    assert "监理单位名称" in errors.object and "必填" in errors.object
    assert demo.project(pid, app.actor).version == project.version
    # Someone else changes the project meanwhile: the stale form is not applied.
    demo.act(pid, "appoint_supervisor", app.actor, TODAY, {"name": "甲监理", "qualification": "甲级"})
    panel.open(spec)
    box = panel.form_area[0]
    form_widgets = box[1]
    texts = [w for row in form_widgets for w in row if hasattr(w, "value_input")]
    texts[0].value, texts[1].value = "乙监理", "乙级"
    box[3][0].clicks += 1
    assert "已被他人修改" in box[4].object
    history = demo.history(pid, app.actor)
    assert [e["args"].get("name") for e in history if e["action"] == "appoint_supervisor"] == ["甲监理"]
    # With the current version it goes through and the page shows the new event.
    panel = ActionPanel(app, demo.project(pid, app.actor))
    panel.view()
    panel.open(spec)
    box = panel.form_area[0]
    texts = [w for row in box[1] for w in row if hasattr(w, "value_input")]
    texts[0].value, texts[1].value = "乙监理", "乙级"
    box[3][0].clicks += 1
    assert app.page == "project"
    assert "乙监理" in html_of(app.content)


def test_project_page_works_without_official_documents(demo, monkeypatch):
    from tongchou.ui import page_documents
    pid = ids(demo)["城市运行管理服务平台"]
    app = logged_in(demo, "bureau")
    app.go("project", project=pid)
    assert "公文生成" in html_of(app.content) and "项目材料" in html_of(app.content)
    monkeypatch.setattr(page_documents, "official", None)
    app.go("project", project=pid)
    text = html_of(app.content)
    assert "公文生成" not in text and "项目材料" in text and "出错了" not in text


def test_document_upload_is_for_those_who_take_part(demo):
    from tongchou.ui import page_documents
    jiaoyu = logged_in(demo, "jiaoyu")
    own, other = jiaoyu.actor.unit_id, demo.unit_id("县卫生健康委员会")
    assert page_documents.may_upload(jiaoyu, own) and not page_documents.may_upload(jiaoyu, other)
    assert page_documents.may_upload(logged_in(demo, "bureau"), other)
    assert not page_documents.may_upload(logged_in(demo, "admin"), own)
    assert not page_documents.may_upload(logged_in(demo, "oversight"), own)
    kinds = page_documents.document_kinds(logged_in(demo, "jiaoyu"))
    assert "审计报告" in kinds and "合同" in kinds and len(kinds) == len(set(kinds))


def test_role_homes_and_preferences(demo):
    """Leaders get the county overview by unit, oversight its inspection list;
    the language and money unit a user picks are kept for their next login."""
    leader = logged_in(demo, "leader")
    text = html_of(leader.content)
    assert "县域项目总览" in text and "县教育局" in text and "逾期义务" in text
    counts = demo.status_counts_by_unit(leader.actor)
    assert sum(sum(c.values()) for c in counts.values()) == sum(demo.status_counts(leader.actor).values())
    oversight = logged_in(demo, "oversight")
    assert "检查与整改清单" in html_of(oversight.content)
    unit = logged_in(demo, "jiaoyu")
    assert "县域项目总览" not in html_of(unit.content)
    # Preferences: English and 万元 survive a new login (a reload).
    demo.set_preference(unit.actor, "lang", "en")
    demo.set_preference(unit.actor, "money_unit", "wan")
    again = logged_in(demo, "jiaoyu")
    assert again.lang == "en" and again.money_unit == "wan"
    with pytest.raises(InvalidInput):
        demo.set_preference(unit.actor, "lang", "fr")
    demo.set_preference(unit.actor, "lang", "zh")
    demo.set_preference(unit.actor, "money_unit", "yuan")
    assert demo.verify_audit().ok  # a preference is a sealed settings row like any other


def test_money_display_in_wan_keeps_every_fen():
    from tongchou.ui.money import format_money
    assert format_money(Decimal("1860000.00"), "wan") == "186.00 万元"
    assert format_money(Decimal("1860000.01"), "wan") == "186.000001 万元"
    assert format_money(Decimal("1860000.00"), "yuan") == "1,860,000.00 元"
    assert format_money(None, "wan") == "—"


def test_the_home_page_is_drawn_before_the_worklist_is_read(demo, monkeypatch):
    """A province-wide role's 我的待办 evaluates every candidate project
    (docs/performance.md): the home page's figures and problems do not wait
    for it; its place shows a spinner until the read, off the event loop, ends."""
    pending = []
    app = logged_in(demo, "bureau")
    signals = []
    monkeypatch.setattr(app, "defer", lambda compute, done, after=0.0, signal=None: (
        pending.append((compute, done)), signals.append(signal)))
    app.go("home")
    page = html_of(app.content)
    assert "tc-kpi" in page and "tc-worklist" not in page.replace("tc-worklist-area", "")
    area = next(o for o in app.content.objects[0].objects if "tc-worklist-area" in (o.css_classes or []))
    assert any(type(o).__name__ == "LoadingSpinner" for o in area.objects)
    # both slow reads (worklist, charts) wait for the browser to paint the page: the last thing on it
    assert len(signals) == 2 and signals[0] is signals[1] is app.content.objects[0].objects[-1]
    worklist = [(c, d) for c, d in pending if "worklist" in c.__code__.co_names]
    assert len(worklist) == 1
    compute, done = worklist[0]
    done(compute())
    assert not any(type(o).__name__ == "LoadingSpinner" for o in area.objects)
    [table] = [o for o in area.objects if "tc-worklist" in (o.css_classes or [])]
    items, total = queries.worklist(demo, demo.actor("bureau"), limit=8, on=app.today())
    assert items and list(table.value["id"]) == [w.project.id for w in items]


def test_a_slow_read_is_dropped_once_its_user_has_logged_out(demo, caplog):
    """A deferred read (the worklist, the charts) belongs to the user who asked
    for it: logged out before it runs, or while it runs, it is neither shown to
    whoever comes next nor logged as a failure; still logged in, it is shown."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def drive(run):  # a loop of its own: a browser test may have left one running in this thread
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, run()).result()
    app = logged_in(demo, "bureau")
    calls, shown = [], []

    def compute():
        calls.append(app.actor)
        return "result"
    run = app.deferred(compute, shown.append)
    app.logout()
    drive(run)
    assert calls == [] and shown == []

    app.login(demo.authenticate("bureau", "demo1234"))

    def logs_out_then_fails():
        app.logout()
        return app.actor.role  # what a read of app.actor did mid-flight
    with caplog.at_level("ERROR", logger="tongchou.ui"):
        drive(app.deferred(logs_out_then_fails, shown.append))
    assert shown == [] and not caplog.records

    app.login(demo.authenticate("bureau", "demo1234"))
    drive(app.deferred(compute, shown.append))
    assert shown == ["result"] and calls == [app.actor]


def test_a_slow_read_waits_for_the_page_to_be_painted_or_for_its_deadline(demo):
    """With a Drawn signal the read starts when the browser reports the page
    painted (which may come before the read is even scheduled), and at the
    latest after its ``after`` seconds when no report comes."""
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tongchou.ui.browser import Drawn
    app = logged_in(demo, "bureau")
    started, shown = threading.Event(), []

    def compute():
        started.set()
        return "read"
    signal = Drawn()
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(asyncio.run, app.deferred(compute, shown.append, after=600, signal=signal)())
        assert not started.wait(0.5)  # the page is not painted yet: nothing read
        signal.drawn += 1
        future.result(timeout=60)
    assert shown == ["read"]

    early = Drawn()
    run = app.deferred(compute, shown.append, after=600, signal=early)
    early.drawn += 1  # painted before the read was scheduled
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result(timeout=60)
    assert shown == ["read", "read"]

    with ThreadPoolExecutor(1) as pool:  # never reported: read after 0.2 s all the same
        pool.submit(asyncio.run, app.deferred(compute, shown.append, after=0.2, signal=Drawn())()).result(timeout=60)
    assert shown == ["read"] * 3


def test_the_investment_by_unit_chart_shows_the_largest_units_and_sums_the_rest(demo):
    """A province has hundreds of units: the chart draws the 20 largest
    estimates, largest first, and one line below sums the others (万元)."""
    from tongchou.ui.page_home import UNITS_CHARTED, chart_panes
    app = logged_in(demo, "bureau")
    by_unit = {f"单位{i:02d}": Decimal(10_000) * (i + 1) for i in range(UNITS_CHARTED + 5)}
    totals = queries.Totals(by_status={"draft": 1}, by_year={2026: Decimal(1)}, by_unit=by_unit,
                            count=1, estimate=Decimal(1))
    panes = chart_panes(app, totals)
    chart = panes[1].object
    labels = list(chart.y_range.factors)[::-1]  # drawn top-down
    assert labels == [f"单位{i:02d}" for i in range(UNITS_CHARTED + 4, 4, -1)]
    assert "最多的 20 个单位" in chart.title.text
    # the five smallest: 10,000 + 20,000 + ... + 50,000 元 = 15 万元
    assert html_of(panes[2]).count("其余 5 个单位概算总投资合计 15.00 万元") == 1

    few = queries.Totals(by_status={"draft": 1}, by_year={2026: Decimal(1)},
                         by_unit={"甲": Decimal(1), "乙": Decimal(2)}, count=1, estimate=Decimal(3))
    panes = chart_panes(app, few)
    assert len(panes) == 2 and list(panes[1].object.y_range.factors) == ["乙", "甲"]
