"""第三条: who does what in 示例市.  The roles keep Xichuan's names (the
reused rules name them) but are the city's departments."""
from __future__ import annotations

from tongchou import Role

from .common import articles, hookimpl

TITLE = "职责分工:市级部门"
ARTICLES = (3,)
BASE = "xichuan.general"


@hookimpl
def tongchou_roles():
    return [
        Role("unit", "项目建设单位", unit_scoped=True, replaces=BASE),
        Role("bureau", "市政务服务和数据管理局", replaces=BASE),
        Role("drc", "市发展改革委", replaces=BASE),
        Role("finance", "市财政局", replaces=BASE),
        Role("government", "市人民政府", replaces=BASE),
        Role("leader", "市分管领导", replaces=BASE),
        Role("oversight", "市委网信办/市公安局/市审计局", replaces=BASE),
    ]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
