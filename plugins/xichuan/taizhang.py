"""The words of Xichuan's own 台账, for importing them: more headers for the
pack's fields, the everyday names of their choices, and the dated columns
(批复、合同、开工、竣工、验收、投运) with the action each records, so that a
project comes in at its real status with its history (第七条、第十五条、
第十一条、第十八条、第二十一条) and owes what those articles say from then on.

A county that words its 台账 differently adds a plugin of its own with more
:class:`HeaderSynonyms` / :class:`ValueSynonyms` (they add up), or replaces
this one.
"""
from __future__ import annotations

from .common import hookimpl

TITLE = "台账导入:表头、取值与节点日期"
ARTICLES: tuple[int, ...] = ()


@hookimpl
def tongchou_import_vocabulary():
    # The import's record types are read only here, when a 台账 is imported:
    # every other command loads this plugin too, and need not compile them.
    from tongchou.import_headers import HeaderSynonyms, ValueSynonyms
    from tongchou.import_history import Milestone

    headers = (
        HeaderSynonyms("scope", ("建设内容", "主要建设内容", "项目建设内容", "建设规模及内容", "建设内容及规模")),
        HeaderSynonyms("funding", ("资金来源", "经费渠道", "资金渠道", "经费来源", "资金性质")),
        HeaderSynonyms("category", ("类别", "项目分类", "投资类别", "建设类别")),
        HeaderSynonyms("kind", ("类型", "建设类型", "项目性质")),
        HeaderSynonyms("source", ("来源", "立项依据", "项目依据")),
        HeaderSynonyms("classified", ("涉密", "涉密项目", "是否涉密项目")),
        HeaderSynonyms("infrastructure", ("部署方式", "部署位置", "部署环境")),
        HeaderSynonyms("mlps_level", ("等保级别", "等保等级", "安全保护等级", "等级保护级别")),
    )

    values = (
        ValueSynonyms("category", {"政府投资": "government_investment", "政府投资项目": "government_investment",
                                   "购买服务": "purchased_service", "政府购买服务": "purchased_service",
                                   "设备采购": "equipment_software", "软件采购": "equipment_software",
                                   "设备和软件采购": "equipment_software"}),
        ValueSynonyms("kind", {"信息系统": "information_system", "业务系统": "information_system",
                               "设备购置": "equipment_network", "网络设备": "equipment_network",
                               "硬件设备": "equipment_network", "机房": "data_center"}),
        ValueSynonyms("infrastructure", {"政务云": "gov_cloud"}),
        ValueSynonyms("source", {"上级要求": "higher_level", "上级部署": "higher_level",
                                 "县政府决定": "county_decision", "自主申报": "unit_application",
                                 "临时安排": "ad_hoc"}),
    )

    # in the order they happen; each records the action of the article it follows
    milestones = (
        Milestone("approved", "批复", "approve",
                  headers=("批复日期和文号", "批复日期及文号", "批复时间和文号", "批复日期", "审批日期", "批准日期",
                           "立项批复", "立项批复日期", "批复情况"),
                  number_headers=("批复文号", "审批文号", "立项文号", "批复文件文号")),
        Milestone("contracted", "合同签订", "sign_contract",
                  headers=("合同签订日期", "签订合同日期", "合同签订时间", "合同日期")),
        Milestone("started", "开工", "start_construction", headers=("开工日期", "开工时间")),
        Milestone("completed", "竣工", "complete", headers=("竣工日期", "竣工时间", "完工日期", "建成日期")),
        Milestone("accepted", "验收", "accept", headers=("验收日期", "验收时间", "竣工验收日期"),
                  args={"result": "pass"}, status="accepted"),
        Milestone("in_operation", "投运", "start_operation",
                  headers=("投运日期", "投入运行日期", "投运时间", "上线日期", "上线运行日期")),
    )
    return [*headers, *values, *milestones]
