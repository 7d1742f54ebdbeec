"""What plugins add to the UI (project panels) and ledger-wide notices."""
from __future__ import annotations

import datetime as dt
import os
import types

import panel as pn

from tongchou import hookimpl
from tongchou.ledger import Ledger
from tongchou.ui.app import TongchouApp


def _html(obj) -> str:
    out = []

    def walk(o):
        if isinstance(getattr(o, "object", None), str):
            out.append(o.object)
        for child in getattr(o, "objects", None) or ():
            walk(child)
    walk(obj)
    return "\n".join(out)


def _plugin():
    mod = types.ModuleType("panels_for_test")

    @hookimpl
    def tongchou_project_panels(ledger, project, user):
        return [("<i>资金拨付</i>", pn.pane.Str(f"{project.name} 已拨付 0 元"))]
    mod.tongchou_project_panels = tongchou_project_panels
    return mod


def test_plugin_panels_are_appended_with_escaped_titles_and_notices_shown():
    ledger = Ledger.open(":memory:", jurisdiction="xichuan", extra_plugins=[("test.panels", _plugin())],
                         audit_key=os.urandom(32))
    try:
        ledger.add_unit("县教育局")
        ledger.add_user("u1", "unit", "县教育局", password="password-1")
        p = ledger.create_project({"name": "测试项目", "year": 2027, "category": "purchased_service",
                                   "kind": "information_system", "source": "unit_application"},
                                  ledger.actor("u1"), dt.date(2026, 1, 5))
        # After the measures' two-year trial the dashboard says so on top.
        app = TongchouApp(ledger, today=lambda: dt.date(2027, 9, 1))
        app.login(ledger.authenticate("u1", "password-1"))
        home = _html(app.content)
        notices = ledger.notices(dt.date(2027, 9, 1))
        assert notices and notices[0].message[:6] in home
        app.go("project", project=p.id)
        text = _html(app.content)
        assert "&lt;i&gt;资金拨付&lt;/i&gt;" in text and "<i>" not in text
        strs = []

        def walk(o):
            if isinstance(o, pn.pane.Str):
                strs.append(o.object)
            for child in getattr(o, "objects", None) or ():
                walk(child)
        walk(app.content)
        assert "测试项目 已拨付 0 元" in strs
    finally:
        ledger.close()
