"""The ``wangchuan`` pack: 《望川县政务信息化项目管理办法》, a fictional
county's measures of 2024 (望政办〔2024〕5号) and 2026 (望政办〔2026〕2号),
written as a pack on top of ``xichuan``.

What differs from Xichuan, and how the pack says it:

- two versions of the measures (``RuleVersion``), anchored on ``apply``: a
  project applied for before 2026-01-01 stays under the 2024 measures;
- the 2026 measures limit each unit to one application per planned year
  (第六条): ``wangchuan.quota``, a guard reading the other projects, in the
  2026 version only;
- a change threshold of 15 % (2024) and 10 % (2026): a parameter override
  per version;
- a county-owned company (县城投公司) builds every project and takes the
  acceptance actions: ``wangchuan.builder``, a party field and party actions;
- filing within 15 working days of the acceptance (第十四条):
  ``wangchuan.filing``, a declared obligation rule counting working days;
- applications are taken all year round: Xichuan's rule
  ``xichuan.approval.deadline`` is switched off by its code;
- no article on AI large models, and no two-year trial: ``xichuan.ai`` and
  ``xichuan.final`` are switched off (``wangchuan.final`` keeps the check for
  classified projects); Xichuan's demo county is switched off too (its staff
  accept projects without a builder);
- its own article numbers: ``wangchuan.citations`` (one per version) maps
  Xichuan's articles to the measures in force.
"""
from __future__ import annotations

import datetime as dt

from tongchou import Pack, RuleVersion

from . import builder, filing, final, quota, roles
from .citations import CITATIONS_2024, CITATIONS_2026, MEASURES
from .common import DOCUMENT, DOCUMENT_2024, JURISDICTION, TITLE

__version__ = "2026.2"

VERSIONS = (
    RuleVersion("2024", effective=dt.date(2024, 1, 1), expires=dt.date(2025, 12, 31),
                description=DOCUMENT_2024, article=20,
                plugins={"wangchuan.citations": CITATIONS_2024},
                parameter_overrides={"change_threshold": "0.15"}),      # 2024 第十二条
    RuleVersion("2026", effective=dt.date(2026, 1, 1), expires=None,
                description=DOCUMENT, article=20,
                plugins={"wangchuan.citations": CITATIONS_2026,
                         "wangchuan.quota": quota},                     # 2026 第六条
                parameter_overrides={"change_threshold": "0.10"}),      # 2026 第十二条
)

PACK = Pack(
    name="wangchuan",
    title=JURISDICTION,
    document=DOCUMENT,
    version=__version__,
    description=TITLE,
    extends="xichuan",
    disable=("xichuan.ai", "xichuan.final", "xichuan.demo",
             "xichuan.approval.deadline"),   # one rule, by its code: no application deadline
    plugins={
        "wangchuan.measures": MEASURES,  # the text of both measures
        "wangchuan.roles": roles,        # 第三条 职责分工
        "wangchuan.builder": builder,    # 第四条、第十三条 建设运营单位
        "wangchuan.filing": filing,      # 第十四条 验收备案
        "wangchuan.final": final,        # 第十九条 涉密项目
    },
    anchor="apply",
    versions=VERSIONS,
    effective=dt.date(2024, 1, 1),
)
