"""The ``xichuan`` pack: 《淅川县政务信息化项目建设管理暂行办法》(淅政办〔2025〕6号),
article by article.  It is Tongchou's default jurisdiction and the reference
for other jurisdictions' packs: copy it, then disable, replace or add plugins.
"""
from __future__ import annotations

import datetime as dt

from tongchou import Pack, RuleVersion

from . import (acceptance, ai, approval, change, cloud, demo, duplicates, final, funds, general, official,
               operation, oversight, procurement, security, sharing, supervision, taizhang, worklist)
from .common import DOCUMENT, JURISDICTION

PACK = Pack(
    name="xichuan",
    title=JURISDICTION,
    document=DOCUMENT,
    version="2025.6",
    description="淅川县政务信息化项目建设管理暂行办法（试行两年）",
    effective=dt.date(2025, 8, 29),
    expires=dt.date(2027, 8, 28),
    default=True,
    # The two-year trial (第三十九条) is the measures' one version so far; its own
    # notice (xichuan.final) says when it has run out, so the core adds none.
    versions=(RuleVersion("2025.6", effective=dt.date(2025, 8, 29), expires=dt.date(2027, 8, 28),
                          description="淅政办〔2025〕6号（试行两年）", article=39,
                          expiry_notice="xichuan.final.trial_ended"),),
    plugins={
        "xichuan.general": general,          # 第一条–第六条 总则
        "xichuan.duplicates": duplicates.PLUGIN,  # 第三条、第七条、第二十三条 重复建设比对
        "xichuan.approval": approval,        # 第七条–第十条 审批
        "xichuan.funds": funds,              # 第十一条 资金
        "xichuan.ai": ai,                    # 第十二条 大模型
        "xichuan.procurement": procurement,  # 第十三条–第十五条 招标与合同
        "xichuan.supervision": supervision,  # 第十六条 监理
        "xichuan.change": change,            # 第十七条 变更
        "xichuan.acceptance": acceptance,    # 第十八条–第十九条 验收
        "xichuan.operation": operation,      # 第二十条–第二十三条 运维
        "xichuan.sharing": sharing,          # 第二十四条、第二十六条–第二十九条 共享
        "xichuan.cloud": cloud,              # 第二十五条 政务云
        "xichuan.security": security,        # 第三十条–第三十三条 等保/密评
        "xichuan.oversight": oversight,      # 第三十四条–第三十七条 监督
        "xichuan.final": final,              # 第三十八条–第三十九条 附则
        "xichuan.official": official,        # 公文:技术审查意见、整改通知、验收意见
        "xichuan.worklist": worklist,        # 待办:各方的下一步
        "xichuan.demo": demo,                # the demo county
        "xichuan.taizhang": taizhang,        # 台账导入:表头、取值与节点日期
    },
)
