"""What every plugin of the ``xichuan`` pack shares: the document cited, the
citation helper, parameter loading, and the lists the measures enumerate."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import yaml

from tongchou import Article, Choice, Citation, hookimpl  # noqa: F401  (hookimpl re-exported)
from tongchou.parameters import load_parameters

DOCUMENT = "淅政办〔2025〕6号"
JURISDICTION = "淅川县"
TITLE = "淅川县政务信息化项目建设管理暂行办法"
HERE = Path(__file__).resolve().parent
PARAMETER_DIR = HERE / "parameters"


def cite(*articles: int) -> Citation:
    return Citation(DOCUMENT, articles, JURISDICTION)


def parameters(*names: str):
    return load_parameters(PARAMETER_DIR, names, document=DOCUMENT, jurisdiction=JURISDICTION)


_ARTICLES: dict[int, Article] | None = None


def articles(*numbers: int) -> list[Article]:
    """The text of the given articles, read once from articles.yaml."""
    global _ARTICLES
    if _ARTICLES is None:
        with open(HERE / "articles.yaml", encoding="utf-8") as fh:
            # libyaml's loader when built in: the same data, read ten times faster (every start-up reads it)
            rows = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe
        _ARTICLES = {r["number"]: Article(r["number"], r["text"], r["title"], DOCUMENT) for r in rows}
    return [_ARTICLES[n] for n in numbers]


def wording(params, name: str, on, default: str) -> str:
    """The text parameter ``name`` in force ``on`` (the name of a body in a
    report or document), or ``default`` when no plugin declares it (the plugin
    declaring it, xichuan.approval, may be disabled)."""
    return params.value(name, on) if name in params.specs else default


def choices(*pairs: tuple[str, str]) -> tuple[Choice, ...]:
    return tuple(Choice(v, label) for v, label in pairs)


def yuan(amount) -> str:
    """Money for messages: 1,234,567.80 元."""
    return f"{amount:,.2f} 元"


# 第七条: the five things the bureau's technical review looks at.
REVIEW_DIMENSIONS = choices(
    ("necessity", "建设的必要性"), ("scale", "规模的合理性"), ("technology", "技术的先进性"),
    ("security", "安全的可靠性"), ("intensiveness", "项目的集约性"))

# 第九条: the approval documents of a government-investment project, in order.
APPROVAL_DOCUMENTS = choices(
    ("proposal", "项目建议书"), ("feasibility", "可行性研究报告"), ("preliminary_design", "初步设计"))

# 第十五条: what a construction contract must contain.
CONTRACT_CLAUSES = choices(
    ("scope", "工程建设内容"), ("standards", "工程建设标准"), ("technical_specs", "技术规范"),
    ("schedule", "工程周期"), ("equipment_list", "设备的型号数量配置和价格"),
    ("acceptance_requirements", "验收要求"), ("training", "操作人员培训"), ("payment", "付款方式"),
    ("documentation", "技术文档要求"), ("warranty", "保修期限"),
    ("intellectual_property", "知识产权"), ("confidentiality", "保密条款"),
    ("after_sales", "售后服务"), ("liability", "违约责任"))

# 第十八条: the acceptance file.
ACCEPTANCE_DOCUMENTS = choices(
    ("summary", "项目建设总结"), ("financial_report", "财务报告"), ("audit_report", "审计报告"),
    ("security_risk_assessment", "安全风险评估报告"))

RESULT = choices(("pass", "通过"), ("fail", "不通过"))


def missing(required: tuple[Choice, ...], given) -> list[Choice]:
    given = set(given or ())
    return [c for c in required if c.value not in given]


def labels(items: list[Choice]) -> str:
    return "、".join(c.label for c in items)


_WARNED: set[str] = set()


def former_hook(module: str, rules: Callable[[], list], hook: str) -> Callable[..., list]:
    """The plain function that stands where a module's ``tongchou_obligations``
    or ``tongchou_findings`` hookimpl was, before its rules were declared one by
    one: it still answers callers that import it, with every rule's outputs.
    It is not a hookimpl (pluggy registers only marked functions)."""
    def derive(project, history, params, **optional):
        if f"{module}.{hook}" not in _WARNED:
            _WARNED.add(f"{module}.{hook}")
            warnings.warn(f"{module}.{hook} is deprecated; use {module}.{hook[:-1]}_rules(), "
                          "whose rules have codes of their own", DeprecationWarning, stacklevel=2)
        kwargs = dict(project=project, history=history, params=params, **optional)
        from tongchou.rules import call
        return [item for rule in rules() for item in call(rule, kwargs)]
    derive.__name__ = hook
    derive.__doc__ = f"Deprecated: the outputs of every rule of ``{hook[:-1]}_rules()``."
    return derive
