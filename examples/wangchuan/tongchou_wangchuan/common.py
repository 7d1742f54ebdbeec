"""What every plugin of the ``wangchuan`` pack shares: the documents cited,
the citation helper, parameter loading and the text of the measures.

望川县 has two measures: 望政办〔2024〕5号 (in force 2024-01-01 to 2025-12-31)
and 望政办〔2026〕2号 (from 2026-01-01).  The pack's own plugins cite the 2026
measures; in the 2024 version a citation map shows them as the 2024 measures'
articles of the same number (see ``citations.py``).  The articles' text is read
from policy.txt and policy-2024.txt, the measures as published.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from tongchou import Article, Citation, hookimpl  # noqa: F401  (hookimpl re-exported)
from tongchou.citation import parse_chinese_number
from tongchou.parameters import load_parameters

DOCUMENT = "望政办〔2026〕2号"
DOCUMENT_2024 = "望政办〔2024〕5号"
JURISDICTION = "望川县"
TITLE = "望川县政务信息化项目管理办法"
HERE = Path(__file__).resolve().parent
PARAMETER_DIR = HERE / "parameters"
TEXTS = {DOCUMENT: HERE / "policy.txt", DOCUMENT_2024: HERE / "policy-2024.txt"}
_ARTICLE = re.compile(r"^第([零一二三四五六七八九十百]+)条【(.+?)】(.*)$")


def cite(*articles: int) -> Citation:
    return Citation(DOCUMENT, articles, JURISDICTION)


def parameters(*names: str):
    return load_parameters(PARAMETER_DIR, names, document=DOCUMENT, jurisdiction=JURISDICTION)


@cache
def _all_articles(document: str) -> dict[int, Article]:
    out = {}
    for line in TEXTS[document].read_text(encoding="utf-8").splitlines():
        m = _ARTICLE.match(line.strip())
        if m:
            n = parse_chinese_number(m.group(1))
            out[n] = Article(n, m.group(3).strip(), m.group(2), document)
    return out


def articles(document: str = DOCUMENT, *numbers: int) -> list[Article]:
    """The text of the given articles of ``document`` (all of them when none is named)."""
    table = _all_articles(document)
    return [table[n] for n in (numbers or sorted(table))]
