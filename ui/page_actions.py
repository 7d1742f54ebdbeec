"""The project page's action panel and its 下一步 view, both from the rules.

- The panel offers the actions the user may take in the project's status
  (narrowed by ``Action.offered_in``); the next step(s) the pack names
  (``tongchou_todos``) come first and prominent; an action the guards would
  refuse whatever is typed is shown disabled with the reasons, asked through
  :meth:`Ledger.check` (``partial=True``) so it never disagrees with the
  refusal; punitive and irreversible actions (``Action.tone``) are in a
  warning style and ask for a confirmation naming ``Action.consequence``.
- 下一步 lists what the project waits for, whoever takes it, each with a
  checklist of what it still needs (the refusals of its guards).
- An argument marked ``evidence`` (kinds of documents) offers only the kinds
  uploaded to the project, with an upload in place.
"""
from __future__ import annotations

import panel as pn

from tongchou import documents
from tongchou.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused, TongchouError
from tongchou.vocabulary import Action, Field

from . import page_documents, queries
from .compat import widget
from .fmt import alert, article_html, esc, html_pane
from .forms import FieldForm
from .i18n import colon
from .uploads import file_upload

WARNING_TONES = ("punitive", "irreversible")


def _refusal_items(app, refusals) -> str:
    items = []
    for r in refusals:
        cite = f' <span class="tc-muted">{article_html(app.registry, r.citation)}</span>' if r.citation else ""
        items.append(f"<li>{esc(r.message)}{cite}</li>")
    return f'<ul class="tc-reasons">{"".join(items)}</ul>'


def next_steps_html(app, steps) -> str:
    """下一步: each step, who takes it, and its checklist."""
    if not steps:
        return f'<p class="tc-muted tc-next-empty">{esc(app.t("next_steps_empty"))}</p>'
    reg = app.registry
    mine = {a.name for a in app.ledger.available_actions(steps[0].project_id, app.actor)} if app.actor else set()
    out = []
    for s in steps:
        roles = "、".join(reg.roles[r].label for r in s.roles if r in reg.roles)
        who = esc(app.t("next_step_mine")) if s.action in mine else f'{esc(app.t("next_step_by"))}{colon(app.lang)}{esc(roles)}'
        due = f' · {esc(app.t("deadline"))} {esc(s.due.isoformat())}' if s.due else ""
        if s.blocked_by:
            checklist = "".join(
                f'<li class="tc-need"><span class="tc-box">☐</span> {esc(r.message)}'
                + (f' <span class="tc-muted">{article_html(reg, r.citation)}</span>' if r.citation else "")
                + "</li>" for r in s.blocked_by)
        else:
            checklist = f'<li class="tc-need-ok"><span class="tc-box">☑</span> {esc(app.t("next_step_ready"))}</li>'
        out.append(f'<div class="tc-next-step" data-action="{esc(s.action)}" data-ready="{str(s.ready).lower()}">'
                   f'<b>{esc(s.action_label)}</b> <span class="tc-muted">({who}{due})</span><br>'
                   f'{esc(s.reason)} <span class="tc-muted">{article_html(reg, s.citation)}</span>'
                   f'<ul class="tc-checklist" style="list-style:none;padding-left:8px;margin:4px 0">'
                   f'{checklist}</ul></div>')
    return "".join(out)


def next_steps_view(app, project):
    try:
        steps = app.ledger.next_steps(project.id, app.actor, app.today())
    except TongchouError as exc:
        return html_pane(alert("danger", app.t("error"), [str(exc)]))
    return html_pane(next_steps_html(app, steps), css_classes=["tc-next-steps"], sizing_mode="stretch_width")


def uploaded_kinds(app, project_id: int) -> list[str]:
    return [d.kind for d in app.ledger.project_documents([project_id])[project_id]]


def evidence_choices(spec: Field, kinds: list[str]) -> dict[str, str]:
    """The choices of an evidence argument whose documents are uploaded (label -> value)."""
    return {c.label: c.value for c in spec.choices if c.value in kinds or c.label in kinds}


class ActionPanel:
    """The buttons for the actions the user may take now, and the form of the
    one chosen."""

    def __init__(self, app, project):
        self.app = app
        self.project = project
        self.form_area = pn.Column(sizing_mode="stretch_width", css_classes=["tc-action-form"])
        self.feedback = html_pane("", css_classes=["tc-action-feedback"])

    def _button(self, a: Action, kind: str, disabled: bool = False):
        app = self.app
        button_type = {"next": "primary", "warn": "danger"}.get(kind, "light")
        classes = ["tc-act-" + a.name, "tc-act-" + kind]
        b = widget(pn.widgets.Button, name=a.label, button_type=button_type, css_classes=classes,
                   description=a.citation.label, disabled=disabled)
        if not disabled:
            app.on_click(b, lambda a=a: self.open(a))
        return b

    def view(self):
        app = self.app
        p = self.project
        available = [a for a in app.ledger.available_actions(p.id, app.actor)
                     if a.offered_in is None or p.status in a.offered_in]
        if not available:
            return html_pane(f'<p class="tc-muted">{esc(app.t("actions_empty"))}</p>', css_classes=["tc-no-actions"])
        today = app.today()
        steps = {s.action for s in app.ledger.todos(app.actor, today, project_ids=[p.id])}
        nexts, others, warns, blocked = [], [], [], []
        for a in available:
            try:
                refusals = app.ledger.check(p.id, a.name, app.actor, today, partial=True)
            except TongchouError:
                refusals = []
            if refusals:
                blocked.append((a, refusals))
            elif a.tone in WARNING_TONES:
                warns.append(a)
            elif a.name in steps:
                nexts.append(a)
            else:
                others.append(a)
        parts: list = []
        if nexts:
            parts += [html_pane(f'<div class="tc-sub">{esc(app.t("actions_next"))}</div>'),
                      pn.FlexBox(*[self._button(a, "next") for a in nexts], sizing_mode="stretch_width",
                                 css_classes=["tc-actions-next"])]
        if others or warns:
            parts += [html_pane(f'<div class="tc-sub tc-muted">{esc(app.t("actions_other"))}</div>'),
                      pn.FlexBox(*[self._button(a, "other") for a in others],
                                 *[self._button(a, "warn") for a in warns],
                                 sizing_mode="stretch_width", css_classes=["tc-actions-other"])]
        if blocked:
            rows = []
            for a, refusals in blocked:
                rows.append(pn.Column(self._button(a, "blocked", disabled=True),
                                      html_pane(_refusal_items(app, refusals),
                                                css_classes=["tc-blocked-reasons", "tc-why-" + a.name]),
                                      sizing_mode="stretch_width"))
            parts.append(pn.Column(html_pane(f'<div class="tc-sub tc-muted">{esc(app.t("actions_blocked"))}</div>'),
                                   *rows, sizing_mode="stretch_width", css_classes=["tc-actions-blocked"]))
        return pn.Column(*parts, self.feedback, self.form_area, sizing_mode="stretch_width")

    def _evidence(self, action: Action, form: FieldForm) -> list:
        """Restrict evidence arguments to the uploaded kinds; an upload in place
        adds a kind to the choices at once."""
        app = self.app
        specs = [f for f in action.args if f.evidence and f.type == "enum_list"]
        if not specs:
            return []
        notes = html_pane("", css_classes=["tc-evidence-note"])

        def sync():
            kinds = uploaded_kinds(app, self.project.id)
            empty = True
            for spec in specs:
                box = form.widgets[spec.name]
                options = evidence_choices(spec, kinds)
                box.options = options
                box.value = [v for v in box.value if v in options.values()]
                empty = empty and not options
            notes.object = alert("info", app.t("evidence_none")) if empty else ""

        sync()
        store = page_documents.store(app)
        labels = [c.label for spec in specs for c in spec.choices]
        kind = widget(pn.widgets.Select, name=app.t("evidence_kind"), options=labels, value=labels[0],
                      width=200, css_classes=["tc-evidence-kind"])
        accept = ",".join("." + ext for ext in sorted(documents.ALLOWED))
        chooser = file_upload(app, accept=accept, css_classes=["tc-evidence-file"], margin=(28, 10, 10, 10))
        upload = widget(pn.widgets.Button, name=app.t("evidence_upload"), button_type="light",
                        css_classes=["tc-evidence-upload"], margin=(28, 10, 10, 10))
        feedback = html_pane("", css_classes=["tc-evidence-feedback"])

        def do_upload():
            data = chooser.read()
            if data is None or not chooser.filename:
                feedback.object = alert("warning", app.t("invalid"), [app.t("no_file")])
                return
            try:
                store.add(app.ledger, self.project.id, kind.value, chooser.filename, data, app.actor)
            except (InvalidInput, NotFound, PermissionDenied) as exc:
                feedback.object = alert("danger", app.t("invalid"), [str(exc)])
                return
            chooser.clear()
            feedback.object = alert("success", app.t("evidence_uploaded", kind=kind.value))
            queries.changed(app.ledger, self.project.id)
            sync()

        app.on_click(upload, lambda: chooser.when_ready(app.handler(do_upload)))
        return [notes, pn.Row(kind, chooser, upload, sizing_mode="stretch_width"), feedback]

    def open(self, action: Action) -> None:
        app = self.app
        self.feedback.object = ""
        units = [name for _id, name in app.ledger.units()] if any(a.type == "unit" for a in action.args) else None
        form = FieldForm(action.args, lang=app.lang, what="参数", units=units, money_unit=app.money_unit)
        evidence = self._evidence(action, form)
        when = widget(pn.widgets.DatePicker, name=app.t("action_date") + " *", value=app.today(), end=app.today(),
                      css_classes=["tc-f-date"])
        warn = action.tone in WARNING_TONES
        submit = widget(pn.widgets.Button, name=app.t("submit") + colon(app.lang) + action.label,
                        button_type="danger" if warn else "primary", css_classes=["tc-submit"])
        cancel = widget(pn.widgets.Button, name=app.t("cancel"), css_classes=["tc-cancel"])
        errors = html_pane("", css_classes=["tc-form-errors"])
        confirm_area = pn.Column(sizing_mode="stretch_width", css_classes=["tc-confirm"])
        help_text = f'<div class="tc-muted">{esc(action.help)}</div>' if action.help else ""
        head = html_pane(f'<div class="tc-h">{esc(action.label)}</div>'
                         f'<div class="tc-muted">{article_html(app.registry, action.citation)}</div>{help_text}')

        def act():
            errors.object = ""
            try:
                args = form.parse()
                if when.value is None:
                    raise InvalidInput("date", "必填项，不能为空", app.t("action_date"))
                app.ledger.act(self.project.id, action.name, app.actor, when.value, args,
                               expected_version=self.project.version)
            except (Refused, InvalidInput, Conflict, NotFound, PermissionDenied) as exc:
                from .page_project import error_html
                confirm_area.clear()
                errors.object = error_html(app, exc)
                if isinstance(exc, Conflict):
                    reload = widget(pn.widgets.Button, name=app.t("reload"), css_classes=["tc-reload"])
                    app.on_click(reload, app.refresh)
                    self.form_area.append(reload)
                return
            queries.changed(app.ledger, self.project.id)
            app.notify("success", app.t("done", label=action.label))
            app.go("project", project=self.project.id)

        def do_submit():
            if not warn:
                act()
                return
            # A sanction or an irreversible step: say what it does, then ask again.
            consequence = action.consequence or ""
            text = app.t("confirm_text", label=action.label, consequence=consequence)
            go = widget(pn.widgets.Button, name=app.t("confirm_go") + colon(app.lang) + action.label, button_type="danger",
                        css_classes=["tc-confirm-go"])
            back = widget(pn.widgets.Button, name=app.t("cancel"), css_classes=["tc-confirm-cancel"])
            app.on_click(go, act)
            app.on_click(back, confirm_area.clear)
            confirm_area[:] = [html_pane(alert("warning", app.t("confirm_title"), [text]),
                                         css_classes=["tc-confirm-text"]), pn.Row(go, back)]

        app.on_click(submit, do_submit)
        app.on_click(cancel, lambda: self.form_area.clear())
        style = {"border": "1px solid " + ("#fda29b" if warn else "#d9d6fe"), "border-radius": "8px",
                 "padding": "6px 12px", "background": "#fffbfa" if warn else "#fcfcfd"}
        self.form_area[:] = [pn.Column(head, form.layout(), *evidence, when, pn.Row(submit, cancel), errors,
                                       confirm_area, sizing_mode="stretch_width", css_classes=["tc-form-" + action.name],
                                       styles=style)]
