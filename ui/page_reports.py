"""报表: the plugins' reports (e.g. 第二十八条's catalogue of information
systems) and the deadline calendar, each downloadable."""
from __future__ import annotations

import io
from typing import Any

import panel as pn

from tongchou.errors import InvalidInput, TongchouError

from . import exports
from .compat import widget
from .fmt import alert, article_html, badge, esc, field_value, html_pane, table
from .forms import FieldForm

CALENDAR_SHOWN = 500


def report_section(app, report):
    reg = app.registry
    units = [name for _id, name in app.ledger.units()]
    values: dict[str, Any] = {}
    fixed = []
    names = {o.name for o in report.options}
    if "unit" in names:
        values["unit"] = app.actor.unit if app.is_unit() else ""
        if app.is_unit():
            fixed.append("unit")
    if "year" in names:
        values["year"] = app.today().year
    form = FieldForm(report.options, values, lang=app.lang, units=units, fixed=fixed, what="报表选项",
                     money_unit=app.money_unit)
    out = html_pane("", css_classes=[f"tc-report-{report.name}"])
    state: dict[str, Any] = {"rows": None, "options": None}

    def build_rows():
        options = form.parse(partial=False)
        if app.is_unit() and "unit" in options:
            options["unit"] = app.actor.unit
        options = {k: v for k, v in options.items() if v is not None}
        return report.build(app.ledger, app.actor, **options), options

    def show():
        try:
            rows, options = build_rows()
        except TongchouError as exc:
            out.object = alert("danger", app.t("invalid") if isinstance(exc, InvalidInput) else app.t("error"),
                               [str(exc)])
            return
        state["rows"], state["options"] = rows, options
        numeric = [i for i, c in enumerate(report.columns) if c.type in ("money", "int", "decimal")]
        body = [[esc(field_value(c, r.get(c.name), app.lang, app.money_unit)) for c in report.columns] for r in rows]
        out.object = (f'<p class="tc-muted">{esc(app.t("rows", n=len(rows)))}</p>'
                      + table([c.label for c in report.columns], body, numeric=numeric, cls="tc-report-table"))

    def download():
        rows, _options = build_rows()
        return exports.report_workbook(report, rows)

    go = widget(pn.widgets.Button, name=app.t("build_report"), button_type="primary", css_classes=["tc-build-report"],
                           width=120, margin=(10, 10))
    app.on_click(go, show)
    dl = widget(pn.widgets.FileDownload, callback=app.download_callback(download),
                                 filename=f"{report.label}_{app.today():%Y%m%d}.xlsx".replace("/", "-"),
                                 label=app.t("download_excel"), button_type="success", width=160,
                                 css_classes=["tc-report-download"])
    cite = article_html(reg, report.citation) if report.citation else ""
    head = html_pane(f'<div class="tc-h">{esc(report.label)}</div><div class="tc-muted">{cite}</div>')
    show()
    return pn.Column(head, form.layout(), pn.Row(go, dl), out, sizing_mode="stretch_width",
                     styles={"border": "1px solid #eaecf0", "border-radius": "8px", "padding": "4px 12px 8px",
                             "margin-bottom": "10px"})


def calendar_section(app):
    today = app.today()
    obligations = app.ledger.obligations(app.actor)
    rows = []
    month = None
    for o in obligations[:CALENDAR_SHOWN]:
        m = o.due.strftime("%Y-%m")
        if m != month:
            month = m
            rows.append((f"<b>{esc(m)}</b>", "", "", "", "", ""))
        state = badge(app.t("overdue"), "overdue") if o.overdue_on(today) else badge(app.t("open"))
        rows.append((esc(o.due.isoformat()), f"#{o.project_id} {esc(o.project)}", esc(o.unit), esc(o.message),
                     article_html(app.registry, o.citation), state))
    body = table([app.t("due"), app.t("project"), app.t("unit"), app.t("description"), app.t("citation"),
                  app.t("status")], rows, cls="tc-calendar-table")
    more = (f'<p class="tc-muted">{esc(app.t("rows", n=len(obligations)))}</p>')

    def xlsx():
        return exports.obligations_workbook(app.ledger.obligations(app.actor), app.today())

    def ics():
        from tongchou.ics import ledger_calendar  # SEQUENCEs kept in the ledger, as for `remind --ics`
        data = ledger_calendar(app.ledger, app.ledger.obligations(app.actor), alarm_days=3,
                               calendar_name=f"{app.ledger.jurisdiction.title} {app.t('calendar')}")
        return io.BytesIO(data)

    dl_x = widget(pn.widgets.FileDownload, callback=app.download_callback(xlsx), filename=f"期限日历_{today:%Y%m%d}.xlsx",
                                   label=app.t("download_excel"), button_type="success", width=160,
                                   css_classes=["tc-calendar-xlsx"])
    dl_i = widget(pn.widgets.FileDownload, callback=app.download_callback(ics), filename=f"deadlines_{today:%Y%m%d}.ics",
                                   label=app.t("download_ics"), button_type="success", width=200,
                                   css_classes=["tc-calendar-ics"])
    return pn.Column(html_pane(f'<div class="tc-h">{esc(app.t("calendar"))}</div>'
                               f'<div class="tc-muted">{esc(app.t("calendar_hint"))}</div>'),
                     pn.Row(dl_x, dl_i), html_pane(more + body, css_classes=["tc-calendar"]),
                     sizing_mode="stretch_width",
                     styles={"border": "1px solid #eaecf0", "border-radius": "8px", "padding": "4px 12px 8px"})


def reports_page(app, **_params):
    parts = [report_section(app, r) for r in app.registry.reports.values()]
    parts.append(calendar_section(app))
    return pn.Column(*parts, sizing_mode="stretch_width", css_classes=["tc-page-reports"])
