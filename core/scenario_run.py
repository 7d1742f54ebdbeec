"""Running scenario cases (DESIGN.md section 4).

Each case runs on a ledger of its own (in-memory SQLite, or a throw-away
PostgreSQL schema): its projects are entered, the steps taken in order, and
the outcome compared with ``expect``, citations with their document.  A plugin
that raises fails its case only, naming the case, the step and the plugin.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .db import is_postgres, postgres_schema
from .errors import InvalidInput, NotFound, Refused, TongchouError
from .ledger import Ledger
from .scenario_blame import describe
from .scenario_cites import cites_of, names
from .scenario_ledgers import CaseLedgers
from .scenario_load import Loader
from .scenario_model import ADVICE, COUNTED, PERMISSION, Case, CaseResult, Cite, Expect, ScenarioError, Step
from .vocabulary import Actor


def _ref_text(ref: Cite | str | None) -> str:
    if ref is None:
        return "success"
    if ref == PERMISSION:
        return "a permission refusal"
    return f"a refusal citing {ref}"


def _refusal_text(exc: Refused) -> str:
    return "; ".join(r.label for r in exc.refusals)


def _matches(exc: Refused, want: Cite | str | None) -> bool:
    """Whether a refusal is the one expected: permission, or a reason citing
    that article of that document."""
    if want is None:
        return False
    if want == PERMISSION:
        return exc.is_permission
    return want in cites_of(r.citation for r in exc.refusals)


class _Failed(Exception):
    """Ends a case at the first step that went otherwise than written."""

    def __init__(self, line: str):
        super().__init__(line)
        self.line = line


class _CaseRun:
    """One case on one ledger.  ``stage`` says what is being done, so that a
    plugin raising anywhere is reported at the right step."""

    def __init__(self, case: Case, ledger: Ledger):
        self.case = case
        self.ledger = ledger
        self.actors: dict[tuple[str, str | None], Actor] = {}
        #: project name (None in a single-project case) -> id, once entered
        self.ids: dict[str | None, int] = {}
        self.stage = "project"

    # -- who acts -------------------------------------------------------------

    def fields(self, project: str | None) -> Mapping[str, Any]:
        return self.case.projects[project] if project is not None else self.case.project

    def actor(self, role: str, unit: str | None, project: str | None) -> Actor:
        spec = self.ledger.registry.roles[role]
        unit = (unit or str(self.fields(project)["unit"])) if spec.unit_scoped else None
        key = (role, unit)
        if key not in self.actors:
            if unit:
                self.ledger.add_unit(unit)
            name = f"{role}@{unit}" if unit else role
            self.actors[key] = self.ledger.add_user(name, role, unit)
        return self.actors[key]

    def add_units(self, fields: Mapping[str, Any]) -> None:
        """Add the project's unit, and the units its ``unit`` fields name
        (parties such as the builder), before it is entered."""
        self.ledger.add_unit(str(fields["unit"]))
        for name, spec in self.ledger.registry.fields.items():
            if spec.type == "unit" and fields.get(name):
                self.ledger.add_unit(str(fields[name]))

    def creator_role(self) -> str:
        for role in self.ledger.registry.roles.values():
            if role.unit_scoped:
                return role.name
        return "admin"

    # -- the case -------------------------------------------------------------

    def run(self) -> list[str]:
        case = self.case
        first_day = (case.steps[0].date if case.steps else
                     (case.expect.date if case.expect and case.expect.date else dt.date.today()))
        try:
            if case.multi:
                created = {s.project for s in case.steps if s.create}
                for name in case.projects:
                    if name not in created:
                        self.enter(name, first_day)
            else:
                if self.enter_single(first_day):
                    return []
            for step in case.steps:
                self.stage = step.label
                self.take(step)
        except _Failed as failed:
            return [failed.line]
        if case.expect is None:
            return []
        self.stage = "expect"
        return self.check(case.expect)

    def enter_single(self, day: dt.date) -> bool:
        """Enter the case's one project; True when the case ends here
        (its entry was to be refused, and was)."""
        case = self.case
        self.add_units(case.project)
        creator = self.actor(self.creator_role(), None, None)
        try:
            self.ids[None] = self.ledger.create_project(case.project, creator, day).id
        except Refused as exc:
            if _matches(exc, case.project_refused):
                return True
            want = _ref_text(case.project_refused) if case.project_refused else "the project to be entered"
            raise _Failed(f"project: expected {want}, but it was refused: {_refusal_text(exc)}") from None
        if case.project_refused is not None:
            raise _Failed(f"project: expected {_ref_text(case.project_refused)}, but the project was entered")
        return False

    def enter(self, name: str, day: dt.date) -> None:
        """Enter a project that has no create step, before the first step."""
        self.stage = f"project {name} (entered on {day})"
        self.add_units(self.fields(name))
        creator = self.actor(self.creator_role(), None, name)
        try:
            self.ids[name] = self.ledger.create_project(self.fields(name), creator, day).id
        except Refused as exc:
            raise _Failed(f"{self.stage}: expected the project to be entered, but it was refused: "
                          f"{_refusal_text(exc)}") from None

    def take(self, step: Step) -> None:
        who = self.actor(step.role, step.unit, step.project)
        try:
            if step.create:
                self.add_units(self.fields(step.project))
                self.ids[step.project] = self.ledger.create_project(self.fields(step.project), who, step.date).id
            else:
                if step.project not in self.ids:
                    raise _Failed(f"{step.label}: project {step.project!r} is not in the ledger "
                                  "(its create step was refused)")
                self.ledger.act(self.ids[step.project], step.action, who, step.date, step.args)  # type: ignore[arg-type]
        except Refused as exc:
            if _matches(exc, step.refused):
                return
            raise _Failed(f"{step.label}: expected {_ref_text(step.refused)}, "
                          f"but it was refused: {_refusal_text(exc)}") from None
        except NotFound as exc:
            # an action on a project the user may not see answers "no project"
            # (nothing leaks), yet was refused for permission, and logged so
            hidden = getattr(exc, "refused", None)
            if hidden is not None and _matches(hidden, step.refused):
                return
            raise
        except InvalidInput as exc:
            raise _Failed(f"{step.label}: error: {exc}") from None
        if step.refused is not None:
            raise _Failed(f"{step.label}: expected {_ref_text(step.refused)}, but it succeeded")

    # -- what is expected -----------------------------------------------------

    def check(self, exp: Expect) -> list[str]:
        case = self.case
        on = exp.date or (case.steps[-1].date if case.steps else dt.date.today())
        if not case.multi:
            return self.check_project(exp, self.ids[None], on, "expect: ")
        out: list[str] = []
        for name, pexp in exp.projects.items():
            self.stage = f"expect: project {name}"
            if name not in self.ids:
                out.append(f"expect: project {name}: not in the ledger (its create step was refused)")
                continue
            out.extend(self.check_project(pexp, self.ids[name], on, f"expect: project {name}: "))
        return out

    def check_project(self, exp: Expect, project_id: int, on: dt.date, prefix: str) -> list[str]:
        ledger = self.ledger
        state = ledger.project(project_id)
        out = []
        if exp.status is not None and state.status != exp.status:
            out.append(f"{prefix}status should be {exp.status!r}, is {state.status!r}")
        for key, value in exp.fields.items():
            if state[key] != value:
                out.append(f"{prefix}field {key!r} should be {value!r}, is {state[key]!r}")
        if exp.findings is not None or exp.advice is not None:
            # one sweep on the day for both keys: advice that only the passing
            # of time brings (a missed deadline) is seen as the sweep sees it
            seen = ledger.findings(on, project_id=project_id)
            for key, want, severities in (("findings", exp.findings, COUNTED), ("advice", exp.advice, (ADVICE,))):
                if want is None:
                    continue
                found = [f for f in seen if f.severity in severities]
                got = cites_of(f.citation for f in found)
                if got != set(want):
                    out.append(f"{prefix}{key} on {on} should be {names(want)}, are {names(got)}")
                    for f in found:
                        out.append(f"    {f.severity}: {f.message} ({f.citation.label})")
        if exp.obligations:
            open_ = ledger.obligations(project_id=project_id)
            for want in exp.obligations:
                if not any(want.cite in cites_of([o.citation]) and o.due == want.due for o in open_):
                    have = ", ".join(f"{o.citation.label} due {o.due}" for o in open_) or "none"
                    out.append(f"{prefix}an open obligation citing {want.cite} due {want.due}; "
                               f"open obligations: {have}")
        return out


class Runner:
    """Runs cases, each on a fresh ledger."""

    def __init__(self, loader: Loader, db_url: str | None = None):
        self.loader = loader
        self.db_url = db_url
        # One prepared ledger per run, a fresh copy (or a rolled-back
        # transaction) per case: see tongchou.scenario_ledgers.
        self.ledgers = CaseLedgers(db_url)

    def _ledger(self, case: Case, url: str) -> Ledger:
        """A ledger opened from nothing (kept for callers of this method)."""
        jur = self.loader.jurisdiction(case.jurisdiction)
        # A throw-away ledger gets a throw-away audit key, never a key file.
        return Ledger.open(url, jurisdiction=jur, pinned_parameters=case.parameters,
                           audit_key=os.urandom(32))

    def run(self, case: Case) -> CaseResult:
        if type(self)._ledger is not Runner._ledger:
            # A subclass that opens its own ledgers (as before prepared ones) keeps doing so.
            if self.db_url and is_postgres(self.db_url):
                with postgres_schema(self.db_url, f"tc_case_{uuid.uuid4().hex[:12]}") as url:
                    return self._run(case, url)
            return self._run(case, ":memory:")
        jur = self.loader.jurisdiction(case.jurisdiction)
        try:
            with self.ledgers.ledger(jur, case.parameters) as ledger:
                return self._run_on(case, ledger)
        except Exception:  # noqa: BLE001 - a case that broke the shared ledger: start afresh
            self.ledgers.close()
            self.ledgers = CaseLedgers(self.db_url)
            raise

    def close(self) -> None:
        """Drop the run's PostgreSQL schema (also done when the runner is collected)."""
        self.ledgers.close()

    def _run(self, case: Case, url: str) -> CaseResult:
        ledger = self._ledger(case, url)
        try:
            return self._run_on(case, ledger)
        finally:
            try:
                ledger.close()
            except Exception:  # noqa: BLE001 - closing after a plugin broke a transaction
                pass

    def _run_on(self, case: Case, ledger: Ledger) -> CaseResult:
        run = _CaseRun(case, ledger)
        try:
            lines = run.run()
        except TongchouError as exc:
            lines = [f"{run.stage}: error: {exc}"]
        except Exception as exc:  # noqa: BLE001 - a plugin's bug fails its case, not the run
            lines = [f"{run.stage}: {describe(exc, ledger.pm)}"]
        return CaseResult(case, not lines, tuple(lines))


def run_paths(paths: Iterable[str | Path], *, db_url: str | None = None,
              emit: Callable[[str], None] = print, verbose: bool = False,
              jurisdiction: str | None = None, runner: Runner | None = None) -> tuple[int, int]:
    """Run every case in ``paths`` (files, or folders searched for *.yaml/*.yml).

    Prints a line per failing case (and per passing one when ``verbose``) and
    finally ``N passed, M failed``.  A malformed file or case counts as failed.
    ``runner`` (tests, tools) brings its own loader and ledgers; ``db_url`` and
    ``jurisdiction`` are then its business.
    """
    given = runner is not None
    runner = runner or Runner(Loader(default=jurisdiction), db_url)
    loader = runner.loader
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
            except Exception as exc:  # noqa: BLE001 - e.g. a ledger that cannot be opened
                result = CaseResult(case, False, (f"error: {type(exc).__name__}: {exc}",))
            if result.ok:
                passed += 1
                if verbose:
                    emit(f"PASS  {result.title}")
            else:
                failed += 1
                emit(f"FAIL  {result.title}")
                for line in result.lines:
                    emit(f"      {line}")
    if runner is not None and not given:
        runner.close()
    emit(f"{passed} passed, {failed} failed")
    return passed, failed
