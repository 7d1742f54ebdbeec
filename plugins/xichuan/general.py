"""第一章 总则 (第一条–第六条): who the departments are, and what a project is.

Contributes the roles of the measures' departments (第五条) and the fields
that classify a project: its category (第四条), kind (第二条) and source
(第六条, 第八条), and what it builds and how it is paid for (``scope``,
``funding``: 第三条's duplicate check and 第二十八条's catalogue).
"""
from __future__ import annotations

from tongchou import Field, Role

from .common import articles, choices, hookimpl

TITLE = "总则：部门职责与项目分类"
ARTICLES = (1, 2, 3, 4, 5, 6)

CATEGORY = choices(
    ("government_investment", "政府投资建设类"),
    ("purchased_service", "政府购买服务类"),
    ("equipment_software", "单纯设备和软件类采购"))

KIND = choices(
    ("equipment_network", "信息设备和网络设备"), ("data_center", "数据中心"),
    ("cloud_platform", "云平台"), ("information_system", "政务信息系统"),
    ("information_security", "信息安全"), ("software_development", "软件开发"),
    ("system_integration", "系统集成"))

SOURCE = choices(
    ("higher_level", "上级明确要求"), ("county_decision", "县政府研究决定"),
    ("unit_application", "单位申报"), ("ad_hoc", "国家和省、市临时安排"))


@hookimpl
def tongchou_roles():
    return [
        Role("unit", "项目建设单位", unit_scoped=True),
        Role("bureau", "县行政审批和政务信息管理局"),
        Role("drc", "县发改委"),
        Role("finance", "县财政局"),
        Role("government", "县政府"),
        Role("leader", "县分管领导"),
        Role("oversight", "网信办/机要保密局/公安局/审计局"),
    ]


@hookimpl
def tongchou_fields():
    return [
        Field("category", "项目类别", "enum", required=True, choices=CATEGORY, filterable=True,
              indexed=True),
        Field("kind", "项目类型", "enum", required=True, choices=KIND, filterable=True,
              indexed=True),
        Field("source", "项目来源", "enum", required=True, choices=SOURCE, filterable=True,
              indexed=True),
        # 第三条 (避免重复建设): what is built, read by the duplicate check
        # (duplicates.py) beside the name; long enough for a paragraph.
        Field("scope", "建设内容", "text", maximum=2000,
              help="主要建设内容，如建设哪些子系统、采集哪些数据、采购哪些设备；用于重复建设比对"),
        # 第二十八条: the catalogue's 经费渠道 column.
        Field("funding", "资金来源", "text", maximum=200,
              help="经费渠道，如 县级财政预算资金、上级专项资金、地方政府专项债券"),
    ]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
