"""The scenario runner against DESIGN.md section 4 and docs/scenarios.md:
citations compared with their document, a plugin that raises failing only its
case, and the format reference's examples.  Cases with several projects are in
tests/test_scenario_projects.py."""
from __future__ import annotations

import types

import pytest

from tongchou import Citation, Guard, hookimpl
from tongchou.scenario import Cite, Loader, Runner, run_paths

from .scenario_helpers import DIMS, LATE, ROOT, SHI, XI, case_error, found, run_case, shili_pack
from .toy_plugins import DOCUMENT as TOY
from .toy_plugins import LOWER_THRESHOLD, Boom, BoomFindings


# -- 1. citations are matched with their document ------------------------------


@pytest.mark.parametrize("written", ["第七条", "7", f"{XI} 第七条", f"{XI}第七条", f"《淅川县政务信息化项目建设管理暂行办法》第七条",
                                     "淅川县政务信息化项目建设管理暂行办法 第七条", "淅川县 第7条"])
def test_a_refusal_matches_its_article_written_bare_or_with_its_document(written):
    result = run_case(f"""
- name: 7月1日申报被拒
  {LATE}
  steps:
    - {{date: 2025-07-01, as: unit, do: apply, refused: '{written}'}}
""")
    assert result.ok, result.lines


def test_an_unknown_document_name_is_an_error_naming_case_step_and_key():
    msg = case_error(f"""
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
    msg = case_error(f"""
- name: 期望里的文件名也要认得
  {LATE}
  expect: {{date: 2025-06-01, {key}: {value}}}
""")
    assert "expect" in msg and key in msg and "试验县办法" in msg


@pytest.mark.parametrize("written, needle", [("99999", "1 to 9999"), ("第十七章", "not an article"),
                                             ("淅政办〔2025〕6号 17", "not an article"), ("第三条第七条", "unknown document")])
def test_citations_that_cannot_be_read_are_errors(written, needle):
    msg = case_error(f"""
- name: 写不出的条款
  {LATE}
  steps:
    - {{date: 2025-07-01, as: unit, do: apply, refused: '{written}'}}
""")
    assert "step 1: key 'refused'" in msg and needle in msg, msg


def test_a_refusal_of_another_document_fails_and_shows_both_citations():
    loader = Loader(found(shili_pack()))
    text = """
- name: 示例市6月1日申报被拒,引用的是示例市第四条
  jurisdiction: shili
  project: {name: x, unit: 市教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
  steps:
    - {date: 2026-06-01, as: unit, do: apply, refused: REF}
"""
    assert run_case(text.replace("REF", "第四条"), loader).ok
    assert run_case(text.replace("REF", f"{SHI} 第四条"), loader).ok
    assert run_case(text.replace("REF", "示例市第四条"), loader).ok
    wrong = run_case(text.replace("REF", f"{XI} 第七条"), loader)
    assert not wrong.ok
    assert f"expected a refusal citing {XI} 第七条" in wrong.lines[0] and f"{SHI} 第四条" in wrong.lines[0]
    # a bare article of a shili case is shili's: Xichuan's 第七条 is no longer 第七条 here
    bare = run_case(text.replace("REF", "第七条"), loader)
    assert not bare.ok and f"{SHI} 第七条" in bare.lines[0]


def test_bare_articles_of_a_shili_case_are_shilis_in_findings_and_obligations():
    loader = Loader(found(shili_pack()))
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
    loader = Loader(found(shili_pack(), **{"toy.unmapped": _Unmapped()}))
    text = """
- name: 未映射的淅川条款仍引用淅川文件
  jurisdiction: shili
  project: {name: x, unit: 市教育局, year: 2027, category: purchased_service, kind: information_system, source: unit_application}
  steps:
    - {date: 2026-03-02, as: unit, do: apply, refused: REF}
"""
    assert run_case(text.replace("REF", f"{XI} 第十二条"), loader).ok
    bare = run_case(text.replace("REF", "第十二条"), loader)
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
    assert run_case(text.replace("FINDINGS", f"[{XI}第十八条]").replace("OBL", "第十八条")).ok
    # the same case in a pack built on xichuan: a bare article is the pack's own document
    loader = Loader(found(LOWER_THRESHOLD))
    toy = text.replace("\n  project:", "\n  jurisdiction: toy_threshold\n  project:")
    assert run_case(toy.replace("FINDINGS", f"[{XI} 第十八条]").replace("OBL", f"{XI} 第十八条"), loader).ok
    other = run_case(toy.replace("FINDINGS", "[第十八条]").replace("OBL", "第十八条"), loader)
    assert not other.ok
    assert f"findings on 2026-08-01 should be [{TOY} 第十八条], are [{XI} 第十八条]" in other.lines[0]
    assert any(f"citing {TOY} 第十八条 due 2026-07-31" in line and f"{XI} 第十八条 due 2026-07-31" in line
               for line in other.lines)
    more = run_case(text.replace("FINDINGS", "[第十八条, 第十九条]").replace("OBL", "第十八条"))
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
    assert run_case(case.replace("ADVICE", "[第七条, 第三十三条]")).ok
    assert run_case(case.replace("ADVICE", f"[{XI}第七条, 33]")).ok
    on_the_day = run_case(text.replace("DAY", "2026-06-30").replace("ADVICE", "[第七条, 第三十三条]"))
    assert not on_the_day.ok
    assert on_the_day.lines[0] == f"expect: advice on 2026-06-30 should be [{XI} 第七条, {XI} 第三十三条], are [{XI} 第三十三条]"
    # advice is never counted as a finding, nor a finding asked for under advice
    as_finding = run_case(case.replace("findings: []", "findings: [第七条]").replace("ADVICE", "[第七条, 第三十三条]"))
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
    result = run_case("""
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
    msg = case_error(f"""
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
    assert run_case(text.replace("REF", f"{XI} 第三十八条")).ok
    loader = Loader(found(shili_pack()))
    wrong = run_case(text.replace("REF", f"{XI} 第三十八条").replace("\n  project:", "\n  jurisdiction: shili\n  project:"),
                 loader)
    assert not wrong.ok and f"{SHI} 第二十一条" in wrong.lines[0]


# -- 2. a plugin that raises fails its case only ----------------------------------


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
    runner = Runner(Loader(found(**{"toy.boom": Boom()})))
    passed, failed = run_paths([path], emit=lines.append, runner=runner)
    assert (passed, failed) == (1, 1), lines
    assert lines[-1] == "1 passed, 1 failed"
    fail = "\n".join(lines)
    assert "case 1 “审查时插件出错”" in fail and "step 3 (review" in fail
    assert "plugin 'toy.boom' raised KeyError" in fail and "toy_plugins.py" in fail


def test_a_hook_that_raises_while_deriving_findings_is_charged_to_its_plugin():
    loader = Loader(found(**{"toy.boom_findings": BoomFindings()}))
    result = run_case(f"""
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
    result = run_case(f"""
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
    result = run_case(f"""
- name: 义务规则出错
  {LATE}
""", Loader(found(**{"toy.namespace": ns})))
    assert not result.ok
    assert result.lines[0].startswith("project: plugin 'toy.namespace' raised AttributeError")


# -- 3. the format reference's examples run as written ----------------------------


def test_every_runnable_example_of_docs_scenarios_passes(tmp_path):
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    blocks = [b.split("```")[0] for b in text.split("```yaml\n")[1:]]
    runnable = [b for b in blocks if not b.startswith("# 示意")]
    assert len(runnable) >= 6 and len(blocks) > len(runnable)
    path = tmp_path / "docs.yaml"
    path.write_text("\n".join(runnable), encoding="utf-8")
    lines: list[str] = []
    passed, failed = run_paths([path], emit=lines.append, runner=Runner(Loader(found(shili_pack()))))
    assert failed == 0 and passed == len(runnable), lines
