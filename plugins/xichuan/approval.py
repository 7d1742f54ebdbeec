"""第二章 项目申报与审批管理 (第七条–第十条): application, technical review,
approval, the ad-hoc track, and the approval documents.
"""
from __future__ import annotations

from tongchou import Action, Field, Finding, FindingRule, Guard, Status, sweep_statuses
from tongchou.dates import on_month_day

from .common import (APPROVAL_DOCUMENTS, RESULT, REVIEW_DIMENSIONS, articles, cite, former_hook,
                     hookimpl, labels, missing, parameters)

TITLE = "审批：申报、技术审查、批准与审批环节"
ARTICLES = (7, 8, 9, 10)
DOC_ORDER = tuple(c.value for c in APPROVAL_DOCUMENTS)


@hookimpl
def tongchou_statuses():
    return [
        Status("draft", "草稿", initial=True, order=0),
        Status("submitted", "已申报", order=10),
        Status("reviewed", "已审查", order=20),
        Status("rejected", "未通过审查", terminal=True, order=25),
        Status("approved", "已批准", order=30),
    ]


@hookimpl
def tongchou_fields():
    return [
        Field("civil_works", "新建土建工程", "bool"),
        Field("high_energy", "高耗能", "bool"),
    ]


def _review_to(ctx):
    return "reviewed" if ctx.args["result"] == "pass" else "rejected"


def _document_effects(ctx):
    if ctx.args["document"] == "preliminary_design" and ctx.args.get("estimate") is not None:
        return {"estimate": ctx.args["estimate"]}
    return {}


@hookimpl
def tongchou_actions():
    return [
        Action("apply", "申报", roles=("unit",), citation=cite(7, 8),
               from_statuses=("draft",), to_status="submitted",
               help="项目建设单位向县行政审批和政务信息管理局报送项目材料"),
        Action("leader_consent", "分管领导同意", roles=("leader",), citation=cite(8), offered_in=("submitted",),
               help="临时安排项目报县分管领导同意"),
        Action("review", "技术审查", roles=("bureau",), citation=cite(7),
               from_statuses=("submitted",), to_status=_review_to,
               args=(Field("result", "审查结论", "enum", required=True, choices=RESULT),
                     Field("dimensions", "审查内容", "enum_list", choices=REVIEW_DIMENSIONS)),
               help="对必要性、规模、技术、安全、集约性进行审查并出具审查意见"),
        Action("approve", "县政府批准", roles=("government",), citation=cite(7),
               from_statuses=("reviewed",), to_status="approved",
               args=(Field("document_no", "批复文号", "text", maximum=60),)),
        Action("approve_document", "批复审批文件", roles=("drc",), citation=cite(9),
               args=(Field("document", "审批文件", "enum", required=True, choices=APPROVAL_DOCUMENTS),
                     Field("estimate", "核定概算总投资(元)", "money"),
                     Field("document_no", "批复文号", "text", maximum=60)),
               effects=_document_effects, offered_in=("approved", "planned", "procuring", "contracted"),
               help="按项目建议书、可行性研究报告、初步设计的顺序批复；初步设计可核定概算"),
    ]


def _deadline(ctx):
    if ctx.project["source"] != "unit_application":
        return None
    md = ctx.params["application_deadline"]
    year = ctx.project["year"]
    last_day = on_month_day(year - 1, md)
    if ctx.date > last_day:
        return (f"{year} 年度项目应于 {last_day} 前（含当日）报送，"
                f"{ctx.date} 已过申报截止日")
    return None


def _dimensions(ctx):
    gaps = missing(REVIEW_DIMENSIONS, ctx.args.get("dimensions"))
    if gaps:
        return f"技术审查未涵盖：{labels(gaps)}"
    return None


def _ad_hoc_consent(ctx):
    if ctx.project["source"] == "ad_hoc" and not ctx.happened("leader_consent"):
        return "临时安排项目须先报县分管领导同意，再进行技术审查"
    return None


def _consent_ad_hoc_only(ctx):
    if ctx.project["source"] != "ad_hoc":
        return "县分管领导同意程序仅适用于国家和省、市临时安排的项目"
    return None


def approved_documents(history) -> list[str]:
    return [ev.args["document"] for ev in history if ev.action == "approve_document"]


def _document_order(ctx):
    done = approved_documents(ctx.history)
    doc = ctx.args["document"]
    if doc in done:
        return f"{APPROVAL_DOCUMENTS[DOC_ORDER.index(doc)].label}已批复,不能重复批复"
    expected = DOC_ORDER[len(done)] if len(done) < len(DOC_ORDER) else None
    if doc != expected:
        need = APPROVAL_DOCUMENTS[DOC_ORDER.index(expected)].label if expected else "（无）"
        return f"审批环节应依次为项目建议书、可行性研究报告、初步设计，下一步应批复{need}"
    return None


def _estimate_with_design(ctx):
    if ctx.args.get("estimate") is not None and ctx.args["document"] != "preliminary_design":
        return "概算总投资只能在批复初步设计时核定"
    return None


def _documents_before_construction(ctx):
    if ctx.project["category"] != "government_investment":
        return None
    gaps = [c for c in APPROVAL_DOCUMENTS if c.value not in approved_documents(ctx.history)]
    if gaps:
        return f"政府投资建设类项目开工前须完成审批环节，尚未批复：{labels(gaps)}"
    return None


@hookimpl
def tongchou_guards():
    return [
        Guard("xichuan.approval.deadline", ("apply",), _deadline, cite(7), "年度申报截止日"),
        Guard("xichuan.approval.review_dimensions", ("review",), _dimensions, cite(7), "审查五个方面"),
        Guard("xichuan.approval.ad_hoc_consent", ("review",), _ad_hoc_consent, cite(8), "临时项目须领导同意"),
        Guard("xichuan.approval.consent_ad_hoc_only", ("leader_consent",), _consent_ad_hoc_only, cite(8),
              "领导同意仅用于临时项目"),
        Guard("xichuan.approval.document_order", ("approve_document",), _document_order, cite(9),
              "审批文件依次批复"),
        Guard("xichuan.approval.estimate_with_design", ("approve_document",), _estimate_with_design, cite(9),
              "概算随初步设计核定"),
        Guard("xichuan.approval.documents_before_construction", ("start_construction",),
              _documents_before_construction, cite(9), "开工前完成审批环节"),
    ]


def _assessments_needed(project, history, params, **_optional):
    if project["civil_works"] or project["high_energy"]:
        what = "、".join(x for x, on in (("新建土建工程", project["civil_works"]),
                                         ("高耗能", project["high_energy"])) if on)
        return [Finding("xichuan.approval.assessments_needed", "advice", cite(10),
                        f"项目涉及{what}，须履行节能评估、规划选址、用地预审、环境影响评价等审批")]
    return None


@hookimpl
def tongchou_finding_rules():
    return [FindingRule("xichuan.approval.assessments_needed", cite(10), _assessments_needed,
                        "土建与高耗能项目的专项审批")]


#: the former hookimpl, for code that imports it
tongchou_findings = former_hook(__name__, tongchou_finding_rules, "tongchou_findings")


@hookimpl
@sweep_statuses("draft", severities=("advice",))
def tongchou_sweep(projects, on, params):
    """A unit application still in draft after 第七条's deadline for its year can
    no longer be filed: something only the passing of time makes true."""
    md = params.value("application_deadline", on)
    out = {}
    for project in projects:
        if project.status != "draft" or project["source"] != "unit_application":
            continue
        last_day = on_month_day(project["year"] - 1, md)
        if on > last_day:
            out[project.id] = [Finding(
                "xichuan.approval.deadline_passed", "advice", cite(7),
                f"{project['year']} 年度项目应于 {last_day} 前（含当日）报送，至今未申报；"
                "可改列下一年度，或按临时安排程序办理")]
    return out


@hookimpl
def tongchou_parameters():
    # the bodies' names in reports and documents: a county that approves
    # elsewhere overrides one value instead of rewording the plugins
    return parameters("application_deadline", "approval_body", "document_approval_body", "consent_body")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
