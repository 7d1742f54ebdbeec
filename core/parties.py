"""Parties to a project besides its requesting unit.

A pack declares a party as a project field of type ``unit`` with
``party=True`` (e.g. ``builder``, the county-owned company that builds and
operates the system), and may say that an action is taken by that party
(``Action(..., party="builder")``).  The unit a party field names is kept,
besides in the project's data, in the ``project_party`` table, so that the
party's staff find their projects by an index as the requesting unit's staff
find theirs by ``project.unit_id``.

:func:`scope` is the one place that says which projects a user sees; every
listing (projects, obligations, findings, the sweep, counts, exports, the UI)
filters through it.  Part of :class:`~tongchou.ledger.Ledger` (the mixin).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from . import auth
from .errors import InvalidInput
from .models import Project, ProjectParty
from .registry import Registry
from .vocabulary import Actor, Field, ProjectState


@attrs.frozen
class Scope:
    """The projects a unit-scoped user sees: those of ``unit_id``, and those
    where ``unit_id`` is named by one of ``party_fields``."""

    unit_id: int
    party_fields: tuple[str, ...] = ()

    def sql(self, alias: str = "p") -> tuple[str, list[Any]]:
        """A WHERE term on the project table as ``alias``, with ``?`` marks
        (callers put the database's own in), and its parameters."""
        own = f'{alias}."unit_id" = ?'
        if not self.party_fields:
            # A pack without parties pays nothing for them.
            return own, [self.unit_id]
        marks = ", ".join("?" for _ in self.party_fields)
        return (f'({own} OR {alias}."id" IN (SELECT pp."project_id" FROM "project_party" AS pp '
                f'WHERE pp."unit_id" = ? AND pp."field" IN ({marks})))',
                [self.unit_id, self.unit_id, *self.party_fields])

    def expr(self):
        """The same term as a peewee expression on :class:`Project`."""
        own = Project.unit == self.unit_id
        if not self.party_fields:
            return own
        # Rows of a party field a pack no longer declares grant nothing.
        theirs = (ProjectParty.select(ProjectParty.project)
                  .where(ProjectParty.unit == self.unit_id, ProjectParty.field.in_(self.party_fields)))
        return own | Project.id.in_(theirs)


def scope(registry: Registry, actor: Actor | None) -> Scope | None:
    """What ``actor`` may see: None for everything (no actor, or a role that is
    not unit-scoped), else the :class:`Scope` of its unit."""
    if actor is None:
        return None
    unit = auth.visible_unit(registry, actor)
    if unit is None:
        return None
    return Scope(unit, registry.party_fields)


class PartiesMixin:
    """Checking ``unit`` fields and keeping ``project_party`` in step."""

    def _unit_id_or_none(self, name: Any) -> int | None:
        if not isinstance(name, str) or not name:
            return None
        try:
            return self.unit_id(name)
        except InvalidInput:
            return None

    def check_units(self, specs: Iterable[Field], values: Mapping[str, Any]) -> None:
        """Raise InvalidInput, naming the field, for a ``unit`` field of
        ``values`` that names no unit of the ledger."""
        for spec in specs:
            name = values.get(spec.name)
            if spec.type == "unit" and name is not None and self._unit_id_or_none(name) is None:
                raise InvalidInput(spec.name, f"未知单位“{name}”（请先添加单位）", spec.label)

    def _party_ids(self, fields: Mapping[str, Any]) -> dict[str, int]:
        """Unit ids by party field, for the party fields ``fields`` fill in."""
        out = {}
        for name in self.registry.party_fields:
            uid = self._unit_id_or_none(fields.get(name))
            if uid is not None:
                out[name] = uid
        return out

    def parties(self, project: ProjectState) -> dict[str, int]:
        """The project's party units (ids) by party field name, for
        :mod:`tongchou.auth` (``can_read``, ``action_permission``, ...)."""
        return self._party_ids(project.fields)

    def _row_parties(self, row: Project) -> dict[str, int]:
        if not self.registry.party_fields:
            return {}
        return self._party_ids(row.data or {})

    def party_list(self, project: ProjectState) -> list[tuple[str, str, str]]:
        """``(field, label, unit name)`` for every party of the project, the
        requesting unit first: what ``project show`` and the project page list."""
        reg = self.registry
        unit = reg.fields.get("unit")
        out = [("unit", unit.label if unit is not None else "建设单位", project["unit"] or "")]
        for name in reg.party_fields:
            if project[name]:
                out.append((name, reg.fields[name].label, project[name]))
        return out

    def _write_parties(self, project_id: int, before: Mapping[str, int], after: Mapping[str, int]) -> None:
        """Bring the project's ``project_party`` rows from ``before`` to
        ``after`` (inside the caller's transaction); nothing when unchanged."""
        if dict(before) == dict(after):
            return
        gone = [f for f in before if before[f] != after.get(f)]
        if gone:
            ProjectParty.delete().where(ProjectParty.project == project_id, ProjectParty.field.in_(gone)).execute()
        new = [{"project": project_id, "field": f, "unit": u} for f, u in after.items() if before.get(f) != u]
        if new:
            ProjectParty.insert_many(new).execute()

    def _resync_parties(self, rows: Iterable[Project]) -> None:
        """Rewrite the ``project_party`` rows of ``rows`` from their data (after
        a rule change that may have added or dropped a party field)."""
        rows = list(rows)
        if not rows:
            return
        ids = [r.id for r in rows]
        known = ProjectParty.select().where(ProjectParty.project.in_(ids))
        if not self.registry.party_fields and not known.exists():
            return
        ProjectParty.delete().where(ProjectParty.project.in_(ids)).execute()
        new = [{"project": r.id, "field": f, "unit": u} for r in rows for f, u in self._row_parties(r).items()]
        if new:
            ProjectParty.insert_many(new).execute()
