"""The measures' own article numbers for the rules reused from ``xichuan``.

示例市 keeps most of Xichuan's rules but numbers its articles differently
(its 第十二条 is Xichuan's 第十七条).  This plugin maps every reused article,
so the reused plugins' refusals, findings, obligations and parameters cite
示政办〔2026〕3号.  Xichuan's 第十二条 (大模型), 第十八条–第十九条 (验收) and
第三十八条–第三十九条 (附则) are not mapped: the pack switches those plugins
off and brings its own.
"""
from __future__ import annotations

from tongchou import CitationMap
from tongchou.plugins.xichuan.common import DOCUMENT as XICHUAN

from .common import DOCUMENT, JURISDICTION, articles, hookimpl

TITLE = "条款对照:淅政办〔2025〕6号 → 示政办〔2026〕3号"
ARTICLES = (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 16, 17, 18, 19, 20)

#: Xichuan's article -> 示例市's article that says the same thing
XICHUAN_TO_SHILI = {
    1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 3,
    7: 4, 8: 5, 9: 7, 10: 8, 11: 9,
    13: 10, 14: 10, 15: 10, 16: 11, 17: 12,
    20: 16, 21: 16, 22: 16, 23: 16,
    24: 17, 26: 17, 27: 17, 28: 17, 29: 17,
    25: 18,
    30: 19, 31: 19, 32: 19, 33: 19,
    34: 20, 35: 20, 36: 20, 37: 20,
}


@hookimpl
def tongchou_citation_maps():
    return [CitationMap(XICHUAN, DOCUMENT, XICHUAN_TO_SHILI, JURISDICTION)]


@hookimpl
def tongchou_articles():
    return articles(*ARTICLES)
