"""Scenario files: policy tests anyone can write in YAML (DESIGN.md section 4;
the format is described in docs/scenarios.md).

A file is a list of cases.  Each case runs on a fresh ledger (in-memory
SQLite, or a throw-away PostgreSQL schema): its project (or projects) is
entered, the steps are taken in order, and the outcome is compared with
``expect``, every citation with its document.  A file that is malformed in any
way is an error naming the case, the step and the key; nothing is ever
silently skipped.  A plugin that raises fails its case only.

This module is the public face; the work is done in

- :mod:`tongchou.scenario_model`: the parsed form (Case, Step, Expect ...);
- :mod:`tongchou.scenario_cites`: citations read with their document;
- :mod:`tongchou.scenario_load`: :class:`Loader`, which checks everything;
- :mod:`tongchou.scenario_run`: :class:`Runner` and :func:`run_paths`;
- :mod:`tongchou.scenario_blame`: which plugin raised.
"""
from __future__ import annotations

from .scenario_cites import DocumentNames
from .scenario_load import Loader
from .scenario_model import (ADVICE, CASE_KEYS, COUNTED, EXPECT_KEYS, PERMISSION, PROJECT_EXPECT_KEYS, STEP_KEYS, Case,
                             CaseResult, Cite, Expect, ExpectedObligation, ScenarioError, Step)
from .scenario_model import UniqueKeyLoader as _UniqueKeyLoader  # noqa: F401  (its old name)
from .scenario_run import Runner, run_paths

__all__ = ["ADVICE", "CASE_KEYS", "COUNTED", "EXPECT_KEYS", "PERMISSION", "PROJECT_EXPECT_KEYS", "STEP_KEYS", "Case",
           "CaseResult", "Cite", "DocumentNames", "Expect", "ExpectedObligation", "Loader", "Runner",
           "ScenarioError", "Step", "run_paths"]
