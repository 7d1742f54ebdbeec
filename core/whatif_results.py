"""What a what-if run reports (:mod:`tongchou.whatif`): the draft, and per
project the past steps it would refuse and the deadlines and findings it
would change."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from .citation import Citation
from .vocabulary import Obligation, Refusal


@attrs.frozen
class Draft:
    """A draft rule set: parameter values pinned for every date, and plugins
    switched off (on top of the ledger's own settings)."""

    overrides: Mapping[str, Any] = attrs.field(factory=dict)
    disabled: tuple[str, ...] = attrs.field(default=(), converter=lambda v: tuple(sorted(set(v))))
    #: replay every project under this version of the rules (moving projects
    #: to it, :meth:`Ledger.move_rules`); None: each under its own version
    version: str | None = None

    @property
    def empty(self) -> bool:
        return not self.overrides and not self.disabled and self.version is None


@attrs.frozen
class StepRefusal:
    """A recorded step the draft rules would have refused (or could not run)."""

    seq: int
    action: str
    label: str
    date: dt.date
    role: str
    refusals: tuple[Refusal, ...]

    @property
    def articles(self) -> tuple[str, ...]:
        return tuple(label for r in self.refusals if r.citation is not None
                     for label in r.citation.article_labels)

    def to_json(self) -> dict:
        return {"seq": self.seq, "action": self.action, "label": self.label, "date": self.date.isoformat(),
                "role": self.role, "articles": list(self.articles),
                "refusals": [r.to_json() for r in self.refusals]}


@attrs.frozen
class ObligationChange:
    """An obligation whose due or closing date the draft changes, or that only
    one side has (``before`` or ``after`` is None)."""

    code: str
    citation: Citation
    message: str
    before: Obligation | None
    after: Obligation | None

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"

    def to_json(self) -> dict:
        def dates(o: Obligation | None) -> dict | None:
            if o is None:
                return None
            return {"due": o.due.isoformat(), "closed_on": o.closed_on.isoformat() if o.closed_on else None,
                    "message": o.message}
        return {"code": self.code, "change": self.change, "article": "、".join(self.citation.article_labels),
                "citation": self.citation.label, "message": self.message,
                "before": dates(self.before), "after": dates(self.after), "late_after": self.late_after}

    @property
    def late_after(self) -> bool:
        """Closed after its due date under the draft (on time as recorded or not)."""
        return bool(self.after is not None and self.after.closed_on is not None
                    and self.after.closed_on > self.after.due)


@attrs.frozen
class FindingChange:
    """An open finding on the date that only the current rules (``removed``) or
    only the draft (``added``) have."""

    code: str
    severity: str
    citation: Citation
    message: str
    change: str

    def to_json(self) -> dict:
        return {"code": self.code, "severity": self.severity, "change": self.change,
                "article": "、".join(self.citation.article_labels), "citation": self.citation.label,
                "message": self.message}


@attrs.frozen
class ProjectDiff:
    project_id: int
    name: str
    unit: str
    status: str
    refused: tuple[StepRefusal, ...] = ()
    obligations: tuple[ObligationChange, ...] = ()
    findings: tuple[FindingChange, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.refused or self.obligations or self.findings or self.notes)

    def to_json(self) -> dict:
        return {"project_id": self.project_id, "project": self.name, "unit": self.unit, "status": self.status,
                "refused": [r.to_json() for r in self.refused],
                "obligations": [o.to_json() for o in self.obligations],
                "findings": [f.to_json() for f in self.findings], "notes": list(self.notes)}


@attrs.frozen
class WhatIf:
    """The answer: the draft, the date, and the projects it would change."""

    on: dt.date
    #: name -> (current value on the date, draft value), both as written in parameter files
    overrides: Mapping[str, tuple[str, str]]
    disabled: tuple[str, ...]
    examined: int
    projects: tuple[ProjectDiff, ...]
    #: the version of the rules every project was replayed under (None: its own)
    version: str | None = None

    @property
    def refused_steps(self) -> int:
        return sum(len(p.refused) for p in self.projects)

    def to_json(self) -> dict:
        return {"on": self.on.isoformat(),
                "overrides": {k: {"current": c, "draft": d} for k, (c, d) in self.overrides.items()},
                "disabled": list(self.disabled), "examined": self.examined, "version": self.version,
                "changed": len(self.projects), "refused_steps": self.refused_steps,
                "projects": [p.to_json() for p in self.projects]}


# -- the draft rule set -----------------------------------------------------------
