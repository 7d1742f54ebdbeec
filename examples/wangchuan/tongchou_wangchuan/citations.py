"""The measures' own article numbers for the rules reused from ``xichuan``,
one plugin per version of the measures.

Both measures number their articles alike (the 2024 measures' 第六条 is about
the application form, which no rule encodes; the 2026 measures' 第六条 is the
yearly quota).  So:

- in the 2026 version, Xichuan's articles are mapped to 望政办〔2026〕2号;
- in the 2024 version, Xichuan's articles are mapped to 望政办〔2024〕5号, and
  the pack's own rules (written citing 望政办〔2026〕2号) are mapped to the
  2024 measures' article of the same number.

Xichuan's 第十二条 (大模型) and 第三十九条 (试行期) are not mapped: the pack
switches those plugins off.
"""
from __future__ import annotations

from tongchou import CitationMap
from tongchou.plugins.xichuan.common import DOCUMENT as XICHUAN

from .common import DOCUMENT, DOCUMENT_2024, JURISDICTION, articles, hookimpl

#: Xichuan's article -> 望川县's article that says the same thing (both measures)
XICHUAN_TO_WANGCHUAN = {
    1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 3,
    7: 5, 8: 7, 9: 8, 10: 8, 11: 9,
    13: 10, 14: 10, 15: 10, 16: 11, 17: 12,
    18: 13, 19: 13,
    20: 15, 21: 15, 22: 15, 23: 15,
    24: 16, 25: 16, 26: 16, 27: 16, 28: 16, 29: 16,
    30: 17, 31: 17, 32: 17, 33: 17,
    34: 18, 35: 18, 36: 18, 37: 18,
    38: 19,
}

#: the 2026 measures' articles the pack's own rules cite -> the 2024 measures'
#: (第六条, the quota, has no counterpart: its plugin is in the 2026 version only)
NEW_TO_OLD = {n: n for n in range(1, 21) if n != 6}


class Citations2026:
    """条款对照:淅政办〔2025〕6号 → 望政办〔2026〕2号"""

    ARTICLES = tuple(range(1, 21))

    @hookimpl
    def tongchou_citation_maps(self):
        return [CitationMap(XICHUAN, DOCUMENT, XICHUAN_TO_WANGCHUAN, JURISDICTION)]


class Citations2024:
    """条款对照:淅政办〔2025〕6号、望政办〔2026〕2号 → 望政办〔2024〕5号"""

    ARTICLES = tuple(range(1, 21))

    @hookimpl
    def tongchou_citation_maps(self):
        return [CitationMap(XICHUAN, DOCUMENT_2024, XICHUAN_TO_WANGCHUAN, JURISDICTION),
                CitationMap(DOCUMENT, DOCUMENT_2024, NEW_TO_OLD, JURISDICTION)]


class Measures:
    """望政办〔2024〕5号、望政办〔2026〕2号 条文"""

    ARTICLES = tuple(range(1, 21))

    # Every version carries the text of both measures: a project moved from
    # the 2024 version to the 2026 one keeps old refusals in its audit log, and
    # the scenario runner learns the documents a jurisdiction knows from its
    # newest version's registry only (so 望政办〔2024〕5号 must be known there).
    @hookimpl
    def tongchou_articles(self):
        return articles(DOCUMENT) + articles(DOCUMENT_2024)


CITATIONS_2026 = Citations2026()
CITATIONS_2024 = Citations2024()
MEASURES = Measures()
