"""第二十一条–第二十二条: classified projects follow other rules; the measures
are in force from 2026-01-01 to 2030-12-31.

Xichuan's 附则 plugin is switched off (its notice speaks of a two-year trial);
its check for classified projects is reused as it is.
"""
from __future__ import annotations

from tongchou import CREATE_PROJECT, UPDATE_PROJECT, Field, Guard, Notice
from tongchou.plugins.xichuan.final import _classified

from .common import TITLE as MEASURES, articles, cite, hookimpl, parameters

TITLE = "附则:涉密项目与有效期"
ARTICLES = (21, 22)


@hookimpl
def tongchou_fields():
    return [Field("classified", "涉密", "bool")]


@hookimpl
def tongchou_guards():
    return [Guard("shili.final.classified", (CREATE_PROJECT, UPDATE_PROJECT), _classified, cite(21),
                  "涉密项目另行执行")]


@hookimpl
def tongchou_ledger_notices(params, on):
    end = params.value("valid_until", on)
    if on > end:
        return [Notice("shili.final.expired", cite(22), f"《{MEASURES}》已于 {end} 期满失效,请核实现行规定")]
    return None


@hookimpl
def tongchou_parameters():
    return parameters("valid_until")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
