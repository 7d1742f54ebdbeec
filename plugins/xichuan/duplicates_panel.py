"""The “相似项目” panel of a project's page: its closest projects, their score
and the phrases both share, with links.  Every user-written text is escaped.

A unit's user sees its own unit's projects only (as everywhere else); the
others are counted, not named, so nothing of another unit's project leaks.
"""
from __future__ import annotations

import html

from tongchou import auth

TOP = 5


def panel_html(check, ledger, project, user) -> str:
    state = check.index(ledger.db)
    matches = check.similar(project, db=ledger.db, top=TOP * 2)
    threshold = check.threshold(ledger.params, ledger_today())
    scope = auth.visible_unit(ledger.registry, user) if user is not None else None
    shown, hidden = [], 0
    for m in matches:
        meta = state.meta.get(m.id)
        if meta is None:
            continue
        if scope is not None and ledger.unit_id(meta.unit) != scope:
            hidden += 1
            continue
        shown.append((m, meta))
    esc = html.escape
    rows = []
    for m, meta in shown[:TOP]:
        flag = ('<span style="color:#b54708;font-weight:600">疑似重复</span>' if m.score >= threshold
                else '<span style="color:#667085">相似</span>')
        name = esc(state.index.texts[m.id][0])
        rows.append(f'<tr><td><a href="?project={m.id}">#{m.id} {name}</a></td><td>{esc(meta.unit)}</td>'
                    f'<td>{meta.year}</td><td>{m.score:.2f}</td><td>{flag}</td>'
                    f'<td>{esc("、".join(m.overlap[:5]))}</td></tr>')
    head = (f'<p class="tc-similar-note">按名称和建设内容比对（字符二元组，通用词降权）；相似度 0–1,'
            f'达到 {threshold:.2f} 即提示疑似重复建设（第三条），须经县行政审批和政务信息管理局确认，'
            '相似度本身不是结论。</p>')
    if not rows:
        body = '<p class="tc-similar-empty">没有相似的项目。</p>'
    else:
        body = ('<table class="tc-similar"><thead><tr><th>项目</th><th>建设单位</th><th>年度</th><th>相似度</th>'
                '<th>判断</th><th>重合内容</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")
    if hidden:
        body += f'<p class="tc-similar-hidden">另有 {hidden} 个其他单位的相似项目，请联系县行政审批和政务信息管理局核实。</p>'
    return head + body


def ledger_today():
    import datetime as dt
    return dt.date.today()


def panel(check, ledger, project, user):
    """The panel, or None when nothing in the ledger is like the project (a
    page without the panel says as much, and other plugins' panels stay alone)."""
    if not check.similar(project, db=ledger.db, top=1):
        return None
    import panel as pn
    return [("相似项目", pn.pane.HTML(panel_html(check, ledger, project, user), sizing_mode="stretch_width"))]
