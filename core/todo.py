"""Worklists (我的待办) and next steps (下一步), from the rules.

A pack says what a project waits for through :func:`tongchou.hookspecs.tongchou_todos`
(a list of :class:`~tongchou.vocabulary.Todo`: an action and why).  The core
keeps a to-do for a user when the user's role, unit or party may take the
action on the project now, and marks it *ready* or *blocked* by the guards
that refuse it whatever the arguments.  One definition serves the web UI and
``tongchou todo``.  Part of :class:`~tongchou.ledger.Ledger` (the mixin).

A guard "refuses whatever the arguments" when it refused without reading an
argument that was not given: :class:`WatchedArgs` records what a guard reads.
That is how the action panel can disable a button before anything is typed,
with the very guards that would refuse the action.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from . import auth
from .citation import Citation
from .errors import ConfigurationError
from .reads import NO_PROJECTS, DocumentInfo, ProjectReader
from .registry import Registry
from .vocabulary import (Action, ActionContext, Actor, HistoryEvent, Obligation, ProjectState, Refusal,
                         Todo)

#: the ids of a worklist's candidates are passed to IN (...) below this many;
#: above it every open obligation the user sees is read once instead
_IN_LIMIT = 500


class WatchedArgs(Mapping):
    """An action's arguments that remember whether a guard asked for one that
    was not given (its verdict then depends on what the user will type)."""

    def __init__(self, given: Mapping[str, Any]):
        self._given = dict(given)
        self.missed = False

    def __getitem__(self, key: str) -> Any:
        if key not in self._given:
            self.missed = True
            raise KeyError(key)
        return self._given[key]

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self._given:
            self.missed = True
            return default
        return self._given[key]

    def __contains__(self, key: object) -> bool:
        if key not in self._given:
            self.missed = True
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        self.missed = True  # a guard looking at every argument depends on them all
        return iter(self._given)

    def __len__(self) -> int:
        self.missed = True
        return len(self._given)


def prerequisites(registry: Registry, params, spec: Action, state: ProjectState,
                  history: tuple[HistoryEvent, ...], actor: Actor | None, date: dt.date, *,
                  args: Mapping[str, Any] | None = None, projects: ProjectReader | None = NO_PROJECTS,
                  documents: Sequence[DocumentInfo] = (),
                  parties: Mapping[str, int | None] | None = None) -> list[Refusal]:
    """What refuses ``spec`` on the project now whatever arguments are still to
    be given (``args``: those given so far): permission (when ``actor`` is
    given), the start status, and each guard that refused without asking for
    a missing argument.  ``projects=None`` leaves out the guards that read
    other projects (a worklist asks without a query per project)."""
    if actor is not None:
        denied = auth.action_permission(registry, actor, spec, state.unit_id, parties)
        if denied is not None:
            return [denied]
    out: list[Refusal] = []
    starts = registry.start_statuses(spec)
    if state.status not in starts:
        allowed = "、".join(registry.status_label(s) for s in starts)
        out.append(Refusal("status", f"项目当前状态为“{registry.status_label(state.status)}”，"
                                     f"不能办理“{spec.label}”（应处于：{allowed}）", spec.citation))
    view = params.at(date)
    for g in registry.guards_for(spec.name):
        if projects is None and g.reads_projects:
            continue
        watched = WatchedArgs(args or {})
        ctx = ActionContext(action=spec.name, args=watched, project=state, history=history,
                            actor=actor or _NOBODY, date=date, params=view,
                            projects=projects if projects is not None else NO_PROJECTS, documents=documents)
        try:
            message = g.check(ctx)
        except (KeyError, TypeError, AttributeError, ValueError):
            if watched.missed:  # it needed an argument not typed yet (and tripped over its absence)
                continue
            raise
        if message and not watched.missed:
            out.append(Refusal(g.code, message, g.citation))
    return sorted(out, key=lambda r: (r.citation.articles if r.citation else (), r.code))


_NOBODY = Actor(name="", role="")


@attrs.frozen
class TodoEntry:
    """One line of a worklist: ``action`` on a project, why, and whether it
    can be taken now (``blocked_by``: the refusals that stand in the way)."""

    project_id: int
    project: str
    unit: str
    status: str
    action: str
    action_label: str
    reason: str
    citation: Citation
    code: str = ""
    due: dt.date | None = None
    waiting_since: dt.date | None = None
    blocked_by: tuple[Refusal, ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.blocked_by

    def overdue_on(self, on: dt.date) -> bool:
        return self.due is not None and self.due < on

    def to_json(self, on: dt.date | None = None) -> dict:
        return {"project_id": self.project_id, "project": self.project, "unit": self.unit,
                "status": self.status, "action": self.action, "action_label": self.action_label,
                "reason": self.reason, "citation": self.citation.label, "code": self.code,
                "due": self.due.isoformat() if self.due else None,
                "overdue": bool(on and self.overdue_on(on)),
                "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None,
                "ready": self.ready, "blocked_by": [r.to_json() for r in self.blocked_by],
                "roles": list(self.roles)}


def _declared_actions(pm) -> frozenset[str] | None:
    """The union of what ``pm``'s ``tongchou_todos`` implementations declared
    they propose; None when one did not declare, or none implements the hook."""
    impls = pm.hook.tongchou_todos.get_hookimpls()
    if not impls:
        return None
    out: set[str] = set()
    for impl in impls:
        declared = getattr(impl.function, "tongchou_todo_actions", None)
        if declared is None:
            return None
        out |= declared
    return frozenset(out)


def _sort_key(e: TodoEntry):
    return (e.due or dt.date.max, e.waiting_since or dt.date.min, e.project_id, e.action)


class TodoMixin:
    """Worklists and next steps."""

    def _todo_candidates(self, registry: Registry, actor: Actor) -> list[str]:
        """Statuses where some action of the actor's role may start (of those
        the packs' ``tongchou_todos`` may propose, when they all say)."""
        proposed = self._proposed_actions()
        out: set[str] = set()
        for spec in registry.actions.values():
            if actor.role in spec.roles and (proposed is None or spec.name in proposed):
                out.update(registry.start_statuses(spec))
        return sorted(out)

    def _proposed_actions(self) -> frozenset[str] | None:
        """The actions any version's ``tongchou_todos`` may propose
        (:func:`tongchou.todo_actions`); None when one did not say, or a
        version has none (every action is then a possible to-do)."""
        out: set[str] = set()
        for version in self.rule_versions:
            declared = _declared_actions(version.jurisdiction.pm)
            if declared is None:
                return None
            out |= declared
        return frozenset(out)

    def _todos_of(self, rules, state: ProjectState, history, on: dt.date,
                  obligations: tuple[Obligation, ...], documents: tuple[DocumentInfo, ...]) -> list[Todo]:
        """What the pack says the project waits for (or the default: every
        action with start statuses, in them)."""
        registry, pm = rules.registry, rules.pm
        if pm.hook.tongchou_todos.get_hookimpls():
            results = pm.hook.tongchou_todos(project=state, history=history, params=rules.params, on=on,
                                             obligations=obligations, documents=documents)
            todos = [t for result in results for t in (result or ())]
        else:
            todos = [Todo(a.name, a.help or a.label, a.citation) for a in registry.actions.values()
                     if a.from_statuses is not None and state.status in a.from_statuses]
        declared = _declared_actions(pm)
        seen, out = set(), []
        for t in todos:
            if not isinstance(t, Todo):
                raise ConfigurationError(f"tongchou_todos returned {t!r}, not a Todo")
            if declared is not None and t.action not in declared:
                raise ConfigurationError(f"tongchou_todos proposed {t.action!r}, which no implementation declared "
                                         f"(todo_actions(...) lists {sorted(declared)})")
            if t.action in registry.actions and (t.action, t.code) not in seen:
                seen.add((t.action, t.code))
                out.append(attrs.evolve(t, citation=registry.cite(t.citation)))
        return out

    def _entry(self, registry: Registry, state: ProjectState, t: Todo, blocked, since) -> TodoEntry:
        spec = registry.actions[t.action]
        return TodoEntry(project_id=state.id, project=state.name, unit=state["unit"] or "",
                         status=state.status, action=spec.name, action_label=spec.label, reason=t.reason,
                         citation=t.citation, code=t.code, due=t.due, waiting_since=since,
                         blocked_by=tuple(blocked), roles=spec.roles)

    def todos(self, actor: Actor, on: dt.date | None = None, *, project_ids: Sequence[int] | None = None,
              ready_only: bool = False) -> list[TodoEntry]:
        """The actor's worklist on ``on`` (default today): one entry per
        project and action, earliest due first, then longest waiting.

        Set-based: the candidates are read in one query (by the statuses where
        the role's actions start, within what the actor sees), then their
        histories, open obligations and documents in one query each; the pack's
        hook and the guards run in memory (guards that read other projects are
        left out here; they still decide when the action is taken)."""
        on = on or dt.date.today()
        statuses = self._todo_candidates(self.registry, actor)
        if not statuses:
            return []
        filters: dict[str, Any] = {"status": statuses}
        if project_ids is not None:
            filters["id"] = [int(i) for i in project_ids]
            if not filters["id"]:
                return []
        rows, _total = self.projects(actor, filters=filters, order_by="id")
        if not rows:
            return []
        ids = [p.id for p in rows]
        histories = self.histories(ids)
        documents = self.project_documents(ids)
        owed: dict[int, list[Obligation]] = {pid: [] for pid in ids}
        for o in self.obligations(actor, project_ids=ids if len(ids) <= _IN_LIMIT else None):
            if o.project_id in owed:
                owed[o.project_id].append(Obligation(o.code, o.citation, o.due, o.message))
        versions = self.governing_versions(ids)
        out = []
        for state in rows:
            rules = self.rules_for(version=versions.get(state.id)) if state.id in versions else self.rules_for()
            registry = rules.registry
            history = histories.get(state.id, ())
            since = history[-1].date if history else None
            parties = self.parties(state)
            docs = documents.get(state.id, ())
            default = not rules.pm.hook.tongchou_todos.get_hookimpls()
            for t in self._todos_of(rules, state, history, on, tuple(owed[state.id]), docs):
                spec = registry.actions[t.action]
                blocked = prerequisites(registry, rules.params, spec, state, history, actor, on,
                                        projects=None, documents=docs, parties=parties)
                if any(r.code in ("permission", "status") for r in blocked):
                    continue
                # Without a pack's word, a step the rules would refuse is nobody's to-do
                # yet, except a draft, which stays on its unit's list.
                if blocked and (ready_only or (default and state.status != registry.initial_status)):
                    continue
                out.append(self._entry(registry, state, t, blocked, since))
        return sorted(out, key=_sort_key)

    def next_steps(self, project_id: int, actor: Actor | None = None,
                   on: dt.date | None = None) -> list[TodoEntry]:
        """What the project waits for on ``on``, whoever takes it (下一步): each
        step with ``blocked_by``, the checklist of what it still needs (the
        refusals of the guards that refuse it whatever the arguments)."""
        on = on or dt.date.today()
        row = self._readable_row(project_id, actor)
        rules = self.rules_for(row)
        state = self._state(row)
        history = self._history(row.id)
        reader, documents = self._rule_reads(state)
        owed = tuple(Obligation(o.code, o.citation, o.due, o.message)
                     for o in self.obligations(None, project_id=row.id))
        since = history[-1].date if history else None
        out = []
        for t in self._todos_of(rules, state, history, on, owed, documents):
            spec = rules.registry.actions[t.action]
            blocked = prerequisites(rules.registry, rules.params, spec, state, history, None, on,
                                    projects=reader, documents=documents)
            out.append(self._entry(rules.registry, state, t, blocked, since))
        return sorted(out, key=_sort_key)
