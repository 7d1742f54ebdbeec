"""Rule versions: successive versions of a jurisdiction's measures, and which
one governs each project.

A pack declares its versions (:class:`RuleVersion`): each has an effective and
an expiry date and differs from the pack's own plugin list by plugins it
switches off, plugins it adds and parameter values it overrides.  A project is
governed by the version in force on its anchor event: its entry into the
ledger, or the first time the pack's ``anchor`` action is taken on it (before
that, the version in force on its entry date).  The governing version is stored
on the project (``project.rules``, ``"<jurisdiction>@<version>"``) and stays
until an administrator moves the project (:meth:`VersionsMixin.move_rules`).

A pack without versions has one implicit version (named after ``Pack.version``)
and behaves as before.  An anchor before the first version's effective date is
governed by the first version.

Every version shares the jurisdiction's vocabulary: statuses, roles, fields
(with their types) and action names must be the same in every version (checked
when the jurisdiction is loaded), so that parsing a project or an action's
arguments never depends on the version.  What differs is the rules: guards,
effects, obligations, findings, sweeps and parameter values.

Part of :class:`~tongchou.ledger.Ledger` (:class:`VersionsMixin`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from .citation import Citation
from .dates import parse_date
from .errors import ConfigurationError, InvalidInput, NotFound, PermissionDenied
from .vocabulary import Actor, Notice

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

    from .packs import Jurisdiction
    from .parameters import ParameterSet
    from .registry import Registry


def _plugins(value) -> tuple[tuple[str, Any], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple((str(n), p) for n, p in items)


@attrs.frozen
class RuleVersion:
    """One version of a pack's measures.

    :param name: how the version is named (e.g. ``"2026.1"``); stored on each
        project it governs.
    :param effective: the first day it is in force.
    :param expires: its last day in force (None: open-ended).
    :param disable: names of the pack's plugins this version does without.
    :param plugins: ``{name: module}`` of plugins only this version has.
    :param parameter_overrides: ``{parameter: value}`` (that value on every
        date) or ``{parameter: {effective date: value}}``; beats the pack's own
        values, loses to values an administrator sets in the ledger.
    :param expiry_notice: the code of a plugin's own ledger notice that already
        says this version has expired; the core then adds none of its own.
    """

    name: str
    effective: dt.date
    expires: dt.date | None = None
    disable: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    plugins: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=_plugins)
    parameter_overrides: Mapping[str, Any] = attrs.field(factory=dict)
    description: str = ""
    expiry_notice: str = ""
    #: the article that states this version's period (cited by the expiry notice)
    article: int | None = None

    def in_force(self, on: dt.date) -> bool:
        return self.effective <= on and (self.expires is None or on <= self.expires)


@attrs.frozen
class LoadedVersion:
    """A version with its own plugin manager, registry and parameters."""

    name: str
    effective: dt.date | None
    expires: dt.date | None
    jurisdiction: "Jurisdiction"
    description: str = ""
    expiry_notice: str = ""
    article: int | None = None
    #: False for the one version of a pack that declares none
    declared: bool = True

    @property
    def tag(self) -> str:
        """What ``project.rules`` holds for the projects it governs."""
        return f"{self.jurisdiction.name}@{self.name}"

    def expired(self, on: dt.date) -> bool:
        return self.expires is not None and on > self.expires

    def to_json(self) -> dict:
        return {"name": self.name, "effective": self.effective.isoformat() if self.effective else None,
                "expires": self.expires.isoformat() if self.expires else None, "description": self.description}


class Rules(NamedTuple):
    """What evaluates one project: its version, registry, plugins and parameters."""

    version: LoadedVersion
    registry: "Registry"
    pm: "pluggy.PluginManager"
    params: "ParameterSet"


# -- loading ---------------------------------------------------------------------------


def version_plugins(pack_name: str, version: RuleVersion,
                    resolved: Sequence[tuple[str, Any, str]]) -> list[tuple[str, Any, str]]:
    """The pack's resolved plugins as ``version`` changes them."""
    present = {p[0] for p in resolved}
    for d in version.disable:
        if d not in present:
            raise ConfigurationError(f"version {version.name!r} of pack {pack_name!r} disables {d!r}, "
                                     "which the pack does not have")
    out = [p for p in resolved if p[0] not in version.disable]
    for pname, obj in version.plugins:
        if any(p[0] == pname for p in out):
            raise ConfigurationError(f"version {version.name!r} of pack {pack_name!r} adds plugin {pname!r}, "
                                     "which the pack already has; disable it first")
        out.append((pname, obj, pack_name))
    return out


def check_versions(pack_name: str, versions: Sequence[RuleVersion]) -> None:
    names = [v.name for v in versions]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"pack {pack_name!r} names a version twice: {names}")
    for v in versions:
        if not isinstance(v, RuleVersion):
            raise ConfigurationError(f"pack {pack_name!r}: versions must be RuleVersion, not {type(v).__name__}")
        if v.expires is not None and v.expires < v.effective:
            raise ConfigurationError(f"version {v.name!r} of pack {pack_name!r} expires before it takes effect")
    for a, b in zip(versions, versions[1:]):
        if b.effective <= a.effective:
            raise ConfigurationError(f"pack {pack_name!r}: version {b.name!r} must take effect after {a.name!r}")


def _vocabulary(registry: "Registry") -> dict[str, Any]:
    return {"statuses": set(registry.statuses), "roles": set(registry.roles),
            "fields": {n: f.type for n, f in registry.fields.items()}, "actions": set(registry.actions)}


def check_vocabulary(pack_name: str, loaded: Sequence[LoadedVersion]) -> None:
    """Every version must parse projects and actions alike (see the module doc)."""
    first = loaded[0]
    want = _vocabulary(first.jurisdiction.registry)
    for v in loaded[1:]:
        got = _vocabulary(v.jurisdiction.registry)
        for kind in ("statuses", "roles", "fields", "actions"):
            if got[kind] != want[kind]:
                a, b = want[kind], got[kind]
                diff = sorted(set(a) ^ set(b)) or sorted(k for k in a if a[k] != b[k])
                raise ConfigurationError(
                    f"version {v.name!r} of pack {pack_name!r} has other {kind} than version {first.name!r} "
                    f"({', '.join(map(str, diff))}); versions share statuses, roles, fields and actions")


def version_values(jur: "Jurisdiction", version: RuleVersion) -> list[tuple[str, dt.date, Any, str]]:
    """The dated parameter values ``version`` adds on top of the pack's."""
    from .parameters import coerce
    out: list[tuple[str, dt.date, Any, str]] = []
    source = f"version:{version.name}"
    for pname, raw in version.parameter_overrides.items():
        spec = jur.registry.parameters.get(pname)
        if spec is None:
            raise ConfigurationError(
                f"version {version.name!r} overrides parameter {pname!r}, which no plugin of it declares")
        dated = _dated(raw)
        if dated is not None:
            out += [(pname, when, coerce(spec, v, pname), source) for when, v in dated.items()]
            continue
        value = coerce(spec, raw, pname)
        # One value for every date: at the earliest date and again on every date
        # the plugin or pack gives a value, so that it wins on all of them.
        dates = {dt.date.min} | {d for d, _v in spec.values} | {d for n, d, _v, _s in jur.pack_values if n == pname}
        out += [(pname, d, value, source) for d in sorted(dates)]
    return out


def _dated(raw: Any) -> dict[dt.date, Any] | None:
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        return {k if isinstance(k, dt.date) else parse_date(k): v for k, v in raw.items()}
    except (TypeError, ValueError):
        return None  # a mapping-typed value ({3: 12}), not dates


# -- the ledger's side ------------------------------------------------------------------


def version_on(versions: Sequence[LoadedVersion], on: dt.date) -> LoadedVersion:
    """The version in force on ``on``: the last one effective by then (the
    first before any is; the last after all have expired)."""
    chosen = versions[0]
    for v in versions:
        if v.effective is not None and v.effective <= on:
            chosen = v
    return chosen


class VersionsMixin:
    """Which version of the rules governs each project, and moving projects."""

    @property
    def rule_versions(self) -> tuple[LoadedVersion, ...]:
        return self.jurisdiction.versions

    def rule_version(self, name: str) -> LoadedVersion:
        for v in self.rule_versions:
            if v.name == name:
                return v
        raise NotFound(f"没有规则版本“{name}”（现有：{'、'.join(v.name for v in self.rule_versions)}）")

    def version_on(self, on: dt.date) -> LoadedVersion:
        return version_on(self.rule_versions, on)

    def _version_of(self, tag: str | None, entered: Any) -> LoadedVersion:
        versions = self.rule_versions
        if len(versions) == 1:
            return versions[0]
        for v in versions:
            if v.tag == tag:
                return v
        # No (or an unknown) tag: rows older than versions; the version of their entry.
        from .storage import _as_date
        return self.version_on(_as_date(entered) if entered else dt.date.today())

    def rules_for(self, row: Any = None, *, version: LoadedVersion | None = None) -> Rules:
        """The registry, plugins and parameters that evaluate a project (a
        ``project`` row) or one named version; the newest version without either."""
        if version is None:
            version = (self._version_of(getattr(row, "rules", None), getattr(row, "created_on", None))
                       if row is not None else self.rule_versions[-1])
        jur = version.jurisdiction
        if jur is self.jurisdiction:
            return Rules(version, self.registry, self.pm, self.params)
        return Rules(version, jur.registry, jur.pm, self._version_params(version))

    def _version_params(self, version: LoadedVersion) -> "ParameterSet":
        base = self.params  # re-reads the ledger's values when they changed
        cache = self.__dict__.setdefault("_version_param_cache", {})
        hit = cache.get(version.name)
        if hit is not None and hit[0] is base:
            return hit[1]
        jur = version.jurisdiction
        names = jur.registry.parameters
        values = [(n, d, v) for n, d, v in getattr(self, "_ledger_values", ()) if n in names]
        pinned = {k: v for k, v in self._pinned.items() if k in names}
        params = jur.parameters(values, pinned)
        cache[version.name] = (base, params)
        return params

    def governing_versions(self, ids: Iterable[int]) -> dict[int, LoadedVersion]:
        """The version of the rules that governs each of these projects (one query)."""
        ids = set(ids)
        if len(self.rule_versions) == 1:
            return {pid: self.rule_versions[0] for pid in ids}
        from .models import Project
        rows = Project.select(Project.id, Project.rules, Project.created_on).tuples()
        return {pid: self._version_of(tag, created) for pid, tag, created in rows if pid in ids}

    def _rules_for_action(self, row: Any, action: str, history: Sequence[Any],
                          date: dt.date) -> tuple[Rules, str | None]:
        """The rules of an action on a project, and the tag to store when the
        action is the pack's anchor taken for the first time (it pins the
        project to the version in force on ``date``, unless an administrator
        has already moved it off the version of its entry)."""
        rules = self.rules_for(row)
        anchor = self.jurisdiction.anchor
        if anchor is None or action != anchor or len(self.rule_versions) == 1:
            return rules, None
        if any(ev.action == anchor for ev in history):
            return rules, None
        from .storage import _as_date
        entry = self.version_on(_as_date(row.created_on))
        if rules.version.name != entry.name:
            return rules, None  # moved by an administrator: stays where it was put
        pinned = self.version_on(date)
        if pinned.name == rules.version.name:
            return rules, None if row.rules == pinned.tag else pinned.tag
        return self.rules_for(version=pinned), pinned.tag

    def _pin_rules(self, project_id: int, tag: str) -> None:
        """Store the governing version on a project (inside the caller's transaction)."""
        self.db.execute_sql(f'UPDATE "project" SET "rules" = {self.db.param} WHERE "id" = {self.db.param}',
                            (tag, project_id))

    def project_rules(self, project_id: int, actor: Actor | None = None) -> LoadedVersion:
        """The version of the rules that governs a project."""
        return self.rules_for(self._readable_row(project_id, actor)).version

    def rules_counts(self) -> dict[str, int]:
        """How many projects each version governs (one grouped query; rows
        without a known tag are counted by their entry date)."""
        from .models import Project
        counts = {v.name: 0 for v in self.rule_versions}
        by_tag = {v.tag: v for v in self.rule_versions}
        for tag, n in self.db.execute_sql('SELECT "rules", COUNT(*) FROM "project" GROUP BY "rules"').fetchall():
            if tag in by_tag or len(self.rule_versions) == 1:
                counts[self._version_of(tag, None).name] += n
                continue
            for (day,) in Project.select(Project.created_on).where(Project.rules == tag).tuples():
                counts[self._version_of(None, day).name] += 1
        return counts

    def projects_before(self, day: dt.date, version: str) -> list[int]:
        """Projects entered before ``day`` that another version than ``version`` governs."""
        from .models import Project
        target = self.rule_version(version)
        return [pid for pid, tag, created in
                Project.select(Project.id, Project.rules, Project.created_on)
                .where(Project.created_on < day).order_by(Project.id).tuples()
                if self._version_of(tag, created).name != target.name]

    def move_rules(self, project_ids: Iterable[int], version: str, actor: Actor, note: str = "") -> int:
        """Put projects under another version of the rules (administrators);
        audited per project, their obligations and findings re-derived.
        Returns how many projects moved (those already under it are left)."""
        from .db import write_transaction
        if actor.role != "admin":
            raise PermissionDenied("只有系统管理员可以调整项目适用的规则版本")
        target = self.rule_version(version)
        ids = sorted({int(i) for i in project_ids})
        if not ids:
            raise InvalidInput("project", "没有指定要调整的项目", "项目")
        moved = 0
        rules = self.rules_for(version=target)
        with write_transaction(self.db):
            for pid in ids:
                row = self._row(pid, lock=True)
                before = self.rules_for(row).version
                if before.name == target.name and row.rules == target.tag:
                    continue
                self._pin_rules(pid, target.tag)
                digest = self._recompute(self._state(row), self._history(pid), row.derived, rules=rules)
                self.db.execute_sql(self._sql("derived_update"), (digest, pid))
                self._seal("project", [pid])
                self.audit.append("rules", actor.name, {"from": before.name, "to": target.name, "note": note},
                                  project_id=pid)
                moved += 1
        return moved

    def _rules_notices(self, on: dt.date, given: Iterable[Notice]) -> list[Notice]:
        """The core's notice that the newest version of the rules has expired
        (unless a plugin's own notice already says so)."""
        newest = self.rule_versions[-1]
        if not newest.declared or not newest.expired(on):
            return []
        if newest.expiry_notice and any(n.code == newest.expiry_notice for n in given):
            return []
        jur = self.jurisdiction
        # The article that says when the measures take effect: the version's
        # own, else the last article the plugins know (the 附则 usually says it).
        known = [n for (doc, n) in self.registry.articles if doc == jur.document] or [1]
        citation = Citation(jur.document, (newest.article or max(known),), jur.title)
        return [Notice("tongchou.rules.expired", citation,
                       f"现行规则（版本 {newest.name}）已于 {newest.expires} 失效，尚无新的版本，请核实现行规定")]
