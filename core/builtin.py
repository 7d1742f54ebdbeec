"""The core's own plugin: the few fields and the one role every jurisdiction has.

Registered as ``tongchou.core`` ahead of any pack.  Everything else a
jurisdiction knows comes from its pack.
"""
from __future__ import annotations

import pluggy

from .vocabulary import Field, Role

hookimpl = pluggy.HookimplMarker("tongchou")

TITLE = "核心字段与系统管理员"
ARTICLES: tuple[int, ...] = ()

#: Fields stored in their own columns, so lists can filter and sort on them.
CORE_FIELDS = (
    Field("name", "项目名称", "text", required=True, maximum=200),
    Field("unit", "建设单位", "text", required=True, maximum=100, filterable=True),
    Field("year", "计划建设年度", "year", required=True, filterable=True),
    Field("estimate", "概算总投资(元)", "money"),
)


@hookimpl
def tongchou_fields():
    return list(CORE_FIELDS)


@hookimpl
def tongchou_roles():
    return [Role("admin", "系统管理员")]
