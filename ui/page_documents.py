"""The project page's documents: the project's files (upload, list, download)
and the official documents (公文) the jurisdiction's plugins can fill in.

Reading and storing go through :class:`tongchou.documents.DocumentStore`,
which checks that the user may see the project, enforces the size limit and
the type allow-list, and re-checks the SM3 digest on every download.
"""
from __future__ import annotations

import io
import logging
from typing import Any

import panel as pn

from peewee import JOIN

from tongchou import auth, documents
from tongchou.errors import InvalidInput, NotFound, PermissionDenied, TongchouError
from tongchou.models import Account, Document

from .compat import widget
from .fmt import alert, esc, html_pane, table
from .i18n import colon
from .uploads import file_upload

try:  # official documents are optional: the UI works without the module
    from tongchou import official, official_issue
except ImportError:  # pragma: no cover - depends on the installed core
    official = official_issue = None  # type: ignore[assignment]

log = logging.getLogger("tongchou.ui")

#: Kinds offered when uploading, besides the documents the plugins' actions name.
GENERAL_KINDS = ("申报材料", "项目建议书", "可行性研究报告", "初步设计", "合同", "验收报告", "运维材料", "其他")


def store(app) -> documents.DocumentStore:
    return documents.DocumentStore.for_ledger(app.ledger)


def may_upload(app, unit_id: int | None, parties=None) -> bool:
    """The core's rule (staff of the project's unit or of its parties,
    departments that act on projects); the store enforces it again on upload."""
    return app.actor is not None and auth.may_add_document(app.registry, app.actor, unit_id, parties) is None


def document_kinds(app) -> list[str]:
    kinds: list[str] = []
    for action in app.registry.actions.values():
        for arg in action.args:
            if arg.name in ("documents", "document") and arg.choices:
                kinds += [c.label for c in arg.choices]
    for kind in GENERAL_KINDS:
        if kind not in kinds:
            kinds.append(kind)
    return list(dict.fromkeys(kinds))


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _uploads(doc_ids: list[int]) -> dict[int, tuple[str, Any]]:
    """Who uploaded each document and when (the store's list leaves these out)."""
    if not doc_ids:
        return {}
    rows = (Document.select(Document.id, Document.uploaded_at, Account.display_name, Account.name)
            .join(Account, on=(Document.uploaded_by == Account.id), join_type=JOIN.LEFT_OUTER)
            .where(Document.id.in_(doc_ids)).tuples())
    return {doc_id: ((display or name or ""), at) for doc_id, at, display, name in rows}


def documents_section(app, project):
    """The documents of ``project`` (already read with the user's rights)."""
    docs_store = store(app)
    listing = pn.Column(sizing_mode="stretch_width", css_classes=["tc-doc-list"])
    feedback = html_pane("", css_classes=["tc-doc-feedback"])

    def download(doc_id: int, filename: str):
        def build():
            try:
                _meta, data = docs_store.get(app.ledger, doc_id, app.actor)
            except documents.DocumentCorrupt as exc:
                log.error("document %s failed its check: %s", doc_id, exc)
                raise documents.DocumentCorrupt(
                    f"“{filename}”与上传时的 SM3 摘要不符（文件已损坏或被改动），未下载；请联系管理员从备份恢复。"
                ) from exc
            return io.BytesIO(data)
        return app.download_callback(build)

    def refresh():
        docs = docs_store.list(app.ledger, project.id, app.actor)
        if not docs:
            listing[:] = [html_pane(f'<p class="tc-muted">{esc(app.t("documents_empty"))}</p>',
                                    css_classes=["tc-doc-empty"])]
            return
        uploads = _uploads([d.id for d in docs])
        rows = []
        buttons = []
        for d in docs:
            who, when = uploads.get(d.id, ("", None))
            rows.append((esc(d.filename), esc(d.kind), esc(size_text(d.size)),
                         f'<code style="font-size:.8em;word-break:break-all">{esc(d.digest)}</code>',
                         esc(who), esc(when.strftime("%Y-%m-%d %H:%M") if when else "")))
            buttons.append(widget(pn.widgets.FileDownload, callback=download(d.id, d.filename), filename=d.filename,
                                  label=app.t("download") + colon(app.lang) + d.filename, button_type="light",
                                  css_classes=["tc-doc-download", f"tc-doc-{d.id}"]))
        head = [app.t("file_name"), app.t("document_kind"), app.t("file_size"), app.t("sm3_digest"),
                app.t("uploaded_by"), app.t("uploaded_at")]
        listing[:] = [html_pane(table(head, rows, cls="tc-doc-table"), sizing_mode="stretch_width"),
                      pn.FlexBox(*buttons, sizing_mode="stretch_width")]

    refresh()
    parts: list = [listing]
    if may_upload(app, project.unit_id, app.ledger.parties(project)):
        kinds = document_kinds(app)
        kind = widget(pn.widgets.Select, name=app.t("document_kind") + " *", options=kinds, value=kinds[0],
                      width=200, css_classes=["tc-doc-kind"])
        accept = ",".join("." + ext for ext in sorted(documents.ALLOWED))
        chooser = file_upload(app, accept=accept, css_classes=["tc-doc-file"], margin=(28, 10, 10, 10))
        upload = widget(pn.widgets.Button, name=app.t("upload"), button_type="primary", width=100,
                        css_classes=["tc-doc-upload"], margin=(28, 10, 10, 10))
        limit_mb = docs_store.max_bytes // (1024 * 1024)
        hint_text = app.t("documents_hint", types=accept.replace(",", " "), mb=limit_mb)
        hint = html_pane(f'<div class="tc-muted">{esc(hint_text)}</div>')

        def do_upload():
            feedback.object = ""
            data, name = chooser.read(), chooser.filename
            if data is None or not name:
                feedback.object = alert("warning", app.t("invalid"), [app.t("no_file")])
                return
            try:
                stored = docs_store.add(app.ledger, project.id, kind.value, name, data, app.actor)
            except (InvalidInput, NotFound, PermissionDenied) as exc:
                feedback.object = alert("danger", app.t("invalid") if isinstance(exc, InvalidInput)
                                        else app.t("error"), [str(exc)])
                return
            chooser.clear()
            app.notify("success", app.t("uploaded", name=stored.filename))
            feedback.object = alert("success", app.t("uploaded", name=stored.filename))
            refresh()

        # A click while the file is still on its way waits for it.
        app.on_click(upload, lambda: chooser.when_ready(app.handler(do_upload)))
        parts += [hint, pn.Row(kind, chooser, upload, sizing_mode="stretch_width"), feedback]
    return pn.Column(*parts, sizing_mode="stretch_width")


def _safe_name(name: str) -> str:
    return name.replace("/", "-").replace("\\", "-")


def official_section(app, project):
    """The official documents that apply now, or None when the core has no
    official documents.

    Every reader of the project may download a preview (unnumbered, marked
    草稿).  A user whose role may issue a kind (the same rule as ``tongchou
    official``) also gets 「签发并编号」: after a confirmation naming the
    consequence, :func:`tongchou.official_issue.issue` takes the next 文号,
    keeps the file with the project and records the issue in the audit chain,
    as the CLI does.  The documents issued so far are listed with a download
    (checked against their SM3 digest).
    """
    if official is None:
        return None
    try:
        kinds = official.offered(app.ledger, project.id, app.actor, on=app.today())
    except TongchouError as exc:
        return html_pane(alert("danger", app.t("error"), [str(exc)]))
    except Exception as exc:  # a broken template plugin must not take the page down
        log.exception("official.offered failed")
        return html_pane(alert("danger", app.t("error"), [str(exc)]))
    issued_area = pn.Column(sizing_mode="stretch_width", css_classes=["tc-official-issued"])
    confirm_area = pn.Column(sizing_mode="stretch_width", css_classes=["tc-official-confirm"])
    feedback = html_pane("", css_classes=["tc-official-feedback"])
    docs_store = store(app)
    labels = dict((kind, label) for kind, label, _ok in kinds)

    def refresh_issued():
        try:
            done = official_issue.issued(app.ledger, project.id, app.actor) if official_issue else []
        except TongchouError:
            done = []
        if not done:
            issued_area[:] = []
            return
        specs = official.templates(app.ledger.pm)
        rows, buttons = [], []
        for d in done:
            label = labels.get(d.kind) or (specs[d.kind].label if d.kind in specs else d.kind)
            rows.append((esc(d.number or app.t("official_unnumbered")), esc(label), esc(d.issued_on.isoformat())))
            if d.document_id is None:
                continue
            filename = _safe_name(f"{d.number}-{label}.docx" if d.number else f"{label}.docx")

            def build(doc_id=d.document_id):
                return io.BytesIO(docs_store.get(app.ledger, doc_id, app.actor)[1])
            buttons.append(widget(pn.widgets.FileDownload, callback=app.download_callback(build), filename=filename,
                                  label=app.t("download") + colon(app.lang) + (d.number or label), button_type="light",
                                  css_classes=["tc-official-download", f"tc-official-download-{d.id}"]))
        title = f'<div style="font-weight:600;margin-top:.5em">{esc(app.t("official_issued"))}</div>'
        head = [app.t("official_number"), app.t("official_kind"), app.t("official_date")]
        issued_area[:] = [html_pane(title + table(head, rows, cls="tc-official-table"), sizing_mode="stretch_width"),
                          pn.FlexBox(*buttons, sizing_mode="stretch_width")]

    def ask(kind: str, label: str):
        """The confirmation: what issuing does, with the number it will take."""
        feedback.object = ""
        on = app.today()
        spec = official.templates(app.ledger.pm)[kind]
        prefix = official.number_prefix(app.ledger, spec, project.id, app.actor, on)
        if prefix:
            number = official_issue.format_number(prefix, on.year, official_issue.last_number(kind, on.year) + 1)
            text = app.t("official_confirm", label=label, number=number)
        else:
            text = app.t("official_confirm_unnumbered", label=label)
        go = widget(pn.widgets.Button, name=app.t("official_confirm_go") + colon(app.lang) + label, button_type="danger",
                    css_classes=["tc-official-confirm-go"])
        back = widget(pn.widgets.Button, name=app.t("cancel"), css_classes=["tc-official-confirm-cancel"])
        app.on_click(go, lambda: do_issue(kind, label))
        app.on_click(back, confirm_area.clear)
        confirm_area[:] = [html_pane(alert("warning", app.t("confirm_title"), [text]),
                                     css_classes=["tc-official-confirm-text"]), pn.Row(go, back)]

    def do_issue(kind: str, label: str):
        confirm_area.clear()
        try:
            done = official_issue.issue(app.ledger, project.id, kind, app.actor, app.today(), store=docs_store)
        except TongchouError as exc:
            feedback.object = alert("danger", app.t("error"), [str(exc)])
            return
        message = app.t("official_done", label=label, number=done.number or app.t("official_unnumbered"))
        app.notify("success", message)
        feedback.object = alert("success", message)
        refresh_issued()

    if not kinds:
        refresh_issued()
        return pn.Column(html_pane(f'<p class="tc-muted">{esc(app.t("official_none"))}</p>',
                                   css_classes=["tc-official-none"]), issued_area, sizing_mode="stretch_width")
    rows = []
    for kind, label, may in kinds:
        def build(kind=kind):
            return io.BytesIO(official.render(app.ledger, project.id, kind, app.actor, on=app.today()))
        filename = _safe_name(f"{label}_{app.t('official_preview_file')}_{project.name}_{app.today():%Y%m%d}.docx")
        row = [widget(pn.widgets.FileDownload, callback=app.download_callback(build), filename=filename,
                      label=label + colon(app.lang) + app.t("official_preview"), button_type="light",
                      css_classes=["tc-official", f"tc-official-{kind}"])]
        if may and official_issue is not None:
            issue = widget(pn.widgets.Button, name=label + colon(app.lang) + app.t("official_issue"), button_type="success",
                           css_classes=["tc-official-issue", f"tc-official-issue-{kind}"])
            app.on_click(issue, lambda kind=kind, label=label: ask(kind, label))
            row.append(issue)
        rows.append(pn.Row(*row, sizing_mode="stretch_width"))
    refresh_issued()
    hint = app.t("official_hint") + (app.t("official_hint_issue") if any(ok for _k, _l, ok in kinds)
                                      else app.t("official_hint_preview"))
    return pn.Column(html_pane(f'<div class="tc-muted">{esc(hint)}</div>'), *rows, confirm_area, feedback,
                     issued_area, sizing_mode="stretch_width")
