"""首页 (notices, my worklist, dashboard) and the full 我的待办 page."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import panel as pn

from . import charts, queries
from .browser import Drawn
from .compat import widget
from .fmt import alert, esc, html_pane
from .money import format_money
from .tables import clickable_table

HOME_WORKLIST = 8
PROBLEMS_SHOWN = 50
#: a problem or upcoming list longer than ROWS_IN_VIEW scrolls inside a table
#: TABLE_HEIGHT pixels high: the page stays short, and the browser draws only
#: the rows in view
ROWS_IN_VIEW = 10
TABLE_HEIGHT = 420
#: the investment-by-unit chart shows this many units, the rest summed below it
UNITS_CHARTED = 20
#: the home page's worklist and charts are read once the browser has painted
#: the page (a province-wide role's worklist holds the interpreter for
#: seconds, and would slow the page down), or after this many seconds when
#: the browser does not say so
PAINTED_AT_MOST = 5.0


def notices_pane(app):
    notices = app.ledger.notices(app.today())
    if not notices:
        return None
    return html_pane("".join(alert("warning", n.message, [n.citation.label]) for n in notices),
                     css_classes=["tc-notices"])


def _open(app):
    return app.handler(lambda pid: app.go("project", project=pid))


def _entry_text(app, e) -> str:
    """One to-do as the worklist says it: what, why (the article), what still blocks it."""
    if app.lang == "en":
        colon, semicolon, cite = ": ", "; ", f" ({e.citation.label})"
    else:
        colon, semicolon, cite = "：", "；", f"（{e.citation.label}）"
    text = f"{e.action_label}{colon}{e.reason}{cite}"
    if e.blocked_by:
        text += f" [{app.t('still_needs')}{colon}" + semicolon.join(r.message for r in e.blocked_by) + "]"
    return text


def worklist_table(app, limit: int, css_class: str = "tc-worklist", found=None):
    """The worklist as a table, with how many rows it shows and how many
    projects wait in all; ``found``: :func:`queries.worklist`'s answer when
    already read (off the event loop, see :func:`deferred_worklist`)."""
    items, total = found if found is not None else queries.worklist(app.ledger, app.actor, limit=limit,
                                                                      on=app.today())
    if not items:
        return html_pane(f'<p class="tc-muted">{esc(app.t("worklist_empty"))}</p>', css_classes=[css_class]), 0, 0
    reg = app.registry
    rows = []
    for w in items:
        p = w.project
        rows.append({
            "id": p.id, "name": p.name, "unit": p["unit"], "status": reg.status_label(p.status),
            "todo": ("; " if app.lang == "en" else "；").join(_entry_text(app, e) for e in w.entries),
            "since": w.waiting_since.isoformat() if w.waiting_since else "",
            "deadline": (f"{w.deadline.due.isoformat()}"
                         + (f"({app.t('overdue')})" if w.deadline.overdue_on(app.today()) else ""))
            if w.deadline else app.t("no_deadline"),
        })
    table = clickable_table(rows, [("id", app.t("col_id")), ("name", reg.fields["name"].label),
                                   ("unit", reg.fields["unit"].label), ("status", app.t("status")),
                                   ("todo", app.t("next_action")), ("since", app.t("waiting_since")),
                                   ("deadline", app.t("deadline"))],
                            on_open=_open(app), css_class=css_class)
    return table, len(items), total


def _kpi(label: str, value: str, bad: bool = False) -> str:
    return f'<div class="tc-kpi{" bad" if bad else ""}"><span class="tc-muted">{esc(label)}</span><b>{esc(value)}</b></div>'


def home(app, **_params):
    today = app.today()
    reg = app.registry
    parts = []
    notices = notices_pane(app)
    if notices is not None:
        parts.append(notices)

    painted = Drawn()  # last on the page: the slow reads below start once it is painted
    counts = app.ledger.status_counts(app.actor)
    # Counts and the first rows from SQL: building every finding of a province is seconds.
    found = queries.finding_counts(app.ledger, app.actor, today)
    findings = queries.top_findings(app.ledger, app.actor, today, PROBLEMS_SHOWN)
    n_overdue, n_violations = found.get("overdue", 0), found.get("violation", 0)
    upcoming = app.ledger.obligations(app.actor, due_from=today, due_before=today + dt.timedelta(days=31))
    parts.append(html_pane(
        _kpi(app.t("total_projects"), str(sum(counts.values())))
        + _kpi(app.t("total_estimate"), format_money(app.ledger.total_estimate(app.actor), app.money_unit, app.lang))
        + _kpi(app.t("overdue_count"), str(n_overdue), bad=bool(n_overdue))
        + _kpi(app.t("violation_count"), str(n_violations), bad=bool(n_violations))
        + _kpi(app.t("due_soon_count"), str(len(upcoming))), css_classes=["tc-kpis"]))
    # The role's own view first: the county overview, or the inspection list.
    from .page_roles import role_panes
    parts += role_panes(app, findings)

    # My worklist first: it is what a user comes for.
    if app.has_actions():
        def show(table, shown, total):
            more = widget(pn.widgets.Button, name=app.t("worklist_all"), button_type="light",
                          css_classes=["tc-worklist-all"])
            app.on_click(more, lambda: app.go("worklist"))
            return [_worklist_head(app, shown, total), table] + ([more] if total > shown else [])
        parts.append(deferred_worklist(app, HOME_WORKLIST, "tc-worklist", show, after=PAINTED_AT_MOST,
                                       signal=painted))

    # Overdue obligations and violations next.
    parts.append(html_pane(f'<div class="tc-h">{esc(app.t("problems"))}</div>'))
    if findings:
        sev = {"overdue": app.t("severity_overdue"), "violation": app.t("severity_violation")}
        rows = [{"id": f.project_id, "severity": sev.get(f.severity, f.severity), "name": f.project,
                 "unit": f.unit, "message": f.message, "citation": f.citation.label}
                for f in findings[:PROBLEMS_SHOWN]]
        parts.append(clickable_table(rows, [("id", app.t("col_id")), ("severity", ""),
                                            ("name", reg.fields["name"].label), ("unit", reg.fields["unit"].label),
                                            ("message", app.t("description")), ("citation", app.t("citation"))],
                                     on_open=_open(app), css_class="tc-problems",
                                     height=TABLE_HEIGHT if len(rows) > ROWS_IN_VIEW else None))
        if n_overdue + n_violations > PROBLEMS_SHOWN:
            parts.append(html_pane(f'<p class="tc-muted">{esc(app.t("rows", n=n_overdue + n_violations))}</p>'))
    else:
        parts.append(html_pane(f'<p class="tc-muted">{esc(app.t("problems_empty"))}</p>'))

    parts.append(html_pane(f'<div class="tc-h">{esc(app.t("upcoming"))}</div>'))
    if upcoming:
        rows = [{"id": o.project_id, "due": o.due.isoformat(), "days": (o.due - today).days, "name": o.project,
                 "unit": o.unit, "message": o.message, "citation": o.citation.label}
                for o in upcoming[:PROBLEMS_SHOWN]]
        parts.append(clickable_table(rows, [("id", app.t("col_id")), ("due", app.t("due")), ("days", app.t("days_left")),
                                            ("name", reg.fields["name"].label), ("unit", reg.fields["unit"].label),
                                            ("message", app.t("description")), ("citation", app.t("citation"))],
                                     on_open=_open(app), right=("days",), css_class="tc-upcoming",
                                     height=TABLE_HEIGHT if len(rows) > ROWS_IN_VIEW else None))
        if len(upcoming) > PROBLEMS_SHOWN:
            parts.append(html_pane(f'<p class="tc-muted">{esc(app.t("rows", n=len(upcoming)))}</p>'))
    else:
        parts.append(html_pane(f'<p class="tc-muted">{esc(app.t("upcoming_empty"))}</p>'))

    # Charts: people would rather look at these than read them.  The sums by
    # year and unit read every project, so they are computed off the event loop.
    parts.append(html_pane(f'<div class="tc-h">{esc(app.t("dashboard"))}</div>'))
    area = pn.Column(pn.indicators.LoadingSpinner(value=True, size=32), sizing_mode="stretch_width",
                     css_classes=["tc-charts"])
    parts.append(area)
    actor = app.actor
    app.defer(lambda: queries.totals(app.ledger, actor), lambda totals: area.__setitem__(
        slice(None), chart_panes(app, totals)), after=PAINTED_AT_MOST, signal=painted)
    return pn.Column(*parts, painted, sizing_mode="stretch_width", css_classes=["tc-page-home"])


def chart_panes(app, totals) -> list:
    reg = app.registry
    statuses = [s for s in reg.statuses if totals.by_status.get(s)]
    status_chart = charts.vbar(app.t("projects_by_status"), [reg.status_label(s) for s in statuses],
                               [totals.by_status[s] for s in statuses],
                               value_text=[f"{totals.by_status[s]} 个" for s in statuses], counts=True)
    year_chart = charts.money_bars(app.t("investment_by_year"), {str(y): v for y, v in totals.by_year.items()})
    out = [pn.Row(status_chart, year_chart, sizing_mode="stretch_width", css_classes=["tc-chart-row"])]
    if not app.is_unit():
        by_unit, title, rest = totals.by_unit, app.t("investment_by_unit"), []
        if len(by_unit) > UNITS_CHARTED:  # a province has hundreds: the largest, the rest summed below
            ranked = sorted(by_unit.items(), key=lambda kv: (-kv[1], kv[0]))
            by_unit, rest = dict(ranked[:UNITS_CHARTED]), ranked[UNITS_CHARTED:]
            title = app.t("investment_by_unit_top", n=UNITS_CHARTED)
        out.append(charts.money_bars(title, by_unit, horizontal=True))
        if rest:
            amount = format_money(sum((v for _, v in rest), Decimal(0)), "wan", app.lang)
            out.append(html_pane(f'<p class="tc-muted tc-units-rest">'
                                 f'{esc(app.t("other_units", n=len(rest), amount=amount))}</p>'))
    return out


def _worklist_head(app, shown: int | None = None, total: int | None = None):
    more = total is not None and shown is not None and total > shown
    return html_pane(f'<div class="tc-h">{esc(app.t("worklist"))}</div>'
                     f'<div class="tc-muted">{esc(app.t("worklist_hint"))}'
                     + (f' {esc(app.t("worklist_more", total=total, shown=shown))}' if more else "") + "</div>")


def deferred_worklist(app, limit: int, css_class: str, show, after: float = 0.0, signal=None) -> pn.Column:
    """The worklist's place on a page, filled when it has been read off the
    event loop (see :meth:`TongchouApp.defer` on ``after`` and ``signal``): for a province-wide role it
    evaluates every candidate project (seconds at 100,000 projects), and the
    rest of the page need not wait.  ``show(table, shown, total)`` gives what
    goes in its place."""
    area = pn.Column(_worklist_head(app), pn.indicators.LoadingSpinner(value=True, size=24),
                     sizing_mode="stretch_width", css_classes=[css_class + "-area"])
    on, actor = app.today(), app.actor
    app.defer(lambda: queries.worklist(app.ledger, actor, limit=limit, on=on),
              lambda found: area.__setitem__(slice(None), show(*worklist_table(app, limit, css_class, found))),
              after=after, signal=signal)
    return area


def worklist_page(app, **_params):
    def show(table, shown, total):
        out = [_worklist_head(app), table]
        if total > shown:
            out.append(html_pane(f'<p class="tc-muted">{esc(app.t("worklist_more", total=total, shown=shown))}</p>'))
        return out
    return pn.Column(deferred_worklist(app, queries.WORKLIST_LIMIT, "tc-worklist-full", show),
                     sizing_mode="stretch_width", css_classes=["tc-page-worklist"])

