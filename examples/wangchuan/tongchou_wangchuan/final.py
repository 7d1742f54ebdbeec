"""第十九条: classified projects follow other rules.

Xichuan's 附则 plugin is switched off (its notice speaks of Xichuan's two-year
trial; the end of 望川县's measures is said by the rule versions); its check
for classified projects is reused as it is.
"""
from __future__ import annotations

from tongchou import CREATE_PROJECT, UPDATE_PROJECT, Field, Guard
from tongchou.plugins.xichuan.final import _classified

from .common import cite, hookimpl

TITLE = "附则:涉密项目"
ARTICLES = (19,)


@hookimpl
def tongchou_fields():
    return [Field("classified", "涉密", "bool")]


@hookimpl
def tongchou_guards():
    return [Guard("wangchuan.final.classified", (CREATE_PROJECT, UPDATE_PROJECT), _classified, cite(19),
                  "涉密项目另行执行")]
