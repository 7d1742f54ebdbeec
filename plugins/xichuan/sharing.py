"""第二十四条–第二十九条 (but 第二十五条, see cloud.py): information sharing —
the sharing chapter of the feasibility study and preliminary design, the state
of sharing in operation, and the annual catalogue of systems.
"""
from __future__ import annotations

from tongchou import Action, ActionArgument, Field, Guard, Report

from .common import articles, cite, hookimpl

TITLE = "共享：共享分析篇章、共享状况与系统目录"
ARTICLES = (24, 26, 27, 28, 29)


@hookimpl
def tongchou_actions():
    return [
        Action("record_sharing", "登记共享情况", roles=("unit",), citation=cite(23, 27),
               args=(Field("interconnected", "已完成系统对接互通", "bool"),
                     Field("data_aggregated", "已完成数据归集", "bool"),
                     Field("shared", "已实现信息共享", "bool"),
                     Field("duplicate", "存在重复采集或重复建设", "bool")),
               offered_in=("accepted", "in_operation")),
    ]


@hookimpl
def tongchou_action_arguments():
    return [ActionArgument("approve_document",
                           Field("sharing_chapter", "包含信息资源共享分析篇(章)", "bool"))]


def _sharing_chapter(ctx):
    if ctx.args["document"] in ("feasibility", "preliminary_design") and not ctx.args.get("sharing_chapter"):
        return "可行性研究报告、初步设计应当包括信息资源共享分析篇（章）"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("xichuan.sharing.chapter", ("approve_document",), _sharing_chapter, cite(26),
                  "共享分析篇章")]


CATALOGUE_COLUMNS = (
    Field("name", "名称"), Field("type", "类型"), Field("basis", "建设依据"),
    Field("approval", "审批部门和文号"), Field("investment", "投资额度", "money"),
    Field("om_fee", "运维费用", "money"), Field("funding", "经费渠道"),
    Field("resource_catalogue", "信息资源目录"), Field("sharing", "共享开放情况"),
    Field("protection", "等保和分保情况"), Field("performance", "绩效指标"),
)


def build_catalogue(ledger, user, unit: str | None = None, year: int | None = None) -> list[dict]:
    """第二十八条: the unit's systems built and in operation, one row each."""
    from .catalogue import catalogue_rows
    return catalogue_rows(ledger, user, unit=unit, year=year)


@hookimpl
def tongchou_reports():
    return [Report("catalogue", "政务信息系统基础目录清单", CATALOGUE_COLUMNS, build_catalogue, cite(28),
                   options=(Field("unit", "单位"), Field("year", "年度", "year")))]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
