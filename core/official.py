"""Official documents (公文) filled in from a project's ledger record: a
technical review opinion, a rectification notice, an acceptance opinion, or
whatever kinds a jurisdiction's plugins contribute.

The core knows no jurisdiction's documents.  Plugins contribute
:class:`DocumentTemplate` records through the ``tongchou_document_templates``
hook: a kind, a Chinese label, a ``.docx`` template and a context builder.  The
core reads the project through the :class:`~tongchou.ledger.Ledger` (so a unit's
user gets only their own unit's projects), builds a standard context, lets the
plugin add to it, and fills the template.

Template language (kept small on purpose, so a clerk can edit a template in
Word):

- ``{{ project.name }}`` anywhere in a paragraph or a table cell, headers and
  footers included, is replaced by that value.  Word often splits what one
  types into several runs; a placeholder split across runs is still found, and
  the value takes the formatting of the run where the placeholder starts.
- A table row holding ``{{ findings[].message }}`` repeats once per item of the
  list ``findings`` (each ``[].x`` in the row is that item's ``x``); an empty
  list removes the row.
- Values are inserted as text: XML special characters are escaped by the
  document library and characters XML cannot hold are dropped, so nothing a
  user typed can change the document's structure.  A value is never expanded
  again, so a project called ``{{ x }}`` is printed as it is.
- An unknown name is an error naming the template and the placeholder.
- ASCII ``, : ; ( )`` next to a Chinese character in a value become the
  full-width ``，：；（）`` a 公文 uses (GB/T 9704); ``1,234.56`` keeps its comma.

Issuing (a 文号 from the ledger's register, the file kept, the audit entry) is
:mod:`tongchou.official_issue`; this module only fills documents.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from .errors import ConfigurationError, InvalidInput, NotFound, PermissionDenied
from .registry import collect, merge
from .vocabulary import Actor, HistoryEvent, ProjectState

if TYPE_CHECKING:  # pragma: no cover
    from .ledger import Ledger, LedgerFinding, LedgerObligation
    from .parameters import ParameterSet
    from .registry import Registry

HOOK = "tongchou_document_templates"
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\[\])?(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
# XML 1.0 cannot hold most control characters; lxml refuses them, so they go.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
SEVERITY_LABELS = {"violation": "违规", "overdue": "逾期", "advice": "建议"}


@attrs.frozen
class DocumentContext:
    """What a context builder sees: the project as ``actor`` may read it."""

    ledger: "Ledger"
    project: ProjectState
    history: tuple[HistoryEvent, ...]
    obligations: tuple["LedgerObligation", ...]
    findings: tuple["LedgerFinding", ...]
    on: dt.date
    actor: Actor

    @property
    def registry(self) -> "Registry":
        return self.ledger.registry

    @property
    def params(self) -> "ParameterSet":
        """The parameters of the version of the rules that governs the project."""
        if len(self.ledger.rule_versions) == 1:
            return self.ledger.params
        return self.ledger.rules_for(self.ledger._row(self.project.id)).params

    def last(self, action: str) -> HistoryEvent | None:
        """The project's latest event of ``action``."""
        for ev in reversed(self.history):
            if ev.action == action:
                return ev
        return None

    @property
    def open_obligations(self) -> tuple["LedgerObligation", ...]:
        return tuple(o for o in self.obligations if o.closed_on is None)


@attrs.frozen
class DocumentTemplate:
    """One kind of official document a plugin offers.

    ``context(doc)`` returns the values the template needs beyond the standard
    ones (see :func:`standard_context`), or None when the document does not
    apply to the project now (no review yet, nothing to rectify); it is then not
    offered.  ``roles`` limits who may issue it (empty: anyone who may read the
    project).  A kind contributed by two plugins is a conflict unless one says
    ``replaces="<other plugin>"``.
    """

    kind: str
    label: str
    template: Path = attrs.field(converter=Path)
    context: Callable[[DocumentContext], Mapping[str, Any] | None]
    roles: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    #: position in lists (lifecycle order)
    order: int = 0
    replaces: str | None = None
    plugin: str = ""
    #: the 文号 prefix (``淅审`` in ``淅审〔2026〕3号``), or a function of the
    #: DocumentContext giving it (from the pack's parameters); None or "": the
    #: document is issued without a 文号
    prefix: "str | Callable[[DocumentContext], str] | None" = None


_CACHE: "weakref.WeakKeyDictionary[pluggy.PluginManager, dict[str, DocumentTemplate]]" = \
    weakref.WeakKeyDictionary()


def templates(pm: pluggy.PluginManager) -> dict[str, DocumentTemplate]:
    """The jurisdiction's templates merged by kind, in list order; raises
    PluginConflict when two plugins claim a kind and neither replaces the other."""
    cached = _CACHE.get(pm)
    if cached is None:
        merged = merge("document template", "kind", collect(pm, HOOK), DocumentTemplate)
        cached = dict(sorted(merged.items(), key=lambda kv: (kv[1].order, kv[0])))
        _CACHE[pm] = cached
    return cached


# -- values as a document prints them ------------------------------------------


def chinese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


_DIGITS = "〇一二三四五六七八九"


def _numeral(n: int) -> str:
    """1..31 as 公文 dates write them: 一, 十, 十二, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    return (("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十"))
            + ("" if ones == 0 and tens else _DIGITS[ones]))


def chinese_numeral_date(day: dt.date) -> str:
    """``二〇二六年十二月一日``: the date of a 落款 in Chinese numerals."""
    return (f"{''.join(_DIGITS[int(c)] for c in str(day.year))}年"
            f"{_numeral(day.month)}月{_numeral(day.day)}日")


_CJK = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’]"
_HALF = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）"}
_NEAR_CJK = re.compile(rf"(?<={_CJK})[,:;()]|[,:;()](?={_CJK})")


def fullwidth(value: str) -> str:
    """ASCII ``, : ; ( )`` next to a Chinese character as the full-width marks
    of Chinese text; others (``1,234.56``, ``08:00``, ``(a)``) are kept."""
    out, before = value, None
    while out != before:  # "）;" : the mark next to one just made full-width follows it
        before, out = out, _NEAR_CJK.sub(lambda m: _HALF[m.group(0)], out)
    # a bracket whose partner became full-width follows it: （Beta）, not （Beta)
    if "（" in out or "）" in out:
        out = re.sub(r"（([^（）()]*)\)", r"（\1）", out)
        out = re.sub(r"\(([^（）()]*)）", r"（\1）", out)
    return out


def text(value: Any) -> str:
    """A value as printed in a document (not yet made XML-safe)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.date):
        return chinese_date(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, (list, tuple)):
        return "、".join(text(v) for v in value)
    return str(value)


def _field_text(spec, value: Any) -> str:
    if value is None or value == () or value == []:
        return ""
    if spec is not None and spec.type == "enum":
        return spec.choice_label(value)
    if spec is not None and spec.type == "enum_list":
        return "、".join(spec.choice_label(v) for v in value)
    if spec is not None and spec.type == "money":
        return f"{Decimal(value):,.2f} 元"
    return text(value)


def standard_context(doc: DocumentContext) -> dict[str, Any]:
    """What every template may use, whatever the jurisdiction:

    ``project.*`` (every field as printed, plus ``id`` and ``status``),
    ``jurisdiction.title|document|name``, ``date`` (the issue date),
    ``issue.number`` (the 文号; empty in a draft), ``issue.draft`` (草稿 mark
    of a preview, else empty), ``issue.date`` (``二〇二六年十二月一日``),
    ``issue.printed`` (``2026年12月1日``, for the 版记), ``issue.year``,
    ``issuer.name|role``, ``obligations[]`` (open ones: ``message``,
    ``article``, ``citation``, ``due``, ``overdue``) and ``findings[]`` (open
    problems on the date, advice left out: ``message``, ``severity``,
    ``article``, ``citation``, ``due``).
    """
    reg = doc.registry
    project: dict[str, Any] = {name: _field_text(reg.fields.get(name), value)
                               for name, value in doc.project.fields.items()}
    project.update(id=str(doc.project.id), status=reg.status_label(doc.project.status))
    jur = doc.ledger.jurisdiction
    role = reg.roles.get(doc.actor.role)
    return {
        "issue": {"number": "", "draft": "", "date": chinese_numeral_date(doc.on),
                  "printed": chinese_date(doc.on), "year": str(doc.on.year)},
        "project": project,
        "jurisdiction": {"title": jur.title, "document": jur.document, "name": jur.name},
        "date": chinese_date(doc.on),
        "issuer": {"name": doc.actor.name, "role": role.label if role else doc.actor.role},
        "obligations": [{"message": o.message, "article": "、".join(o.citation.article_labels),
                         "citation": o.citation.label, "due": chinese_date(o.due),
                         "overdue": "是" if o.overdue_on(doc.on) else "否"}
                        for o in doc.open_obligations],
        "findings": [{"message": f.message, "severity": SEVERITY_LABELS.get(f.severity, f.severity),
                      "article": "、".join(f.citation.article_labels), "citation": f.citation.label,
                      "due": chinese_date(f.due) if f.due else ""}
                     for f in doc.findings if f.severity != "advice"],
    }


# -- the API the CLI and the web UI use ------------------------------------------


def _document_context(ledger: "Ledger", project_id: int, actor: Actor, on: dt.date) -> DocumentContext:
    project = ledger.project(project_id, actor)  # NotFound for a project the actor may not see
    history = ledger.histories([project.id])[project.id]
    obligations = ledger.obligations(actor, project_id=project.id, open_only=False)
    findings = ledger.findings(on, actor, project_id=project.id)
    return DocumentContext(ledger=ledger, project=project, history=history,
                           obligations=tuple(obligations), findings=tuple(findings), on=on, actor=actor)


def _may_issue(spec: DocumentTemplate, actor: Actor) -> bool:
    return not spec.roles or actor.role in spec.roles


def may_issue(ledger: "Ledger", kind: str, actor: Actor) -> bool:
    """Whether ``actor``'s role may issue document ``kind`` (take its 文号);
    anyone who may read a project may preview a draft of it."""
    spec = templates(ledger.pm).get(kind)
    return spec is not None and _may_issue(spec, actor)


def _refuse_issuer(ledger: "Ledger", spec: DocumentTemplate, actor: Actor) -> None:
    if not _may_issue(spec, actor):
        allowed = "、".join(ledger.registry.roles[r].label if r in ledger.registry.roles else r
                           for r in spec.roles)
        raise PermissionDenied(f"“{spec.label}”只能由{allowed}签发")


def offered(ledger: "Ledger", project_id: int, actor: Actor,
            on: dt.date | None = None) -> list[tuple[str, str, bool]]:
    """The documents that apply to the project now, as ``(kind, label,
    may_issue)``: every reader of the project may preview them (a draft,
    unnumbered); only the roles a template names may issue them."""
    doc = _document_context(ledger, project_id, actor, on or dt.date.today())
    return [(kind, spec.label, _may_issue(spec, actor)) for kind, spec in templates(ledger.pm).items()
            if spec.context(doc) is not None]


def available(ledger: "Ledger", project_id: int, actor: Actor,
              on: dt.date | None = None) -> list[tuple[str, str]]:
    """The documents ``actor`` may issue for the project now: ``(kind, label)``."""
    return [(kind, label) for kind, label, ok in offered(ledger, project_id, actor, on) if ok]


def number_prefix(ledger: "Ledger", spec: DocumentTemplate, project_id: int, actor: Actor,
                  on: dt.date) -> str:
    """The 文号 prefix of ``spec`` for the project on ``on`` ("" : unnumbered)."""
    if callable(spec.prefix):
        return str(spec.prefix(_document_context(ledger, project_id, actor, on)) or "")
    return spec.prefix or ""


DRAFT_MARK = "（草稿，未编号）"


def render(ledger: "Ledger", project_id: int, kind: str, actor: Actor,
           on: dt.date | None = None, *, number: str | None = None) -> bytes:
    """The ``.docx`` of document ``kind`` for the project, issued on ``on``
    with 文号 ``number`` (None: a draft, marked as such and unnumbered; take a
    number with :func:`tongchou.official_issue.issue`).

    Raises NotFound (no such project for this actor, or no such kind),
    PermissionDenied (a numbered document, and the actor's role may not issue
    it) and InvalidInput (the document does not apply to the project now).
    """
    specs = templates(ledger.pm)
    spec = specs.get(kind)
    if spec is None:
        known = "、".join(f"{k}({s.label})" for k, s in specs.items()) or "无"
        raise NotFound(f"unknown document kind {kind!r} (known: {known})")
    doc = _document_context(ledger, project_id, actor, on or dt.date.today())
    if number is not None:  # a draft is a preview for any reader; a numbered one is issued
        _refuse_issuer(ledger, spec, actor)
    extra = spec.context(doc)
    if extra is None:
        raise InvalidInput("kind", f"项目“{doc.project.name}”目前不能出具“{spec.label}”", "文书")
    context = standard_context(doc)
    if number is None:
        context["issue"]["draft"] = DRAFT_MARK
    else:
        context["issue"]["number"] = number
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(context.get(key), Mapping):
            context[key] = {**context[key], **value}
        else:
            context[key] = value
    if not spec.template.is_file():
        raise ConfigurationError(f"template of document {kind!r} ({spec.plugin}) not found: {spec.template}")
    return fill(spec.template.read_bytes(), context, name=f"{spec.template.name} ({spec.plugin})")


# -- filling a .docx ----------------------------------------------------------------


class _Resolver:
    def __init__(self, context: Mapping[str, Any], name: str):
        self.context = context
        self.name = name

    def __call__(self, path: str, item: Any = None) -> str:
        parts = path.split(".")
        if parts[0].endswith("[]"):
            if item is None:
                raise ConfigurationError(f"template {self.name}: {{{{ {path} }}}} is only allowed in a table row")
            value: Any = item
            parts = parts[1:]
        else:
            value = self.context
        for i, part in enumerate(parts):
            if isinstance(value, Mapping) and part in value:
                value = value[part]
            else:
                raise ConfigurationError(
                    f"template {self.name}: unknown placeholder {{{{ {path} }}}} "
                    f"(no {'.'.join(parts[:i + 1])!r})")
        if isinstance(value, Mapping):
            raise ConfigurationError(f"template {self.name}: {{{{ {path} }}}} names a group, not a value")
        return fullwidth(_XML_BAD.sub("", text(value)))

    def items(self, name: str) -> Sequence[Any]:
        value = self.context.get(name)
        if not isinstance(value, (list, tuple)):
            raise ConfigurationError(f"template {self.name}: {{{{ {name}[]... }}}} but {name!r} is not a list")
        return value


def _fill_paragraph(paragraph, resolve: Callable[[str], str]) -> None:
    """Replace the placeholders of one paragraph, even when split over runs.

    Matches are found in the paragraph's whole text, then replaced from the last
    to the first, so the offsets of the ones not yet done stay right.  The
    value goes into the run where the placeholder starts; the rest of the
    placeholder's characters are cut from the runs after it.
    """
    runs = list(paragraph.runs)
    if not runs:
        return
    texts = [r.text for r in runs]
    whole = "".join(texts)
    matches = list(PLACEHOLDER.finditer(whole))
    if not matches:
        return
    for m in reversed(matches):
        value = resolve(m.group(1))
        starts = []
        pos = 0
        for t in texts:
            starts.append(pos)
            pos += len(t)
        first = next(i for i, t in enumerate(texts) if starts[i] <= m.start() < starts[i] + len(t))
        remaining_start, remaining_end = m.start(), m.end()
        for i in range(first, len(texts)):
            s, e = starts[i], starts[i] + len(texts[i])
            if s >= remaining_end:
                break
            lo, hi = max(s, remaining_start) - s, min(e, remaining_end) - s
            if i == first:
                texts[i] = texts[i][:lo] + value + texts[i][hi:]
            else:
                texts[i] = texts[i][:lo] + texts[i][hi:]
    for run, new in zip(runs, texts):
        if run.text != new:
            run.text = new


def _row_lists(row) -> set[str]:
    names = set()
    for cell in row.cells:
        for m in PLACEHOLDER.finditer(cell.text):
            head = m.group(1).split(".")[0]
            if head.endswith("[]"):
                names.add(head[:-2])
    return names


def _fill_cells(row, resolve: Callable[[str], str]) -> None:
    seen = set()
    for cell in row.cells:
        if id(cell._tc) in seen:  # a merged cell is listed once per grid column
            continue
        seen.add(id(cell._tc))
        _fill_block(cell, resolve)


def _fill_table(table, resolver: _Resolver) -> None:
    for row in list(table.rows):
        lists = _row_lists(row)
        if not lists:
            _fill_cells(row, resolver)
            continue
        if len(lists) > 1:
            raise ConfigurationError(f"template {resolver.name}: one table row repeats over "
                                     f"several lists ({', '.join(sorted(lists))})")
        (name,) = lists
        tr = row._tr
        anchor = tr
        for item in resolver.items(name):
            clone = copy.deepcopy(tr)
            anchor.addnext(clone)
            anchor = clone
            from docx.table import _Row
            _fill_cells(_Row(clone, table), lambda path, _i=item: resolver(path, _i))
        tr.getparent().remove(tr)


def _fill_block(block, resolve) -> None:
    """Paragraphs and tables of a body, a cell, a header or a footer."""
    for paragraph in block.paragraphs:
        _fill_paragraph(paragraph, resolve)
    for table in block.tables:
        resolver = resolve if isinstance(resolve, _Resolver) else None
        if resolver is None:
            # inside a repeated row: nested tables fill with the row's item
            for row in table.rows:
                _fill_cells(row, resolve)
        else:
            _fill_table(table, resolver)


def fill(template: bytes, context: Mapping[str, Any], *, name: str = "template") -> bytes:
    """Fill a ``.docx`` template with ``context`` (see the module's docstring)."""
    import docx
    try:
        document = docx.Document(io.BytesIO(template))
    except Exception as exc:  # a corrupt or non-docx file: say which
        raise ConfigurationError(f"template {name} is not a readable .docx: {exc}") from exc
    resolver = _Resolver(context, name)
    _fill_block(document, resolver)
    for section in document.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer,
                     section.even_page_header, section.even_page_footer):
            if not part.is_linked_to_previous:
                _fill_block(part, resolver)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def document_text(data: bytes) -> str:
    """All the text of a ``.docx`` (paragraphs, then table cells row by row),
    one paragraph a line: for tests and previews."""
    import docx
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []

    def walk(block):
        for p in block.paragraphs:
            lines.append(p.text)
        for table in block.tables:
            for row in table.rows:
                cells = []
                for cell in row.cells:  # a merged cell is listed once per grid column
                    if not cells or cells[-1]._tc is not cell._tc:
                        cells.append(cell)
                lines.append(" | ".join(c.text for c in cells))
    walk(document)
    return "\n".join(lines)
