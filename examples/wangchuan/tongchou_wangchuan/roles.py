"""第三条: who does what in 望川县.  The roles keep Xichuan's names (the
reused rules name them); only the departments' labels differ."""
from __future__ import annotations

from tongchou import Role

from .common import hookimpl

TITLE = "职责分工:县级部门"
ARTICLES = (3,)
BASE = "xichuan.general"


@hookimpl
def tongchou_roles():
    return [
        # staff of the requesting units and of the builder (县城投公司) alike:
        # which projects they act on is said by the party of each action (第四条)
        Role("unit", "项目建设单位/建设运营单位", unit_scoped=True, replaces=BASE),
        Role("bureau", "县数据局", replaces=BASE),
        Role("drc", "县发展改革委", replaces=BASE),
    ]
