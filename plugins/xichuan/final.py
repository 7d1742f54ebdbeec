"""第八章 附则 (第三十八条–第三十九条): classified projects follow other rules;
the measures are a two-year trial."""
from __future__ import annotations

from tongchou import CREATE_PROJECT, UPDATE_PROJECT, Field, Guard, Notice

from .common import articles, cite, hookimpl, parameters

TITLE = "附则：涉密项目与试行期"
ARTICLES = (38, 39)


@hookimpl
def tongchou_fields():
    return [Field("classified", "涉密", "bool")]


def _classified(ctx):
    if ctx.project["classified"]:
        return "涉及国家秘密的信息化项目按有关规定另行执行，不在本台账登记"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("xichuan.final.classified", (CREATE_PROJECT, UPDATE_PROJECT), _classified, cite(38),
                  "涉密项目另行执行")]


@hookimpl
def tongchou_ledger_notices(params, on):
    end = params.value("trial_end", on)
    if on > end:
        return [Notice("xichuan.final.trial_ended", cite(39),
                       f"《淅川县政务信息化项目建设管理暂行办法》试行期已于 {end} 届满，请核实现行规定")]
    return None


@hookimpl
def tongchou_parameters():
    return parameters("trial_end")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
