"""The project page (fields, timeline, findings, obligations, actions, plugin
panels) and the forms to create and edit a project."""
from __future__ import annotations

import logging
from typing import Any

import panel as pn

from tongchou import auth
from tongchou.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from tongchou.vocabulary import Action, Refusal

from . import page_actions, page_documents, queries
from .page_actions import ActionPanel  # noqa: F401  (where it was before)
from .compat import widget
from .fmt import alert, article_html, badge, cite_hover, date, esc, field_value, html_pane, table
from .forms import FieldForm, changed_fields, project_field_order
from .i18n import colon

log = logging.getLogger("tongchou.ui")


def _project_id(raw) -> int | None:
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def not_found(app):
    back = widget(pn.widgets.Button, name=app.t("back_to_ledger"), css_classes=["tc-back"])
    app.on_click(back, lambda: app.go("ledger"))
    return pn.Column(html_pane(alert("danger", app.t("not_found")), css_classes=["tc-not-found"]), back,
                     sizing_mode="stretch_width")


def refusals_html(app, refusals: list[Refusal]) -> str:
    items = []
    for r in refusals:
        cite = f" {article_html(app.registry, r.citation)}" if r.citation is not None else ""
        items.append(f"{esc(r.message)}{cite}")
    return alert("danger", app.t("refused"), items, raw_items=True)


def error_html(app, exc: Exception) -> str:
    if isinstance(exc, Refused):
        return refusals_html(app, list(exc.refusals))
    if isinstance(exc, InvalidInput):
        return alert("danger", app.t("invalid"), [str(exc)])
    if isinstance(exc, Conflict):
        return alert("warning", app.t("conflict"))
    return alert("danger", app.t("error"), [str(exc)])


# -- the pieces of the project page ---------------------------------------------


def fields_html(app, project) -> str:
    reg = app.registry
    rows = []
    for name, spec in reg.fields.items():
        rows.append((esc(spec.label), esc(field_value(spec, project[name], app.lang, app.money_unit))))
    return table(["", ""], rows, cls="tc-fields").replace("<thead><tr><th></th><th></th></tr></thead>", "")


def parties_html(app, project) -> str:
    """The project's parties besides the requesting unit (e.g. 建设运营方), or
    nothing for a pack that declares none."""
    parties = app.ledger.party_list(project)[1:]
    if not parties:
        return ""
    sep = colon(app.lang)
    items = "".join(f'<span class="tc-party" data-field="{esc(f)}">{esc(label)}{sep}{esc(unit)}</span> '
                    for f, label, unit in parties)
    return f'<div class="tc-parties tc-muted">{items}</div>'


def _args_text(app, action: Action | None, args: dict) -> str:
    sep = colon(app.lang)
    parts = []
    for key, value in (args or {}).items():
        spec = action.arg(key) if action else None
        if value is None or (spec is not None and spec.type == "bool" and not value):
            continue
        label = spec.label if spec else key
        parts.append(f"{label}{sep}{field_value(spec, value, app.lang, app.money_unit)}")
    return ("; " if app.lang == "en" else "；").join(parts)


def timeline_html(app, history: list[dict]) -> str:
    reg = app.registry
    if not history:
        return f'<p class="tc-muted">{esc(app.t("timeline_empty"))}</p>'
    roles = reg.roles
    sep = colon(app.lang)
    people = app.ledger.display_names()
    items = []
    for ev in history:
        spec = reg.actions.get(ev["action"])
        move = ""
        if ev["from_status"] != ev["to_status"]:
            move = f' · {esc(reg.status_label(ev["from_status"]))} → {esc(reg.status_label(ev["to_status"]))}'
        args = _args_text(app, spec, ev["args"])
        role = roles[ev["role"]].label if ev["role"] in roles else ev["role"]
        role_text = f" ({role})" if app.lang == "en" else f"（{role}）"
        cite = f' <span class="tc-muted">{cite_hover(reg, spec.citation)}</span>' if spec else ""
        items.append(f'<li><b>{esc(date(ev["date"]))}</b> {esc(ev["label"])}{move}{cite}<br>'
                     f'<span class="tc-muted">{esc(app.t("by"))}{sep}{esc(people.get(ev["actor"], ev["actor"]))}{esc(role_text)}'
                     f'{("<br>" + esc(args)) if args else ""}</span></li>')
    return f'<ol class="tc-timeline">{"".join(reversed(items))}</ol>'


def findings_html(app, findings) -> str:
    if not findings:
        return f'<p class="tc-muted">{esc(app.t("findings_empty"))}</p>'
    rows = []
    for f in findings:
        rows.append((badge(app.t("severity_" + f.severity), f.severity), esc(f.message),
                     article_html(app.registry, f.citation)))
    return table(["", app.t("description"), app.t("citation")], rows, cls="tc-findings")


def obligations_html(app, obligations) -> str:
    if not obligations:
        return f'<p class="tc-muted">{esc(app.t("obligations_empty"))}</p>'
    today = app.today()
    rows = []
    for o in obligations:
        if o.closed_on:
            state = badge(f'{app.t("closed")} {o.closed_on.isoformat()}', "closed")
        elif o.overdue_on(today):
            state = badge(app.t("overdue"), "overdue")
        else:
            state = badge(app.t("open"))
        rows.append((esc(o.due.isoformat()), esc(o.message), article_html(app.registry, o.citation), state))
    return table([app.t("due"), app.t("description"), app.t("citation"), app.t("status")], rows,
                 cls="tc-obligations")


def _section(title: str, body, css: str = ""):
    return pn.Column(html_pane(f'<div class="tc-h">{esc(title)}</div>'), body, sizing_mode="stretch_width",
                     css_classes=[css] if css else [],
                     styles={"border": "1px solid #eaecf0", "border-radius": "8px", "padding": "4px 12px 8px",
                             "margin-bottom": "10px", "background": "white"})


def plugin_panels(app, project) -> list:
    out = []
    try:
        results = app.ledger.pm.hook.tongchou_project_panels(ledger=app.ledger, project=project, user=app.actor)
    except Exception as exc:  # a broken plugin must not take the page down
        log.exception("tongchou_project_panels failed")
        return [html_pane(alert("danger", app.t("error"), [str(exc)]))]
    for result in results or ():
        for title, obj in result or ():
            out.append(_section(str(title), pn.panel(obj), "tc-plugin-panel"))
    return out


def project_page(app, project=None, **_params):
    pid = _project_id(project)
    if pid is None:
        return not_found(app)
    try:
        p = app.ledger.project(pid, app.actor)
        history = app.ledger.history(pid, app.actor)
        findings = app.ledger.findings(app.today(), app.actor, project_id=pid)
        obligations = app.ledger.obligations(app.actor, project_id=pid, open_only=False)
        rules = app.ledger.project_rules(pid, app.actor)
    except NotFound:
        return not_found(app)
    reg = app.registry
    expired = f' <span class="tc-badge overdue">{esc(app.t("rules_expired"))}</span>' \
        if rules.expired(app.today()) else ""
    sep = colon(app.lang)
    about = (f" ({rules.description})" if app.lang == "en" else f"（{rules.description}）") if rules.description else ""
    head = html_pane(f'<div style="font-size:1.35em;font-weight:600" class="tc-project-name">{esc(p.name)}</div>'
                     f'<div>#{p.id} · {esc(p["unit"])} · {esc(app.t("status"))}{sep}'
                     f'<span class="tc-badge status tc-status" data-status="{esc(p.status)}">'
                     f'{esc(reg.status_label(p.status))}</span></div>'
                     f'<div class="tc-rules-version" data-version="{esc(rules.name)}">{esc(app.t("rules_version"))}{sep}'
                     f'{esc(rules.name)}{esc(about)}'
                     f'{expired}</div>{parties_html(app, p)}')
    top = [head]
    # A party's staff (e.g. the builder) act through their actions, never by editing the project.
    if app.can_create() and auth.may_create(reg, app.actor, p.unit_id) is None:
        edit = widget(pn.widgets.Button, name=app.t("edit_project"), css_classes=["tc-edit"], width=140)
        app.on_click(edit, lambda: app.go("edit", project=pid))
        top.append(edit)
    back = widget(pn.widgets.Button, name="‹ " + app.t("back_to_ledger"), button_type="light", width=140,
                             css_classes=["tc-back"])
    app.on_click(back, lambda: app.go("ledger"))
    top.append(back)

    actions = ActionPanel(app, p)
    official_body = page_documents.official_section(app, p)
    official = [] if official_body is None else [
        _section(app.t("official_documents"), official_body, "tc-official-section")]
    left = pn.Column(
        _section(app.t("next_steps"), page_actions.next_steps_view(app, p), "tc-next-section"),
        _section(app.t("actions"), actions.view(), "tc-actions"),
        _section(app.t("findings"), html_pane(findings_html(app, findings)), "tc-findings-section"),
        _section(app.t("obligations"), html_pane(obligations_html(app, obligations)), "tc-obligations-section"),
        _section(app.t("timeline"), html_pane(timeline_html(app, history)), "tc-timeline-section"),
        _section(app.t("documents"), page_documents.documents_section(app, p), "tc-documents-section"),
        *official,
        *plugin_panels(app, p),
        sizing_mode="stretch_width")
    right = pn.Column(_section(app.t("fields"), html_pane(fields_html(app, p)), "tc-fields-section"),
                      width=420)
    return pn.Column(pn.Row(*top, sizing_mode="stretch_width"), pn.Row(left, right, sizing_mode="stretch_width"),
                     sizing_mode="stretch_width", css_classes=["tc-page-project"])


# -- creating and editing --------------------------------------------------------


def _project_form(app, values: dict[str, Any], *, fixed_unit: bool) -> FieldForm:
    units = [name for _id, name in app.ledger.units()]
    return FieldForm(project_field_order(app.registry.fields), values, lang=app.lang, units=units,
                     money_unit=app.money_unit,
                     fixed=("unit",) if fixed_unit else ())


def new_page(app, **_params):
    if not app.can_create():
        return html_pane(alert("warning", app.t("forbidden")))
    defaults = {"unit": app.actor.unit if app.is_unit() else "", "year": app.today().year + 1}
    form = _project_form(app, defaults, fixed_unit=app.is_unit())
    errors = html_pane("", css_classes=["tc-form-errors"])
    create = widget(pn.widgets.Button, name=app.t("create"), button_type="primary", css_classes=["tc-create"], width=160)

    def do_create():
        errors.object = ""
        try:
            values = form.parse()
            if app.is_unit():
                values["unit"] = app.actor.unit
            project = app.ledger.create_project(values, app.actor, app.today())
        except (Refused, InvalidInput, PermissionDenied) as exc:
            errors.object = error_html(app, exc)
            return
        queries.changed(app.ledger, project.id)
        app.notify("success", app.t("created", id=project.id))
        app.go("project", project=project.id)

    app.on_click(create, do_create)
    return pn.Column(html_pane(f'<div class="tc-h">{esc(app.t("new_project"))}</div>'
                               f'<div class="tc-muted">{esc(app.t("new_project_hint"))}</div>'),
                     form.layout(), create, errors, sizing_mode="stretch_width", css_classes=["tc-page-new"])


def edit_page(app, project=None, **_params):
    pid = _project_id(project)
    if pid is None or not app.can_create():
        return not_found(app) if pid is None else html_pane(alert("warning", app.t("forbidden")))
    try:
        p = app.ledger.project(pid, app.actor)
    except NotFound:
        return not_found(app)
    form = _project_form(app, dict(p.fields), fixed_unit=app.is_unit())
    errors = html_pane("", css_classes=["tc-form-errors"])
    save = widget(pn.widgets.Button, name=app.t("save"), button_type="primary", css_classes=["tc-save"], width=160)
    cancel = widget(pn.widgets.Button, name=app.t("cancel"), css_classes=["tc-cancel"], width=120)

    def do_save():
        errors.object = ""
        try:
            values = form.parse()
            changes = changed_fields(p.fields, values)
            if not changes:
                errors.object = alert("info", app.t("no_changes"))
                return
            app.ledger.update_project(pid, changes, app.actor, app.today(), expected_version=p.version)
        except (Refused, InvalidInput, Conflict, PermissionDenied, NotFound) as exc:
            errors.object = error_html(app, exc)
            return
        # The unit and parties it had before the edit see it change too.
        queries.changed(app.ledger, pid, extra_units=(p.unit_id, *app.ledger.parties(p).values()))
        app.notify("success", app.t("saved"))
        app.go("project", project=pid)

    app.on_click(save, do_save)
    app.on_click(cancel, lambda: app.go("project", project=pid))
    return pn.Column(html_pane(f'<div class="tc-h">{esc(app.t("edit_project"))}{colon(app.lang)}{esc(p.name)}</div>'
                               f'<div class="tc-muted">{esc(app.t("edit_hint"))}</div>'),
                     form.layout(), pn.Row(save, cancel), errors, sizing_mode="stretch_width",
                     css_classes=["tc-page-edit"])
