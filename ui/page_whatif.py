"""规则推演 (administrators): what a draft rule set would have done to the
ledger's projects, before the county adopts it.

The form lists every parameter with its value today and every enabled plugin;
changing values or unticking plugins and pressing the button replays the whole
ledger under the draft (:mod:`tongchou.whatif`, read-only) and shows, project
by project, the past steps it would refuse and the deadlines and findings it
would change.
"""
from __future__ import annotations

import panel as pn

from tongchou import whatif
from tongchou.dates import parse_date
from tongchou.errors import InvalidInput, TongchouError
from tongchou.packs import CORE_PLUGIN
from tongchou.parameters import render

from .compat import widget
from .fmt import alert, article_html, badge, esc, html_pane, table

CHANGE = {"added": ("新增", "overdue"), "removed": ("消失", "closed"), "changed": ("变化", "advice")}
SEVERITY = {"violation": "违规", "overdue": "逾期", "advice": "建议"}


def _box(*objs, css: str = ""):
    return pn.Column(*objs, sizing_mode="stretch_width", css_classes=[css] if css else [],
                     styles={"border": "1px solid #eaecf0", "border-radius": "8px", "padding": "4px 12px 8px",
                             "margin-bottom": "10px"})


def _refusals_html(app, diff: whatif.ProjectDiff) -> str:
    items = []
    for r in diff.refused:
        why = "<br>".join(f"{esc(x.message)} {article_html(app.registry, x.citation) if x.citation else ''}"
                          for x in r.refusals)
        items.append(f"<li>{esc(r.date.isoformat())} 第{r.seq}步 <b>{esc(r.label)}</b>：{why}</li>")
    return f'<ul class="tc-whatif-refused">{"".join(items)}</ul>' if items else "—"


def _obligations_html(app, diff: whatif.ProjectDiff) -> str:
    items = []
    for o in diff.obligations:
        label, cls = CHANGE[o.change]
        before = esc(o.before.due.isoformat()) if o.before else "—"
        after = esc(o.after.due.isoformat()) if o.after else "—"
        late = f' {badge("将逾期办结", "overdue")}' if o.late_after else ""
        items.append(f"<li>{badge(label, cls)} {esc(o.message)} {article_html(app.registry, o.citation)}:"
                     f"{before} → <b>{after}</b>{late}</li>")
    return f"<ul>{''.join(items)}</ul>" if items else "—"


def _findings_html(app, diff: whatif.ProjectDiff) -> str:
    items = []
    for f in diff.findings:
        label, cls = CHANGE[f.change]
        items.append(f"<li>{badge(label, cls)} [{esc(SEVERITY.get(f.severity, f.severity))}] {esc(f.message)} "
                     f"{article_html(app.registry, f.citation)}</li>")
    items += [f'<li class="tc-muted">{esc(n)}</li>' for n in diff.notes]
    return f"<ul>{''.join(items)}</ul>" if items else "—"


def result_html(app, result: whatif.WhatIf) -> str:
    """The answer as escaped HTML: a summary line and a table of projects."""
    draft = [f"<code>{esc(n)}</code>:{esc(cur)} → <b>{esc(new)}</b>" for n, (cur, new) in result.overrides.items()]
    if result.disabled:
        draft.append("停用插件：" + "、".join(f"<code>{esc(d)}</code>" for d in result.disabled))
    summary = (f'<p class="tc-whatif-summary">草案（{"; ".join(draft) or "与现行规则相同"}），'
               f"对比日期 {esc(result.on.isoformat())}：共 {result.examined} 个项目，"
               f"<b>{len(result.projects)}</b> 个项目有变化，<b>{result.refused_steps}</b> 个已办事项将被拒绝。</p>")
    if not result.projects:
        return summary + alert("success", "草案规则不会改变任何项目的已办事项、期限和问题。")
    rows = [(f'<b>#{p.project_id} {esc(p.name)}</b>'
             f'<div class="tc-muted">{esc(p.unit)} · {esc(p.status)}</div>',
             _refusals_html(app, p), _obligations_html(app, p), _findings_html(app, p))
            for p in result.projects]
    return summary + table(["项目", "将被拒绝的已办事项", "期限变化", "问题变化"], rows, cls="tc-whatif-table")


def whatif_page(app, **_params):
    if app.role != "admin":
        return html_pane(alert("danger", app.t("error"), ["只有系统管理员可以进行规则推演"]))
    ledger = app.ledger
    today = app.today()
    params = ledger.params
    inputs: dict[str, pn.widgets.TextInput] = {}
    current: dict[str, str] = {}
    rows = []
    for name, spec in sorted(params.specs.items()):
        current[name] = render(spec.type, params.value(name, today))
        inputs[name] = widget(pn.widgets.TextInput, value=current[name], width=160,
                              css_classes=["tc-whatif-param", f"tc-whatif-param-{name}"])
        rows.append(pn.Row(
            html_pane(f"<code>{esc(name)}</code><div class='tc-muted'>{esc(spec.description)} "
                      f"{esc(spec.unit)} · {article_html(app.registry, spec.citation)}</div>", width=420),
            inputs[name], sizing_mode="stretch_width"))
    plugins = {f"{p.name}  {p.title}": p.name for p in ledger.jurisdiction.plugins
               if p.enabled and p.name != CORE_PLUGIN}
    boxes = widget(pn.widgets.CheckBoxGroup, options=plugins, value=list(plugins.values()), inline=False,
                   css_classes=["tc-whatif-plugins"])
    on = widget(pn.widgets.TextInput, name="对比日期（YYYY-MM-DD）", value=today.isoformat(), width=200,
                css_classes=["tc-whatif-date"])
    run = widget(pn.widgets.Button, name="推演", button_type="primary", width=120,
                 css_classes=["tc-whatif-run"])
    out = html_pane("", css_classes=["tc-whatif-result"], sizing_mode="stretch_width")

    def draft() -> tuple[whatif.Draft, object]:
        overrides = {n: w.value.strip() for n, w in inputs.items() if w.value.strip() != current[n]}
        for n, raw in overrides.items():
            if not raw:
                raise InvalidInput(n, "参数值不能为空", n)
            whatif.check_value(ledger, n, raw)
        disabled = tuple(sorted(set(plugins.values()) - set(boxes.value)))
        try:
            day = parse_date(on.value)
        except ValueError:
            raise InvalidInput("date", "应为 YYYY-MM-DD 格式的日期", "对比日期") from None
        return whatif.Draft(overrides, disabled), day

    def go():
        try:
            d, day = draft()
        except TongchouError as exc:
            out.object = alert("danger", app.t("invalid"), [str(exc)])
            return
        out.object = '<p class="tc-muted">推演中……</p>'
        run.disabled = True
        actor = app.actor

        def compute():
            try:
                return whatif.run(ledger, d, on=day, actor=actor)
            except TongchouError as exc:
                return exc

        def done(result):
            run.disabled = False
            if isinstance(result, TongchouError):
                out.object = alert("danger", app.t("error"), [str(result)])
            else:
                out.object = result_html(app, result)
        app.defer(compute, done)

    app.on_click(run, go)
    head = html_pane('<div class="tc-h">规则推演</div><div class="tc-muted">按草案规则（修改参数、停用插件）重新推演'
                     "台账中每个项目的全部历史，列出哪些已办事项会被拒绝、哪些期限和问题会变化。只读，不改变台账。</div>")
    return pn.Column(head,
                     _box(html_pane('<div class="tc-h">参数草案</div><div class="tc-muted">所填值适用于所有日期；'
                                    "未改动的参数保持现行值。</div>"), *rows, css="tc-whatif-params"),
                     _box(html_pane('<div class="tc-h">启用的插件</div><div class="tc-muted">取消勾选即在草案中停用。</div>'),
                          boxes),
                     pn.Row(on, run), out, sizing_mode="stretch_width", css_classes=["tc-page-whatif"])
