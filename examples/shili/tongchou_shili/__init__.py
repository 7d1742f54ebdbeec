"""The ``shili`` pack: 《示例市政务信息化项目建设管理办法》(示政办〔2026〕3号),
a fictional city's measures, written as a pack on top of ``xichuan``.

What differs from Xichuan, and how the pack says it:

- numbers: applications by May 31 and a 10 % change threshold are
  ``parameter_overrides``; the acceptance periods are the pack's own
  parameters;
- an expert review (专家评审) for projects over 5,000,000 yuan before approval:
  ``shili.approval`` adds a status, an action and a guard and replaces
  ``approve`` (``replaces="xichuan.approval"``);
- acceptance in two stages, 初验 and 终验: ``xichuan.acceptance`` is disabled
  and ``shili.acceptance`` brings the statuses, actions and deadlines;
- no article on AI large models: ``xichuan.ai`` is disabled;
- Xichuan's demo county is switched off (it accepts projects in one step);
- its own validity period: ``xichuan.final`` is disabled, ``shili.final``
  reuses its check for classified projects;
- the city's departments: ``shili.roles`` relabels the roles, and the
  text parameters ``approval_body`` etc. name them in the catalogue and the
  review opinion;
- its own article numbers: ``shili.citations`` maps every reused Xichuan
  article to the city's, so reused rules cite 示政办〔2026〕3号.
"""
from __future__ import annotations

import datetime as dt

from tongchou import Pack

from . import acceptance, approval, citations, final, roles
from .common import DOCUMENT, JURISDICTION, TITLE

__version__ = "2026.3"

PACK = Pack(
    name="shili",
    title=JURISDICTION,
    document=DOCUMENT,
    version=__version__,
    description=TITLE,
    extends="xichuan",
    # xichuan.demo builds its demo county with Xichuan's single `accept`
    disable=("xichuan.ai", "xichuan.acceptance", "xichuan.final", "xichuan.demo"),
    plugins={
        "shili.citations": citations,    # article numbers of the reused rules
        "shili.roles": roles,            # 第三条 职责分工
        "shili.approval": approval,      # 第四条、第六条 专家评审
        "shili.acceptance": acceptance,  # 第十三条–第十五条 初验、终验
        "shili.final": final,            # 第二十一条–第二十二条 附则
    },
    parameter_overrides={
        "application_deadline": {"2026-01-01": "05-31"},  # 第四条
        "change_threshold": {"2026-01-01": "0.10"},       # 第十二条
        # the bodies' names in the catalogue and the review opinion (第三条)
        "approval_body": {"2026-01-01": "市人民政府"},
        "document_approval_body": {"2026-01-01": "市发展改革委"},
        "consent_body": {"2026-01-01": "市分管领导"},
    },
    effective=dt.date(2026, 1, 1),
    expires=dt.date(2030, 12, 31),
)
