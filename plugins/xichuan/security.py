"""第三十条–第三十三条: network and information security — the periodic 等保
assessment by level (第三十二条), the commercial-cryptography assessment
(第三十一条), and secure and reliable products (第三十三条)."""
from __future__ import annotations

from tongchou import Action, Field, Finding, FindingRule, Obligation, ObligationRule
from tongchou.dates import add_months

from .common import RESULT, articles, choices, cite, former_hook, hookimpl, parameters

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
               offered_in=("under_construction", "completed", "acceptance_failed", "accepted", "in_operation"),
               help="登记等级保护测评或商用密码应用安全性评估；下次测评按等保级别对应的周期到期"),
    ]


def _next_assessment(kind: str):
    """The rule for the next assessment of one ``kind`` (等保 or 密评)."""
    param, article = INTERVAL[kind]
    label = TYPES[0].label if kind == "mlps" else TYPES[1].label

    def derive(project, history, params, **_optional):
        level = project["mlps_level"]
        if project.status == "retired" or level is None:
            return None
        events = [ev for ev in history if ev.action == "record_assessment" and ev.args["type"] == kind]
        if not events:
            return None
        last = events[-1]
        months = params.value(param, last.date).get(level)
        if not months:
            return None
        return [Obligation(f"xichuan.security.{kind}_next", cite(article), add_months(last.date, months),
                           f"等保{level}级系统每 {months} 个月进行一次{label}")]
    return derive


def _assessment_failed(kind: str):
    """The rule for a failed last assessment of one ``kind``."""
    article = INTERVAL[kind][1]
    label = TYPES[0].label if kind == "mlps" else TYPES[1].label

    def derive(project, history, params, **_optional):
        last = next((ev for ev in reversed(history)
                     if ev.action == "record_assessment" and ev.args["type"] == kind), None)
        if last is not None and last.args["result"] == "fail":
            return [Finding(f"xichuan.security.{kind}_failed", "advice", cite(article),
                            f"最近一次{label}未通过，应整改后复测")]
        return None
    return derive


def _secure_products(project, history, params, **_optional):
    if project["kind"] in KEY_PRODUCT_KINDS and project.status in ("draft", "submitted", "reviewed", "approved",
                                                                   "planned", "procuring"):
        return [Finding("xichuan.security.secure_products", "advice", cite(33),
                        "应优先采购自主可靠的信息安全设备、核心网络设备、基础软件等关键产品")]
    return None


@hookimpl
def tongchou_obligation_rules():
    return [
        ObligationRule("xichuan.security.mlps_next", cite(32), _next_assessment("mlps"), "按期等保测评"),
        ObligationRule("xichuan.security.crypto_next", cite(31), _next_assessment("crypto"), "按期密评"),
    ]


@hookimpl
def tongchou_finding_rules():
    return [
        FindingRule("xichuan.security.mlps_failed", cite(32), _assessment_failed("mlps"), "等保测评未通过"),
        FindingRule("xichuan.security.crypto_failed", cite(31), _assessment_failed("crypto"), "密评未通过"),
        FindingRule("xichuan.security.secure_products", cite(33), _secure_products, "采购自主可靠产品"),
    ]


#: the former hookimpls, for code that imports them
tongchou_obligations = former_hook(__name__, tongchou_obligation_rules, "tongchou_obligations")
tongchou_findings = former_hook(__name__, tongchou_finding_rules, "tongchou_findings")


@hookimpl
def tongchou_parameters():
    return parameters("mlps_assessment_months", "crypto_assessment_months")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
