"""Rules named by code: running the declared obligation and finding rules, and
switching single rules off.

Every guard, obligation rule and finding rule has a stable code
(``<plugin>.<rule>``).  A pack's ``disable`` and a ledger's ``disabled_rules``
setting name codes as well as plugins, so a county can drop or replace one
deadline without losing the rest of its plugin.  Outputs of the older
``tongchou_obligations`` / ``tongchou_findings`` hooks cannot be left out
before they run, so they are filtered by their codes afterwards.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .errors import ConfigurationError
from .vocabulary import Finding, FindingRule, Obligation, ObligationRule

#: hooks whose outputs carry codes but are not declared up front
LEGACY_HOOKS = ("tongchou_obligations", "tongchou_findings", "tongchou_sweep")


def covered(code: str, disabled: frozenset[str]) -> bool:
    """Whether ``code`` is one of ``disabled`` or under one (``a.b`` covers ``a.b.c``)."""
    if not disabled:
        return False
    if code in disabled:
        return True
    cut = code.rfind(".")
    while cut > 0:
        if code[:cut] in disabled:
            return True
        cut = code.rfind(".", 0, cut)
    return False


@functools.cache
def _accepts(fn: Callable[..., Any]) -> frozenset[str] | None:
    """The keyword arguments ``fn`` takes, or None when it takes any (``**kwargs``)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: give it everything
        return None
    names = set()
    for p in sig.parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
            names.add(p.name)
    return frozenset(names)


def call(rule: ObligationRule | FindingRule, kwargs: Mapping[str, Any]) -> list:
    """Run one declared rule with the arguments it accepts; check its outputs.

    Like pluggy with hook implementations, a rule may take a subset of the
    arguments, so arguments the core adds later do not break it.
    """
    expected = Obligation if isinstance(rule, ObligationRule) else Finding
    return derive_all((rule,), kwargs, expected)


def derive_all(rules: Iterable[ObligationRule | FindingRule], kwargs: Mapping[str, Any],
               expected: type) -> list:
    """The outputs of ``rules`` (all of one kind, giving ``expected`` records),
    checked.  Runs after every change to a project, so it is kept lean."""
    out: list = []
    for rule in rules:
        wanted = _accepts(rule.derive)
        result = rule.derive(**kwargs) if wanted is None else \
            rule.derive(**{k: v for k, v in kwargs.items() if k in wanted})
        if not result:
            continue
        code = rule.code
        for item in result:
            if type(item) is not expected and not isinstance(item, expected):
                raise ConfigurationError(
                    f"rule {code!r} (plugin {rule.plugin!r}) returned {type(item).__name__}; "
                    f"expected {expected.__name__}")
            if item.code != code and not item.code.startswith(code + "."):
                raise ConfigurationError(
                    f"rule {code!r} (plugin {rule.plugin!r}) returned code {item.code!r}; "
                    f"its outputs carry {code!r} or {code}.<suffix>")
        out.extend(result)
    return out


def unknown_codes(names: Iterable[str], known: Iterable[str], legacy_plugins: Iterable[str]) -> list[str]:
    """The ``names`` that are neither a declared code nor under a plugin whose
    older hooks return codes (``shili.acceptance.rectify`` is under
    ``shili.acceptance``)."""
    known = set(known)
    prefixes = tuple(p + "." for p in legacy_plugins)
    return sorted(n for n in names if n not in known and not (prefixes and n.startswith(prefixes)))
