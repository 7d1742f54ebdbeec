"""The parsed form of scenario files (DESIGN.md section 4), and the YAML loader
they are read with.

Kept apart from the loader and the runner so that both (and tools such as the
benchmarks) share one description of a case; :mod:`tongchou.scenario` is the
public face and re-exports everything here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs
import yaml

from .citation import article_label
from .errors import TongchouError

CASE_KEYS = {"name", "jurisdiction", "parameters", "project", "projects", "project_refused", "steps",
             "expect"}
STEP_KEYS = {"date", "as", "do", "with", "refused", "project", "create"}
EXPECT_KEYS = {"date", "status", "findings", "advice", "obligations", "fields", "projects"}
#: what ``expect.projects.NAME`` may check
PROJECT_EXPECT_KEYS = {"status", "findings", "advice", "obligations", "fields"}
#: the severities ``findings:`` counts (advice is not checked there)
COUNTED = ("violation", "overdue")
#: the severity ``advice:`` checks, apart from ``findings:`` so that a
#: recommendation never passes for a problem, nor a problem for a recommendation
ADVICE = "advice"
#: ``refused: permission``
PERMISSION = "permission"


class ScenarioError(TongchouError):
    """A malformed scenario file or case."""


@attrs.frozen(order=True)
class Cite:
    """One article of one document, as a case expects it to be cited: a bare
    article is read as the case's own jurisdiction's document."""

    document: str
    article: int

    @property
    def label(self) -> str:
        return f"{self.document} {article_label(self.article)}"

    def __str__(self) -> str:
        return self.label


# ---------------------------------------------------------------------------
# Cases


@attrs.frozen
class Step:
    """One step of a case: an action (``do``), or the entry of a named project
    (``create``, multi-project cases only; ``action`` is then None)."""

    index: int
    date: dt.date
    role: str
    unit: str | None
    action: str | None
    args: Mapping[str, Any]
    refused: Cite | str | None  # a citation, "permission", or None (must succeed)
    #: the project the step acts on or enters (multi-project cases); None in a single-project case
    project: str | None = None
    create: bool = False

    @property
    def label(self) -> str:
        who = self.role + (f"@{self.unit}" if self.unit else "")
        what = f"create {self.project}" if self.create else (
            f"{self.action} on {self.project}" if self.project else str(self.action))
        return f"step {self.index} ({what} as {who} on {self.date})"


@attrs.frozen
class ExpectedObligation:
    article: int
    due: dt.date
    document: str = ""

    @property
    def cite(self) -> Cite:
        return Cite(self.document, self.article)


@attrs.frozen
class Expect:
    """What a case expects on ``date``.  In a multi-project case ``projects``
    holds one Expect per project it checks (their ``date`` is None) and the
    other keys are unused."""

    date: dt.date | None = None
    status: str | None = None
    findings: frozenset[Cite] | None = None
    obligations: tuple[ExpectedObligation, ...] = ()
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    projects: Mapping[str, "Expect"] = attrs.field(factory=dict)
    #: articles cited by open ``advice`` findings: exactly this set (None: not checked)
    advice: frozenset[Cite] | None = None


@attrs.frozen
class Case:
    source: str
    index: int
    name: str
    jurisdiction: str | None
    parameters: Mapping[str, Any]
    #: the project's fields (single-project case); empty in a multi-project case
    project: Mapping[str, Any]
    project_refused: Cite | None
    steps: tuple[Step, ...]
    expect: Expect | None
    #: name -> fields, in the order written (multi-project case); empty otherwise
    projects: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)

    @property
    def where(self) -> str:
        return f"{self.source}: case {self.index} “{self.name}”"

    @property
    def multi(self) -> bool:
        return bool(self.projects)


@attrs.frozen
class CaseResult:
    case: Case | None
    ok: bool
    lines: tuple[str, ...] = ()
    source: str = ""

    @property
    def title(self) -> str:
        return self.case.where if self.case else self.source


# ---------------------------------------------------------------------------
# YAML


class UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ScenarioError(f"line {key_node.start_mark.line + 1}: key {key!r} appears twice in one mapping")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


def _construct_timestamp(loader, node):
    # 2026-02-30 looks like a date to YAML but is none: keep the text, so the
    # case reports it as a bad date under its own key instead of crashing.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
