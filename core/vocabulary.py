"""The things plugins contribute, as plain frozen records.

Every hook in :mod:`tongchou.hookspecs` returns lists of these.  They carry no
behaviour of their own beyond small helpers; the registry merges them and the
engine runs them.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from .citation import Citation
from .reads import NO_PROJECTS, DocumentInfo, ProjectReader

if TYPE_CHECKING:  # pragma: no cover
    from .parameters import ParameterView

#: Value types a field or an action argument may have.
FIELD_TYPES = ("text", "int", "year", "money", "decimal", "bool", "date", "enum", "enum_list", "unit")

#: Pseudo-actions that guards may watch besides the plugins' own actions.
CREATE_PROJECT = "project.create"
UPDATE_PROJECT = "project.update"
#: A guard watching this watches every action (not the pseudo-actions).
ANY_ACTION = "*"

#: Action tones: how the UI presents an action (see :class:`Action`).
ACTION_TONES = ("routine", "punitive", "irreversible")

#: Finding severities.  ``violation`` and ``overdue`` count as problems;
#: ``advice`` is a recommendation and is never counted against a project.
SEVERITIES = ("violation", "overdue", "advice")


def _tuple(value):
    return tuple(value) if value is not None else ()


@attrs.frozen
class Choice:
    """One allowed value of an ``enum`` field, with its Chinese label."""

    value: str
    label: str


@attrs.frozen
class Field:
    """A project field or an action argument.

    ``type`` is one of :data:`FIELD_TYPES`.  A ``bool`` that is left out is
    ``False``; any other field left out takes ``default`` (``None`` if unset),
    and a ``required`` one left out is an input error.  A ``unit`` field holds
    the name of a unit of the ledger (an unknown name is an input error).

    ``party=True`` (``unit`` fields of projects only) makes the unit a party to
    the project besides its requesting unit (e.g. the company that builds and
    operates it): that unit's staff see the project and take the actions that
    name this field as their ``party``.

    ``indexed=True`` (project fields kept in the JSON ``data``) gives the field
    a database index of its own, created when the ledger is opened with a pack
    that declares it: a page of projects filtered or sorted on it is then read
    from the index instead of every project's JSON.  The pack decides which of
    its fields are filtered on often enough to be worth an index.
    """

    name: str
    label: str
    type: str = attrs.field(default="text")
    required: bool = False
    default: Any = None
    choices: tuple[Choice, ...] = attrs.field(default=(), converter=_tuple)
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    help: str = ""
    #: offered as a filter in lists of projects
    filterable: bool = False
    #: name of the plugin whose field of the same name this one replaces
    replaces: str | None = None
    plugin: str = ""
    #: the unit this field names is a party to the project (``unit`` fields only)
    party: bool = attrs.field(default=False, kw_only=True)
    #: an action argument naming kinds of documents (``enum_list``): the UI
    #: offers only the kinds uploaded to the project, with an upload in place
    evidence: bool = attrs.field(default=False, kw_only=True)
    #: an index of its own on the JSON value (see above)
    indexed: bool = attrs.field(default=False, kw_only=True)

    @type.validator
    def _check_type(self, _attr, value):
        if value not in FIELD_TYPES:
            raise ValueError(f"field {self.name!r}: unknown type {value!r}")

    @party.validator
    def _check_party(self, _attr, value):
        if value and self.type != "unit":
            raise ValueError(f"field {self.name!r}: only a 'unit' field can be a party (type is {self.type!r})")

    def choice_label(self, value: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        return str(value)

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


@attrs.frozen
class Status:
    """A project status.  ``initial`` is where new projects start; ``terminal``
    ones end the project's life.  Actions that name no start status may be taken
    in any status that is neither initial nor terminal."""

    name: str
    label: str
    initial: bool = False
    terminal: bool = False
    #: position in lists and charts (the lifecycle order)
    order: int = 0
    replaces: str | None = None
    plugin: str = ""


@attrs.frozen
class Role:
    """A role users hold.  Users of a ``unit_scoped`` role belong to one unit and
    see and act on that unit's projects only."""

    name: str
    label: str
    unit_scoped: bool = False
    replaces: str | None = None
    plugin: str = ""


@attrs.frozen
class Action:
    """A step in a project's life, taken by a user of one of ``roles``.

    ``from_statuses`` lists where it may start; ``None`` means any status that is
    neither initial nor terminal.  ``to_status`` is the status it moves to, a
    callable ``(ctx) -> str | None`` when that depends on the arguments, or None
    to stay.  ``effects`` is a callable ``(ctx) -> dict`` of project fields to set.

    ``party`` names a party field (``Field(..., type="unit", party=True)``):
    a user of a unit-scoped role may then take the action only when their unit
    is the unit that field names on the project (e.g. the builder files the
    construction report).  ``None`` (the default) means the requesting unit, as
    for every action before parties existed.  Roles that are not unit-scoped
    are not affected.
    """

    name: str
    label: str
    roles: tuple[str, ...] = attrs.field(converter=tuple)
    citation: Citation
    from_statuses: tuple[str, ...] | None = attrs.field(
        default=None, converter=lambda v: None if v is None else tuple(v))
    to_status: str | Callable[["ActionContext"], str | None] | None = None
    args: tuple[Field, ...] = attrs.field(default=(), converter=_tuple)
    effects: Callable[["ActionContext"], Mapping[str, Any]] | None = None
    help: str = ""
    replaces: str | None = None
    plugin: str = ""
    #: the party field whose unit's staff take this action (None: the requesting unit)
    party: str | None = attrs.field(default=None, kw_only=True)
    #: ``routine``, ``punitive`` (a sanction, e.g. suspending funds) or
    #: ``irreversible`` (cannot be undone, e.g. shutting a system down): the UI
    #: shows the last two in a warning style and asks for confirmation
    tone: str = attrs.field(default="routine", kw_only=True)
    #: what taking the action does, named in that confirmation (Chinese)
    consequence: str = attrs.field(default="", kw_only=True)
    #: statuses where the UI offers the action (None: wherever it may start);
    #: narrows what staff are shown, never what the rules allow
    offered_in: tuple[str, ...] | None = attrs.field(
        default=None, kw_only=True, converter=lambda v: None if v is None else tuple(v))

    @tone.validator
    def _check_tone(self, _attr, value):
        if value not in ACTION_TONES:
            raise ValueError(f"action {self.name!r}: unknown tone {value!r} (known: {', '.join(ACTION_TONES)})")

    def arg(self, name: str) -> Field | None:
        for a in self.args:
            if a.name == name:
                return a
        return None


@attrs.frozen
class ActionArgument:
    """An argument one plugin adds to another plugin's action (e.g. a security
    plugin asking for a crypto evaluation at acceptance)."""

    action: str
    field: Field
    plugin: str = ""
    replaces: str | None = None

    @property
    def key(self) -> str:
        return f"{self.action}.{self.field.name}"


@attrs.frozen
class Notice:
    """A ledger-wide notice on a date (e.g. the measures' trial period has ended)."""

    code: str
    citation: Citation
    message: str


@attrs.frozen
class Guard:
    """One independent reason to refuse an action.

    ``check(ctx)`` returns None when the action may go ahead, or a message in
    Chinese saying why not; the refusal cites ``citation``.  Guards are named by
    ``code`` so that a pack can switch one off without touching the others.

    A guard that reads other projects (``ctx.projects``, e.g. a per-unit
    quota) says so with ``reads_projects=True``: the action then takes a lock
    on the project's unit before any guard runs, so two actions on one unit
    are decided one after the other and cannot both slip under a quota.  (A
    guard that reads without saying so takes the lock on its first read.)
    """

    code: str
    actions: tuple[str, ...] = attrs.field(converter=tuple)
    check: Callable[["ActionContext"], str | None]
    citation: Citation
    label: str = ""
    replaces: str | None = None
    plugin: str = ""
    #: actions of other plugins the check looks for in the history; when the
    #: jurisdiction lacks one of them (its plugin is disabled) the guard is left out
    requires: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    #: the check reads other projects (``ctx.projects``): the action then takes a
    #: per-unit lock first, so concurrent actions cannot both pass a quota
    reads_projects: bool = False


@attrs.frozen
class _DeclaredRule:
    """What obligation and finding rules have in common (see below)."""

    code: str
    citation: Citation
    derive: Callable[..., Any]
    label: str = ""
    replaces: str | None = None
    plugin: str = ""
    requires: tuple[str, ...] = attrs.field(default=(), converter=_tuple)


@attrs.frozen
class ObligationRule(_DeclaredRule):
    """One rule deriving obligations, named by ``code`` so that a pack or a
    ledger can switch it off or replace it alone.

    ``derive(project, history, params, **optional)`` returns a list of
    :class:`Obligation` (or None), each carrying ``code`` itself or
    ``code + "." + suffix``.  It is called after every change to a project with
    the arguments of :func:`tongchou.hookspecs.tongchou_obligations`; it may
    accept only some of them, and with ``**kwargs`` also whatever later
    versions of the core pass.  ``requires`` names the actions of other
    plugins it looks for in the history: without one of them in the
    jurisdiction the rule is left out.
    """


@attrs.frozen
class FindingRule(_DeclaredRule):
    """One rule deriving findings; as :class:`ObligationRule`, but ``derive``
    returns :class:`Finding` records (never of severity ``overdue``)."""


@attrs.frozen
class Todo:
    """Something a project waits for: ``action`` to be taken, and why
    (``reason``, citing ``citation``).  Returned by
    :func:`tongchou.hookspecs.tongchou_todos`; the core puts it on the
    worklist of the users who may take ``action`` on the project now.
    ``code`` names what is owed when the to-do discharges something (e.g. an
    obligation's code); ``due`` is its deadline, if any."""

    action: str
    reason: str
    citation: Citation
    code: str = ""
    due: dt.date | None = None


@attrs.frozen
class Refusal:
    """Why an action was refused.  ``code`` is ``permission``, ``status`` or the
    code of the guard that refused; ``citation`` is None only for permission."""

    code: str
    message: str
    citation: Citation | None = None

    @property
    def label(self) -> str:
        if self.citation is None:
            return self.message
        return f"{self.message}（{self.citation.label}）"

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message,
                "citation": self.citation.to_json() if self.citation else None}


@attrs.frozen
class Obligation:
    """Something owed by ``due``; open until ``closed_on``."""

    code: str
    citation: Citation
    due: dt.date
    message: str
    closed_on: dt.date | None = None


@attrs.frozen
class Finding:
    """A problem (or, with severity ``advice``, a recommendation) a rule sees."""

    code: str
    severity: str = attrs.field()
    citation: Citation = attrs.field()
    message: str = attrs.field()

    @severity.validator
    def _check(self, _attr, value):
        if value not in SEVERITIES:
            raise ValueError(f"unknown severity {value!r}")


@attrs.frozen
class Parameter:
    """A number a rule uses, with its value per effective date.

    ``type`` is ``int``, ``decimal``, ``month_day``, ``date``, ``text`` or
    ``mapping`` (an int-keyed table, e.g. months per 等保 level).

    ``minimum``/``maximum`` (optional) bound an ``int`` or ``decimal`` value,
    or each value of a ``mapping``; ``exclusive_minimum``/``exclusive_maximum``
    make a bound exclusive (e.g. a ratio in (0, 1]).  Every value, from a YAML
    file, a pack, a version or an administrator, is checked against them.
    """

    name: str
    description: str
    citation: Citation
    type: str
    values: tuple[tuple[dt.date, Any], ...] = attrs.field(
        converter=lambda v: tuple(sorted(v.items() if isinstance(v, Mapping) else v)))
    unit: str = ""
    replaces: str | None = None
    plugin: str = ""
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False


@attrs.frozen
class Article:
    """The text of one article, shown next to findings and refusals."""

    number: int
    text: str
    title: str = ""
    document: str = ""


@attrs.frozen
class Report:
    """A report a plugin offers: ``build(ledger, user, **options)`` returns rows
    (dicts keyed by the names of ``columns``)."""

    name: str
    label: str
    columns: tuple[Field, ...] = attrs.field(converter=tuple)
    build: Callable[..., list[dict]]
    citation: Citation | None = None
    options: tuple[Field, ...] = attrs.field(default=(), converter=_tuple)
    replaces: str | None = None
    plugin: str = ""


@attrs.frozen
class CitationMap:
    """Cite another document's articles as one's own.

    A pack that reuses a base pack's plugins follows the same rule under its
    own measures, where the article has another number: every citation of
    ``document`` whose articles are all keys of ``articles`` is shown as
    ``to_document`` with the mapped numbers (refusals, findings, obligations,
    parameters).  A citation with an unmapped article is left as it is.
    """

    document: str
    to_document: str
    #: base article -> own article, given as a mapping; kept as sorted pairs
    articles: tuple[tuple[int, int], ...] = attrs.field(
        converter=lambda m: tuple(sorted(dict(m).items())))
    jurisdiction: str = ""
    replaces: str | None = None
    plugin: str = ""

    def apply(self, citation: Citation) -> Citation:
        table = dict(self.articles)
        if citation.document != self.document or not all(a in table for a in citation.articles):
            return citation
        return Citation(self.to_document, tuple(table[a] for a in citation.articles),
                        self.jurisdiction or citation.jurisdiction)


# --------------------------------------------------------------------------
# What rules look at


@attrs.frozen
class HistoryEvent:
    """One action already taken on a project, as rules see it."""

    seq: int
    action: str
    date: dt.date
    role: str
    args: Mapping[str, Any]
    from_status: str
    to_status: str


@attrs.frozen
class ProjectState:
    """A project's fields and status at one moment, as rules see it."""

    id: int | None
    status: str
    fields: Mapping[str, Any]
    unit_id: int | None = None
    version: int = 0

    def __getitem__(self, name: str) -> Any:
        return self.fields.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.fields.get(name)
        return default if value is None else value

    @property
    def name(self) -> str:
        return self.fields.get("name", "")


@attrs.frozen
class Actor:
    """The user taking an action: login name, role, and unit for unit roles."""

    name: str
    role: str
    unit_id: int | None = None
    unit: str = ""
    id: int | None = None


@attrs.frozen
class ActionContext:
    """All a guard needs to decide: the action, its typed arguments, the project
    before the action, its history, the actor, the date and the parameters in
    force on that date; ``projects``, the other projects of the ledger
    (read-only, :class:`tongchou.reads.ProjectReader`, never this project), and
    ``documents``, the project's uploaded documents
    (:class:`tongchou.reads.DocumentInfo`, oldest first)."""

    action: str
    args: Mapping[str, Any]
    project: ProjectState
    history: tuple[HistoryEvent, ...]
    actor: Actor
    date: dt.date
    params: "ParameterView"
    projects: ProjectReader = NO_PROJECTS
    documents: tuple[DocumentInfo, ...] = attrs.field(default=(), converter=_tuple)

    def last(self, action: str, **matching: Any) -> HistoryEvent | None:
        """The latest event of ``action`` whose arguments match ``matching``."""
        for ev in reversed(self.history):
            if ev.action == action and all(ev.args.get(k) == v for k, v in matching.items()):
                return ev
        return None

    def happened(self, action: str, **matching: Any) -> bool:
        return self.last(action, **matching) is not None

    def has_document(self, kind: str) -> bool:
        """Whether a document of ``kind`` has been uploaded for the project."""
        return any(d.kind == kind for d in self.documents)
