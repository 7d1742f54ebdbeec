"""The scenario runner against DESIGN.md section 4 and docs/scenarios.md:
citations compared with their document, a plugin that raises failing only its
case, and cases with several projects (on a toy pack with a per-unit quota)."""
from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import pytest

from tongchou import Citation, Guard, Pack, Parameter, hookimpl
from tongchou.packs import Discovered, discover
from tongchou.scenario import Cite, Loader, Runner, ScenarioError, run_paths

from .conftest import PG_URL, postgres_unavailable
from .toy_plugins import DOCUMENT as TOY
from .toy_plugins import LOWER_THRESHOLD

ROOT = Path(__file__).resolve().parent.parent
XI = "淅政办〔2025〕6号"
SHI = "示政办〔2026〕3号"
DIMS = "[necessity, scale, technology, security, intensiveness]"
LATE = ("project: {name: 智慧城管平台, unit: 县城市管理局, year: 2026, category: purchased_service, "
        "kind: information_system, source: unit_application}")


def _shili_pack() -> Pack:
    """示例市's pack, from the repository when it is not installed."""
    try:
        import tongchou_shili
    except ImportError:
        sys.path.insert(0, str(ROOT / "examples" / "shili"))
        import tongchou_shili
    return tongchou_shili.PACK


def _found(*packs: Pack, **extras) -> Discovered:
    base = discover()
    all_packs = {**base.packs, **{p.name: p for p in packs}}
    return Discovered(all_packs, {**base.extras, **extras}, dict(base.versions))


def _run(text: str, loader: Loader | None = None, runner: Runner | None = None):
    runner = runner or Runner(loader or Loader())
    [case] = runner.loader.load_text(text, "t.yaml")
    return runner.run(case)


def _error(text: str, loader: Loader | None = None) -> str:
    [item] = (loader or Loader()).load_text_lenient(text, "t.yaml")
    assert isinstance(item, ScenarioError), item
    return str(item)


# -- 1. citations are matched with their document ------------------------------


@pytest.mark.parametrize("written", ["第七条", "7", f"{XI} 第七条", f"{XI}第七条", f"《淅川县政务信息化项目建设管理暂行办法》第七条",
                                     "淅川县政务信息化项目建设管理暂行办法 第七条", "淅川县 第7条"])
def test_a_refusal_matches_its_article_written_bare_or_with_its_document(written):
    result = _run(f"""
- name: 7月1日申报被拒
  {LATE}
  steps:
    - {{date: 2025-07-01, as: unit, do: apply, refused: '{written}'}}
""")
    assert result.ok, result.lines


def test_an_unknown_document_name_is_an_error_naming_case_step_and_key():
    msg = _error(f"""
- name: 编造的文件名不能蒙混过关
  {LATE}
  steps:
    - {{date: 2025-06-20, as: unit, do: apply}}
    - {{date: 2025-07-01, as: unit, do: apply, refused: 试验县办法第七条}}
""")
    assert "case 1 “编造的文件名不能蒙混过关”" in msg and "step 2" in msg and "'refused'" in msg
    assert "试验县办法" in msg and XI in msg


@pytest.mark.parametrize("key, value", [("findings", "[试验县办法 第十八条]"), ("advice", "[试验县办法 第七条]"),
                                        ("obligations", "[{article: 试验县办法 第十八条, due: 2026-07-31}]")])
def test_unknown_documents_in_findings_and_obligations_are_errors(key, value):
    msg = _error(f"""
- name: 期望里的文件名也要认得
  {LATE}
  expect: {{date: 2025-06-01, {key}: {value}}}
""")
    assert "expect" in msg and key in msg and "试验县办法" in msg


@pytest.mark.parametrize("written, needle", [("99999", "1 to 9999"), ("第十七章", "not an article"),
                                             ("淅政办〔2025〕6号 17", "not an article"), ("第三条第七条", "unknown document")])
def test_citations_that_cannot_be_read_are_errors(written, needle):
    msg = _error(f"""
- name: 写不出的条款
  {LATE}
  steps:
    - {{date: 2025-07-01, as: unit, do: apply, refused: '{written}'}}
""")
    assert "step 1: key 'refused'" in msg and needle in msg, msg


def test_a_refusal_of_another_document_fails_and_shows_both_citations():
    loader = Loader(_found(_shili_pack()))
    text = """
- name: 示例市6月1日申报被拒,引用的是示例市第四条
  jurisdiction: shili
  project: {name: x, unit: 市教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
  steps:
    - {date: 2026-06-01, as: unit, do: apply, refused: REF}
"""
    assert _run(text.replace("REF", "第四条"), loader).ok
    assert _run(text.replace("REF", f"{SHI} 第四条"), loader).ok
    assert _run(text.replace("REF", "示例市第四条"), loader).ok
    wrong = _run(text.replace("REF", f"{XI} 第七条"), loader)
    assert not wrong.ok
    assert f"expected a refusal citing {XI} 第七条" in wrong.lines[0] and f"{SHI} 第四条" in wrong.lines[0]
    # a bare article of a shili case is shili's: Xichuan's 第七条 is no longer 第七条 here
    bare = _run(text.replace("REF", "第七条"), loader)
    assert not bare.ok and f"{SHI} 第七条" in bare.lines[0]


def test_bare_articles_of_a_shili_case_are_shilis_in_findings_and_obligations():
    loader = Loader(_found(_shili_pack()))
    [case] = loader.load_text("""
- name: 示例市:到期未初验
  jurisdiction: shili
  project: {name: x, unit: 市教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
  expect: {findings: [第十三条], obligations: [{article: 13, due: 2026-11-15}]}
""", "t.yaml")
    assert case.expect.findings == frozenset({Cite(SHI, 13)})
    assert case.expect.obligations[0].cite == Cite(SHI, 13)


class _Unmapped:
    """A rule reused from Xichuan under an article 示例市 does not map: it keeps
    citing 淅政办〔2025〕6号."""

    @hookimpl
    def tongchou_guards(self):
        return [Guard("toy.unmapped", ("apply",), lambda ctx: "未映射的规则拒绝", Citation(XI, (12,)), "未映射")]


def test_a_reused_rule_shili_does_not_map_is_cited_with_xichuans_document():
    loader = Loader(_found(_shili_pack(), **{"toy.unmapped": _Unmapped()}))
    text = """
- name: 未映射的淅川条款仍引用淅川文件
  jurisdiction: shili
  project: {name: x, unit: 市教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
  steps:
    - {date: 2026-03-02, as: unit, do: apply, refused: REF}
"""
    assert _run(text.replace("REF", f"{XI} 第十二条"), loader).ok
    bare = _run(text.replace("REF", "第十二条"), loader)
    assert not bare.ok and f"citing {SHI} 第十二条" in bare.lines[0] and f"（{XI} 第十二条）" in bare.lines[0]


def test_findings_are_the_exact_set_of_document_and_article():
    text = """
- name: 建成后6个月内验收,逾期即为发现
  project: {name: 办公设备更新, unit: 县教育局, year: 2026, category: equipment_software, kind: equipment_network, source: county_decision, estimate: 300000}
  steps:
    - {date: 2025-09-01, as: unit, do: apply}
    - {date: 2025-09-10, as: bureau, do: review, with: {result: pass, dimensions: DIMS}}
    - {date: 2025-09-20, as: government, do: approve}
    - {date: 2025-10-01, as: finance, do: budget, with: {amount: 300000}}
    - {date: 2025-10-05, as: unit, do: tender}
    - {date: 2025-11-01, as: unit, do: sign_contract, with: {clauses: [scope, standards, technical_specs, schedule, equipment_list, acceptance_requirements, training, payment, documentation, warranty, intellectual_property, confidentiality, after_sales, liability]}}
    - {date: 2025-11-05, as: unit, do: start_construction}
    - {date: 2026-01-31, as: unit, do: complete}
  expect: {date: 2026-08-01, findings: FINDINGS, obligations: [{article: OBL, due: 2026-07-31}]}
""".replace("DIMS", DIMS)
    assert _run(text.replace("FINDINGS", f"[{XI}第十八条]").replace("OBL", "第十八条")).ok
    # the same case in a pack built on xichuan: a bare article is the pack's own document
    loader = Loader(_found(LOWER_THRESHOLD))
    toy = text.replace("\n  project:", "\n  jurisdiction: toy_threshold\n  project:")
    assert _run(toy.replace("FINDINGS", f"[{XI} 第十八条]").replace("OBL", f"{XI} 第十八条"), loader).ok
    other = _run(toy.replace("FINDINGS", "[第十八条]").replace("OBL", "第十八条"), loader)
    assert not other.ok
    assert f"findings on 2026-08-01 should be [{TOY} 第十八条], are [{XI} 第十八条]" in other.lines[0]
    assert any(f"citing {TOY} 第十八条 due 2026-07-31" in line and f"{XI} 第十八条 due 2026-07-31" in line
               for line in other.lines)
    more = _run(text.replace("FINDINGS", "[第十八条, 第十九条]").replace("OBL", "第十八条"))
    assert not more.ok and f"should be [{XI} 第十八条, {XI} 第十九条], are [{XI} 第十八条]" in more.lines[0]


DRAFT = ("project: {name: 市场监管执法终端采购, unit: 县市场监督管理局, year: 2027, category: equipment_software, "
         "kind: equipment_network, source: unit_application, estimate: 500000}")


def test_advice_is_the_exact_set_the_sweep_gives_on_the_day_and_is_apart_from_findings():
    # 第七条's deadline advice comes from the sweep: only expect.date brings it
    text = f"""
- name: 7月1日仍为草稿的单位申报项目有逾期未申报的建议
  {DRAFT}
  expect: {{date: DAY, findings: [], advice: ADVICE}}
"""
    case = text.replace("DAY", "2026-07-01")
    assert _run(case.replace("ADVICE", "[第七条, 第三十三条]")).ok
    assert _run(case.replace("ADVICE", f"[{XI}第七条, 33]")).ok
    on_the_day = _run(text.replace("DAY", "2026-06-30").replace("ADVICE", "[第七条, 第三十三条]"))
    assert not on_the_day.ok
    assert on_the_day.lines[0] == f"expect: advice on 2026-06-30 should be [{XI} 第七条, {XI} 第三十三条], are [{XI} 第三十三条]"
    # advice is never counted as a finding, nor a finding asked for under advice
    as_finding = _run(case.replace("findings: []", "findings: [第七条]").replace("ADVICE", "[第七条, 第三十三条]"))
    assert not as_finding.ok and as_finding.lines == (f"expect: findings on 2026-07-01 should be [{XI} 第七条], are []",)


def test_a_wrong_advice_expectation_fails_naming_the_case_and_where(tmp_path):
    path = tmp_path / "advice.yaml"
    path.write_text(f"""
- name: 6月30日当天仍为草稿的项目没有逾期未申报的建议
  {DRAFT}
  expect: {{date: 2026-07-01, advice: [第三十三条]}}
""", encoding="utf-8")
    lines: list[str] = []
    assert run_paths([path], emit=lines.append) == (0, 1)
    assert lines[0] == f"FAIL  {path}: case 1 “6月30日当天仍为草稿的项目没有逾期未申报的建议”"
    assert lines[1].strip() == (f"expect: advice on 2026-07-01 should be [{XI} 第三十三条], "
                                f"are [{XI} 第七条, {XI} 第三十三条]")
    # each advice the sweep gave is listed under it, with its message and citation
    assert any("advice: 2027 年度项目应于 2026-06-30 前" in line and f"({XI} 第七条)" in line for line in lines[2:])
    assert lines[-1] == "0 passed, 1 failed"


def test_advice_of_several_projects_names_the_project():
    result = _run("""
- name: 只有未申报的项目有逾期未申报的建议
  projects:
    a: {name: 智慧校园平台, unit: 县教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
    b: {name: 教师研修系统, unit: 县教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
  steps:
    - {date: 2026-05-10, as: unit, do: apply, project: a}
  expect:
    date: 2026-07-01
    projects:
      a: {advice: [第十二条]}
      b: {advice: [第十二条]}
""")
    assert not result.ok
    assert result.lines[0] == (f"expect: project b: advice on 2026-07-01 should be [{XI} 第十二条], "
                               f"are [{XI} 第七条, {XI} 第十二条]")


@pytest.mark.parametrize("expect, needle", [
    ("{advise: [第七条]}", "unknown key 'advise'"),
    ("{advice: 第七条}", "key 'advice' must be a list of articles"),
    ("{advice: [第七章]}", "key 'advice': '第七章' is not an article"),
])
def test_a_malformed_advice_expectation_is_an_error_of_the_case(expect, needle):
    msg = _error(f"""
- name: 写错的建议期望
  {DRAFT}
  expect: {expect}
""")
    assert "case 1 “写错的建议期望”: expect" in msg and needle in msg, msg


def test_project_refused_is_matched_with_its_document():
    text = """
- name: 涉密项目不录入
  project: {name: x, unit: 县公安局, year: 2026, category: purchased_service, kind: information_system, source: unit_application, classified: true}
  project_refused: REF
"""
    assert _run(text.replace("REF", f"{XI} 第三十八条")).ok
    loader = Loader(_found(_shili_pack()))
    wrong = _run(text.replace("REF", f"{XI} 第三十八条").replace("\n  project:", "\n  jurisdiction: shili\n  project:"),
                 loader)
    assert not wrong.ok and f"{SHI} 第二十一条" in wrong.lines[0]


# -- 2. a plugin that raises fails its case only ----------------------------------


def _explode(ctx):
    return {}["no such key"]


class _Boom:
    """Raises in a guard on review (a plain function the guard points to)."""

    @hookimpl
    def tongchou_guards(self):
        return [Guard("toy.boom.review", ("review",), _explode, Citation(TOY, (9,)), "爆炸")]


class _BoomFindings:
    """Raises in its findings hook (a method) once a project is approved."""

    @hookimpl
    def tongchou_findings(self, project, history, params):
        if project.status == "approved":
            raise ZeroDivisionError("玩具插件算错了")
        return None


def test_a_plugin_that_raises_fails_its_case_names_the_plugin_and_the_run_goes_on(tmp_path):
    path = tmp_path / "boom.yaml"
    path.write_text(f"""
- name: 审查时插件出错
  project: {{name: x, unit: 县教育局, year: 2026, category: purchased_service, kind: information_system, source: ad_hoc}}
  steps:
    - {{date: 2026-03-01, as: unit, do: apply}}
    - {{date: 2026-03-02, as: leader, do: leader_consent}}
    - {{date: 2026-03-03, as: bureau, do: review, with: {{result: pass, dimensions: {DIMS}}}}}
- name: 申报不经过出错的规则
  project: {{name: y, unit: 县教育局, year: 2026, category: purchased_service, kind: information_system, source: ad_hoc}}
  steps:
    - {{date: 2026-03-01, as: unit, do: apply}}
  expect: {{status: submitted, findings: []}}
""", encoding="utf-8")
    lines: list[str] = []
    runner = Runner(Loader(_found(**{"toy.boom": _Boom()})))
    passed, failed = run_paths([path], emit=lines.append, runner=runner)
    assert (passed, failed) == (1, 1), lines
    assert lines[-1] == "1 passed, 1 failed"
    fail = "\n".join(lines)
    assert "case 1 “审查时插件出错”" in fail and "step 3 (review" in fail
    assert "plugin 'toy.boom' raised KeyError" in fail and "test_scenario_format.py" in fail


def test_a_hook_that_raises_while_deriving_findings_is_charged_to_its_plugin():
    loader = Loader(_found(**{"toy.boom_findings": _BoomFindings()}))
    result = _run(f"""
- name: 批准后插件求发现时出错
  {LATE}
  steps:
    - {{date: 2025-06-20, as: unit, do: apply}}
    - {{date: 2025-07-10, as: bureau, do: review, with: {{result: pass, dimensions: {DIMS}}}}}
    - {{date: 2025-07-20, as: government, do: approve}}
    - {{date: 2025-07-21, as: drc, do: plan}}
""", loader)
    assert not result.ok
    assert result.lines[0].startswith("step 3 (approve as government on 2025-07-20): "
                                      "plugin 'toy.boom_findings' raised ZeroDivisionError: 玩具插件算错了")


def test_a_helper_raising_inside_a_pack_is_charged_to_the_plugin_module_that_called_it(monkeypatch):
    def broken(amount):
        raise ValueError("金额格式坏了")
    monkeypatch.setattr("tongchou.plugins.xichuan.change.yuan", broken)
    result = _run(f"""
- name: 变更规则写消息时出错
  {LATE.replace("}", ", estimate: 2000000}")}
  steps:
    - {{date: 2025-06-20, as: unit, do: apply}}
    - {{date: 2025-07-10, as: bureau, do: review, with: {{result: pass, dimensions: {DIMS}}}}}
    - {{date: 2025-07-20, as: government, do: approve}}
    - {{date: 2026-03-01, as: unit, do: request_change, with: {{amount: 999999999, reason: other, goal_unchanged: true}}, refused: 第十七条}}
""")
    assert not result.ok
    assert result.lines[0].startswith("step 4 (request_change as unit on 2026-03-01): plugin 'xichuan.change' "
                                      "raised ValueError: 金额格式坏了")


def test_a_hookimpl_of_a_plain_namespace_is_found_through_pluggy():
    def tongchou_obligations(project, history, params):
        return [None.due]  # an AttributeError in a function no plugin module holds
    ns = types.SimpleNamespace(tongchou_obligations=hookimpl(tongchou_obligations))
    result = _run(f"""
- name: 义务规则出错
  {LATE}
""", Loader(_found(**{"toy.namespace": ns})))
    assert not result.ok
    assert result.lines[0].startswith("project: plugin 'toy.namespace' raised AttributeError")


# -- 3. several projects in one case ---------------------------------------------


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
    runner = _QuotaRunner(Loader(_found(QUOTA_PACK)))
    yield runner
    QUOTA.ledger = None


PROJECTS = """
  jurisdiction: toy_quota
  projects:
    a: {name: 智慧校园平台, unit: 县教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application, estimate: 800000}
    b: {name: 教师研修系统, unit: 县教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application, estimate: 500000}
"""


def test_several_projects_a_quota_refuses_the_second_application(quota):
    result = _run(f"""
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
    result = _run(f"""
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
    result = _run(f"""
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
    assert _run(text.replace("REF", f"{XI} 第三十八条"), runner=quota).ok
    wrong = _run(text.replace("REF", "第三十八条"), runner=quota)  # bare: the toy county's own
    assert not wrong.ok and "step 2 (create c as unit on 2026-05-03)" in wrong.lines[0]
    assert f"citing {TOY} 第三十八条" in wrong.lines[0]
    checked = _run(text.replace("REF", f"{XI} 第三十八条").replace("b: {status: draft, findings: []}",
                                                                  "c: {status: draft}"), runner=quota)
    assert checked.lines == ("expect: project c: not in the ledger (its create step was refused)",)


def test_a_create_step_that_should_be_refused_but_is_not_fails(quota):
    result = _run(f"""
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
    msg = _error(text, quota.loader)
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
    msg = _error(text)
    assert "case 1" in msg and needle in msg, msg


# -- 4. the format reference's examples run as written ----------------------------


def test_every_runnable_example_of_docs_scenarios_passes(tmp_path):
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    blocks = [b.split("```")[0] for b in text.split("```yaml\n")[1:]]
    runnable = [b for b in blocks if not b.startswith("# 示意")]
    assert len(runnable) >= 6 and len(blocks) > len(runnable)
    path = tmp_path / "docs.yaml"
    path.write_text("\n".join(runnable), encoding="utf-8")
    lines: list[str] = []
    passed, failed = run_paths([path], emit=lines.append, runner=Runner(Loader(_found(_shili_pack()))))
    assert failed == 0 and passed == len(runnable), lines


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
    runner = _QuotaRunner(Loader(_found(QUOTA_PACK, **{"toy.boom_findings": _BoomFindings()})), PG_URL)
    try:
        assert run_paths([path], emit=lines.append, runner=runner) == (1, 1), lines
    finally:
        QUOTA.ledger = None
    assert "step 3 (approve as government on 2025-07-20): plugin 'toy.boom_findings' raised ZeroDivisionError" \
        in "\n".join(lines)
