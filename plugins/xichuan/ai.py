"""第十二条: new projects should use AI large models, and acceptance weighs
their effect."""
from __future__ import annotations

from tongchou import ActionArgument, Field, Finding, FindingRule, Guard

from .common import articles, cite, former_hook, hookimpl

TITLE = "人工智能大模型应用"
ARTICLES = (12,)
AI_KINDS = ("information_system", "software_development", "cloud_platform", "data_center")


@hookimpl
def tongchou_fields():
    return [Field("uses_ai", "应用人工智能大模型", "bool")]


@hookimpl
def tongchou_action_arguments():
    return [ActionArgument("accept", Field("ai_effect_evaluated", "已评估人工智能大模型应用效果", "bool"))]


def _ai_effect(ctx):
    if ctx.project["uses_ai"] and not ctx.args.get("ai_effect_evaluated"):
        return "应用人工智能大模型的项目，验收时应将其应用效果作为重要评估指标"
    return None


@hookimpl
def tongchou_guards():
    return [Guard("xichuan.ai.effect_at_acceptance", ("accept",), _ai_effect, cite(12), "验收评估大模型效果")]


def _consider(project, history, params, **_optional):
    if not project["uses_ai"] and project["kind"] in AI_KINDS and project.status in ("draft", "submitted"):
        return [Finding("xichuan.ai.consider", "advice", cite(12),
                        "新建项目应在规划阶段调研人工智能大模型的应用场景")]
    return None


@hookimpl
def tongchou_finding_rules():
    return [FindingRule("xichuan.ai.consider", cite(12), _consider, "规划阶段调研大模型应用")]


#: the former hookimpl, for code that imports it
tongchou_findings = former_hook(__name__, tongchou_finding_rules, "tongchou_findings")


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
