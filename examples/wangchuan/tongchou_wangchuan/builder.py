"""第四条、第十三条: a county-owned company (县城投公司) builds and operates
every project; the requesting unit states needs, applies, tenders and signs.

The builder is a *party* of the project: a unit-valued field ``builder``
(建设运营单位) with ``party=True``.  Xichuan's acceptance actions ``complete``,
``explain_delay`` and ``accept`` are replaced by the same actions taken by the
builder's staff (``party="builder"``); Xichuan's acceptance deadlines and
documents guard keep watching them, because the names stay.
"""
from __future__ import annotations

from tongchou import Action, Field
# Xichuan's acceptance documents and result choices are reused as they are.
from tongchou.plugins.xichuan.common import ACCEPTANCE_DOCUMENTS, RESULT

from .common import cite, hookimpl

TITLE = "建设运营单位:县城投公司建设、验收"
ARTICLES = (4, 13)
BASE = "xichuan.acceptance"


@hookimpl
def tongchou_fields():
    return [Field("builder", "建设运营单位", "unit", required=True, party=True, filterable=True,
                  help="县人民政府指定的县属国有企业(如县城投公司),负责项目实施和运行维护")]


def _accept_to(ctx):
    return "accepted" if ctx.args["result"] == "pass" else "acceptance_failed"


@hookimpl
def tongchou_actions():
    return [
        Action("complete", "项目建成", roles=("unit",), party="builder", citation=cite(4, 13),
               from_statuses=("under_construction",), to_status="completed",
               help="由建设运营单位办理;建成后6个月内组织验收", replaces=BASE),
        Action("explain_delay", "提交逾期验收说明", roles=("unit",), party="builder",
               citation=cite(4, 13),
               args=(Field("date", "明确的验收时间", "date", required=True),),
               help="不能按期验收的,由建设运营单位向县数据局提交书面说明", replaces=BASE),
        Action("accept", "组织验收", roles=("unit",), party="builder", citation=cite(4, 13),
               from_statuses=("completed", "acceptance_failed"), to_status=_accept_to,
               args=(Field("result", "验收结论", "enum", required=True, choices=RESULT),
                     Field("documents", "验收材料", "enum_list", choices=ACCEPTANCE_DOCUMENTS)),
               help="由建设运营单位组织验收", replaces=BASE),
    ]
