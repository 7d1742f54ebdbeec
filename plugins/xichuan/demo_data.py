"""A demo county for trying Tongchou out: six units, a user for every role, and
about thirty projects spread over every status, each taken there by real
actions (so their histories, deadlines and findings are genuine).

Dates are laid out backwards from ``today`` so that some deadlines fall in the
coming weeks and a few have already passed.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .common import ACCEPTANCE_DOCUMENTS, CONTRACT_CLAUSES, REVIEW_DIMENSIONS

DEMO_PASSWORD = "demo1234"

UNITS = {
    "jiaoyu": ("县教育局", "教育局 李明"),
    "weijian": ("县卫生健康委员会", "卫健委 王芳"),
    "chengguan": ("县城市管理局", "城管局 赵强"),
    "gongan": ("县公安局", "公安局 陈刚"),
    "ziran": ("县自然资源局", "自然资源局 刘洋"),
    "renshe": ("县人力资源和社会保障局", "人社局 孙丽"),
}
OFFICIALS = {
    "admin": ("admin", "系统管理员"),
    "bureau": ("bureau", "政务信息管理局 周审查"),
    "drc": ("drc", "发改委 吴计划"),
    "finance": ("finance", "财政局 郑预算"),
    "government": ("government", "县政府办 冯批准"),
    "leader": ("leader", "分管副县长 何领导"),
    "oversight": ("oversight", "审计局 钱监督"),
}

DIMS = [c.value for c in REVIEW_DIMENSIONS]
CLAUSES = [c.value for c in CONTRACT_CLAUSES]
DOCS = [c.value for c in ACCEPTANCE_DOCUMENTS]

# Steps: (role, action, args).  "$estimate" is replaced by the project's estimate.
APPLY = [("unit", "apply", {})]
REVIEWED = APPLY + [("bureau", "review", {"result": "pass", "dimensions": DIMS})]
REJECTED = APPLY + [("bureau", "review", {"result": "fail", "dimensions": DIMS})]
APPROVED = REVIEWED + [("government", "approve", {})]
DOCS3 = [("drc", "approve_document", {"document": "proposal"}),
         ("drc", "approve_document", {"document": "feasibility", "sharing_chapter": True}),
         ("drc", "approve_document", {"document": "preliminary_design", "sharing_chapter": True})]
PLANNED = APPROVED + [("drc", "plan", {})]
GI_READY = PLANNED + DOCS3 + [("finance", "budget", {"amount": "$estimate"}),
                              ("unit", "appoint_supervisor", {"name": "河南信安工程监理有限公司",
                                                              "qualification": "信息系统工程监理甲级"})]
SIMPLE_READY = APPROVED + [("finance", "budget", {"amount": "$estimate"})]
PROCURING_GI = GI_READY + [("unit", "tender", {})]
PROCURING = SIMPLE_READY + [("unit", "tender", {})]
CONTRACTED = PROCURING + [("unit", "sign_contract", {"clauses": CLAUSES})]
CONTRACTED_GI = PROCURING_GI + [("unit", "sign_contract", {"clauses": CLAUSES})]
BUILDING = CONTRACTED + [("unit", "start_construction", {})]
BUILDING_GI = CONTRACTED_GI + [("unit", "start_construction", {})]
COMPLETED = BUILDING + [("unit", "complete", {})]
COMPLETED_GI = BUILDING_GI + [("unit", "complete", {})]
ACCEPT_PASS = ("unit", "accept", {"result": "pass", "documents": DOCS, "ai_effect_evaluated": True})
ACCEPT_FAIL = ("unit", "accept", {"result": "fail", "documents": DOCS, "ai_effect_evaluated": True})
FAILED = COMPLETED + [ACCEPT_FAIL]
ACCEPTED = COMPLETED + [ACCEPT_PASS]
OPERATING = ACCEPTED + [("unit", "start_operation", {"mode": "centralized"})]
OPERATING_GI = COMPLETED_GI + [ACCEPT_PASS, ("unit", "start_operation", {"mode": "outsourced", "procured": True})]
SHARED = [("unit", "record_sharing", {"interconnected": True, "data_aggregated": True, "shared": True})]
RETIRED = OPERATING + [("unit", "report_idle", {}), ("bureau", "retire", {})]

# (login of the unit, name, category, kind, source, estimate (yuan), extra fields,
#  steps, days from today of the last step, days between steps)
PROJECTS = [
    ("jiaoyu", "智慧校园统一身份认证平台", "purchased_service", "information_system", "unit_application", 860000, {"uses_ai": True}, [], -3, 10),
    ("renshe", "社保待遇资格认证系统升级", "purchased_service", "software_development", "unit_application", 420000, {}, [], -12, 10),
    ("weijian", "县域医共体影像云平台", "government_investment", "cloud_platform", "unit_application", 3600000, {}, APPLY, -20, 10),
    ("ziran", "不动产登记数据治理", "purchased_service", "information_system", "unit_application", 550000, {}, APPLY, -160, 10),
    ("chengguan", "城市运行管理服务平台", "government_investment", "information_system", "county_decision", 5200000, {"uses_ai": True}, REVIEWED, -150, 12),
    ("gongan", "雪亮工程视频资源整合", "equipment_software", "equipment_network", "higher_level", 1800000, {}, REVIEWED, -15, 8),
    ("jiaoyu", "教育局机房独立改造", "government_investment", "data_center", "unit_application", 2400000, {"infrastructure": "standalone"}, REJECTED, -90, 14),
    ("renshe", "人社档案数字化加工", "purchased_service", "system_integration", "unit_application", 380000, {}, REJECTED, -40, 14),
    ("weijian", "家庭医生签约服务系统", "purchased_service", "information_system", "unit_application", 460000, {}, APPROVED, -30, 10),
    ("ziran", "国土空间规划一张图", "government_investment", "information_system", "higher_level", 4200000, {"civil_works": False}, APPROVED, -60, 12),
    ("chengguan", "智慧停车诱导系统", "government_investment", "system_integration", "unit_application", 2900000, {}, PLANNED, -35, 12),
    ("gongan", "公安检查站智能查控", "government_investment", "equipment_network", "county_decision", 3100000, {}, PLANNED + DOCS3, -25, 10),
    ("jiaoyu", "中小学录播教室设备采购", "equipment_software", "equipment_network", "unit_application", 720000, {}, PROCURING, -20, 12),
    ("weijian", "疾控实验室信息管理系统", "government_investment", "information_system", "unit_application", 1600000, {"mlps_level": 2}, PROCURING_GI, -18, 9),
    ("renshe", "就业服务一体化平台", "purchased_service", "information_system", "unit_application", 980000, {}, CONTRACTED, -10, 12),
    ("ziran", "林长制巡护终端", "equipment_software", "equipment_network", "county_decision", 650000, {}, CONTRACTED, -45, 12),
    ("chengguan", "数字城管监督指挥中心扩容", "government_investment", "system_integration", "unit_application", 2100000, {"mlps_level": 3}, BUILDING_GI, -50, 12),
    ("gongan", "智慧交通信号控制", "government_investment", "system_integration", "higher_level", 4800000, {"third_party_cloud_expires": None}, BUILDING_GI, -120, 15),
    ("jiaoyu", "教育资源公共服务平台", "purchased_service", "cloud_platform", "unit_application", 1300000, {"uses_ai": True}, BUILDING, -75, 12),
    # Completed: one due within the month, one overdue, one explained.
    ("weijian", "电子健康档案系统", "purchased_service", "information_system", "unit_application", 760000, {}, COMPLETED, -172, 10),
    ("renshe", "劳动保障监察网格化系统", "purchased_service", "information_system", "unit_application", 540000, {}, COMPLETED, -200, 10),
    ("ziran", "地质灾害监测预警平台", "government_investment", "information_system", "higher_level", 2700000,
     {"infrastructure": "third_party_cloud", "third_party_cloud_expires": "$today+20"}, COMPLETED_GI + [("unit", "explain_delay", {"date": "$today+45"})], -10, 12),
    ("chengguan", "环卫车辆智能监管", "purchased_service", "equipment_network", "unit_application", 610000, {}, FAILED, -20, 10),
    ("gongan", "看守所智能管理系统", "government_investment", "information_system", "county_decision", 2300000, {"mlps_level": 3}, COMPLETED_GI + [ACCEPT_FAIL], -45, 12),
    ("jiaoyu", "学生资助管理信息系统", "purchased_service", "information_system", "unit_application", 350000, {}, ACCEPTED, -15, 10),
    ("weijian", "互联网医院平台", "government_investment", "information_system", "unit_application", 3900000, {"uses_ai": True, "mlps_level": 3}, COMPLETED_GI + [ACCEPT_PASS], -8, 10),
    ("renshe", "人社一体化经办系统", "purchased_service", "information_system", "unit_application", 1200000, {"mlps_level": 3},
     OPERATING + SHARED + [("unit", "record_assessment", {"type": "mlps", "result": "pass"})], -340, 12),
    ("ziran", "自然资源执法监察系统", "purchased_service", "information_system", "unit_application", 690000, {"mlps_level": 2},
     OPERATING + [("unit", "record_assessment", {"type": "crypto", "result": "pass"})], -60, 12),
    ("chengguan", "城市照明智能控制", "equipment_software", "equipment_network", "county_decision", 880000, {}, OPERATING + SHARED, -30, 12),
    ("gongan", "公安政务服务一网通办", "government_investment", "information_system", "higher_level", 5600000, {"mlps_level": 4}, OPERATING_GI + SHARED, -25, 12),
    ("jiaoyu", "旧版教务管理系统", "purchased_service", "information_system", "unit_application", 300000, {}, RETIRED, -5, 15),
    ("weijian", "基层卫生信息系统", "government_investment", "information_system", "unit_application", 2500000, {},
     BUILDING_GI + [("bureau", "order_rectification", {"deadline": "$today+14", "reason": "项目进度严重逾期"}),
                    ("finance", "suspend", {"reason": "拒不整改"})], -6, 12),
]


def _resolve(value, today: dt.date, estimate: int):
    if value == "$estimate":
        return Decimal(estimate)
    if isinstance(value, str) and value.startswith("$today"):
        return today + dt.timedelta(days=int(value[len("$today"):] or 0))
    return value


def seed(ledger, today: dt.date) -> str:
    """Fill ``ledger`` with the demo county; returns a one-line summary."""
    users = {}
    for login, (unit, display) in UNITS.items():
        ledger.add_unit(unit)
        users[login] = ledger.add_user(login, "unit", unit, display_name=display, password=DEMO_PASSWORD)
    for role, (login, display) in OFFICIALS.items():
        users[role] = ledger.add_user(login, role, display_name=display, password=DEMO_PASSWORD)
    made = 0
    for unit_login, name, category, kind, source, estimate, extra, steps, last_day, gap in PROJECTS:
        end = today + dt.timedelta(days=last_day)
        start = end - dt.timedelta(days=gap * max(len(steps) - 1, 0))
        # A unit application is filed by June 30 of the year before the project's year.
        year = start.year + 1 if start.month <= 6 else start.year + 2
        if source != "unit_application":
            year = start.year + (0 if source == "ad_hoc" else 1)
        fields = {"name": name, "unit": UNITS[unit_login][0], "year": year, "category": category,
                  "kind": kind, "source": source, "estimate": Decimal(estimate)}
        fields.update({k: _resolve(v, today, estimate) for k, v in extra.items() if v is not None})
        project = ledger.create_project(fields, users[unit_login], start - dt.timedelta(days=5))
        for i, (role, action, args) in enumerate(steps):
            who = users[unit_login] if role == "unit" else users[role]
            day = start + dt.timedelta(days=gap * i)
            ledger.act(project.id, action, who, day,
                       {k: _resolve(v, today, estimate) for k, v in args.items()})
        made += 1
    return f"demo county: {len(UNITS)} units, {len(users)} users (password {DEMO_PASSWORD}), {made} projects"
