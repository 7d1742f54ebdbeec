"""第四条、第六条: projects over 5,000,000 yuan pass an expert review (专家评审)
organised by the data bureau before the city government approves them.

A new status (``expert_reviewed``), a new action (``expert_review``), Xichuan's
``approve`` replaced so that it may also start from the new status, and a guard
refusing approval of a large project without a passed expert review.
"""
from __future__ import annotations

from decimal import Decimal

from tongchou import Action, Field, Guard, Status

from .common import RESULT, articles, cite, hookimpl, parameters

TITLE = "审批:专家评审"
ARTICLES = (4, 6)


@hookimpl
def tongchou_statuses():
    return [Status("expert_reviewed", "已通过专家评审", order=22)]


def _expert_to(ctx):
    return "expert_reviewed" if ctx.args["result"] == "pass" else "rejected"


@hookimpl
def tongchou_actions():
    return [
        Action("expert_review", "专家评审", roles=("bureau",), citation=cite(6),
               from_statuses=("reviewed",), to_status=_expert_to,
               args=(Field("result", "评审结论", "enum", required=True, choices=RESULT),
                     Field("experts", "评审专家", "text")),
               help="概算总投资超过500万元的项目,技术审查通过后由市数据局组织专家评审"),
        # Xichuan's approve starts from `reviewed` only; here it may also follow the review.
        Action("approve", "市人民政府批准", roles=("government",), citation=cite(4),
               from_statuses=("reviewed", "expert_reviewed"), to_status="approved",
               replaces="xichuan.approval"),
    ]


def needs_expert_review(estimate, threshold) -> bool:
    """Over the threshold, not at it: 500万元 itself needs no expert review."""
    return estimate is not None and Decimal(estimate) > Decimal(threshold)


def _expert_review_first(ctx):
    threshold = ctx.params["expert_review_threshold"]
    if needs_expert_review(ctx.project["estimate"], threshold) and not ctx.happened("expert_review", result="pass"):
        return (f"概算总投资超过 {Decimal(threshold):,.0f} 元的项目须经专家评审通过后方可批准")
    return None


@hookimpl
def tongchou_guards():
    return [Guard("shili.approval.expert_review_first", ("approve",), _expert_review_first, cite(6),
                  "大额项目须经专家评审")]


@hookimpl
def tongchou_parameters():
    return parameters("expert_review_threshold")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
