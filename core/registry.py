"""The merged vocabulary of one jurisdiction: statuses, roles, fields, actions,
guards, parameters, articles and reports from all its plugins.

Merging is by name and never depends on the order pluggy calls plugins in.  A
name contributed by two plugins is a :class:`PluginConflict` naming both, unless
one of them declares ``replaces="<other plugin>"``.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import pluggy

from .citation import Citation
from .errors import ConfigurationError, NotFound, PluginConflict
from .rules import LEGACY_HOOKS, covered, unknown_codes
from .vocabulary import (ANY_ACTION, CREATE_PROJECT, UPDATE_PROJECT, Action, ActionArgument,
                         Article, CitationMap, Field, FindingRule, Guard, ObligationRule, Parameter,
                         Report, Role, Status)

#: (hook name, kind label, key attribute) for every start-up contribution hook.
CONTRIBUTIONS = (
    ("tongchou_statuses", "status", "name", Status),
    ("tongchou_roles", "role", "name", Role),
    ("tongchou_fields", "field", "name", Field),
    ("tongchou_actions", "action", "name", Action),
    ("tongchou_guards", "guard", "code", Guard),
    ("tongchou_obligation_rules", "obligation rule", "code", ObligationRule),
    ("tongchou_finding_rules", "finding rule", "code", FindingRule),
    ("tongchou_parameters", "parameter", "name", Parameter),
    ("tongchou_reports", "report", "name", Report),
    ("tongchou_action_arguments", "action argument", "key", ActionArgument),
    ("tongchou_citation_maps", "citation map", "document", CitationMap),
)


#: the registry built on each plugin manager, so that code holding only the
#: manager (engine.derive) cites as the jurisdiction does
_REGISTRIES: "weakref.WeakKeyDictionary[pluggy.PluginManager, Registry]" = weakref.WeakKeyDictionary()


def registry_of(pm: pluggy.PluginManager) -> "Registry | None":
    """The registry built on ``pm`` (None before one is)."""
    return _REGISTRIES.get(pm)


def reciter(pm: pluggy.PluginManager) -> Callable[[Citation], Citation] | None:
    """The citation mapping of the jurisdiction loaded on ``pm``, or None when
    it maps nothing (the common case costs nothing)."""
    reg = _REGISTRIES.get(pm)
    return reg.cite if reg is not None and reg.citation_maps else None


def collect(pm: pluggy.PluginManager, hook: str) -> list[tuple[str, Any]]:
    """Call one start-up hook on every plugin, keeping who contributed what.

    The result is sorted by plugin name so that nothing downstream depends on
    pluggy's call order.
    """
    out: list[tuple[str, Any]] = []
    for impl in sorted(getattr(pm.hook, hook).get_hookimpls(), key=lambda i: i.plugin_name):
        result = impl.function()
        for item in result or ():
            out.append((impl.plugin_name, item))
    return out


def merge(kind: str, key: str, items: Iterable[tuple[str, Any]], expected: type) -> dict[str, Any]:
    """Merge contributions by ``key``; conflicts and bad replacements raise.

    For each name, every contribution whose plugin another contributor of that
    name ``replaces`` drops out; exactly one may be left.  The answer does not
    depend on the order of ``items``, so chains (C replaces B, which replaces
    A) work whatever the plugins are called.
    """
    claims: dict[str, list[Any]] = {}
    for plugin, item in items:
        if not isinstance(item, expected):
            raise ConfigurationError(
                f"plugin {plugin!r} returned {type(item).__name__} from its {kind} hook; "
                f"expected {expected.__name__}")
        item = attrs.evolve(item, plugin=plugin)
        claims.setdefault(getattr(item, key), []).append(item)
    chosen: dict[str, Any] = {}
    for name, items_ in claims.items():
        if len(items_) == 1:
            chosen[name] = items_[0]
            continue
        plugins = {i.plugin for i in items_}
        replaced = {i.replaces for i in items_ if i.replaces in plugins and i.replaces != i.plugin}
        left = [i for i in items_ if i.plugin not in replaced]
        if len(left) != 1:
            first, second = (left if len(left) > 1 else items_)[:2]
            raise PluginConflict(kind, name, first.plugin, second.plugin)
        chosen[name] = left[0]
    return chosen


class Registry:
    """What a jurisdiction's plugins contribute, merged and checked.

    ``disabled`` names rule codes to leave out (a pack's ``disable``, a
    ledger's ``disabled_rules``); a code covers the codes under it.
    """

    def __init__(self, pm: pluggy.PluginManager, disabled: Iterable[str] = ()):
        merged = {kind: merge(kind, key, collect(pm, hook), cls)
                  for hook, kind, key, cls in CONTRIBUTIONS}
        #: every rule code contributed (before disabling): code -> (kind, plugin)
        self.rule_codes: dict[str, tuple[str, str]] = {}
        for kind in ("guard", "obligation rule", "finding rule"):
            for code, item in merged[kind].items():
                if code in self.rule_codes:
                    other_kind, other = self.rule_codes[code]
                    raise PluginConflict(f"rule code ({other_kind}/{kind})", code, other, item.plugin)
                self.rule_codes[code] = (kind, item.plugin)
        #: plugins whose older derive hooks return codes no one declared
        self.legacy_plugins = sorted({impl.plugin_name for hook in LEGACY_HOOKS
                                      for impl in getattr(pm.hook, hook).get_hookimpls()})
        self.disabled_codes: frozenset[str] = frozenset(disabled)
        self.obligation_rules: dict[str, ObligationRule] = merged["obligation rule"]
        self.finding_rules: dict[str, FindingRule] = merged["finding rule"]
        self.statuses: dict[str, Status] = dict(
            sorted(merged["status"].items(), key=lambda kv: (kv[1].order, kv[0])))
        self.roles: dict[str, Role] = merged["role"]
        self.fields: dict[str, Field] = merged["field"]
        #: the project fields that make a unit a party to the project
        #: (``Field(..., type="unit", party=True)``), in declaration order
        self.party_fields: tuple[str, ...] = tuple(n for n, f in self.fields.items() if f.party)
        self.actions: dict[str, Action] = merged["action"]
        self.guards: dict[str, Guard] = merged["guard"]
        self.parameters: dict[str, Parameter] = merged["parameter"]
        self.reports: dict[str, Report] = merged["report"]
        self.citation_maps: dict[str, CitationMap] = merged["citation map"]
        documents: dict[str, set[str]] = {}  # as the plugins cite, before any citation map
        for kind in ("action", "guard", "obligation rule", "finding rule", "parameter", "report"):
            for item in merged[kind].values():
                if item.citation is not None:
                    documents.setdefault(item.plugin, set()).add(item.citation.document)
        if self.citation_maps:
            self._recite_contributions()
        _REGISTRIES[pm] = self
        for ext in sorted(merged["action argument"].values(), key=lambda e: e.key):
            action = self.actions.get(ext.action)
            if action is None:
                raise ConfigurationError(
                    f"plugin {ext.plugin!r} adds argument {ext.field.name!r} to unknown action {ext.action!r}")
            if action.arg(ext.field.name) is not None:
                raise PluginConflict("action argument", ext.key, action.plugin, ext.plugin)
            self.actions[ext.action] = attrs.evolve(
                action, args=action.args + (attrs.evolve(ext.field, plugin=ext.plugin),))
        self._leave_out_rules()
        self.articles: dict[tuple[str, int], Article] = {}
        article_plugin: dict[tuple[str, int], str] = {}
        for plugin, art in collect(pm, "tongchou_articles"):
            if not isinstance(art, Article):
                raise ConfigurationError(f"plugin {plugin!r} returned {art!r} as an article")
            k = (art.document, art.number)
            prior = self.articles.get(k)
            if prior is not None and prior.text != art.text:
                raise PluginConflict("article", f"{art.document} {art.number}", article_plugin[k], plugin)
            self.articles.setdefault(k, art)
            article_plugin.setdefault(k, plugin)
            if art.document:
                documents.setdefault(plugin, set()).add(art.document)
        #: plugin -> the documents (文号) its contributions cite
        self.plugin_documents: dict[str, tuple[str, ...]] = {p: tuple(sorted(d)) for p, d in documents.items()}
        self._guards_by_action: dict[str, list[Guard]] = {}
        for g in self.guards.values():
            targets = list(self.actions) if ANY_ACTION in g.actions else g.actions
            for a in targets:
                self._guards_by_action.setdefault(a, []).append(g)
        for lst in self._guards_by_action.values():
            lst.sort(key=lambda g: (g.citation.articles, g.code))
        self._check()

    def _leave_out_rules(self) -> None:
        """Drop disabled rules, and rules needing an action the jurisdiction
        lacks (the plugin that brings it is disabled)."""
        #: code -> plugin of the rules left out by ``disabled``
        self.disabled_rules: dict[str, str] = {}
        #: code -> (plugin, missing actions) of the rules left out for lack of an action
        self.inactive_rules: dict[str, tuple[str, tuple[str, ...]]] = {}

        def keep(items: dict[str, Any]) -> dict[str, Any]:
            out = {}
            for code, item in items.items():
                missing = tuple(a for a in item.requires if a not in self.actions)
                if self.rule_disabled(code):
                    self.disabled_rules[code] = item.plugin
                elif missing:
                    self.inactive_rules[code] = (item.plugin, missing)
                else:
                    out[code] = item
            return out
        self.guards = keep(self.guards)
        self.obligation_rules = keep(self.obligation_rules)
        self.finding_rules = keep(self.finding_rules)

    def rule_disabled(self, code: str) -> bool:
        """Whether outputs and checks carrying ``code`` are switched off."""
        return covered(code, self.disabled_codes)

    def unknown_codes(self, names: Iterable[str]) -> list[str]:
        """Of ``names``, those that are no rule code of this jurisdiction."""
        return unknown_codes(names, self.rule_codes, self.legacy_plugins)

    def plugin_rules(self, plugin: str) -> dict[str, tuple[str, ...]]:
        """The codes of the rules ``plugin`` contributes that are in force, and
        of those it contributes that are disabled."""
        def codes(items: dict[str, Any]) -> tuple[str, ...]:
            return tuple(sorted(c for c, i in items.items() if i.plugin == plugin))
        return {"guards": codes(self.guards), "obligation_rules": codes(self.obligation_rules),
                "finding_rules": codes(self.finding_rules),
                "disabled_rules": tuple(sorted(c for c, p in self.disabled_rules.items() if p == plugin)
                                        + sorted(c for c, (p, _m) in self.inactive_rules.items()
                                                 if p == plugin))}

    def cite(self, citation: Citation) -> Citation:
        """``citation`` as this jurisdiction cites it (see ``tongchou_citation_maps``)."""
        m = self.citation_maps.get(citation.document)
        return m.apply(citation) if m is not None else citation

    def _recite_contributions(self) -> None:
        def recite(items: dict[str, Any]) -> dict[str, Any]:
            return {k: attrs.evolve(v, citation=self.cite(v.citation)) if v.citation is not None else v
                    for k, v in items.items()}
        self.actions = recite(self.actions)
        self.guards = recite(self.guards)
        self.obligation_rules = recite(self.obligation_rules)
        self.finding_rules = recite(self.finding_rules)
        self.parameters = recite(self.parameters)
        self.reports = recite(self.reports)

    def _check(self) -> None:
        initial = [s.name for s in self.statuses.values() if s.initial]
        if len(initial) != 1:
            raise ConfigurationError(
                f"a jurisdiction needs exactly one initial status; found {initial or 'none'}")
        self.initial_status = initial[0]
        for a in self.actions.values():
            for r in a.roles:
                if r not in self.roles:
                    raise ConfigurationError(f"action {a.name!r} ({a.plugin}) names unknown role {r!r}")
            for s in a.from_statuses or ():
                if s not in self.statuses:
                    raise ConfigurationError(f"action {a.name!r} ({a.plugin}) starts from unknown status {s!r}")
            if isinstance(a.to_status, str) and a.to_status not in self.statuses:
                raise ConfigurationError(f"action {a.name!r} ({a.plugin}) moves to unknown status {a.to_status!r}")
            names = [x.name for x in a.args]
            if len(names) != len(set(names)):
                raise ConfigurationError(f"action {a.name!r} ({a.plugin}) repeats an argument name")
            if a.party is not None and a.party not in self.party_fields:
                raise ConfigurationError(
                    f"action {a.name!r} ({a.plugin}) is taken by party {a.party!r}, which is not a party field "
                    f"(declare Field({a.party!r}, ..., type='unit', party=True); "
                    f"party fields: {', '.join(self.party_fields) or 'none'})")
        for g in self.guards.values():
            for name in g.actions:
                if name not in self.actions and name not in (CREATE_PROJECT, UPDATE_PROJECT, ANY_ACTION):
                    raise ConfigurationError(f"guard {g.code!r} ({g.plugin}) watches unknown action {name!r}")
        for f in self.fields.values():
            if f.type in ("enum", "enum_list") and not f.choices:
                raise ConfigurationError(f"field {f.name!r} ({f.plugin}) is an enum without choices")

    # -- look-ups -----------------------------------------------------------

    def action(self, name: str) -> Action:
        try:
            return self.actions[name]
        except KeyError:
            raise NotFound(f"unknown action {name!r} (known: {', '.join(sorted(self.actions))})") from None

    def role(self, name: str) -> Role:
        try:
            return self.roles[name]
        except KeyError:
            raise NotFound(f"unknown role {name!r} (known: {', '.join(sorted(self.roles))})") from None

    def status(self, name: str) -> Status:
        try:
            return self.statuses[name]
        except KeyError:
            raise NotFound(f"unknown status {name!r} (known: {', '.join(self.statuses)})") from None

    def guards_for(self, action: str) -> list[Guard]:
        return list(self._guards_by_action.get(action, ()))

    def start_statuses(self, action: Action) -> tuple[str, ...]:
        """Where ``action`` may start: its own list, or every status that is
        neither initial nor terminal."""
        if action.from_statuses is not None:
            return action.from_statuses
        return tuple(s.name for s in self.statuses.values() if not s.initial and not s.terminal)

    def article(self, document: str, number: int) -> Article | None:
        return self.articles.get((document, number))

    def status_label(self, name: str) -> str:
        s = self.statuses.get(name)
        return s.label if s else name
