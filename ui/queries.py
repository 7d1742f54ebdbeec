"""What the pages ask the ledger, put together from the public Ledger API.

Nothing here touches the database directly; where the Ledger lacks a call
(aggregates by year and unit, a has-overdue filter, the worklist), it is
built from ``ledger.projects``, ``ledger.obligations`` and ``ledger.histories``.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
import warnings
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from tongchou import auth
from tongchou.errors import TongchouError
from tongchou.vocabulary import Action, Actor, ProjectState

#: How many worklist entries are looked at in detail.
WORKLIST_LIMIT = 200
_lock = threading.Lock()
_generation = [0]
#: generation per scope (ledger, unit or None): bumped when a project that scope sees changes
_scope_generation: dict[tuple, int] = defaultdict(int)
_cache: dict[tuple, tuple[float, int, int, Any]] = {}
CACHE_SECONDS = 60.0


def changed(ledger=None, project_id: int | None = None, extra_units: tuple = ()) -> None:
    """Call after every write made through the UI: cached aggregates are stale.

    With the ledger and the project written, only the scopes that can see that
    project are dropped (the province-wide ones, its unit's and its parties'; and
    ``extra_units``, e.g. the unit it had before an edit): other units' dashboards
    stay cached.  Without them, everything is dropped."""
    if ledger is None or project_id is None:
        with _lock:
            _generation[0] += 1
            _cache.clear()
        return
    try:
        state = ledger.project(project_id)
        units = {state.unit_id, *ledger.parties(state).values(), *extra_units}
    except TongchouError:  # gone or unreadable: drop everything rather than guess
        changed()
        return
    scopes = {(id(ledger), None)} | {(id(ledger), u) for u in units}
    with _lock:
        for scope in scopes:
            _scope_generation[scope] += 1
        for key in [k for k in _cache if k[-2:] in scopes]:
            del _cache[key]


def _cached(key: tuple, build):
    """``key`` ends with :func:`scope_key`, so a change drops only the scopes it touches."""
    now = time.monotonic()
    scope = key[-2:]
    with _lock:
        hit = _cache.get(key)
        if hit and hit[1] == _generation[0] and hit[2] == _scope_generation[scope] \
                and now - hit[0] < CACHE_SECONDS:
            return hit[3]
        gen, sgen = _generation[0], _scope_generation[scope]
    value = build()
    with _lock:
        _cache[key] = (now, gen, sgen, value)
    return value


def scope_key(ledger, actor: Actor) -> tuple:
    # What the actor may see, as the lists decide it: a role the rules no longer
    # declare, or a unit-scoped user without a unit, must not share the
    # province-wide entries (None).
    return (id(ledger), auth.visible_unit(ledger.registry, actor))


# -- the worklist -------------------------------------------------------------


def role_actions(ledger, actor: Actor) -> list[Action]:
    """Actions the actor's role may take that start from named statuses."""
    return [a for a in ledger.registry.actions.values()
            if actor.role in a.roles and a.from_statuses is not None]


_WARNED: set[str] = set()


def worklist_statuses(ledger, actor: Actor) -> dict[str, list[Action]]:
    """Deprecated: the statuses where the actor's role may act.  The worklist
    now comes from the rules: use ``ledger.todos(actor, on)``."""
    if "worklist_statuses" not in _WARNED:
        _WARNED.add("worklist_statuses")
        warnings.warn("tongchou.ui.queries.worklist_statuses is deprecated; use Ledger.todos(actor, on)",
                      DeprecationWarning, stacklevel=2)
    out: dict[str, list[Action]] = {}
    for a in role_actions(ledger, actor):
        for s in ledger.registry.start_statuses(a):
            out.setdefault(s, []).append(a)
    return out


@attrs.frozen
class WorkItem:
    """One project of 我的待办 and what waits on it for the user
    (``entries``: :class:`tongchou.todo.TodoEntry`, the same as ``tongchou todo``)."""

    project: ProjectState
    actions: tuple[Action, ...]
    waiting_since: dt.date | None
    deadline: Any  # the earliest due entry (TodoEntry) or None
    entries: tuple = ()


def worklist(ledger, actor: Actor, limit: int = WORKLIST_LIMIT,
             on: dt.date | None = None) -> tuple[list[WorkItem], int]:
    """The actor's worklist (:meth:`tongchou.ledger.Ledger.todos`, the one
    definition the CLI shares) grouped by project, in the ledger's order:
    earliest due first, then longest waiting.  Returns (items, total)."""
    on = on or dt.date.today()
    # Briefly cached like the other aggregates (a write through the UI clears it):
    # for a province-wide role the list evaluates every candidate project.
    entries = _cached(("todos", on, actor.name, actor.role) + scope_key(ledger, actor),
                      lambda: ledger.todos(actor, on))
    by_project: dict[int, list] = {}
    for e in entries:
        by_project.setdefault(e.project_id, []).append(e)
    ids = list(by_project)[:limit]
    states = {p.id: p for p in ledger.projects(actor, filters={"id": ids})[0]} if ids else {}
    reg = ledger.registry
    items = []
    for pid in ids:
        group = tuple(by_project[pid])
        dues = [e for e in group if e.due is not None]
        items.append(WorkItem(project=states[pid], actions=tuple(reg.actions[e.action] for e in group),
                              waiting_since=group[0].waiting_since,
                              deadline=min(dues, key=lambda e: e.due) if dues else None, entries=group))
    return items, len(by_project)


def earliest_open_obligations(ledger, actor: Actor, project_ids: list[int]) -> dict[int, Any]:
    """The earliest open obligation of each of ``project_ids`` (one query)."""
    out: dict[int, Any] = {}
    for ob in ledger.obligations(actor, project_ids=project_ids):
        out.setdefault(ob.project_id, ob)
    return out


# -- overdue ------------------------------------------------------------------


def overdue_project_ids(ledger, actor: Actor, on: dt.date) -> frozenset[int]:
    """Projects with at least one open obligation due before ``on`` (cached briefly)."""
    return _cached(("overdue", on) + scope_key(ledger, actor),
                   lambda: frozenset(o.project_id for o in ledger.obligations(actor, due_before=on)))


def open_findings(ledger, actor: Actor, on: dt.date) -> list:
    """The dashboard's overdue and violation findings on ``on`` (cached briefly:
    on a province this is the whole-ledger sweep, a second or more)."""
    return _cached(("findings", on) + scope_key(ledger, actor),
                   lambda: ledger.findings(on, actor, include_advice=False))


def finding_counts(ledger, actor: Actor, on: dt.date) -> dict[str, int]:
    """Overdue and violation counts on ``on``, counted in SQL (cached briefly)."""
    return _cached(("finding_counts", on) + scope_key(ledger, actor),
                   lambda: ledger.finding_counts(actor, on, include_advice=False))


def top_findings(ledger, actor: Actor, on: dt.date, limit: int) -> list:
    """The first ``limit`` overdue and violation findings on ``on`` (cached briefly):
    read for those projects only, not by building every finding of a province."""
    return _cached(("top_findings", on, limit) + scope_key(ledger, actor),
                   lambda: ledger.top_findings(actor, on, limit, include_advice=False))


def project_filters(ledger, actor: Actor, base: Mapping[str, Any], only_overdue: bool,
                    on: dt.date) -> dict[str, Any] | None:
    """``base`` filters plus the has-overdue filter as an id list; None when
    nothing can match."""
    filters = {k: v for k, v in base.items() if v not in (None, "", [], ())}
    if only_overdue:
        filters["overdue_on"] = on
    return filters


# -- aggregates ----------------------------------------------------------------


@attrs.frozen
class Totals:
    by_status: dict[str, int]
    by_year: dict[int, Decimal]
    by_unit: dict[str, Decimal]
    count: int
    estimate: Decimal


def totals(ledger, actor: Actor) -> Totals:
    """Counts by status and estimates by year and unit (three grouped queries,
    cached for a minute)."""
    def build() -> Totals:
        by_year = ledger.estimate_totals(actor, "year")
        by_unit = ledger.estimate_totals(actor, "unit")
        status = ledger.status_counts(actor)
        return Totals(by_status=status, by_year=dict(sorted(by_year.items())),
                      by_unit=dict(sorted(by_unit.items(), key=lambda kv: -kv[1])),
                      count=sum(status.values()), estimate=ledger.total_estimate(actor))
    return _cached(("totals",) + scope_key(ledger, actor), build)
