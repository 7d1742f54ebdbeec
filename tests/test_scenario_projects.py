"""Scenario cases with several projects (DESIGN.md section 4), on a toy pack
whose rule caps a unit's applications a year, on SQLite and on PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pytest

from tongchou import Citation, Guard, Pack, Parameter, hookimpl
from tongchou.scenario import Loader, Runner, run_paths

from .conftest import PG_URL, postgres_unavailable
from .scenario_helpers import DIMS, LATE, XI, case_error, found, run_case
from .toy_plugins import DOCUMENT as TOY
from .toy_plugins import BoomFindings


# -- several projects in one case ------------------------------------------------


class _Quota:
    """玩具县第一条: a unit applies for at most ``toy_unit_quota`` projects a year.
    Reads the other projects through the ledger the runner opened (bound by
    :class:`_QuotaRunner`), as a rule across projects must today."""

    def __init__(self):
        self.ledger = None

    def _over(self, ctx):
        limit = ctx.params["toy_unit_quota"]
        statuses = [s for s in self.ledger.registry.statuses if s not in ("draft", "rejected")]
        rows, _n = self.ledger.projects(filters={"unit": ctx.project["unit"], "year": ctx.project["year"],
                                                 "status": statuses})
        others = [p for p in rows if p.id != ctx.project.id]
        if len(others) >= limit:
            return f"{ctx.project['unit']} {ctx.project['year']} 年度已申报 {len(others)} 个项目,达到上限 {limit} 个"
        return None

    @hookimpl
    def tongchou_guards(self):
        return [Guard("toy.quota.apply", ("apply",), self._over, Citation(TOY, (1,)), "每单位每年申报数")]

    @hookimpl
    def tongchou_parameters(self):
        return [Parameter("toy_unit_quota", "每单位每年申报项目数", Citation(TOY, (1,)), "int",
                          {dt.date(2025, 1, 1): 1})]


QUOTA = _Quota()
QUOTA_PACK = Pack(name="toy_quota", title="玩具县", document=TOY, plugins={"toy.quota": QUOTA}, extends="xichuan")


class _QuotaRunner(Runner):
    def _ledger(self, case, url):
        ledger = super()._ledger(case, url)
        QUOTA.ledger = ledger
        return ledger


@pytest.fixture
def quota():
    runner = _QuotaRunner(Loader(found(QUOTA_PACK)))
    yield runner
    QUOTA.ledger = None


PROJECTS = """
  jurisdiction: toy_quota
  projects:
    a: {name: 智慧校园平台, unit: 县教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application, estimate: 800000}
    b: {name: 教师研修系统, unit: 县教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application, estimate: 500000}
"""


def test_several_projects_a_quota_refuses_the_second_application(quota):
    result = run_case(f"""
- name: 每个单位每年原则上只申报一个项目
{PROJECTS}
  steps:
    - {{date: 2026-05-10, as: unit, do: apply, project: a}}
    - {{date: 2026-05-12, as: unit, do: apply, project: b, refused: 第一条}}
    - {{date: 2026-05-12, as: unit, do: apply, project: b, refused: 玩具办〔2026〕1号 第一条}}
    - {{date: 2026-07-01, as: unit, do: apply, project: b, refused: {XI} 第七条}}
  expect:
    date: 2026-07-02
    projects:
      a: {{status: submitted, findings: []}}
      b: {{status: draft}}
""", runner=quota)
    assert result.ok, result.lines


def test_several_projects_a_wrong_expectation_names_the_project(quota):
    result = run_case(f"""
- name: 第二个项目其实没有申报成功
{PROJECTS}
  parameters: {{toy_unit_quota: 2}}
  steps:
    - {{date: 2026-05-10, as: unit, do: apply, project: a}}
    - {{date: 2026-05-12, as: unit, do: apply, project: b}}
  expect:
    projects:
      a: {{status: submitted}}
      b: {{status: draft}}
""", runner=quota)
    assert not result.ok
    assert result.lines == ("expect: project b: status should be 'draft', is 'submitted'",)


def test_several_projects_a_step_refused_for_the_wrong_document_fails(quota):
    result = run_case(f"""
- name: 配额拒绝引用的是玩具县文件而不是淅川文件
{PROJECTS}
  steps:
    - {{date: 2026-05-10, as: unit, do: apply, project: a}}
    - {{date: 2026-05-12, as: unit, do: apply, project: b, refused: {XI} 第一条}}
""", runner=quota)
    assert not result.ok
    assert "step 2 (apply on b as unit on 2026-05-12)" in result.lines[0]
    assert f"citing {XI} 第一条" in result.lines[0] and f"（{TOY} 第一条）" in result.lines[0]


def test_create_steps_enter_projects_on_their_date_and_may_be_refused(quota):
    text = f"""
- name: 涉密项目录入被拒,其他项目照常
{PROJECTS}
    c: {{name: 保密通信系统, unit: 县公安局, year: 2027, category: purchased_service, kind: information_system, source: unit_application, classified: true}}
  steps:
    - {{date: 2026-05-01, as: unit, do: apply, project: a}}
    - {{date: 2026-05-03, create: c, as: unit, refused: REF}}
    - {{date: 2026-05-04, create: b, as: unit@县教育局}}
    - {{date: 2026-05-05, as: unit, do: apply, project: b, refused: 第一条}}
  expect:
    date: 2026-05-06
    projects:
      a: {{status: submitted}}
      b: {{status: draft, findings: []}}
"""
    assert run_case(text.replace("REF", f"{XI} 第三十八条"), runner=quota).ok
    wrong = run_case(text.replace("REF", "第三十八条"), runner=quota)  # bare: the toy county's own
    assert not wrong.ok and "step 2 (create c as unit on 2026-05-03)" in wrong.lines[0]
    assert f"citing {TOY} 第三十八条" in wrong.lines[0]
    checked = run_case(text.replace("REF", f"{XI} 第三十八条").replace("b: {status: draft, findings: []}",
                                                                  "c: {status: draft}"), runner=quota)
    assert checked.lines == ("expect: project c: not in the ledger (its create step was refused)",)


def test_a_create_step_that_should_be_refused_but_is_not_fails(quota):
    result = run_case(f"""
- name: 普通项目录入不会被拒
{PROJECTS}
  steps:
    - {{date: 2026-05-03, create: b, as: unit, refused: {XI} 第三十八条}}
""", runner=quota)
    assert not result.ok and "step 1 (create b" in result.lines[0] and "but it succeeded" in result.lines[0]


def test_cases_stay_isolated_one_ledger_each(quota, tmp_path):
    path = tmp_path / "two.yaml"
    case = f"""
- name: 第N次:只有本案的项目计入配额
{PROJECTS}
  steps:
    - {{date: 2026-05-10, as: unit, do: apply, project: a}}
    - {{date: 2026-05-12, as: unit, do: apply, project: b, refused: 第一条}}
"""
    path.write_text(case + case.replace("第N次", "再一次"), encoding="utf-8")
    lines: list[str] = []
    assert run_paths([path], emit=lines.append, runner=quota) == (2, 0), lines


@pytest.mark.parametrize("steps, expect, needle", [
    ("[{date: 2026-05-10, as: unit, do: apply}]", "", "step 1: missing key 'project'"),
    ("[{date: 2026-05-10, as: unit, do: apply, project: z}]", "", "step 1: key 'project': unknown project 'z'"),
    ("[{date: 2026-05-10, create: z, as: unit}]", "", "step 1: key 'create': unknown project 'z'"),
    ("[{date: 2026-05-10, create: a, as: unit, do: apply}]", "", "step 1: key 'do'"),
    ("[{date: 2026-05-10, create: a, as: unit, project: a}]", "", "step 1: key 'project'"),
    ("[{date: 2026-05-10, create: a, as: unit}, {date: 2026-05-11, create: a, as: unit}]", "",
     "step 2: key 'create': project 'a' is already created by step 1"),
    ("[{date: 2026-05-10, as: unit, do: apply, project: a}, {date: 2026-05-11, create: a, as: unit}]", "",
     "step 1: key 'project': project 'a' is only created by step 2"),
    ("[]", "{status: draft}", "expect: key 'status'"),
    ("[]", "{projects: {z: {status: draft}}}", "expect: key 'projects.z': unknown project 'z'"),
    ("[]", "{projects: {a: {due: 2026-01-01}}}", "expect: project a: unknown key 'due'"),
    ("[]", "{projects: {a: {findings: [乙县办法第一条]}}}", "key 'projects.a.findings': unknown document"),
])
def test_several_projects_malformed_cases_are_errors_of_the_case(quota, steps, expect, needle):
    text = f"- name: 多项目写错了\n{PROJECTS}\n  steps: {steps}\n"
    if expect:
        text += f"  expect: {expect}\n"
    msg = case_error(text, quota.loader)
    assert "case 1 “多项目写错了”" in msg and needle in msg, msg


@pytest.mark.parametrize("text, needle", [
    (f"- name: 单项目的步骤不写项目\n  {LATE}\n  steps: [{{date: 2025-06-01, as: unit, do: apply, project: a}}]",
     "step 1: key 'project'"),
    (f"- name: 单项目没有录入步骤\n  {LATE}\n  steps: [{{date: 2025-06-01, create: a, as: unit}}]",
     "step 1: key 'create'"),
    (f"- name: 单项目不写多项目期望\n  {LATE}\n  expect: {{projects: {{a: {{status: draft}}}}}}",
     "expect: key 'projects'"),
    (f"- name: 两种写法只能选一种\n  {LATE}\n  projects: {{a: {{unit: 县教育局, year: 2026}}}}", "key 'projects'"),
    ("- name: 多项目不用 project_refused\n  projects: {a: {unit: 县教育局, year: 2026, category: purchased_service, "
     "kind: information_system, source: unit_application}}\n  project_refused: 第三十八条", "key 'project_refused'"),
    ("- name: 多项目字段写错\n  projects: {a: {unit: 县教育局, year: 2026, category: nonsense, "
     "kind: information_system, source: unit_application}}", "key 'projects.a.category'"),
])
def test_project_keys_in_the_wrong_kind_of_case_are_errors(text, needle):
    msg = case_error(text)
    assert "case 1" in msg and needle in msg, msg


@pytest.mark.postgres
def test_on_postgresql_a_raising_plugin_and_a_quota_case_behave_the_same(tmp_path):
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    path = tmp_path / "pg.yaml"
    path.write_text(f"""
- name: 批准时插件出错,事务回滚后本案例失败
  {LATE}
  steps:
    - {{date: 2025-06-20, as: unit, do: apply}}
    - {{date: 2025-07-10, as: bureau, do: review, with: {{result: pass, dimensions: {DIMS}}}}}
    - {{date: 2025-07-20, as: government, do: approve}}
- name: 每个单位每年原则上只申报一个项目
{PROJECTS}
  steps:
    - {{date: 2026-05-10, as: unit, do: apply, project: a}}
    - {{date: 2026-05-12, as: unit, do: apply, project: b, refused: 第一条}}
  expect:
    projects:
      a: {{status: submitted}}
      b: {{status: draft}}
""", encoding="utf-8")
    lines: list[str] = []
    runner = _QuotaRunner(Loader(found(QUOTA_PACK, **{"toy.boom_findings": BoomFindings()})), PG_URL)
    try:
        assert run_paths([path], emit=lines.append, runner=runner) == (1, 1), lines
    finally:
        QUOTA.ledger = None
    assert "step 3 (approve as government on 2025-07-20): plugin 'toy.boom_findings' raised ZeroDivisionError" \
        in "\n".join(lines)
