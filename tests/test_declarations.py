"""The xichuan pack declares what 淅政办〔2025〕6号 says: who takes each step,
which article it and each rule cite, what a form must hold, how long a text may
be, which statuses end a project, and which chapter each plugin implements.

A mutation run (bench/mutate.py, docs/security.md) showed these declarations
could change unnoticed: a citation ``cite(9)`` to ``cite(10)``, a required
argument made optional, a length limit off by one, ``terminal=True`` dropped.
Each is what a user sees — the article a refusal or a finding names, a form
refused for a missing value — so each is pinned here against the policy.
"""
from __future__ import annotations

import pytest

from tongchou.errors import InvalidInput
from tongchou.values import parse_record, parse_value

#: action -> (roles, cited articles, required arguments)
ACTIONS = {
    "apply": (("unit",), (7, 8), ()),                        # 第七条 申报, 第八条 临时安排
    "leader_consent": (("leader",), (8,), ()),               # 第八条 报县分管领导同意
    "review": (("bureau",), (7,), ("result",)),              # 第七条 技术审查
    "approve": (("government",), (7,), ()),                  # 第七条 县政府批准
    "approve_document": (("drc",), (9,), ("document",)),     # 第九条 审批环节
    "confirm_duplicate": (("bureau",), (3, 7), ("of",)),      # 第三条 统筹、第七条 审查
    "dismiss_duplicate": (("bureau",), (3, 7), ("of",)),
    "plan": (("drc",), (7, 8, 11), ()),                      # 第十一条 列入年度计划
    "budget": (("finance",), (11,), ("amount",)),            # 第十一条 安排预算
    "start_construction": (("unit",), (11,), ()),
    "tender": (("unit",), (13, 14), ()),                     # 第十三、十四条 招标采购
    "sign_contract": (("unit",), (15,), ()),                 # 第十五条 合同
    "appoint_supervisor": (("unit",), (16,), ("name", "qualification")),  # 第十六条 具有资质的监理单位
    "request_change": (("unit",), (17,), ("amount", "reason")),           # 第十七条 调整
    "complete": (("unit",), (18,), ()),                      # 第十八条 建成后验收
    "explain_delay": (("unit",), (19,), ("date",)),          # 第十九条 书面说明并明确验收时间
    "accept": (("unit",), (18, 19), ("result",)),
    "report_idle": (("unit",), (20,), ()),                   # 第二十条 停止运行、长期未使用
    "retire": (("bureau",), (20,), ()),
    "start_operation": (("unit",), (21,), ("mode",)),        # 第二十一条 运维方式
    "review_om_fee": (("bureau",), (22,), ("year", "amount", "result")),  # 第二十二条 运维费审核
    "request_om_budget": (("unit",), (22, 23), ("year",)),
    "record_sharing": (("unit",), (23, 27), ()),             # 第二十七条 共享
    "record_assessment": (("unit",), (31, 32), ("type", "result")),        # 第三十一、三十二条 密评、等保
    "order_rectification": (("drc", "finance", "bureau"), (35,), ("deadline", "reason")),  # 第三十五条
    "rectify": (("unit",), (35,), ()),
    "suspend": (("drc", "finance"), (35,), ()),
    "resume": (("drc", "finance"), (35,), ()),
    "record_evaluation": (("bureau",), (37,), ("result",)),  # 第三十七条 绩效评价
}

#: rule code (guard, finding rule or obligation rule) -> cited articles
RULES = {
    "xichuan.acceptance.documents": (18,), "xichuan.acceptance.documents_uploaded": (18,),
    "xichuan.ai.effect_at_acceptance": (12,), "xichuan.ai.consider": (12,),
    "xichuan.approval.deadline": (7,), "xichuan.approval.review_dimensions": (7,),
    "xichuan.approval.ad_hoc_consent": (8,), "xichuan.approval.consent_ad_hoc_only": (8,),
    "xichuan.approval.document_order": (9,), "xichuan.approval.estimate_with_design": (9,),
    "xichuan.approval.documents_before_construction": (9,), "xichuan.approval.assessments_needed": (10,),
    "xichuan.change.approvals_complete": (17,), "xichuan.change.threshold": (17,),
    "xichuan.change.goal_unchanged": (17,), "xichuan.change.reason": (17,), "xichuan.change.no_silent_edit": (17,),
    "xichuan.duplicates.of_exists": (3,), "xichuan.duplicates.om_confirmed": (23,),
    "xichuan.final.classified": (38,),
    "xichuan.funds.budget_unreviewed": (7,), "xichuan.funds.no_budget": (11,),
    "xichuan.funds.budget_over_estimate": (11,),
    "xichuan.operation.outsourcing_procured": (21,), "xichuan.operation.om_fee_reviewed": (22,),
    "xichuan.operation.om_sharing": (23,), "xichuan.operation.om_idle": (23,),
    "xichuan.operation.om_evaluation": (23,), "xichuan.operation.retire_idle": (20,),
    "xichuan.oversight.suspended": (35,), "xichuan.oversight.rectify_needs_order": (35,),
    "xichuan.oversight.deadline_after_order": (35,), "xichuan.oversight.rectification": (35,),
    "xichuan.procurement.contract_clauses": (15,), "xichuan.procurement.no_subcontracting": (15,),
    "xichuan.sharing.chapter": (26,), "xichuan.supervision.required": (16,),
    "xichuan.cloud.standalone": (25,), "xichuan.cloud.third_party_no_expiry": (25,), "xichuan.cloud.migrate": (25,),
    "xichuan.security.mlps_failed": (32,), "xichuan.security.crypto_failed": (31,),
    "xichuan.security.secure_products": (33,), "xichuan.security.mlps_next": (32,),
    "xichuan.security.crypto_next": (31,),
    "xichuan.acceptance.due": (18,), "xichuan.acceptance.explained": (19,), "xichuan.acceptance.rectify": (19,),
}

#: plugin -> the articles it implements (its chapter), as the plugin list shows admins
CHAPTERS = {
    "xichuan.general": (1, 2, 3, 4, 5, 6), "xichuan.duplicates": (3, 7, 23), "xichuan.approval": (7, 8, 9, 10),
    "xichuan.funds": (11,), "xichuan.ai": (12,), "xichuan.procurement": (13, 14, 15), "xichuan.supervision": (16,),
    "xichuan.change": (17,), "xichuan.acceptance": (18, 19), "xichuan.operation": (20, 21, 22, 23),
    "xichuan.sharing": (24, 26, 27, 28, 29), "xichuan.cloud": (25,), "xichuan.security": (30, 31, 32, 33),
    "xichuan.oversight": (34, 35, 36, 37), "xichuan.final": (38, 39), "xichuan.official": (7, 8, 18, 19, 35),
}

#: (action or None for a project field, field) -> (minimum, maximum)
LIMITS = {
    ("approve", "document_no"): (None, 60), ("approve_document", "document_no"): (None, 60),
    ("confirm_duplicate", "note"): (None, 500), ("dismiss_duplicate", "note"): (None, 500),
    ("confirm_duplicate", "of"): (1, None), ("dismiss_duplicate", "of"): (1, None),
    ("order_rectification", "reason"): (None, 500), ("suspend", "reason"): (None, 500),
    ("appoint_supervisor", "name"): (None, 200), ("appoint_supervisor", "qualification"): (None, 200),
    (None, "scope"): (None, 2000), (None, "funding"): (None, 200),
    (None, "mlps_level"): (1, 5),                             # 等级保护 第一级至第五级
}


@pytest.fixture(scope="module")
def reg(xichuan):
    return xichuan.registry


def test_each_action_is_taken_by_the_roles_and_cites_the_articles_of_the_policy(reg):
    assert set(reg.actions) == set(ACTIONS)
    for name, (roles, articles, _) in ACTIONS.items():
        action = reg.actions[name]
        assert (name, tuple(action.roles)) == (name, roles)
        assert (name, action.citation.articles) == (name, articles)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_a_form_without_a_required_value_is_refused(reg, name):
    action = reg.actions[name]
    required = ACTIONS[name][2]
    assert tuple(f.name for f in action.args if f.required) == required
    if required:
        with pytest.raises(InvalidInput) as err:
            parse_record(action.args, {})
        assert err.value.field == required[0] and "必填" in str(err.value)


def test_each_rule_cites_its_article(reg):
    rules = {**reg.guards, **reg.finding_rules, **reg.obligation_rules}
    assert {code: rule.citation.articles for code, rule in rules.items()} == RULES


def test_each_plugin_implements_the_articles_of_its_chapter_and_together_all_39(xichuan):
    shown = {p.name: tuple(p.articles) for p in xichuan.plugins if p.pack == "xichuan" and p.articles}
    assert shown == CHAPTERS
    assert sorted(n for _, n in xichuan.registry.articles) == list(range(1, 40))


def test_only_rejection_and_retirement_end_a_project(reg):
    assert {name for name, s in reg.statuses.items() if s.terminal} == {"rejected", "retired"}
    assert [name for name, s in reg.statuses.items() if s.initial] == ["draft"]


@pytest.mark.parametrize("where", sorted(LIMITS, key=str))
def test_a_value_at_its_limit_is_taken_and_one_past_it_is_refused(reg, where):
    action, name = where
    field = reg.fields[name] if action is None else next(f for f in reg.actions[action].args if f.name == name)
    low, high = LIMITS[where]
    assert (field.minimum, field.maximum) == (low, high)
    if field.type == "text":
        assert parse_value(field, "字" * high) == "字" * high
        with pytest.raises(InvalidInput):
            parse_value(field, "字" * (high + 1))
        return
    for ok in (low, high):
        if ok is not None:
            assert parse_value(field, ok) == ok
    for bad in ((low - 1) if low is not None else None, (high + 1) if high is not None else None):
        if bad is not None:
            with pytest.raises(InvalidInput):
                parse_value(field, bad)


#: project field -> (required, offered as a list filter)
PROJECT_FIELDS = {
    "name": (True, False), "unit": (True, True), "year": (True, True), "category": (True, True),
    "kind": (True, True), "source": (True, True), "estimate": (False, False), "uses_ai": (False, False),
    "civil_works": (False, False), "high_energy": (False, False), "infrastructure": (False, True),
    "third_party_cloud_expires": (False, False), "classified": (False, False), "scope": (False, False),
    "funding": (False, False), "mlps_level": (False, True),
}


def test_a_project_needs_its_name_unit_year_category_kind_and_source(reg):
    assert {n: (f.required, f.filterable) for n, f in reg.fields.items()} == PROJECT_FIELDS
    with pytest.raises(InvalidInput) as err:
        parse_record(reg.fields, {"name": "智慧城管平台"})
    assert err.value.field in {"unit", "year", "category", "kind", "source"}


def test_only_the_units_staff_are_confined_to_their_own_projects(reg):
    # 第五条 (职责分工): 项目建设单位 acts on its own projects; the departments see the county's
    assert {n for n, r in reg.roles.items() if r.unit_scoped} == {"unit"}


def test_acceptance_documents_are_evidence_to_be_uploaded(reg):
    # 第十八条: 验收材料 (总结、财务报告、审计报告、安全风险评估报告) are filed with the ledger, not only ticked
    assert [(a, f.name) for a, x in reg.actions.items() for f in x.args if f.evidence] == [("accept", "documents")]
