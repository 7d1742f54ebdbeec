"""Scenario files: policy tests anyone can write in YAML (DESIGN.md section 4).

A file is a list of cases.  Each case runs on a fresh ledger (in-memory
SQLite, or a throw-away PostgreSQL schema): the project is entered, the steps
are taken in order, and the outcome is compared with ``expect``.  A file that
is malformed in any way is an error naming the case, the step and the key;
nothing is ever silently skipped.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from .citation import article_label, parse_article
from .dates import parse_date
from .db import is_postgres, postgres_schema
from .errors import InvalidInput, NotFound, Refused, TongchouError
from .ledger import Ledger
from .packs import Discovered, Jurisdiction, discover, load_jurisdiction
from .values import parse_record
from .vocabulary import Actor

CASE_KEYS = {"name", "jurisdiction", "parameters", "project", "project_refused", "steps", "expect"}
STEP_KEYS = {"date", "as", "do", "with", "refused"}
EXPECT_KEYS = {"date", "status", "findings", "obligations", "fields"}
COUNTED = ("violation", "overdue")


class ScenarioError(TongchouError):
    """A malformed scenario file or case."""


class _UniqueKeyLoader(yaml.SafeLoader):
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


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


# ---------------------------------------------------------------------------
# The parsed form


@attrs.frozen
class Step:
    index: int
    date: dt.date
    role: str
    unit: str | None
    action: str
    args: Mapping[str, Any]
    refused: int | str | None  # article number, "permission", or None


@attrs.frozen
class ExpectedObligation:
    article: int
    due: dt.date


@attrs.frozen
class Expect:
    date: dt.date | None = None
    status: str | None = None
    findings: frozenset[int] | None = None
    obligations: tuple[ExpectedObligation, ...] = ()
    fields: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Case:
    source: str
    index: int
    name: str
    jurisdiction: str | None
    parameters: Mapping[str, Any]
    project: Mapping[str, Any]
    project_refused: int | None
    steps: tuple[Step, ...]
    expect: Expect | None

    @property
    def where(self) -> str:
        return f"{self.source}: case {self.index} “{self.name}”"


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
# Loading


def _refusal_ref(value: Any, where: str) -> int | str:
    if isinstance(value, str) and value.strip().lower() == "permission":
        return "permission"
    try:
        return parse_article(value)
    except ValueError:
        raise ScenarioError(f"{where}: 'refused' must be an article such as 第十七条 or 'permission', "
                            f"not {value!r}") from None


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


class Loader:
    """Parses scenario files against the jurisdictions they name."""

    def __init__(self, found: Discovered | None = None, default: str | None = None):
        self._found = found
        self._default = default
        self._jurisdictions: dict[str | None, Jurisdiction] = {}

    def jurisdiction(self, name: str | None) -> Jurisdiction:
        key = name or self._default
        if key not in self._jurisdictions:
            if self._found is None:
                self._found = discover()
            self._jurisdictions[key] = load_jurisdiction(key, found=self._found)
        return self._jurisdictions[key]

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
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
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
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise ScenarioError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(CASE_KEYS))})")
        jname = raw.get("jurisdiction")
        if jname is not None and not isinstance(jname, str):
            raise ScenarioError(f"{where}: key 'jurisdiction' must be a pack name")
        try:
            jur = self.jurisdiction(jname)
        except NotFound as exc:
            raise ScenarioError(f"{where}: key 'jurisdiction': {exc}") from None
        registry = jur.registry

        params = _mapping(raw.get("parameters") or {}, where, "'parameters'")
        try:
            jur.parameters(pinned=params)
        except (InvalidInput, NotFound) as exc:
            raise ScenarioError(f"{where}: key 'parameters': {exc}") from None

        if "project" not in raw:
            raise ScenarioError(f"{where}: missing key 'project'")
        project = _mapping(raw["project"], where, "'project'")
        for key in ("unit", "year"):
            if key not in project:
                raise ScenarioError(f"{where}: key 'project.{key}' is required")
        project = dict(project)
        project.setdefault("name", f"{name}")
        try:
            parse_record(registry.fields, project)
        except InvalidInput as exc:
            raise ScenarioError(f"{where}: key 'project.{exc.field}': {exc.detail}") from None

        refused_project = None
        if "project_refused" in raw:
            refused_project = _refusal_ref(raw["project_refused"], where)
            if refused_project == "permission":
                raise ScenarioError(f"{where}: 'project_refused' names an article")
            if raw.get("steps") or raw.get("expect"):
                raise ScenarioError(f"{where}: a case with 'project_refused' has no 'steps' or 'expect'")

        steps = []
        raw_steps = raw.get("steps") or []
        if not isinstance(raw_steps, list):
            raise ScenarioError(f"{where}: 'steps' must be a list")
        for si, rs in enumerate(raw_steps, 1):
            steps.append(self._parse_step(rs, registry, f"{where}: step {si}", si))

        expect = None
        if "expect" in raw and raw["expect"] is not None:
            expect = self._parse_expect(raw["expect"], registry, f"{where}: expect")
        return Case(source=source, index=index, name=name, jurisdiction=jname, parameters=params,
                    project=project, project_refused=refused_project, steps=tuple(steps), expect=expect)

    def _parse_step(self, rs: Any, registry, where: str, index: int) -> Step:
        rs = _mapping(rs, where, "a step")
        unknown = set(rs) - STEP_KEYS
        if unknown:
            raise ScenarioError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(STEP_KEYS))})")
        for key in ("date", "as", "do"):
            if key not in rs:
                raise ScenarioError(f"{where}: missing key {key!r}")
        day = _date(rs["date"], where, "date")
        role_text = rs["as"]
        if not isinstance(role_text, str):
            raise ScenarioError(f"{where}: key 'as' must be a role name")
        role, _, unit = role_text.partition("@")
        if role not in registry.roles:
            raise ScenarioError(f"{where}: key 'as': unknown role {role!r} (known: {', '.join(registry.roles)})")
        if unit and not registry.roles[role].unit_scoped:
            raise ScenarioError(f"{where}: key 'as': role {role!r} does not belong to a unit")
        action = rs["do"]
        if not isinstance(action, str) or action not in registry.actions:
            raise ScenarioError(f"{where}: key 'do': unknown action {action!r} "
                                f"(known: {', '.join(sorted(registry.actions))})")
        args = _mapping(rs.get("with") or {}, where, "'with'")
        try:
            parse_record(list(registry.actions[action].args), args, what="参数")
        except InvalidInput as exc:
            raise ScenarioError(f"{where}: key 'with.{exc.field}': {exc.detail}") from None
        refused = _refusal_ref(rs["refused"], where) if "refused" in rs else None
        return Step(index=index, date=day, role=role, unit=unit or None, action=action, args=args,
                    refused=refused)

    def _parse_expect(self, raw: Any, registry, where: str) -> Expect:
        raw = _mapping(raw, where, "'expect'")
        unknown = set(raw) - EXPECT_KEYS
        if unknown:
            raise ScenarioError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(EXPECT_KEYS))})")
        day = _date(raw["date"], where, "date") if "date" in raw else None
        status = raw.get("status")
        if status is not None and status not in registry.statuses:
            raise ScenarioError(f"{where}: key 'status': unknown status {status!r} "
                                f"(known: {', '.join(registry.statuses)})")
        findings = None
        if "findings" in raw:
            items = raw["findings"] or []
            if not isinstance(items, list):
                raise ScenarioError(f"{where}: key 'findings' must be a list of articles")
            try:
                findings = frozenset(parse_article(a) for a in items)
            except ValueError as exc:
                raise ScenarioError(f"{where}: key 'findings': {exc}") from None
        obligations = []
        items = raw.get("obligations") or []
        if not isinstance(items, list):
            raise ScenarioError(f"{where}: key 'obligations' must be a list")
        for oi, item in enumerate(items, 1):
            item = _mapping(item, f"{where}: obligation {oi}", "an obligation")
            if set(item) != {"article", "due"}:
                raise ScenarioError(f"{where}: obligation {oi} has keys 'article' and 'due', not {sorted(item)}")
            try:
                article = parse_article(item["article"])
            except ValueError as exc:
                raise ScenarioError(f"{where}: obligation {oi}: key 'article': {exc}") from None
            obligations.append(ExpectedObligation(article, _date(item["due"], f"{where}: obligation {oi}", "due")))
        fields = _mapping(raw.get("fields") or {}, where, "'fields'")
        if fields:
            try:
                fields = parse_record(registry.fields, fields, partial=True)
            except InvalidInput as exc:
                raise ScenarioError(f"{where}: key 'fields.{exc.field}': {exc.detail}") from None
        return Expect(date=day, status=status, findings=findings, obligations=tuple(obligations), fields=fields)


# ---------------------------------------------------------------------------
# Running


def _ref_text(ref: int | str | None) -> str:
    if ref is None:
        return "success"
    if ref == "permission":
        return "a permission refusal"
    return f"a refusal citing {article_label(int(ref))}"


def _refusal_text(exc: Refused) -> str:
    return "; ".join(r.label for r in exc.refusals)


class Runner:
    """Runs cases, each on a fresh ledger."""

    def __init__(self, loader: Loader, db_url: str | None = None):
        self.loader = loader
        self.db_url = db_url

    def _ledger(self, case: Case, url: str) -> Ledger:
        jur = self.loader.jurisdiction(case.jurisdiction)
        # A throw-away ledger gets a throw-away audit key, never a key file.
        return Ledger.open(url, jurisdiction=jur, pinned_parameters=case.parameters,
                           audit_key=os.urandom(32))

    def run(self, case: Case) -> CaseResult:
        if self.db_url and is_postgres(self.db_url):
            with postgres_schema(self.db_url, f"tc_case_{uuid.uuid4().hex[:12]}") as url:
                return self._run(case, url)
        return self._run(case, ":memory:")

    def _run(self, case: Case, url: str) -> CaseResult:
        ledger = self._ledger(case, url)
        try:
            return self._run_on(case, ledger)
        finally:
            ledger.close()

    def _run_on(self, case: Case, ledger: Ledger) -> CaseResult:
        actors: dict[tuple[str, str | None], Actor] = {}
        project_unit = case.project["unit"]

        def actor(role: str, unit: str | None) -> Actor:
            spec = ledger.registry.roles[role]
            if spec.unit_scoped:
                unit = unit or project_unit
            else:
                unit = None
            key = (role, unit)
            if key not in actors:
                if unit:
                    ledger.add_unit(unit)
                name = f"{role}@{unit}" if unit else role
                actors[key] = ledger.add_user(name, role, unit)
            return actors[key]

        ledger.add_unit(str(project_unit))
        for name, spec in ledger.registry.fields.items():  # parties (e.g. the builder) are units too
            if spec.type == "unit" and case.project.get(name):
                ledger.add_unit(str(case.project[name]))
        first_day = (case.steps[0].date if case.steps else
                     (case.expect.date if case.expect and case.expect.date else dt.date.today()))
        creator = actor(self._creator_role(ledger), None)
        try:
            project = ledger.create_project(case.project, creator, first_day)
        except Refused as exc:
            if case.project_refused is not None and exc.cites(int(case.project_refused)):
                return CaseResult(case, True)
            want = _ref_text(case.project_refused) if case.project_refused else "the project to be entered"
            return CaseResult(case, False, (f"project: expected {want}, but it was refused: {_refusal_text(exc)}",))
        if case.project_refused is not None:
            return CaseResult(case, False, (f"project: expected {_ref_text(case.project_refused)}, "
                                            "but the project was entered",))
        lines: list[str] = []
        for step in case.steps:
            who = actor(step.role, step.unit)
            label = f"step {step.index} ({step.action} as {step.role}{'@' + step.unit if step.unit else ''} on {step.date})"
            try:
                ledger.act(project.id, step.action, who, step.date, step.args)
            except Refused as exc:
                if step.refused == "permission" and exc.is_permission:
                    continue
                if isinstance(step.refused, int) and exc.cites(step.refused):
                    continue
                lines.append(f"{label}: expected {_ref_text(step.refused)}, but it was refused: {_refusal_text(exc)}")
                return CaseResult(case, False, tuple(lines))
            except InvalidInput as exc:
                lines.append(f"{label}: error: {exc}")
                return CaseResult(case, False, tuple(lines))
            else:
                if step.refused is not None:
                    lines.append(f"{label}: expected {_ref_text(step.refused)}, but it succeeded")
                    return CaseResult(case, False, tuple(lines))
        if case.expect is not None:
            lines.extend(self._check(case, ledger, project.id))
        return CaseResult(case, not lines, tuple(lines))

    @staticmethod
    def _creator_role(ledger: Ledger) -> str:
        for role in ledger.registry.roles.values():
            if role.unit_scoped:
                return role.name
        return "admin"

    def _check(self, case: Case, ledger: Ledger, project_id: int) -> list[str]:
        exp = case.expect
        assert exp is not None
        on = exp.date or (case.steps[-1].date if case.steps else dt.date.today())
        state = ledger.project(project_id)
        out = []
        if exp.status is not None and state.status != exp.status:
            out.append(f"expect: status should be {exp.status!r}, is {state.status!r}")
        for key, value in exp.fields.items():
            if state[key] != value:
                out.append(f"expect: field {key!r} should be {value!r}, is {state[key]!r}")
        findings = [f for f in ledger.findings(on, project_id=project_id) if f.severity in COUNTED]
        if exp.findings is not None:
            got = {a for f in findings for a in f.citation.articles}
            if got != set(exp.findings):
                def show(arts):
                    return "[" + ", ".join(article_label(a) for a in sorted(arts)) + "]"
                out.append(f"expect: findings on {on} should be {show(exp.findings)}, are {show(got)}")
                for f in findings:
                    out.append(f"    {f.severity}: {f.message} ({f.citation.label})")
        if exp.obligations:
            open_ = ledger.obligations(project_id=project_id)
            for want in exp.obligations:
                if not any(o.citation.cites(want.article) and o.due == want.due for o in open_):
                    have = ", ".join(f"{o.citation.article_labels[0]} due {o.due}" for o in open_) or "none"
                    out.append(f"expect: an open obligation citing {article_label(want.article)} due {want.due}; "
                               f"open obligations: {have}")
        return out


def run_paths(paths: Iterable[str | Path], *, db_url: str | None = None,
              emit: Callable[[str], None] = print, verbose: bool = False,
              jurisdiction: str | None = None) -> tuple[int, int]:
    """Run every case in ``paths`` (files, or folders searched for *.yaml/*.yml).

    Prints a line per failing case (and per passing one when ``verbose``) and
    finally ``N passed, M failed``.  A malformed file or case counts as failed.
    """
    loader = Loader(default=jurisdiction)
    runner = Runner(loader, db_url)
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(list(p.rglob("*.yaml")) + list(p.rglob("*.yml"))))
        else:
            files.append(p)
    passed = failed = 0
    for f in files:
        try:
            cases = loader.load_file_lenient(f)
        except (ScenarioError, TongchouError) as exc:
            emit(f"ERROR {exc}")
            failed += 1
            continue
        for case in cases:
            if isinstance(case, ScenarioError):
                emit(f"ERROR {case}")
                failed += 1
                continue
            try:
                result = runner.run(case)
            except TongchouError as exc:
                result = CaseResult(case, False, (f"error: {exc}",))
            if result.ok:
                passed += 1
                if verbose:
                    emit(f"PASS  {result.title}")
            else:
                failed += 1
                emit(f"FAIL  {result.title}")
                for line in result.lines:
                    emit(f"      {line}")
    emit(f"{passed} passed, {failed} failed")
    return passed, failed
