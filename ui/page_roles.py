"""What each role sees first on 首页.

Leaders and the county government look after the whole county: a table of
every unit's projects by stage, with its overdue obligations and violations.
Oversight (网信办/审计…) comes for inspections and rectifications: the open
findings come first.  A unit's home keeps its worklist (its projects' next
steps) first, as the generic home does.  The sums come from grouped queries
in the core (``status_counts_by_unit``, ``estimate_totals``).
"""
from __future__ import annotations

from collections import Counter

from .fmt import esc, html_pane, table
from .money import format_money

OVERVIEW_ROLES = ("leader", "government")
OVERSIGHT_ROLES = ("oversight",)


def overview_pane(app, findings):
    """进度总览 by unit: projects per status, overdue and violations, estimate."""
    reg = app.registry
    by_unit = app.ledger.status_counts_by_unit(app.actor)
    money_by_unit = app.ledger.estimate_totals(app.actor, "unit")
    overdue = Counter(f.unit for f in findings if f.severity == "overdue")
    violations = Counter(f.unit for f in findings if f.severity == "violation")
    statuses = [s for s in reg.statuses if any(counts.get(s) for counts in by_unit.values())]
    # Problems and money first (visible without scrolling), then progress by status.
    headers = ["建设单位", "项目数", "逾期义务", "违规问题", "概算总投资", *[reg.status_label(s) for s in statuses]]
    rows = []
    for unit in sorted(by_unit):
        counts = by_unit[unit]
        bad = lambda n: f'<b style="color:#b42318">{n}</b>' if n else "0"  # noqa: E731
        rows.append([f'<span style="white-space:nowrap">{esc(unit)}</span>', str(sum(counts.values())),
                     bad(overdue.get(unit, 0)), bad(violations.get(unit, 0)),
                     esc(format_money(money_by_unit.get(unit), app.money_unit, app.lang)),
                     *[str(counts.get(s, 0) or "") for s in statuses]])
    numeric = range(1, len(headers))
    body = table(headers, rows, numeric=numeric, cls="tc-overview-table")
    return html_pane(f'<div class="tc-h">县域项目总览（按单位与状态）</div>'
                     f'<div class="tc-scroll" style="overflow-x:auto;max-width:100%">{body}</div>',
                     css_classes=["tc-overview"])


def oversight_pane(app, findings):
    """检查与整改: open violations and overdue obligations, worst first."""
    reg = app.registry
    sev = {"overdue": app.t("severity_overdue"), "violation": app.t("severity_violation")}
    ordered = sorted(findings, key=lambda f: (f.severity != "violation", f.project_id))
    rows = [[f'<a class="tc-link" href="?project={f.project_id}">#{f.project_id}</a>', esc(sev.get(f.severity, f.severity)),
             esc(f.project), esc(f.unit), esc(f.message), esc(f.citation.label)] for f in ordered]
    head = f'<div class="tc-h">检查与整改清单</div><div class="tc-muted">共 {len(rows)} 项未解决问题，违规在前。</div>'
    if not rows:
        return html_pane(head + f'<p class="tc-muted">{esc(app.t("problems_empty"))}</p>',
                         css_classes=["tc-oversight"])
    body = table(["项目", "类别", reg.fields["name"].label, reg.fields["unit"].label, "问题", "依据"], rows,
                 cls="tc-oversight-table")
    return html_pane(head + f'<div style="overflow-x:auto;max-width:100%">{body}</div>', css_classes=["tc-oversight"])


def role_panes(app, findings) -> list:
    """The role's own first section(s) of 首页 (empty for other roles)."""
    if app.role in OVERVIEW_ROLES:
        return [overview_pane(app, findings)]
    if app.role in OVERSIGHT_ROLES:
        return [oversight_pane(app, findings)]
    return []
