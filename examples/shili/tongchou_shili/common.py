"""What every plugin of the ``shili`` pack shares: the document cited, the
citation helper, parameter loading and the text of the measures.

The articles' text is read from policy.txt, the measures as published, so the
text shown next to a refusal is the text of the measures and nothing else.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from tongchou import Article, Choice, Citation, hookimpl  # noqa: F401  (hookimpl re-exported)
from tongchou.citation import parse_chinese_number
from tongchou.parameters import load_parameters

DOCUMENT = "示政办〔2026〕3号"
JURISDICTION = "示例市"
TITLE = "示例市政务信息化项目建设管理办法"
HERE = Path(__file__).resolve().parent
PARAMETER_DIR = HERE / "parameters"
_ARTICLE = re.compile(r"^第([零一二三四五六七八九十百]+)条【(.+?)】(.*)$")

RESULT = (Choice("pass", "通过"), Choice("fail", "不通过"))


def cite(*articles: int) -> Citation:
    return Citation(DOCUMENT, articles, JURISDICTION)


def parameters(*names: str):
    return load_parameters(PARAMETER_DIR, names, document=DOCUMENT, jurisdiction=JURISDICTION)


@cache
def _all_articles() -> dict[int, Article]:
    out = {}
    for line in (HERE / "policy.txt").read_text(encoding="utf-8").splitlines():
        m = _ARTICLE.match(line.strip())
        if m:
            n = parse_chinese_number(m.group(1))
            out[n] = Article(n, m.group(3).strip(), m.group(2), DOCUMENT)
    return out


def articles(*numbers: int) -> list[Article]:
    """The text of the given articles (all of them when none is named)."""
    table = _all_articles()
    return [table[n] for n in (numbers or sorted(table))]
