"""What the ledger hands back: the result of an action, findings and
obligations as lists and reports show them, and the sweep of one date."""
from __future__ import annotations

import datetime as dt
import functools

import attrs

from .citation import Citation
from .values import Records
from .vocabulary import ProjectState


@functools.lru_cache(maxsize=4096)
def _labels(citation: Citation) -> tuple[str, str]:
    """A citation's first article and its label, worked out once per citation
    (a province's tens of thousands of findings cite a few dozen)."""
    return citation.article_labels[0], citation.label


@attrs.frozen
class ActResult:
    """What a successful action did."""

    project: ProjectState
    event_id: int
    from_status: str
    to_status: str


@attrs.frozen
class LedgerFinding:
    """An open finding of one project, as lists and reports show it."""

    project_id: int
    project: str
    unit: str
    code: str
    severity: str
    citation: Citation
    message: str
    due: dt.date | None = None

    def to_json(self) -> dict:
        article, label = _labels(self.citation)
        return {"project_id": self.project_id, "project": self.project, "unit": self.unit,
                "code": self.code, "severity": self.severity, "article": article,
                "citation": label, "message": self.message,
                "due": self.due.isoformat() if self.due else None}

    @staticmethod
    def json_records(findings: "list[LedgerFinding]") -> Records:
        """``[f.to_json() for f in findings]`` as columns (``values.Records``):
        ``findings --json`` of a province writes tens of thousands."""
        labels = [_labels(f.citation) for f in findings]
        return Records({"project_id": [f.project_id for f in findings], "project": [f.project for f in findings],
                        "unit": [f.unit for f in findings], "code": [f.code for f in findings],
                        "severity": [f.severity for f in findings], "article": [a for a, _l in labels],
                        "citation": [label for _a, label in labels], "message": [f.message for f in findings],
                        "due": [f.due.isoformat() if f.due else None for f in findings]})


@attrs.frozen
class LedgerObligation:
    project_id: int
    project: str
    unit: str
    code: str
    citation: Citation
    due: dt.date
    message: str
    closed_on: dt.date | None = None

    def overdue_on(self, on: dt.date) -> bool:
        return self.closed_on is None and self.due < on

    def to_json(self, on: dt.date | None = None) -> dict:
        article, label = _labels(self.citation)
        out = {"project_id": self.project_id, "project": self.project, "unit": self.unit,
               "code": self.code, "article": article,
               "citation": label, "due": self.due.isoformat(),
               "message": self.message,
               "closed_on": self.closed_on.isoformat() if self.closed_on else None}
        if on is not None:
            out["overdue"] = self.overdue_on(on)
        return out

    @staticmethod
    def json_records(obligations: "list[LedgerObligation]", on: dt.date | None = None) -> Records:
        """``[o.to_json(on) for o in obligations]`` as columns (``values.Records``)."""
        labels = [_labels(o.citation) for o in obligations]
        columns = {"project_id": [o.project_id for o in obligations], "project": [o.project for o in obligations],
                   "unit": [o.unit for o in obligations], "code": [o.code for o in obligations],
                   "article": [a for a, _l in labels], "citation": [label for _a, label in labels],
                   "due": [o.due.isoformat() for o in obligations], "message": [o.message for o in obligations],
                   "closed_on": [o.closed_on.isoformat() if o.closed_on else None for o in obligations]}
        if on is not None:
            columns["overdue"] = [o.overdue_on(on) for o in obligations]
        return Records(columns)


@attrs.frozen
class Sweep:
    """What the compliance sweep found on one date."""

    on: dt.date
    #: every open finding, overdue first, then by project and article
    findings: list[LedgerFinding]
    #: every open obligation, earliest due first
    obligations: list[LedgerObligation]

    def to_json(self) -> dict:
        return {"on": self.on.isoformat(), "findings": [f.to_json() for f in self.findings],
                "obligations": [o.to_json(self.on) for o in self.obligations]}
