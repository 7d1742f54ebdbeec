"""第十三条–第十五条: implementing body, tendering and the construction contract."""
from __future__ import annotations

from tongchou import Action, Field, Guard, Status

from .common import CONTRACT_CLAUSES, articles, cite, hookimpl, labels, missing

TITLE = "招标与合同"
ARTICLES = (13, 14, 15)


@hookimpl
def tongchou_statuses():
    return [
        Status("procuring", "招标采购中", order=40),
        Status("contracted", "已签订合同", order=50),
    ]


@hookimpl
def tongchou_actions():
    return [
        Action("tender", "组织招标采购", roles=("unit",), citation=cite(13, 14),
               from_statuses=("approved", "planned"), to_status="procuring",
               help="依据批复文件和技术审查意见组织招标采购"),
        Action("sign_contract", "签订建设合同", roles=("unit",), citation=cite(15),
               from_statuses=("procuring",), to_status="contracted",
               args=(Field("clauses", "合同条款", "enum_list", choices=CONTRACT_CLAUSES),
                     Field("subcontracting", "转包给其他主体", "bool"))),
    ]


def _clauses(ctx):
    if ctx.project["category"] == "purchased_service":
        return None
    gaps = missing(CONTRACT_CLAUSES, ctx.args.get("clauses"))
    if gaps:
        return f"建设合同缺少以下内容：{labels(gaps)}"
    return None


def _subcontracting(ctx):
    if ctx.project["category"] == "purchased_service" and ctx.args.get("subcontracting"):
        return "政府购买服务承接主体不得将服务项目转包给其他主体"
    return None


@hookimpl
def tongchou_guards():
    return [
        Guard("xichuan.procurement.contract_clauses", ("sign_contract",), _clauses, cite(15), "合同必备条款"),
        Guard("xichuan.procurement.no_subcontracting", ("sign_contract",), _subcontracting, cite(15),
              "购买服务不得转包"),
    ]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
