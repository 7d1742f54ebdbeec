"""The rules of one step, without a database: who may, what refuses, where it
leads, and what the project then owes.

:class:`~tongchou.ledger.Ledger` runs these inside its transactions; tools that
replay history under other rules (what-if) run them on their own.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import pluggy

from . import auth
from .errors import ConfigurationError
from .parameters import ParameterSet
from .registry import Registry, reciter
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
          date: dt.date) -> list[Refusal]:
    """What the guards watching ``action`` say (also the pseudo-actions)."""
    ctx = ActionContext(action=action, args=args, project=state, history=history, actor=actor,
                        date=date, params=params.at(date))
    out = []
    for g in registry.guards_for(action):
        message = g.check(ctx)
        if message:
            out.append(Refusal(g.code, message, g.citation))
    return out


def refusals(registry: Registry, params: ParameterSet, spec: Action, state: ProjectState,
             args: Mapping[str, Any], history: tuple[HistoryEvent, ...], actor: Actor,
             date: dt.date, *, parties: Mapping[str, int | None] | None = None) -> list[Refusal]:
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
        out.append(Refusal("status", f"项目当前状态为“{registry.status_label(state.status)}”,"
                                     f"不能办理“{spec.label}”(应处于:{allowed})", spec.citation))
    out.extend(guard(registry, params, spec.name, state, args, history, actor, date))
    return sorted(out, key=lambda r: (r.citation.articles if r.citation else (), r.code))


def apply(registry: Registry, params: ParameterSet, spec: Action, state: ProjectState,
          args: Mapping[str, Any], history: tuple[HistoryEvent, ...], actor: Actor,
          date: dt.date) -> Step:
    """The project after an allowed action (call :func:`refusals` first)."""
    ctx = ActionContext(action=spec.name, args=args, project=state, history=history, actor=actor,
                        date=date, params=params.at(date))
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
           history: tuple[HistoryEvent, ...]) -> tuple[list[Obligation], list[Finding]]:
    """The obligations and findings the plugins derive, in a fixed order."""
    obligations = sorted(
        (o for result in pm.hook.tongchou_obligations(project=state, history=history, params=params)
         for o in (result or ())), key=lambda o: (o.due, o.code, o.message))
    findings = sorted(
        (f for result in pm.hook.tongchou_findings(project=state, history=history, params=params)
         for f in (result or ())), key=lambda f: (f.citation.articles, f.code, f.message))
    for f in findings:
        if f.severity == "overdue":
            raise ConfigurationError(f"finding {f.code!r}: overdue findings come from obligations")
    recite = reciter(pm)
    if recite is not None:  # a pack citing its base pack's reused rules under its own measures
        obligations = [attrs.evolve(o, citation=recite(o.citation)) for o in obligations]
        findings = sorted((attrs.evolve(f, citation=recite(f.citation)) for f in findings),
                          key=lambda f: (f.citation.articles, f.code, f.message))
    return obligations, findings
