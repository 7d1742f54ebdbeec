"""第三十条–第三十三条: network and information security — the periodic 等保
assessment by level (第三十二条), the commercial-cryptography assessment
(第三十一条), and secure and reliable products (第三十三条)."""
from __future__ import annotations

from tongchou import Action, Field, Finding, Obligation
from tongchou.dates import add_months

from .common import RESULT, articles, choices, cite, hookimpl, parameters

TITLE = "等保与密评"
ARTICLES = (30, 31, 32, 33)

TYPES = choices(("mlps", "等级保护测评"), ("crypto", "商用密码应用安全性评估"))
INTERVAL = {"mlps": ("mlps_assessment_months", 32), "crypto": ("crypto_assessment_months", 31)}
KEY_PRODUCT_KINDS = ("information_security", "equipment_network", "system_integration")


@hookimpl
def tongchou_fields():
    return [Field("mlps_level", "等保级别", "int", minimum=1, maximum=5, filterable=True)]


@hookimpl
def tongchou_actions():
    return [
        Action("record_assessment", "登记测评结果", roles=("unit",), citation=cite(31, 32),
               args=(Field("type", "测评类型", "enum", required=True, choices=TYPES),
                     Field("result", "测评结论", "enum", required=True, choices=RESULT)),
               help="登记等级保护测评或密码应用安全性评估;下次测评按等保级别对应的周期到期"),
    ]


@hookimpl
def tongchou_obligations(project, history, params):
    if project.status == "retired":
        return None
    level = project["mlps_level"]
    out = []
    for kind, (param, article) in INTERVAL.items():
        events = [ev for ev in history if ev.action == "record_assessment" and ev.args["type"] == kind]
        if not events or level is None:
            continue
        last = events[-1]
        months = params.value(param, last.date).get(level)
        if not months:
            continue
        label = TYPES[0].label if kind == "mlps" else TYPES[1].label
        out.append(Obligation(f"xichuan.security.{kind}_next", cite(article), add_months(last.date, months),
                              f"等保{level}级系统每 {months} 个月进行一次{label}"))
    return out


@hookimpl
def tongchou_findings(project, history, params):
    out = []
    latest = {}
    for ev in history:
        if ev.action == "record_assessment":
            latest[ev.args["type"]] = ev
    for kind, ev in sorted(latest.items()):
        if ev.args["result"] == "fail":
            article = INTERVAL[kind][1]
            out.append(Finding(f"xichuan.security.{kind}_failed", "advice", cite(article),
                               f"最近一次{'等级保护测评' if kind == 'mlps' else '密码应用安全性评估'}未通过,应整改后复测"))
    if project["kind"] in KEY_PRODUCT_KINDS and project.status in ("draft", "submitted", "reviewed", "approved",
                                                                   "planned", "procuring"):
        out.append(Finding("xichuan.security.secure_products", "advice", cite(33),
                           "应优先采购自主可靠的信息安全设备、核心网络设备、基础软件等关键产品"))
    return out


@hookimpl
def tongchou_parameters():
    return parameters("mlps_assessment_months", "crypto_assessment_months")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
