"""Official documents (公文) filled in from a project's ledger record: a
technical review opinion, a rectification notice, an acceptance opinion, or
whatever kinds a jurisdiction's plugins contribute.

The core knows no jurisdiction's documents.  Plugins contribute
:class:`DocumentTemplate` records through the ``tongchou_document_templates``
hook: a kind, a Chinese label, a ``.docx`` template and a context builder.  The
core reads the project through the :class:`~tongchou.ledger.Ledger` (so a unit's
user gets only their own unit's projects), builds a standard context, lets the
plugin add to it, and fills the template.

The template language is :mod:`tongchou.docx_fill`'s.

Issuing (a 文号 from the ledger's register, the file kept, the audit entry) is
:mod:`tongchou.official_issue`; this module only fills documents.
"""
from __future__ import annotations

import datetime as dt
import re
import weakref
from collections.abc import Callable, Mapping
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
    from .docx_fill import fill  # python-docx and lxml: only when a document is made
    return fill(spec.template.read_bytes(), context, name=f"{spec.template.name} ({spec.plugin})")


def __getattr__(name: str) -> Any:
    # fill() and document_text() moved to tongchou.docx_fill; a plugin written
    # against ``tongchou.official.fill`` keeps working (imported on first use,
    # as docx_fill imports this module)
    if name in ("fill", "document_text"):
        from . import docx_fill
        return getattr(docx_fill, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
