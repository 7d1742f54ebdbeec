"""The rules of one step, without a database: who may, what refuses, where it
leads, and what the project then owes.

:class:`~tongchou.ledger.Ledger` runs these inside its transactions; tools that
replay history under other rules (what-if) run them on their own.  What a
rule may read besides its project comes in as ``projects`` (a
:class:`~tongchou.reads.ProjectReader`; by default one that finds nothing) and
``documents`` (the project's :class:`~tongchou.reads.DocumentInfo` records).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pluggy

from . import auth, rules
from .errors import ConfigurationError
from .parameters import ParameterSet
from .reads import NO_PROJECTS, DocumentInfo, ProjectReader
from .registry import Registry, reciter, registry_of
from .vocabulary import Action, ActionContext, Actor, Finding, HistoryEvent, Obligation, ProjectState, Refusal


@attrs.frozen
class Step:
    """Where an allowed action leads: the project and history after it."""

    ctx: ActionContext
    project: ProjectState
    history: tuple[HistoryEvent, ...]

    @property
    def from_status(self) -> str:
        return self.ctx.project.status

    @property
    def to_status(self) -> str:
        return self.project.status


def guard(registry: Registry, params: ParameterSet, action: str, state: ProjectState,
          args: Mapping[str, Any], history: tuple[HistoryEvent, ...], actor: Actor,
          date: dt.date, projects: ProjectReader = NO_PROJECTS,
          documents: Sequence[DocumentInfo] = ()) -> list[Refusal]:
    """What the guards watching ``action`` say (also the pseudo-actions)."""
    ctx = ActionContext(action=action, args=args, project=state, history=history, actor=actor,
                        date=date, params=params.at(date), projects=projects, documents=documents)
    out = []
    for g in registry.guards_for(action):
        message = g.check(ctx)
        if message:
            out.append(Refusal(g.code, message, g.citation))
    return out


def refusals(registry: Registry, params: ParameterSet, spec: Action, state: ProjectState,
             args: Mapping[str, Any], history: tuple[HistoryEvent, ...], actor: Actor,
             date: dt.date, projects: ProjectReader = NO_PROJECTS,
             documents: Sequence[DocumentInfo] = (), *,
             parties: Mapping[str, int | None] | None = None) -> list[Refusal]:
    """Every reason to refuse the action: permission first (and alone), then the
    start status and all guards, sorted by article.  ``parties``: the project's
    party units by party field (see :mod:`tongchou.auth`)."""
    denied = auth.action_permission(registry, actor, spec, state.unit_id, parties)
    if denied is not None:
        return [denied]
    out = []
    starts = registry.start_statuses(spec)
    if state.status not in starts:
        allowed = "、".join(registry.status_label(s) for s in starts)
        out.append(Refusal("status", f"项目当前状态为“{registry.status_label(state.status)}”，"
                                     f"不能办理“{spec.label}”（应处于：{allowed}）", spec.citation))
    out.extend(guard(registry, params, spec.name, state, args, history, actor, date, projects, documents))
    return sorted(out, key=lambda r: (r.citation.articles if r.citation else (), r.code))


def apply(registry: Registry, params: ParameterSet, spec: Action, state: ProjectState,
          args: Mapping[str, Any], history: tuple[HistoryEvent, ...], actor: Actor,
          date: dt.date, projects: ProjectReader = NO_PROJECTS,
          documents: Sequence[DocumentInfo] = ()) -> Step:
    """The project after an allowed action (call :func:`refusals` first)."""
    ctx = ActionContext(action=spec.name, args=args, project=state, history=history, actor=actor,
                        date=date, params=params.at(date), projects=projects, documents=documents)
    target = spec.to_status(ctx) if callable(spec.to_status) else spec.to_status
    target = target or state.status
    if target not in registry.statuses:
        raise ConfigurationError(f"action {spec.name!r} moved to unknown status {target!r}")
    fields = dict(state.fields)
    if spec.effects is not None:
        changes = dict(spec.effects(ctx) or {})
        for key in changes:
            if key not in registry.fields or key == "unit":
                raise ConfigurationError(f"action {spec.name!r} sets unknown field {key!r}")
        fields.update(changes)
    project = attrs.evolve(state, status=target, fields=fields, version=state.version + 1)
    event = HistoryEvent(seq=len(history) + 1, action=spec.name, date=date, role=actor.role, args=args,
                         from_status=state.status, to_status=target)
    return Step(ctx=ctx, project=project, history=history + (event,))


def derive(pm: pluggy.PluginManager, params: ParameterSet, state: ProjectState,
           history: tuple[HistoryEvent, ...], projects: ProjectReader = NO_PROJECTS,
           documents: Sequence[DocumentInfo] = ()) -> tuple[list[Obligation], list[Finding]]:
    """The obligations and findings the plugins derive, in a fixed order: the
    declared rules' (``tongchou_obligation_rules``/``tongchou_finding_rules``)
    and the older hooks', less those whose codes are disabled."""
    # Every argument the hookspecs declare is passed; pluggy gives each
    # implementation only those it names, so older plugins are unaffected.
    kwargs: dict[str, Any] = {"project": state, "history": history, "params": params,
                              "projects": projects, "documents": tuple(documents)}
    obligations = [o for result in pm.hook.tongchou_obligations(**kwargs) for o in (result or ())]
    findings = [f for result in pm.hook.tongchou_findings(**kwargs) for f in (result or ())]
    registry = registry_of(pm)
    if registry is not None:
        if registry.disabled_codes:  # older hooks cannot be left out, only their outputs
            obligations = [o for o in obligations if not registry.rule_disabled(o.code)]
            findings = [f for f in findings if not registry.rule_disabled(f.code)]
        obligations += rules.derive_all(registry.obligation_rules.values(), kwargs, Obligation)
        findings += rules.derive_all(registry.finding_rules.values(), kwargs, Finding)
    obligations.sort(key=lambda o: (o.due, o.code, o.message))
    findings.sort(key=lambda f: (f.citation.articles, f.code, f.message))
    for f in findings:
        if f.severity == "overdue":
            raise ConfigurationError(f"finding {f.code!r}: overdue findings come from obligations")
    recite = reciter(pm)
    if recite is not None:  # a pack citing its base pack's reused rules under its own measures
        obligations = [attrs.evolve(o, citation=recite(o.citation)) for o in obligations]
        findings = sorted((attrs.evolve(f, citation=recite(f.citation)) for f in findings),
                          key=lambda f: (f.citation.articles, f.code, f.message))
    return obligations, findings
