"""第十六条: construction projects are supervised by a qualified 监理 firm."""
from __future__ import annotations

from tongchou import Action, Field, Guard

from .common import articles, cite, hookimpl

TITLE = "监理"
ARTICLES = (16,)


@hookimpl
def tongchou_actions():
    return [
        Action("appoint_supervisor", "委托监理单位", roles=("unit",), citation=cite(16),
               args=(Field("name", "监理单位名称", "text", required=True, maximum=200),
                     Field("qualification", "监理资质", "text", required=True, maximum=200)),
               offered_in=("approved", "planned", "procuring", "contracted", "under_construction")),
    ]


def _no_supervisor(ctx):
    if ctx.project["category"] == "government_investment" and not ctx.happened("appoint_supervisor"):
        return "政府投资建设类项目实行项目监理制，开工前须委托具有资质的监理单位"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("xichuan.supervision.required", ("start_construction",), _no_supervisor, cite(16),
                  "开工前委托监理")]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
