"""导入台账: upload a county's existing project ledger (.xlsx), see what is
wrong with it row by row (a dry run), then import it.

The checking and writing are :func:`tongchou.imports.import_workbook`, as for
``tongchou import``; this page only uploads, shows and confirms.  A unit's
user imports its own unit's projects; an administrator any unit's.
"""
from __future__ import annotations

from typing import Any

import panel as pn

from tongchou.errors import InvalidInput, PermissionDenied, TongchouError
from tongchou.imports import ImportRefused, ImportReport, import_workbook

from . import queries
from .compat import widget
from .fmt import alert, esc, html_pane, table
from .uploads import file_upload

#: problems listed on the page (the rest are counted)
SHOWN = 500

TEXT: dict[str, tuple[str, str]] = {
    "title": ("导入台账", "Import a ledger"),
    "hint": ("上传本县原有的项目台账（Excel .xlsx）。系统自动识别表头（可为两行合并表头，表头上方的标题行可保留），"
             "按列名及常用别名对应到项目字段；合计行、填表人/审核人/注等表尾行自动跳过。"
             "有批复、合同签订、开工、竣工、验收、投运日期的项目按实际状态导入，并记下导入的办理记录；"
             "其余为“草稿”状态。先检查，确认无误后再导入。默认全部导入或全部不导入：有一行出错就不写入任何项目。",
             "Upload the county's existing project ledger (.xlsx). The header (one row or two merged rows) is "
             "found by itself and columns are matched to project fields by name or common synonyms; total and "
             "footer rows are skipped. Projects with approval, contract, start, completion, acceptance or "
             "operation dates come in at their real status with imported history; others as drafts. Check "
             "first, then import. All or nothing by default."),
    "file": ("台账文件（.xlsx）", "Ledger file (.xlsx)"),
    "mapping": ("列对应文件（可选，.yaml）", "Column mapping (optional, .yaml)"),
    "partial": ("只导入无误的行（跳过有问题的行）", "Import the good rows only (skip rows with problems)"),
    "create_units": ("自动新建表中出现的新单位", "Add units the file names that the ledger lacks"),
    "check": ("检查", "Check"),
    "import": ("导入", "Import"),
    "no_file": ("请先选择要导入的 Excel 文件。", "Choose an Excel file first."),
    "checked_ok": ("检查通过：{good} 行均可导入。", "Checked: all {good} rows can be imported."),
    "checked_bad": ("检查发现问题：共 {rows} 行，{bad} 行有问题，{good} 行无误。",
                    "Problems found: {rows} rows, {bad} with problems, {good} good."),
    "imported": ("已导入 {n} 个项目。", "{n} projects imported."),
    "skipped": ("跳过了 {n} 行有问题的行。", "{n} rows with problems were skipped."),
    "refused": ("未导入：{bad} 行有问题，没有写入任何项目。", "Nothing imported: {bad} rows have problems."),
    "row": ("行号", "Row"),
    "column": ("列", "Column"),
    "message": ("问题", "Problem"),
    "columns": ("列对应：", "Columns:"),
    "ignored": ("未导入的列：", "Columns not imported:"),
    "new_units": ("将新建的单位：", "Units to add:"),
    "skipped_rows": ("跳过的非项目行：", "Rows that are no projects:"),
    "more": ("另有 {n} 处问题未列出。", "{n} more problems not listed."),
    "not_allowed": ("只有建设单位用户和系统管理员可以导入项目。", "Only unit staff and administrators import projects."),
    "invalid": ("文件无法导入", "The file cannot be imported"),
}


def tt(app, key: str, **kwargs: Any) -> str:
    zh, en = TEXT[key]
    text = en if app.lang == "en" else zh
    return text.format(**kwargs) if kwargs else text


def nav_label(lang: str) -> str:
    return TEXT["title"][1 if lang == "en" else 0]


def report_html(app, report: ImportReport, *, done: bool = False, refused: bool = False) -> str:
    """The summary and the table of problems (row, column, message)."""
    parts = []
    labels = {name: spec.label for name, spec in app.registry.fields.items()}
    labels.update({f"@{name}": spec.label for name, spec in app.registry.actions.items()})  # milestone columns
    cols = "、".join(h if h == labels.get(f, f) else f"{h}→{labels.get(f, f)}" for h, f in report.columns)
    info = [f"{tt(app, 'columns')}{cols}"]
    if report.ignored:
        info.append(f"{tt(app, 'ignored')}{'、'.join(report.ignored)}")
    if report.new_units:
        info.append(f"{tt(app, 'new_units')}{'、'.join(report.new_units)}")
    if report.skipped:
        info.append(tt(app, "skipped_rows") + "；".join(f"第 {s.row} 行（{s.reason}）" for s in report.skipped[:20])
                    + ("…" if len(report.skipped) > 20 else ""))
    if refused:
        parts.append(alert("danger", tt(app, "refused", bad=report.bad_rows)))
    elif done:
        lines = [tt(app, "imported", n=len(report.imported))]
        if report.bad_rows:
            lines.append(tt(app, "skipped", n=report.bad_rows))
        parts.append(alert("success", " ".join(lines)))
    elif report.ok:
        parts.append(alert("success", tt(app, "checked_ok", good=report.good)))
    else:
        parts.append(alert("warning", tt(app, "checked_bad", rows=report.rows, bad=report.bad_rows, good=report.good)))
    parts.append("".join(f'<p class="tc-muted">{esc(line)}</p>' for line in info))
    if report.problems:
        rows = [(esc(p.row if p.row is not None else "—"), esc(p.column or "—"), esc(p.message))
                for p in report.problems[:SHOWN]]
        parts.append(table([tt(app, "row"), tt(app, "column"), tt(app, "message")], rows, numeric=[0],
                           cls="tc-import-problems"))
        if len(report.problems) > SHOWN:
            parts.append(f'<p class="tc-muted">{esc(tt(app, "more", n=len(report.problems) - SHOWN))}</p>')
    return "".join(parts)


def import_page(app, **_params):
    if not app.can_create():
        return html_pane(alert("warning", tt(app, "not_allowed")), css_classes=["tc-page-import"])
    is_admin = app.role == "admin"
    w_file = file_upload(app, accept=".xlsx", css_classes=["tc-import-file"])
    w_map = file_upload(app, accept=".yaml,.yml", css_classes=["tc-import-mapping"])
    w_partial = widget(pn.widgets.Checkbox, name=tt(app, "partial"), value=False, css_classes=["tc-import-partial"])
    w_units = widget(pn.widgets.Checkbox, name=tt(app, "create_units"), value=False,
                     css_classes=["tc-import-create-units"], visible=is_admin)
    check = widget(pn.widgets.Button, name=tt(app, "check"), button_type="primary", width=120,
                   css_classes=["tc-import-check"])
    go = widget(pn.widgets.Button, name=tt(app, "import"), button_type="success", width=120, disabled=True,
                css_classes=["tc-import-go"])
    out = html_pane("", css_classes=["tc-import-report"])
    state: dict[str, Any] = {"checked": None}

    def options() -> dict[str, Any] | None:
        # The workbook is read from the uploaded file: the import checks its
        # archive (size, parts, rows) before reading it whole.
        source = w_file.path()
        if source is None:
            out.object = alert("warning", tt(app, "no_file"))
            return None
        mapping = None
        mapping_bytes = w_map.read()
        if mapping_bytes:
            import yaml
            try:
                mapping = yaml.safe_load(mapping_bytes.decode("utf-8")) or {}
            except (UnicodeDecodeError, yaml.YAMLError) as exc:
                out.object = alert("danger", tt(app, "invalid"), [f"映射文件不是有效的 YAML：{exc}"])
                return None
        return {"source": source, "mapping": mapping, "filename": w_file.filename or "",
                "partial": bool(w_partial.value), "create_units": bool(is_admin and w_units.value)}

    def fail(exc: Exception) -> None:
        go.disabled = True
        state["checked"] = None
        if isinstance(exc, ImportRefused):
            out.object = report_html(app, exc.report, refused=True)
        elif isinstance(exc, (InvalidInput, PermissionDenied, TongchouError)):
            out.object = alert("danger", tt(app, "invalid"), [str(exc)])
        else:
            raise exc

    def run(opts: dict[str, Any], dry_run: bool, actor):
        try:
            return import_workbook(app.ledger, opts["source"], actor, mapping=opts["mapping"],
                                   dry_run=dry_run, partial=opts["partial"], date=app.today(),
                                   create_units=opts["create_units"], filename=opts["filename"])
        except TongchouError as exc:
            return exc

    def do_check():
        opts = options()
        if opts is None:
            return
        go.disabled = True

        def shown(result):
            if isinstance(result, Exception):
                fail(result)
                return
            state["checked"] = opts
            out.object = report_html(app, result)
            go.disabled = not (result.good and (result.ok or opts["partial"]))
        actor = app.actor  # who clicked, not whoever is logged in when it runs
        app.defer(lambda: run(opts, True, actor), shown)

    def do_import():
        opts = state["checked"]
        if opts is None:
            return
        current = options()
        if current is None:
            return
        go.disabled = True

        def shown(result):
            state["checked"] = None
            if isinstance(result, Exception):
                fail(result)
                return
            queries.changed()
            out.object = report_html(app, result, done=True)
            app.notify("success", tt(app, "imported", n=len(result.imported)))
        actor = app.actor
        app.defer(lambda: run(current, False, actor), shown)

    # A changed file or option needs a new check before importing.
    def reset(*_):
        state["checked"] = None
        go.disabled = True
    for w in (w_file, w_map):
        w.param.watch(reset, "uploaded")
    for w in (w_partial, w_units):
        w.param.watch(reset, "value")

    def ready(fn):  # a click while a file is still on its way waits for it
        return lambda: w_file.when_ready(lambda: w_map.when_ready(app.handler(fn)))
    app.on_click(check, ready(do_check))
    app.on_click(go, ready(do_import))
    head = html_pane(f'<div class="tc-h">{esc(tt(app, "title"))}</div><div class="tc-muted">{esc(tt(app, "hint"))}</div>')
    files = pn.Row(pn.Column(html_pane(f"<b>{esc(tt(app, 'file'))}</b>"), w_file),
                   pn.Column(html_pane(f"<b>{esc(tt(app, 'mapping'))}</b>"), w_map), sizing_mode="stretch_width")
    return pn.Column(head, files, pn.Row(w_partial, w_units), pn.Row(check, go), out,
                     sizing_mode="stretch_width", css_classes=["tc-page-import"])
