"""Reading scenario files (DESIGN.md section 4) against the jurisdictions they
name.  Everything a case says is checked here, before anything runs: an unknown
key, action, role, field, enum value, parameter, project or document is a
:class:`ScenarioError` naming the case, the step and the key."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import yaml

from .dates import parse_date
from .errors import InvalidInput, NotFound
from .packs import Discovered, Jurisdiction, discover, load_jurisdiction
from .registry import Registry
from .scenario_cites import DocumentNames
from .scenario_model import (CASE_KEYS, EXPECT_KEYS, PERMISSION, PROJECT_EXPECT_KEYS, STEP_KEYS, Case,
                             Cite, Expect, ExpectedObligation, ScenarioError, Step, UniqueKeyLoader)
from .values import parse_record


def _date(value: Any, where: str, key: str) -> dt.date:
    try:
        return parse_date(value)
    except ValueError:
        raise ScenarioError(f"{where}: key {key!r}: not a date in YYYY-MM-DD form: {value!r}") from None


def _mapping(value: Any, where: str, what: str) -> dict:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: {what} must be a mapping, not {type(value).__name__}")
    for key in value:
        if key is True or key is False:
            raise ScenarioError(f"{where}: key {key!r} in {what} is what YAML makes of on/off/yes/no; "
                                "the date of a step is written 'date:'")
        if not isinstance(key, str):
            raise ScenarioError(f"{where}: key {key!r} in {what} must be text")
    return value


def _unknown_keys(raw: dict, allowed: set[str], where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise ScenarioError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(allowed))})")


class _CaseReader:
    """What parsing one case needs: its jurisdiction's vocabulary and the
    names its citations may use."""

    def __init__(self, jur: Jurisdiction, names: DocumentNames):
        self.registry: Registry = jur.registry
        self.names = names

    def refusal(self, value: Any, where: str, key: str = "refused") -> Cite | str:
        if isinstance(value, str) and value.strip().lower() == PERMISSION:
            return PERMISSION
        return self.names.cite(value, where, key)

    def project(self, raw: Any, where: str, key: str, default_name: str) -> dict:
        project = dict(_mapping(raw, where, repr(key)))
        for k in ("unit", "year"):
            if k not in project:
                raise ScenarioError(f"{where}: key '{key}.{k}' is required")
        project.setdefault("name", default_name)
        try:
            parse_record(self.registry.fields, project)
        except InvalidInput as exc:
            raise ScenarioError(f"{where}: key '{key}.{exc.field}': {exc.detail}") from None
        return project

    def step(self, rs: Any, where: str, index: int, projects: dict[str, Any] | None) -> Step:
        rs = _mapping(rs, where, "a step")
        _unknown_keys(rs, STEP_KEYS, where)
        registry = self.registry
        creates = "create" in rs
        if creates:
            if projects is None:
                raise ScenarioError(f"{where}: key 'create': only a case with 'projects:' has create steps")
            for key in ("do", "with", "project"):
                if key in rs:
                    raise ScenarioError(f"{where}: key {key!r}: a create step enters the project it names "
                                        "with the fields under 'projects:' and takes no action")
            needed: tuple[str, ...] = ("date", "as")
        else:
            needed = ("date", "as", "do")
        for key in needed:
            if key not in rs:
                raise ScenarioError(f"{where}: missing key {key!r}")
        project = None
        if projects is None:
            if "project" in rs:
                raise ScenarioError(f"{where}: key 'project': a case with one project ('project:') "
                                    "names no project in its steps; use 'projects:' for several")
        else:
            key = "create" if creates else "project"
            if key not in rs:
                raise ScenarioError(f"{where}: missing key 'project': in a case with 'projects:' every step "
                                    f"names its project (one of: {', '.join(projects)})")
            project = rs[key]
            if not isinstance(project, str) or project not in projects:
                raise ScenarioError(f"{where}: key {key!r}: unknown project {project!r} "
                                    f"(the case's projects: {', '.join(projects)})")
        day = _date(rs["date"], where, "date")
        role_text = rs["as"]
        if not isinstance(role_text, str):
            raise ScenarioError(f"{where}: key 'as' must be a role name")
        role, _, unit = role_text.partition("@")
        if role not in registry.roles:
            raise ScenarioError(f"{where}: key 'as': unknown role {role!r} (known: {', '.join(registry.roles)})")
        if unit and not registry.roles[role].unit_scoped:
            raise ScenarioError(f"{where}: key 'as': role {role!r} does not belong to a unit")
        action, args = None, {}
        if not creates:
            action = rs["do"]
            if not isinstance(action, str) or action not in registry.actions:
                raise ScenarioError(f"{where}: key 'do': unknown action {action!r} "
                                    f"(known: {', '.join(sorted(registry.actions))})")
            args = _mapping(rs.get("with") or {}, where, "'with'")
            try:
                parse_record(list(registry.actions[action].args), args, what="参数")
            except InvalidInput as exc:
                raise ScenarioError(f"{where}: key 'with.{exc.field}': {exc.detail}") from None
        refused = self.refusal(rs["refused"], where) if "refused" in rs else None
        return Step(index=index, date=day, role=role, unit=unit or None, action=action, args=args,
                    refused=refused, project=project, create=creates)

    def expect(self, raw: Any, where: str, projects: dict[str, Any] | None) -> Expect:
        raw = _mapping(raw, where, "'expect'")
        _unknown_keys(raw, EXPECT_KEYS, where)
        day = _date(raw["date"], where, "date") if "date" in raw else None
        if projects is None:
            if "projects" in raw:
                raise ScenarioError(f"{where}: key 'projects': only a case with 'projects:' checks several projects")
            return attrs.evolve(self.checks(raw, where, ""), date=day)
        stray = set(raw) & PROJECT_EXPECT_KEYS
        if stray:
            raise ScenarioError(f"{where}: key {sorted(stray)[0]!r}: a case with 'projects:' checks each project "
                                "under 'expect.projects.NAME'")
        per = _mapping(raw.get("projects") or {}, where, "'expect.projects'")
        checks = {}
        for name, item in per.items():
            if name not in projects:
                raise ScenarioError(f"{where}: key 'projects.{name}': unknown project {name!r} "
                                    f"(the case's projects: {', '.join(projects)})")
            sub = _mapping(item or {}, where, f"'expect.projects.{name}'")
            _unknown_keys(sub, PROJECT_EXPECT_KEYS, f"{where}: project {name}")
            checks[name] = self.checks(sub, f"{where}: project {name}", f"projects.{name}.")
        return Expect(date=day, projects=checks)

    def checks(self, raw: dict, where: str, prefix: str) -> Expect:
        """status, findings, advice, obligations and fields of one project."""
        registry = self.registry
        status = raw.get("status")
        if status is not None and status not in registry.statuses:
            raise ScenarioError(f"{where}: key '{prefix}status': unknown status {status!r} "
                                f"(known: {', '.join(registry.statuses)})")
        findings = self.articles(raw, "findings", where, prefix)
        advice = self.articles(raw, "advice", where, prefix)
        obligations = []
        items = raw.get("obligations") or []
        if not isinstance(items, list):
            raise ScenarioError(f"{where}: key '{prefix}obligations' must be a list")
        for oi, item in enumerate(items, 1):
            at = f"{where}: obligation {oi}"
            item = _mapping(item, at, "an obligation")
            if set(item) != {"article", "due"}:
                raise ScenarioError(f"{at} has keys 'article' and 'due', not {sorted(item)}")
            cite = self.names.cite(item["article"], at, f"{prefix}obligations.article")
            obligations.append(ExpectedObligation(cite.article, _date(item["due"], at, "due"), cite.document))
        fields = _mapping(raw.get("fields") or {}, where, f"'{prefix}fields'")
        if fields:
            try:
                fields = parse_record(registry.fields, fields, partial=True)
            except InvalidInput as exc:
                raise ScenarioError(f"{where}: key '{prefix}fields.{exc.field}': {exc.detail}") from None
        return Expect(status=status, findings=findings, obligations=tuple(obligations), fields=fields,
                      advice=advice)

    def articles(self, raw: dict, key: str, where: str, prefix: str) -> frozenset[Cite] | None:
        """``findings:`` or ``advice:``: a set of articles, or None when the key is absent."""
        if key not in raw:
            return None
        items = raw[key] or []
        if not isinstance(items, list):
            raise ScenarioError(f"{where}: key '{prefix}{key}' must be a list of articles")
        return frozenset(self.names.cite(a, where, f"{prefix}{key}") for a in items)


class Loader:
    """Parses scenario files against the jurisdictions they name."""

    def __init__(self, found: Discovered | None = None, default: str | None = None):
        self._found = found
        self._default = default
        self._jurisdictions: dict[str | None, Jurisdiction] = {}
        self._names: dict[str | None, DocumentNames] = {}

    def jurisdiction(self, name: str | None) -> Jurisdiction:
        key = name or self._default
        if key not in self._jurisdictions:
            if self._found is None:
                self._found = discover()
            self._jurisdictions[key] = load_jurisdiction(key, found=self._found)
        return self._jurisdictions[key]

    def document_names(self, name: str | None) -> DocumentNames:
        """The documents the cases of jurisdiction ``name`` may cite."""
        key = name or self._default
        if key not in self._names:
            self._names[key] = DocumentNames(self.jurisdiction(name))
        return self._names[key]

    def load_file(self, path: str | Path) -> list[Case]:
        """Every case of a file; the first malformed one raises ScenarioError."""
        items = self.load_file_lenient(path)
        for item in items:
            if isinstance(item, ScenarioError):
                raise item
        return items  # type: ignore[return-value]

    def load_text(self, text: str, source: str = "<text>") -> list[Case]:
        """Every case of a file; the first malformed one raises ScenarioError."""
        out = []
        for item in self.load_text_lenient(text, source):
            if isinstance(item, ScenarioError):
                raise item
            out.append(item)
        return out

    def load_file_lenient(self, path: str | Path) -> list["Case | ScenarioError"]:
        """Cases of a file, with a ScenarioError in place of each malformed one
        (a file that cannot be read or parsed at all raises)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{path}: cannot read: {exc}") from None
        return self.load_text_lenient(text, str(path))

    def load_text_lenient(self, text: str, source: str = "<text>") -> list["Case | ScenarioError"]:
        try:
            data = yaml.load(text, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: {exc}") from None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{source}: not valid YAML: {exc}") from None
        if not isinstance(data, list):
            raise ScenarioError(f"{source}: a scenario file is a list of cases (got {type(data).__name__})")
        out: list[Case | ScenarioError] = []
        for i, raw in enumerate(data, 1):
            try:
                out.append(self.parse_case(raw, source, i))
            except ScenarioError as exc:
                out.append(exc)
        return out

    def parse_case(self, raw: Any, source: str, index: int) -> Case:
        where = f"{source}: case {index}"
        raw = _mapping(raw, where, "a case")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError(f"{where}: every case needs a 'name' (a sentence saying what it shows)")
        where = f"{source}: case {index} “{name}”"
        _unknown_keys(raw, CASE_KEYS, where)
        jname = raw.get("jurisdiction")
        if jname is not None and not isinstance(jname, str):
            raise ScenarioError(f"{where}: key 'jurisdiction' must be a pack name")
        try:
            jur = self.jurisdiction(jname)
        except NotFound as exc:
            raise ScenarioError(f"{where}: key 'jurisdiction': {exc}") from None
        reader = _CaseReader(jur, self.document_names(jname))

        params = _mapping(raw.get("parameters") or {}, where, "'parameters'")
        try:
            jur.parameters(pinned=params)
        except (InvalidInput, NotFound) as exc:
            raise ScenarioError(f"{where}: key 'parameters': {exc}") from None

        project: dict = {}
        projects: dict[str, dict] | None = None
        if "project" in raw and "projects" in raw:
            raise ScenarioError(f"{where}: key 'projects': a case has either 'project' (one) or 'projects' (several)")
        if "projects" in raw:
            named = _mapping(raw["projects"], where, "'projects'")
            if not named:
                raise ScenarioError(f"{where}: key 'projects' names no project")
            projects = {pname: reader.project(fields, where, f"projects.{pname}", f"{name}({pname})")
                        for pname, fields in named.items()}
        elif "project" in raw:
            project = reader.project(raw["project"], where, "project", name)
        else:
            raise ScenarioError(f"{where}: missing key 'project' (or 'projects' for several)")

        refused_project = None
        if "project_refused" in raw:
            if projects is not None:
                raise ScenarioError(f"{where}: key 'project_refused': in a case with 'projects:' a 'create' step "
                                    "with 'refused:' says that entering a project is refused")
            refused_project = reader.refusal(raw["project_refused"], where, "project_refused")
            if refused_project == PERMISSION:
                raise ScenarioError(f"{where}: 'project_refused' names an article")
            if raw.get("steps") or raw.get("expect"):
                raise ScenarioError(f"{where}: a case with 'project_refused' has no 'steps' or 'expect'")

        raw_steps = raw.get("steps") or []
        if not isinstance(raw_steps, list):
            raise ScenarioError(f"{where}: 'steps' must be a list")
        steps = [reader.step(rs, f"{where}: step {si}", si, projects) for si, rs in enumerate(raw_steps, 1)]
        if projects is not None:
            _check_entries(steps, where)

        expect = None
        if "expect" in raw and raw["expect"] is not None:
            expect = reader.expect(raw["expect"], f"{where}: expect", projects)
        return Case(source=source, index=index, name=name, jurisdiction=jname, parameters=params,
                    project=project, project_refused=refused_project, steps=tuple(steps), expect=expect,
                    projects=projects or {})


def _check_entries(steps: list[Step], where: str) -> None:
    """A project is created at most once, and acted on only after its create step."""
    created: dict[str, int] = {}
    for s in steps:
        if s.create:
            if s.project in created:
                raise ScenarioError(f"{where}: step {s.index}: key 'create': project {s.project!r} is already "
                                    f"created by step {created[s.project]}")
            created[s.project] = s.index  # type: ignore[index]
    for s in steps:
        if not s.create and s.project in created and created[s.project] > s.index:  # type: ignore[operator]
            raise ScenarioError(f"{where}: step {s.index}: key 'project': project {s.project!r} is only "
                                f"created by step {created[s.project]}")  # type: ignore[index]
