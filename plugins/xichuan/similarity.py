"""How alike two projects are, from their name and 建设内容 (第三条: 避免重复建设).

Pure text work, no database: :class:`CharGramRule` scores a pair between 0
and 1 and says why (the phrases both share); :class:`SimilarityIndex` finds,
among many projects, the few worth scoring (blocking), so that one project is
compared with a province's 150,000 without scoring them all.

Chinese is compared as character bigrams rather than segmented words: county
台账 are full of abbreviations and coined terms (城管、网格化、一网通办) that a
general dictionary cuts badly, and bigrams need no dictionary to load.  The
words every project shares (智慧、平台、系统、管理…) weigh little, so two
“智慧…平台” that build different things stay apart.  Abbreviated names (城管
for 城市管理) share no bigram; rapidfuzz's Indel similarity of the names,
once those generic words are removed, catches them.
"""
from __future__ import annotations

import re
from array import array
from functools import lru_cache
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Set
from typing import Protocol

import attrs

#: Bigrams of words found in most projects' names and scopes; they count for
#: GENERIC_WEIGHT of a specific bigram.  A pack may pass its own list.
GENERIC_TERMS = (
    "智慧", "平台", "系统", "管理", "信息", "信息化", "建设", "政务", "服务", "数据", "项目", "综合", "工程",
    "升级", "改造", "一体化", "应用", "中心", "网络", "设备", "采购", "软件", "开发", "县级", "全县", "本县",
    "我县", "实现", "提供", "包括", "以及", "相关", "功能", "模块", "部署", "运行", "维护", "配套", "建立",
    "构建", "打造", "提升", "完善", "支撑", "统一", "体系", "工作", "业务", "办公", "在线", "监管", "智能",
    "数字", "共享", "接口", "对接", "安全", "保障", "硬件", "采集", "分析", "展示", "大屏", "一期", "二期",
    "新建", "扩容", "机制", "全县各", "各乡镇", "乡镇", "县直", "单位", "部门",
)
GENERIC_WEIGHT = 0.15
#: clause separators inside a scope text
_CLAUSE = re.compile(r"[,,。;;、::\s()()\[\]【】《》“”\"'/|]+")
_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")
#: function characters trimmed from the ends of a shared phrase (和、及、的…)
_EDGE = "和及与的等并对在为将或了各"


def _runs(text: str) -> list[str]:
    """The runs of Chinese characters, letters and digits (punctuation splits)."""
    return _KEEP.findall((text or "").lower())


def bigrams(text: str) -> set[str]:
    """Character bigrams within each run; a run of one character is kept whole."""
    out: set[str] = set()
    for run in _runs(text):
        if len(run) == 1:
            out.add(run)
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    return out


def _generic_grams(terms: Iterable[str]) -> frozenset[str]:
    return frozenset(g for t in terms for g in bigrams(t))


@attrs.frozen
class Match:
    """One project like another: its id, the score (0–1, higher is closer)
    and the phrases both texts share, longest first."""

    id: int
    score: float
    overlap: tuple[str, ...] = ()


class Rule(Protocol):
    """What a similarity rule offers; a pack replaces :class:`CharGramRule` by
    any object with these three methods (see docs/guide-duplicates.md)."""

    def grams(self, name: str, scope: str) -> set[str]:
        """The keys a project is indexed under (candidates share one)."""

    def weight(self, gram: str) -> float:
        """How much sharing ``gram`` says about two projects (0–1)."""

    def score(self, a: tuple[str, str], b: tuple[str, str], reasons: bool = True) -> Match:
        """How alike ``(name, scope)`` a and b are (``Match.id`` is 0); the
        shared phrases only when ``reasons`` (they cost more than the score)."""


def _indel():
    # rapidfuzz is loaded at the first comparison, not with the pack: most
    # commands (findings, lists, reports) compare no names
    from rapidfuzz.distance import Indel
    return Indel


class CharGramRule:
    """Weighted character-bigram Dice of name and of scope, plus the names'
    Indel similarity without generic words.

    ``score = NAME_SHARE × name + (1 − NAME_SHARE) × scope`` when both have a
    scope, else the name alone; each part is the larger of the weighted Dice
    coefficient and the weighted overlap coefficient (a small project whose
    whole content lies inside a larger one is a duplicate too) averaged.
    """

    NAME_SHARE = 0.35
    #: texts whose grams and weight are remembered: a new project is scored
    #: against ~60 candidates, and the same candidates recur from one to the next
    PROFILES = 4096

    def __init__(self, generic_terms: Iterable[str] = GENERIC_TERMS, generic_weight: float = GENERIC_WEIGHT):
        self.generic_terms = tuple(sorted(set(generic_terms), key=len, reverse=True))
        self.generic = _generic_grams(self.generic_terms)
        self.generic_weight = generic_weight
        self._strip = re.compile("|".join(map(re.escape, self.generic_terms))) if self.generic_terms else None
        self._profile = lru_cache(maxsize=self.PROFILES)(self._make_profile)
        self._core = lru_cache(maxsize=self.PROFILES)(self._core_name)

    def _make_profile(self, text: str) -> tuple[frozenset[str], float]:
        """A text's bigrams and their total weight."""
        grams = frozenset(bigrams(text))
        return grams, sum(self.weight(g) for g in grams)

    # -- indexing -------------------------------------------------------------

    def grams(self, name: str, scope: str) -> set[str]:
        return bigrams(name) | bigrams(scope)

    def weight(self, gram: str) -> float:
        return self.generic_weight if gram in self.generic else 1.0

    # -- scoring --------------------------------------------------------------

    def _sim(self, a: set[str], b: set[str]) -> float:
        w = self.weight
        return self._sim_weighted(a, sum(w(g) for g in a), b, sum(w(g) for g in b))

    def _sim_weighted(self, a: Set[str], wa: float, b: Set[str], wb: float) -> float:
        if not a or not b:
            return 0.0
        w = self.weight
        shared = sum(w(g) for g in a & b)
        dice = 2 * shared / (wa + wb)
        contained = shared / min(wa, wb)
        return (dice + contained) / 2

    def _text_sim(self, a: str, b: str) -> float:
        return self._sim_weighted(*self._profile(a), *self._profile(b))

    def _core_name(self, name: str) -> str:
        text = "".join(_runs(name))
        return self._strip.sub("", text) if self._strip else text

    def name_score(self, a: str, b: str) -> float:
        by_grams = self._text_sim(a, b)
        ca, cb = self._core(a), self._core(b)
        by_chars = _indel().normalized_similarity(ca, cb) if len(ca) >= 2 and len(cb) >= 2 else 0.0
        return max(by_grams, by_chars)

    def score(self, a: tuple[str, str], b: tuple[str, str], reasons: bool = True) -> Match:
        name = self.name_score(a[0], b[0])
        if (a[1] or "").strip() and (b[1] or "").strip():
            scope = self._text_sim(a[1], b[1])
            value = self.NAME_SHARE * name + (1 - self.NAME_SHARE) * scope
        else:
            value = name
        return Match(0, round(min(1.0, value), 4), self.overlap(a, b) if reasons else ())

    def overlap(self, a: tuple[str, str], b: tuple[str, str], limit: int = 8) -> tuple[str, ...]:
        """Phrases (two characters or more, not only generic words) found in
        both projects' texts, longest first: the reasons shown to staff."""
        clauses_b = [c for part in b for c in _CLAUSE.split(part or "") if len(c) >= 2]
        found: set[str] = set()
        for clause in (c for part in a for c in _CLAUSE.split(part or "") if len(c) >= 2):
            grams = bigrams(clause)
            for other in clauses_b:
                if grams.isdisjoint(bigrams(other)):
                    continue
                for op in _indel().opcodes(clause, other):
                    if op.tag == "equal" and op.src_end - op.src_start >= 2:
                        phrase = clause[op.src_start:op.src_end].strip(_EDGE)
                        if len(phrase) >= 2 and any(self.weight(g) == 1.0 for g in bigrams(phrase)):
                            found.add(phrase)
        # the longest first; drop a phrase inside a longer one already kept
        kept: list[str] = []
        for phrase in sorted(found, key=lambda p: (-len(p), p)):
            if not any(phrase in k for k in kept):
                kept.append(phrase)
        return tuple(kept[:limit])


class SimilarityIndex:
    """An inverted index of the rule's grams over many projects.

    ``add``/``remove`` keep it in step with the ledger; ``similar`` scores
    only the candidates that share the most weight of rarer grams, and
    ``pairs`` (the audit) pairs only projects that share a rare gram.
    """

    #: a gram in more than this share of projects (and more than MIN_DF) is
    #: too common to find candidates with (it is still scored)
    MAX_DF_SHARE = 0.005
    MIN_DF = 200
    #: how many best candidates ``similar`` scores fully
    CANDIDATES = 60

    def __init__(self, rule: Rule):
        self.rule = rule
        self.texts: dict[int, tuple[str, str]] = {}
        self.postings: dict[str, array] = {}

    def __len__(self) -> int:
        return len(self.texts)

    def add(self, pid: int, name: str, scope: str) -> bool:
        """Index a project (again); False when its texts were already these."""
        if pid in self.texts:
            if self.texts[pid] == (name or "", scope or ""):
                return False
            self.remove(pid)
        self.texts[pid] = (name or "", scope or "")
        for g in self.rule.grams(name or "", scope or ""):
            self.postings.setdefault(g, array("i")).append(pid)
        return True

    def remove(self, pid: int) -> None:
        text = self.texts.pop(pid, None)
        if text is None:
            return
        for g in self.rule.grams(*text):
            post = self.postings.get(g)
            if post is not None:
                try:
                    post.remove(pid)
                except ValueError:
                    pass

    def _max_df(self) -> int:
        return max(self.MIN_DF, int(self.MAX_DF_SHARE * len(self.texts)))

    def candidates(self, name: str, scope: str, exclude: int | None = None) -> list[int]:
        """The projects sharing the most weight of not-too-common grams."""
        max_df = self._max_df()
        acc: Counter[int] = Counter()
        weight = self.rule.weight
        for g in self.rule.grams(name, scope):
            post = self.postings.get(g)
            # generic grams find no candidates (they still count in the score);
            # Counter.update counts a whole posting list in C
            if post and len(post) <= max_df and weight(g) >= 1.0:
                acc.update(post)
        acc.pop(exclude, None)
        return [pid for pid, _ in acc.most_common(self.CANDIDATES)]

    def similar(self, name: str, scope: str, *, exclude: int | None = None, top: int = 5,
                among: Container[int] | None = None) -> list[Match]:
        """The ``top`` best matches of a text, best first (``among``: only
        these ids)."""
        out = []
        for pid in self.candidates(name, scope, exclude):
            if among is not None and pid not in among:
                continue
            m = self.rule.score((name, scope), self.texts[pid], reasons=False)
            if m.score > 0:
                out.append(attrs.evolve(m, id=pid))
        out.sort(key=lambda m: (-m.score, m.id))
        # the reasons only for what is shown
        return [attrs.evolve(self.rule.score((name, scope), self.texts[m.id]), id=m.id) for m in out[:top]]

    def pairs(self, threshold: float, only: Iterable[int] | None = None,
              max_df: int = 50, rarest: int = 12) -> Iterator[tuple[int, int, Match]]:
        """Pairs ``(older, newer, match)`` scoring at least ``threshold``.

        Blocking: each project is paired only with the earlier projects that
        share at least two of its ``rarest`` rarest specific grams (each
        found in at most ``max_df`` projects), so the work follows the number
        of close pairs, not the square of the ledger, and memory holds one
        project's candidates at a time.  ``only``: pairs with one of these.
        """
        wanted = set(only) if only is not None else None
        weight, postings = self.rule.weight, self.postings
        for b in sorted(self.texts):
            text = self.texts[b]
            lists = [post for g in self.rule.grams(*text) if weight(g) >= 1.0
                     and (post := postings.get(g)) is not None and 2 <= len(post) <= max_df]
            lists.sort(key=len)
            hits: Counter[int] = Counter()
            for post in lists[:rarest]:
                hits.update(post)
            for a, n in sorted(hits.items()):
                if n < 2 or a >= b or (wanted is not None and a not in wanted and b not in wanted):
                    continue
                m = self.rule.score(text, self.texts[a], reasons=False)
                if m.score >= threshold:
                    yield a, b, attrs.evolve(self.rule.score(text, self.texts[a]), id=a)
