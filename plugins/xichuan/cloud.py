"""第二十五条: projects run on the county government cloud; no unit builds its
own machine room, network, storage or compute, and third-party cloud contracts
are not renewed when they end."""
from __future__ import annotations

from tongchou import Field, Finding, FindingRule, Obligation, ObligationRule

from .common import articles, choices, cite, former_hook, hookimpl

TITLE = "政务云：集约部署与第三方云到期迁移"
ARTICLES = (25,)

INFRASTRUCTURE = choices(
    ("gov_cloud", "县级政务云"), ("standalone", "自建机房/网络/存储/计算"), ("third_party_cloud", "第三方云"))


@hookimpl
def tongchou_fields():
    return [
        Field("infrastructure", "部署方式", "enum", default="gov_cloud", choices=INFRASTRUCTURE,
              filterable=True, indexed=True),
        Field("third_party_cloud_expires", "第三方云合同到期日", "date"),
    ]


def _in_service(project) -> bool:
    return project.status != "retired"


def _standalone(project, history, params, **_optional):
    if project["infrastructure"] == "standalone" and _in_service(project):
        return [Finding("xichuan.cloud.standalone", "violation", cite(25),
                        "不得单独新建机房、网络、存储资源、计算资源等基础设施，应依托县级政务云集约部署")]
    return None


def _third_party_no_expiry(project, history, params, **_optional):
    if project["infrastructure"] == "third_party_cloud" and not project["third_party_cloud_expires"] \
            and _in_service(project):
        return [Finding("xichuan.cloud.third_party_no_expiry", "advice", cite(25),
                        "采购第三方云的，应登记合同到期日，到期后不再续签，统一使用县级政务云")]
    return None


def _migrate(project, history, params, **_optional):
    expires = project["third_party_cloud_expires"]
    if project["infrastructure"] == "third_party_cloud" and expires and _in_service(project):
        return [Obligation("xichuan.cloud.migrate", cite(25), expires,
                           "第三方云合同到期后不再续签，迁移至县级政务云")]
    return None


@hookimpl
def tongchou_finding_rules():
    return [
        FindingRule("xichuan.cloud.standalone", cite(25), _standalone, "不得自建基础设施"),
        FindingRule("xichuan.cloud.third_party_no_expiry", cite(25), _third_party_no_expiry,
                    "第三方云登记到期日"),
    ]


@hookimpl
def tongchou_obligation_rules():
    return [ObligationRule("xichuan.cloud.migrate", cite(25), _migrate, "第三方云到期迁移")]


#: the former hookimpls, for code that imports them
tongchou_findings = former_hook(__name__, tongchou_finding_rules, "tongchou_findings")
tongchou_obligations = former_hook(__name__, tongchou_obligation_rules, "tongchou_obligations")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
