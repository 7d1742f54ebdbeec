"""A demo county for trying Tongchou out: six units, a user for every role, and
about thirty projects spread over every status (with their 建设内容 and
资金来源; 雪亮工程视频资源整合 overlaps 城市运行管理服务平台 of another unit), each taken there by real
actions (so their histories, deadlines and findings are genuine).

Projects 1-32 keep their ids and statuses (tests and guides name them); new
ones are only ever appended.

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
    # Added after 1-32 (which keep their ids and statuses): a 第八条 临时安排 project
    # filed and awaiting 县分管领导同意, the one step only the leader takes, so
    # the leader's 我的待办 is not empty (the bureau reviews it once consented).
    ("renshe", "社会保障卡居民服务一卡通县级应用", "purchased_service", "system_integration", "ad_hoc", 580000, {}, APPLY, -4, 10),
]

# 建设内容 and 资金来源 of the demo projects, by name (第三条's duplicate check
# reads the first; 第二十八条's catalogue shows the second).
SCOPES = {
    "智慧校园统一身份认证平台": ("建设全县中小学统一身份认证和单点登录,对接教育资源公共服务平台、学籍管理和教师管理系统,师生一人一号", "县级财政预算资金"),
    "社保待遇资格认证系统升级": ("升级养老待遇资格认证系统,增加人脸识别静默认证和大数据比对认证,对接公安人口库和卫健死亡医学证明数据", "社会保险基金结余"),
    "县域医共体影像云平台": ("建设县域医共体医学影像云,乡镇卫生院影像设备联网,远程影像诊断、影像资料云存储和互认共享", "上级专项资金"),
    "不动产登记数据治理": ("对历史不动产登记档案进行数据清洗、补录和质检,建立不动产登记数据库并与国土空间基础信息平台对接", "县级财政预算资金"),
    # the demo's genuine overlap: 城管's platform takes in the city's video
    # points, which 公安's 雪亮工程 (entered after it) integrates too (第三条)
    "城市运行管理服务平台": ("按住建部标准建设城市运行管理服务平台,整合城区公共安全视频监控点位,建设视频图像共享交换平台,"
                             "实现重点路口、学校周边视频联网共享和调阅,市政设施和燃气安全监测", "地方政府专项债券"),
    "雪亮工程视频资源整合": ("整合全县公共安全视频监控点位,建设视频图像共享交换平台,实现城区重点路口、学校、医院周边视频监控联网共享和分级调阅", "上级专项资金"),
    "教育局机房独立改造": ("教育局自建机房改造,新增服务器、存储和精密空调,部署教育业务系统", "县级财政预算资金"),
    "人社档案数字化加工": ("对人社业务纸质档案扫描、著录和数字化加工,建立电子档案库", "县级财政预算资金"),
    "家庭医生签约服务系统": ("建设家庭医生签约服务管理系统,居民线上签约、履约随访记录、慢病管理和签约服务费结算", "基本公共卫生服务补助资金"),
    "国土空间规划一张图": ("建设国土空间规划一张图实施监督信息系统,汇集三区三线、用地审批和耕地保护数据,规划实施监测评估预警", "上级专项资金"),
    "智慧停车诱导系统": ("城区公共停车场和路内泊位地磁感知设备,停车诱导屏,停车信息发布和移动支付缴费", "政府和社会资本合作"),
    "公安检查站智能查控": ("县界公安检查站车辆通行智能查控,人员身份核验终端、车辆识别卡口和布控预警", "县级财政预算资金"),
    "中小学录播教室设备采购": ("采购中小学录播教室设备,含录播主机、高清摄像机和拾音设备", "义务教育薄弱环节改善资金"),
    "疾控实验室信息管理系统": ("建设疾控中心实验室信息管理系统,样本全流程跟踪、检测结果自动采集和实验室质量管理", "上级专项资金"),
    "就业服务一体化平台": ("建设就业服务一体化平台,岗位信息发布、求职登记、职业技能培训报名和就业补贴线上申领", "就业补助资金"),
    "林长制巡护终端": ("采购林长制护林员巡护终端,巡护轨迹记录、火情和病虫害上报", "县级财政预算资金"),
    "数字城管监督指挥中心扩容": ("数字城管监督指挥中心座席扩容和大屏更新,城管案件采集、派遣和考核评价系统升级", "县级财政预算资金"),
    "智慧交通信号控制": ("城区主要路口交通信号机联网改造,自适应信号控制、绿波协调和交通流量检测", "上级专项资金"),
    "教育资源公共服务平台": ("建设教育资源公共服务平台,优质课程资源共享、名师课堂直播和区域教研", "县级财政预算资金"),
    "电子健康档案系统": ("建设居民电子健康档案系统,档案建档、更新和向居民开放查询,对接医共体诊疗数据", "基本公共卫生服务补助资金"),
    "劳动保障监察网格化系统": ("劳动保障监察网格化管理,用人单位网格划分、欠薪线索受理和根治欠薪预警", "县级财政预算资金"),
    "地质灾害监测预警平台": ("地质灾害隐患点普适型监测设备布设,裂缝、雨量和位移监测数据接入,预警信息发布", "上级专项资金"),
    "环卫车辆智能监管": ("环卫作业车辆安装定位和作业传感终端,作业轨迹、油耗和垃圾清运量监管", "县级财政预算资金"),
    "看守所智能管理系统": ("看守所在押人员管理、监室视频智能分析、提讯会见预约和周界报警", "县级财政预算资金"),
    "学生资助管理信息系统": ("学生资助对象认定、资助资金发放台账和精准资助数据比对", "学生资助专项资金"),
    "互联网医院平台": ("建设互联网医院平台,在线复诊、电子处方流转、药品配送和医保在线支付", "地方政府专项债券"),
    "人社一体化经办系统": ("社会保险、就业和劳动关系业务一体化经办,业务数据归集和省级平台对接", "县级财政预算资金"),
    "自然资源执法监察系统": ("自然资源违法图斑核查、执法案件办理和卫片执法监督", "县级财政预算资金"),
    "城市照明智能控制": ("城区路灯单灯控制器和集中控制箱改造,按需调光和故障自动报警", "县级财政预算资金"),
    "公安政务服务一网通办": ("公安户政、出入境、交管和治安业务网上办理,与县政务服务网一网通办对接", "上级专项资金"),
    "旧版教务管理系统": ("中小学排课、成绩和学籍教务管理", "县级财政预算资金"),
    "社会保障卡居民服务一卡通县级应用": ("按省人力资源和社会保障厅临时部署,在交通出行、文化旅游和惠民惠农补贴发放场景实现社会保障卡一卡通用,"
                                         "对接省级居民服务一卡通平台", "上级专项资金"),
    "基层卫生信息系统": ("乡镇卫生院和村卫生室基层医疗卫生信息系统,门诊、住院和公共卫生服务一体化", "上级专项资金"),
}


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
        if name in SCOPES:
            fields["scope"], fields["funding"] = SCOPES[name]
        project = ledger.create_project(fields, users[unit_login], start - dt.timedelta(days=5))
        for i, (role, action, args) in enumerate(steps):
            who = users[unit_login] if role == "unit" else users[role]
            day = start + dt.timedelta(days=gap * i)
            ledger.act(project.id, action, who, day,
                       {k: _resolve(v, today, estimate) for k, v in args.items()})
        made += 1
    return f"demo county: {len(UNITS)} units, {len(users)} users (password {DEMO_PASSWORD}), {made} projects"
