"""第六条 (2026 measures only): each unit applies for at most one project per
planned year (计划建设年度); projects in draft or rejected by the review do not
count, and ad-hoc projects (国家和省、市临时安排) are neither limited nor counted.

The guard reads the other projects of the ledger (``ctx.projects``) and says so
(``reads_projects=True``), so the core decides one unit's applications one at a
time and two concurrent applications cannot both pass.  The number is the dated
parameter ``yearly_applications``.
"""
from __future__ import annotations

from tongchou import Guard

from .common import cite, hookimpl, parameters

TITLE = "年度申报数量:每个单位每年原则上一个项目"
ARTICLES = (6,)

#: projects in these statuses have not been applied for (or were turned down)
NOT_APPLIED = ("draft", "rejected")
#: 国家和省、市临时安排的项目 are outside the quota
EXEMPT_SOURCE = "ad_hoc"


def counted(projects) -> list:
    """The projects that count against a unit's yearly quota."""
    return [p for p in projects if p.status not in NOT_APPLIED and p.get("source") != EXEMPT_SOURCE]


def one_per_year(ctx):
    if ctx.project.get("source") == EXEMPT_SOURCE:
        return None
    year = ctx.project["year"]
    applied = counted(ctx.projects.find(unit=ctx.project["unit"], year=year))
    limit = ctx.params["yearly_applications"]
    if len(applied) >= limit:
        names = "、".join(f"“{p.name}”" for p in applied)  # the unit's own projects: no leak
        return f"本单位 {year} 年度已申报{names},每个单位每年原则上只申报 {limit} 个项目"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("wangchuan.quota.yearly", ("apply",), one_per_year, cite(6), "年度申报数量",
                  reads_projects=True)]


@hookimpl
def tongchou_parameters():
    return parameters("yearly_applications")
