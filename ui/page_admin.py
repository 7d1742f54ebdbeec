"""系统管理 (administrators): the jurisdiction and its plugins, dated
parameters, users and units."""
from __future__ import annotations

import panel as pn

from tongchou.citation import article_label
from tongchou.errors import InvalidInput, NotFound, PermissionDenied, TongchouError
from tongchou.parameters import render

from . import queries
from .compat import widget
from .fmt import alert, article_html, badge, esc, html_pane, table
from .i18n import colon


def _box(*objs, css: str = ""):
    return pn.Column(*objs, sizing_mode="stretch_width", css_classes=[css] if css else [],
                     styles={"border": "1px solid #eaecf0", "border-radius": "8px", "padding": "4px 12px 8px",
                             "margin-bottom": "10px"})


def jurisdiction_tab(app):
    jur = app.ledger.jurisdiction
    pack = jur.pack
    period = ""
    if pack.effective or pack.expires:
        period = f"{pack.effective or ''} — {pack.expires or ''}"
    info = table(["", ""], [
        (esc(app.t("pack")), esc(f"{jur.name} {pack.version}")),
        (esc(app.t("title")), esc(jur.title)),
        (esc(app.t("rules_document")), esc(f"{pack.description or ''} {jur.document}")),
        (esc(app.t("effective_period")), esc(period or "—")),
    ], cls="tc-fields").replace("<thead><tr><th></th><th></th></tr></thead>", "")
    rows = []
    for p in jur.plugins:
        arts = "、".join(article_label(a) for a in p.articles)
        texts = [app.registry.article(jur.document, a) for a in p.articles]
        hover = "\n".join(f"{article_label(a.number)} {a.text}" for a in texts if a is not None)
        arts_html = f'<span title="{esc(hover)}">{esc(arts)}</span>' if arts else "—"
        rows.append((esc(p.name), esc(p.version), esc(p.title), arts_html,
                     f'<span class="tc-muted">{esc(", ".join(p.hooks))}</span>',
                     badge(app.t("yes") if p.enabled else app.t("no"), "closed" if p.enabled else "overdue")))
    plugins = table([app.t("name"), app.t("version"), app.t("title"), app.t("articles"), app.t("hooks"),
                     app.t("enabled")], rows, cls="tc-plugins")
    return pn.Column(_box(html_pane(f'<div class="tc-h">{esc(app.t("jurisdiction"))}</div>' + info)),
                     _box(html_pane(f'<div class="tc-h">{esc(app.t("plugins"))}</div>' + plugins, css_classes=["tc-plugins-pane"])),
                     sizing_mode="stretch_width")


# Parameter files give their unit in English words for pack authors; staff read Chinese.
UNIT_WORDS = (("working days", "个工作日"), ("months", "个月"), ("month-day", "月-日"), ("days", "天"),
              ("yuan", "元"), ("ratio", "比例"), ("date", "日期"), ("name of a body", "机构名称"))


def unit_label(unit: str, lang: str = "zh") -> str:
    """A parameter's unit as staff read it (Chinese unless the UI is in English)."""
    if lang == "en" or not unit:
        return unit
    for word, zh in UNIT_WORDS:
        if unit.startswith(word):
            return zh
    return unit


def parameters_tab(app, advanced: bool = False):
    params = app.ledger.params
    today = app.today()
    rows = []
    for name, spec in sorted(params.specs.items(), key=lambda kv: kv[1].description or kv[0]):
        history = "<br>".join(f"{esc(d.isoformat())}:{esc(render(spec.type, v))} "
                              f'<span class="tc-muted">[{esc(src)}]</span>'
                              for d, v, src in params.history(name))
        # The description names the parameter; the internal key only in the advanced view.
        row = (esc(spec.description or name),
               f"<b>{esc(render(spec.type, params.value(name, today)))}</b> {esc(unit_label(spec.unit, app.lang))}",
               history, article_html(app.registry, spec.citation))
        rows.append(((f"<code>{esc(name)}</code>",) if advanced else ()) + row)
    listing = table(([app.t("parameter_key")] if advanced else []) + [
        app.t("parameter"), app.t("current_value"), app.t("effective"), app.t("citation")], rows, cls="tc-params")
    w_name = widget(pn.widgets.Select, name=app.t("parameter"), options={
        (f"{s.description}（{n}）" if advanced else s.description or n): n
        for n, s in sorted(params.specs.items(), key=lambda kv: kv[1].description or kv[0])},
                               width=300, css_classes=["tc-param-name"])
    w_date = widget(pn.widgets.DatePicker, name=app.t("effective") + " *", value=today, css_classes=["tc-param-date"])
    w_value = widget(pn.widgets.TextInput, name=app.t("value") + " *", placeholder="0.15 / 06-30 / {3: 12, 4: 6}",
                                   css_classes=["tc-param-value"])
    w_note = widget(pn.widgets.TextInput, name=app.t("note"), css_classes=["tc-param-note"])
    save = widget(pn.widgets.Button, name=app.t("save"), button_type="primary", css_classes=["tc-param-save"],
                             margin=(28, 10, 10, 10))
    msg = html_pane("", css_classes=["tc-param-msg"])

    def do_save():
        try:
            if w_date.value is None:
                raise InvalidInput("effective", "必填项，不能为空", app.t("effective"))
            if not (w_value.value_input or w_value.value or "").strip():
                raise InvalidInput(w_name.value, "必填项，不能为空", app.t("value"))
            app.ledger.set_parameter(w_name.value, w_date.value, (w_value.value_input or w_value.value).strip(),
                                     app.actor, w_note.value or "")
            n = app.ledger.recompute_all()
        except (TongchouError, PermissionDenied) as exc:
            msg.object = alert("danger", app.t("invalid"), [str(exc)])
            return
        queries.changed()
        app.notify("success", app.t("param_saved", n=n))
        app.go("admin", tab="parameters")

    app.on_click(save, do_save)
    form = pn.Column(html_pane(f'<div class="tc-h">{esc(app.t("add_value"))}</div>'),
                     pn.FlexBox(w_name, w_date, w_value, w_note, save, sizing_mode="stretch_width"), msg,
                     sizing_mode="stretch_width")
    keys = widget(pn.widgets.Checkbox, name=app.t("advanced"), value=advanced, css_classes=["tc-param-advanced"])
    keys.param.watch(app.handler(lambda e: app.go("admin", tab="parameters", advanced="1" if e.new else None)),
                     "value")
    listing_pane = html_pane(f'<div style="overflow-x:auto;max-width:100%">{listing}</div>',
                             css_classes=["tc-params-pane"])
    return pn.Column(keys, _box(listing_pane), _box(form), sizing_mode="stretch_width")


def users_tab(app):
    reg = app.registry
    users = app.ledger.users()
    rows = [(esc(u["name"]), esc(u["display_name"]), esc(reg.roles[u["role"]].label if u["role"] in reg.roles else u["role"]),
             esc(u["unit"] or "—"), esc(app.t("yes") if u["has_password"] else app.t("no")),
             badge(app.t("disabled"), "overdue") if u["disabled"] else "")
            for u in users]
    listing = table([app.t("username"), app.t("display_name"), app.t("role"), app.t("unit"), app.t("has_password"),
                     ""], rows, cls="tc-users")
    units = [name for _id, name in app.ledger.units()]
    msg = html_pane("", css_classes=["tc-user-msg"])

    w_user = widget(pn.widgets.TextInput, name=app.t("username") + " *", css_classes=["tc-new-user"], width=160)
    w_display = widget(pn.widgets.TextInput, name=app.t("display_name"), css_classes=["tc-new-display"], width=160)
    w_role = widget(pn.widgets.Select, name=app.t("role"), options={r.label: n for n, r in reg.roles.items()},
                               css_classes=["tc-new-role"], width=220)
    w_unit = widget(pn.widgets.Select, name=app.t("unit"), options={"—": ""} | {u: u for u in units},
                               css_classes=["tc-new-unit"], width=200)
    w_pw = widget(pn.widgets.PasswordInput, name=app.t("password") + " *", css_classes=["tc-new-password"], width=160)
    add = widget(pn.widgets.Button, name=app.t("add_user"), button_type="primary", css_classes=["tc-add-user"],
                            margin=(28, 10, 10, 10))

    def do_add():
        try:
            a = app.ledger.add_user((w_user.value_input or w_user.value or "").strip(), w_role.value,
                                    w_unit.value or None, display_name=(w_display.value_input or w_display.value or ""),
                                    password=(w_pw.value_input or w_pw.value or ""), actor=app.actor)
        except (TongchouError, PermissionDenied) as exc:
            msg.object = alert("danger", app.t("invalid"), [str(exc)])
            return
        app.notify("success", app.t("add_user") + colon(app.lang) + a.name)
        app.go("admin", tab="users")

    app.on_click(add, do_add)

    w_who = widget(pn.widgets.Select, name=app.t("user"), options=[u["name"] for u in users], css_classes=["tc-who"], width=200)
    disable = widget(pn.widgets.Button, name=app.t("disable_user"), button_type="danger", css_classes=["tc-disable"],
                                margin=(28, 10, 10, 10))
    enable = widget(pn.widgets.Button, name=app.t("enable_user"), css_classes=["tc-enable"], margin=(28, 10, 10, 10))

    def toggle(flag: bool):
        if flag and w_who.value == app.actor.name:
            msg.object = alert("warning", app.t("forbidden"))
            return
        try:
            app.ledger.set_disabled(w_who.value, flag, app.actor)
        except (TongchouError, PermissionDenied, NotFound) as exc:
            msg.object = alert("danger", app.t("error"), [str(exc)])
            return
        app.go("admin", tab="users")

    app.on_click(disable, lambda: toggle(True))
    app.on_click(enable, lambda: toggle(False))

    w_unit_name = widget(pn.widgets.TextInput, name=app.t("unit_name") + " *", css_classes=["tc-new-unit-name"], width=260)
    add_unit = widget(pn.widgets.Button, name=app.t("add_unit"), button_type="primary", css_classes=["tc-add-unit"],
                                 margin=(28, 10, 10, 10))

    def do_add_unit():
        try:
            app.ledger.add_unit((w_unit_name.value_input or w_unit_name.value or "").strip(), app.actor)
        except (TongchouError, PermissionDenied) as exc:
            msg.object = alert("danger", app.t("invalid"), [str(exc)])
            return
        app.go("admin", tab="users")

    app.on_click(add_unit, do_add_unit)
    unit_list = table([app.t("col_id"), app.t("unit_name")], [(str(i), esc(n)) for i, n in app.ledger.units()],
                      cls="tc-units")
    return pn.Column(
        _box(html_pane(f'<div class="tc-h">{esc(app.t("users"))}</div>' + listing, css_classes=["tc-users-pane"])),
        _box(html_pane(f'<div class="tc-h">{esc(app.t("add_user"))}</div>'),
             pn.FlexBox(w_user, w_display, w_role, w_unit, w_pw, add, sizing_mode="stretch_width"),
             pn.FlexBox(w_who, disable, enable, sizing_mode="stretch_width"), msg),
        _box(html_pane(f'<div class="tc-h">{esc(app.t("units"))}</div>' + unit_list, css_classes=["tc-units-pane"]),
             pn.Row(w_unit_name, add_unit)),
        sizing_mode="stretch_width")


TABS = ("jurisdiction", "parameters", "users")


def admin_page(app, tab: str = "jurisdiction", **_params):
    if app.role != "admin":
        return html_pane(alert("warning", app.t("forbidden")), css_classes=["tc-forbidden"])
    builders = {"jurisdiction": jurisdiction_tab, "users": users_tab,
                "parameters": lambda a: parameters_tab(a, advanced=_params.get("advanced") == "1")}
    labels = {"jurisdiction": app.t("jurisdiction"), "parameters": app.t("parameters"),
              "users": app.t("users") + " / " + app.t("units")}
    tab = tab if tab in builders else "jurisdiction"
    switch = widget(pn.widgets.RadioButtonGroup, options={labels[k]: k for k in TABS}, value=tab, button_type="primary",
                                         button_style="outline", css_classes=["tc-admin-tabs"])
    switch.param.watch(app.handler(lambda e: app.go("admin", tab=e.new)), "value")
    return pn.Column(switch, builders[tab](app), sizing_mode="stretch_width", css_classes=["tc-page-admin"])
