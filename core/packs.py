"""Finding and loading plugins: packs (jurisdictions), the plugin manager, and
the loaded :class:`Jurisdiction`.

Packs and stand-alone plugins are found through the ``tongchou`` entry-point
group.  An entry point that loads a :class:`Pack` is a jurisdiction; anything
else is a plugin registered into every jurisdiction.

Switches (environment, or arguments of :func:`load_jurisdiction`):

- ``TONGCHOU_DISABLE_AUTOLOAD=1`` skips the entry points; packs are then named
  with ``TONGCHOU_LOAD=package.module:ATTR,...`` (as with pytest's ``-p``).
- ``TONGCHOU_PLUGINS=name,name`` is an allow-list of plugin names: plugins not
  in it are not registered (the core's own plugin always is).
- The ledger's ``disabled_plugins`` and ``disabled_rules`` settings
  (``tongchou plugins disable NAME``) switch plugins and single rules (by
  code, see :mod:`tongchou.rules`) off for one ledger.
"""
from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Iterable, Mapping
from importlib.metadata import entry_points
from typing import Any

import attrs
import pluggy

from . import builtin, hookspecs
from .dates import parse_date
from .errors import ConfigurationError, NotFound
from .parameters import ParameterSet, coerce
from .registry import Registry
from .versions import LoadedVersion, RuleVersion, check_versions, check_vocabulary, version_plugins, version_values

PROJECT = "tongchou"
hookimpl = pluggy.HookimplMarker(PROJECT)


def sweep_statuses(*statuses: str, severities: Iterable[str] | None = None):
    """Mark a ``tongchou_sweep`` implementation as answering only for projects in
    ``statuses``; put it under ``@hookimpl``.  When every implementation is
    marked, the sweep reads and hands over only the projects in the union of
    their statuses (on a province, most projects are in none of them).

    ``severities`` (e.g. ``("advice",)``): the only severities its findings
    have.  An implementation that gives advice only is then not asked when
    advice is not wanted (the home page's problem counts), and, when every
    implementation says, a finding of another severity is a ConfigurationError."""
    declared = None if severities is None else frozenset(severities)
    if declared is not None and not declared <= {"violation", "advice"}:
        raise ConfigurationError(f"sweep_statuses: severities must be violation or advice, not {sorted(declared)}")

    def mark(function):
        function.tongchou_sweep_statuses = frozenset(statuses)
        if declared is not None:
            function.tongchou_sweep_severities = declared
        return function
    return mark


def todo_actions(*actions: str):
    """Mark a ``tongchou_todos`` implementation as proposing only ``actions``;
    put it under ``@hookimpl``.  When every implementation is marked, a
    worklist reads only the projects in the statuses where one of those
    actions of the user's role may start (a province-wide role's list reads
    a fraction of the ledger), and a to-do for an action not declared is a
    ConfigurationError."""
    declared = frozenset(actions)

    def mark(function):
        function.tongchou_todo_actions = declared
        return function
    return mark


CORE_PLUGIN = "tongchou.core"


def _plugins(value) -> tuple[tuple[str, Any], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(n), p) for n, p in items)


@attrs.frozen
class Pack:
    """A jurisdiction's rules: a named list of plugins plus parameter overrides.

    ``version`` is the version of the rules, shown by ``tongchou plugins
    list`` (left at ``"0"``, the distribution's version is shown instead).
    ``extends`` names another pack whose plugins this one starts from;
    ``disable`` drops plugins (by name) from it, or single guards, obligation
    rules and finding rules (by code, e.g. ``<pack>.acceptance.due``);
    ``plugins`` adds this pack's own.  ``parameter_overrides`` maps a parameter
    name to ``{effective date: value}`` and may only name parameters that some
    plugin declares.
    """

    name: str
    title: str
    document: str
    plugins: tuple[tuple[str, Any], ...] = attrs.field(converter=_plugins)
    version: str = "0"
    extends: str | None = None
    disable: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    parameter_overrides: Mapping[str, Mapping[Any, Any]] = attrs.field(factory=dict)
    effective: dt.date | None = None
    expires: dt.date | None = None
    description: str = ""
    #: used when no jurisdiction is named and more than one pack is installed
    default: bool = False
    #: the versions of the measures, oldest first (see :mod:`tongchou.versions`);
    #: none: one implicit version named ``version``
    versions: tuple[RuleVersion, ...] = attrs.field(default=(), converter=tuple)
    #: the action whose (first) date pins a project to the version then in force;
    #: None: its entry into the ledger
    anchor: str | None = None


@attrs.frozen
class PluginInfo:
    """One loaded plugin, as ``tongchou plugins list`` shows it."""

    name: str
    version: str
    pack: str
    hooks: tuple[str, ...]
    articles: tuple[int, ...]
    title: str
    enabled: bool = True
    #: codes of the rules in force that the plugin contributes
    guards: tuple[str, ...] = ()
    obligation_rules: tuple[str, ...] = ()
    finding_rules: tuple[str, ...] = ()
    #: codes of its rules that are switched off (or lack an action they need)
    disabled_rules: tuple[str, ...] = ()
    #: the documents (文号) its contributions cite
    documents: tuple[str, ...] = ()


@attrs.frozen
class Discovered:
    packs: Mapping[str, Pack]
    extras: Mapping[str, Any]
    versions: Mapping[str, str]


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _load_ref(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    try:
        obj = importlib.import_module(module)
        return getattr(obj, attr) if attr else obj
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load {ref!r} (TONGCHOU_LOAD): {exc}") from exc


def discover(autoload: bool | None = None, load: Iterable[str] = ()) -> Discovered:
    """Find packs and stand-alone plugins.

    :param autoload: scan the ``tongchou`` entry-point group (default: unless
        ``TONGCHOU_DISABLE_AUTOLOAD`` is set).
    :param load: extra ``module:attr`` references to load (plus ``TONGCHOU_LOAD``).
    """
    if autoload is None:
        autoload = not _env_flag("TONGCHOU_DISABLE_AUTOLOAD")
    found: list[tuple[str, Any, str]] = []
    if autoload:
        for ep in sorted(entry_points(group=PROJECT), key=lambda e: e.name):
            try:
                obj = ep.load()
            except Exception as exc:  # a broken third-party pack must say who it is
                raise ConfigurationError(f"cannot load entry point {ep.name!r} ({ep.value}): {exc}") from exc
            version = ep.dist.version if ep.dist is not None else "0"
            if isinstance(obj, Pack) and obj.version != "0":
                version = obj.version  # the rules' own version beats the distribution's
            found.append((ep.name, obj, version))
    refs = list(load) + [r for r in os.environ.get("TONGCHOU_LOAD", "").split(",") if r.strip()]
    for ref in refs:
        obj = _load_ref(ref.strip())
        name = obj.name if isinstance(obj, Pack) else ref.strip()
        found.append((name, obj, getattr(obj, "version", "0")))
    packs: dict[str, Pack] = {}
    extras: dict[str, Any] = {}
    versions: dict[str, str] = {}
    for name, obj, version in found:
        if isinstance(obj, Pack):
            if name in packs and packs[name] is not obj:
                raise ConfigurationError(f"two packs are both called {name!r}")
            packs[name] = obj
        else:
            if name in extras and extras[name] is not obj:
                raise ConfigurationError(f"two plugins are both called {name!r}")
            extras[name] = obj
        versions[name] = version
    return Discovered(packs, extras, versions)


def default_jurisdiction(found: Discovered) -> str:
    env = os.environ.get("TONGCHOU_JURISDICTION", "").strip()
    if env:
        return env
    if len(found.packs) == 1:
        return next(iter(found.packs))
    defaults = [n for n, p in found.packs.items() if p.default]
    if len(defaults) == 1:
        return defaults[0]
    raise ConfigurationError(
        "no jurisdiction named and none is the default; installed packs: "
        + (", ".join(sorted(found.packs)) or "none"))


def _resolve(name: str, packs: Mapping[str, Pack], seen: tuple[str, ...] = ()) -> list[tuple[str, Any, str]]:
    """The plugins of pack ``name`` after following ``extends``: (name, obj, pack)."""
    if name in seen:
        raise ConfigurationError(f"packs extend each other in a loop: {' -> '.join(seen + (name,))}")
    try:
        pack = packs[name]
    except KeyError:
        raise NotFound(f"unknown jurisdiction {name!r} (installed: {', '.join(sorted(packs)) or 'none'})") from None
    plugins = _resolve(pack.extends, packs, seen + (name,)) if pack.extends else []
    # names that are no plugin of the base packs are rule codes (checked once loaded)
    plugins = [p for p in plugins if p[0] not in pack.disable]
    for pname, obj in pack.plugins:
        if any(p[0] == pname for p in plugins):
            raise ConfigurationError(
                f"pack {name!r} adds plugin {pname!r}, which its base pack already has; disable it first")
        plugins.append((pname, obj, name))
    return plugins


def _pack_rule_codes(name: str, packs: Mapping[str, Pack]) -> dict[str, str]:
    """The names in the ``disable`` of pack ``name`` and its base packs that
    are not plugins of those packs: rule codes, each with the pack that
    disables it."""
    chain = _pack_chain(name, packs)
    plugins = {pname for p in chain for pname, _obj in p.plugins}
    return {d: p.name for p in chain for d in p.disable if d not in plugins}


def _pack_chain(name: str, packs: Mapping[str, Pack]) -> list[Pack]:
    chain = []
    while name:
        chain.append(packs[name])
        name = packs[name].extends
    return list(reversed(chain))


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


class Jurisdiction:
    """A loaded jurisdiction: its pack, plugin manager, merged registry and
    parameters (with the pack's overrides applied)."""

    def __init__(self, pack: Pack, pm: pluggy.PluginManager, registry: Registry,
                 plugins: list[PluginInfo], chain: list[Pack]):
        self.pack = pack
        self.pm = pm
        self.registry = registry
        self.plugins = plugins
        self.chain = chain
        dated: list[tuple[str, dt.date, Any, str]] = []
        for p in chain:
            for pname, values in p.parameter_overrides.items():
                spec = registry.parameters.get(pname)
                if spec is None:
                    raise ConfigurationError(
                        f"pack {p.name!r} overrides parameter {pname!r}, which no plugin declares")
                for when, raw in values.items():
                    dated.append((pname, parse_date(when), coerce(spec, raw, pname), f"pack:{p.name}"))
        self.pack_values = dated
        self._versions: tuple[LoadedVersion, ...] = ()

    @property
    def versions(self) -> tuple[LoadedVersion, ...]:
        """The versions of the rules, oldest first; the last is this one."""
        if self._versions:
            return self._versions
        return (LoadedVersion(self.pack.version, self.pack.effective, self.pack.expires, self,
                              self.pack.description, declared=False),)

    @property
    def anchor(self) -> str | None:
        return self.pack.anchor

    @property
    def name(self) -> str:
        return self.pack.name

    @property
    def title(self) -> str:
        return self.pack.title

    @property
    def document(self) -> str:
        return self.pack.document

    def parameters(self, ledger_values: Iterable[tuple[str, dt.date, Any]] = (),
                   pinned: Mapping[str, Any] | None = None) -> ParameterSet:
        dated = list(self.pack_values) + [(n, d, v, "ledger") for n, d, v in ledger_values]
        return ParameterSet(self.registry.parameters, dated, pinned)


def load_jurisdiction(name: str | None = None, *, autoload: bool | None = None,
                      load: Iterable[str] = (), allow: Iterable[str] | None = None,
                      disabled: Iterable[str] = (), extra_plugins: Iterable[tuple[str, Any]] = (),
                      found: Discovered | None = None, strict_disabled: bool = True) -> Jurisdiction:
    """Load a jurisdiction's plugins into a fresh plugin manager and check them.

    :param name: the pack's entry-point name (default: see :func:`default_jurisdiction`).
    :param allow: allow-list of plugin names (default: ``TONGCHOU_PLUGINS`` or all).
    :param disabled: plugin names or rule codes to leave out (the ledger's settings).
    :param strict_disabled: an unknown name in ``disabled`` is an error; a ledger
        passes False, so a plugin or rule uninstalled after it was disabled does
        not lock the ledger.
    :param extra_plugins: ``(name, plugin)`` pairs to register too (tests, tools).
    """
    found = found or discover(autoload, load)
    name = name or default_jurisdiction(found)
    resolved = _resolve(name, found.packs)
    resolved += [(n, obj, "") for n, obj in sorted(found.extras.items())]
    resolved += [(n, obj, "") for n, obj in extra_plugins]
    if allow is None:
        env = os.environ.get("TONGCHOU_PLUGINS", "").strip()
        allow = [a.strip() for a in env.split(",") if a.strip()] if env else None
    allow_set = set(allow) if allow is not None else None
    disabled_set = set(disabled)
    known = {n for n, _o, _p in resolved}
    for v in found.packs[name].versions if name in found.packs else ():
        known |= {n for n, _o in v.plugins}  # a plugin of one version may be disabled too
    # names that are no plugin are rule codes, checked once the rules are merged
    codes = sorted(disabled_set - known - {CORE_PLUGIN})
    disabled_set -= set(codes)
    for d in allow_set or set():
        if d not in known and d != CORE_PLUGIN:
            raise NotFound(f"unknown plugin {d!r} (loaded plugins: {', '.join(sorted(known))})")
    pack_codes = _pack_rule_codes(name, found.packs)

    pack = found.packs[name]
    chain = _pack_chain(name, found.packs)
    disabled_codes = set(codes) | set(pack_codes)
    if not pack.versions:
        pm, registry, infos = _register(resolved, disabled_set, allow_set, found, disabled_codes)
        _check_codes([registry], codes, pack_codes, strict_disabled, known)
        return Jurisdiction(pack, pm, registry, infos, chain)
    # One plugin manager and registry per version of the rules, built once here.
    check_versions(name, pack.versions)
    loaded: list[LoadedVersion] = []
    for v in pack.versions:
        pm, registry, infos = _register(version_plugins(name, v, resolved), disabled_set, allow_set, found,
                                        disabled_codes)
        jur = Jurisdiction(pack, pm, registry, infos, chain)
        jur.pack_values = jur.pack_values + version_values(jur, v)
        loaded.append(LoadedVersion(v.name, v.effective, v.expires, jur, v.description, v.expiry_notice,
                                    v.article))
    check_vocabulary(name, loaded)
    _check_codes([v.jurisdiction.registry for v in loaded], codes, pack_codes, strict_disabled, known)
    if pack.anchor is not None and pack.anchor not in loaded[-1].jurisdiction.registry.actions:
        raise ConfigurationError(f"pack {name!r} anchors its versions on unknown action {pack.anchor!r}")
    newest = loaded[-1].jurisdiction
    for v in loaded:
        v.jurisdiction._versions = tuple(loaded)
    return newest


def _check_codes(registries: list[Registry], codes: list[str], pack_codes: Mapping[str, str],
                 strict_disabled: bool, known: set[str]) -> None:
    """A disabled name that is neither a plugin nor a rule code of any version
    of the rules is an error (the ledger's own settings only when strict)."""
    def unknown(names):
        return sorted(set.intersection(*(set(r.unknown_codes(names)) for r in registries)))
    for code in unknown(pack_codes):
        raise ConfigurationError(f"pack {pack_codes[code]!r} disables {code!r}, which is neither a plugin "
                                 "of its base packs nor a rule code")
    missing = unknown(codes)
    if missing and strict_disabled:
        raise NotFound(f"unknown plugin or rule code {missing[0]!r} (loaded plugins: {', '.join(sorted(known))})")


def _register(resolved: list[tuple[str, Any, str]], disabled_set: set[str], allow_set: set[str] | None,
              found: Discovered, disabled_codes: set[str] = frozenset()
              ) -> tuple[pluggy.PluginManager, Registry, list[PluginInfo]]:
    pm = make_plugin_manager()
    pm.register(builtin, name=CORE_PLUGIN)
    infos = [_info(CORE_PLUGIN, builtin, "", _core_version(), pm, True)]
    for pname, obj, pack in resolved:
        enabled = pname not in disabled_set and (allow_set is None or pname in allow_set)
        version = found.versions.get(pack or pname, "0")
        if enabled:
            try:
                pm.register(obj, name=pname)
            except (pluggy.PluginValidationError, ValueError) as exc:
                # a hookimpl whose arguments the hookspec lacks, or one plugin under two names
                raise ConfigurationError(f"cannot register plugin {pname!r}: {exc}") from exc
        infos.append(_info(pname, obj, pack, version, pm, enabled))
    # A misspelt hookimpl (tongchou_gaurds) must fail loudly, not be ignored.
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigurationError(f"plugin hook error: {exc}") from exc
    registry = Registry(pm, disabled=disabled_codes)
    infos = [attrs.evolve(i, **registry.plugin_rules(i.name), documents=registry.plugin_documents.get(i.name, ()))
             for i in infos]
    return pm, registry, infos


def _core_version() -> str:
    from . import __version__
    return __version__


def _info(name: str, obj: Any, pack: str, version: str, pm: pluggy.PluginManager,
          enabled: bool) -> PluginInfo:
    hooks: tuple[str, ...] = ()
    if enabled:
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(pm.get_plugin(name)) or ()))
    doc = (getattr(obj, "TITLE", None) or (obj.__doc__ or "").strip().splitlines() or [""])
    title = doc if isinstance(doc, str) else doc[0]
    return PluginInfo(name=name, version=version, pack=pack, hooks=hooks,
                      articles=tuple(getattr(obj, "ARTICLES", ())), title=title, enabled=enabled)
