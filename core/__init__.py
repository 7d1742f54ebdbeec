"""Tongchou (统筹): the ledger and rule engine for county e-government IT projects.

The public API for plugin authors is re-exported here: ``hookimpl`` to mark
hook implementations, the vocabulary records hooks return, and :class:`Pack`.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .citation import Citation, article_label, parse_article  # noqa: E402
from .packs import Pack, hookimpl, sweep_statuses, todo_actions  # noqa: E402
from .reads import NO_PROJECTS, DocumentInfo, ProjectReader  # noqa: E402
from .versions import RuleVersion  # noqa: E402
from .vocabulary import (ANY_ACTION, CREATE_PROJECT, UPDATE_PROJECT, Action,  # noqa: E402
                         ActionArgument, ActionContext, Actor, Article, Choice, CitationMap, Field,
                         Finding, FindingRule, Guard, HistoryEvent, Notice, Obligation, ObligationRule,
                         Parameter, ProjectState, Refusal, Report, Role, Status, Todo)

__all__ = [
    "__version__", "hookimpl", "sweep_statuses", "todo_actions", "Pack", "RuleVersion", "Citation", "article_label", "parse_article",
    "ANY_ACTION", "CREATE_PROJECT", "UPDATE_PROJECT", "Action", "ActionArgument", "ActionContext",
    "Actor", "Article", "Choice", "CitationMap", "Field", "Finding", "Guard", "HistoryEvent",
    "Notice", "Obligation", "ObligationRule", "FindingRule", "Parameter", "ProjectState", "Refusal",
    "Report", "Role", "Status", "Todo", "DocumentInfo", "ProjectReader", "NO_PROJECTS",
]
