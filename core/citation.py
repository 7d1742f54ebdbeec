"""Citations of legal articles, and the Chinese numerals they are written in.

A citation names the document that holds a rule (its 文号) and the article
numbers within it.  Article numbers are plain integers in code and data; the
Chinese label is produced here so that every plugin writes it the same way.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable

import attrs

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))
_ARTICLE_RE = re.compile(r"第([零一二三四五六七八九十百千两〇\d]+)条")


def chinese_number(n: int) -> str:
    """Write a positive integer below 10,000 the way article numbers are written."""
    if not 0 < n < 10000:
        raise ValueError(f"article numbers run from 1 to 9999, not {n}")
    if n < 10:
        return _DIGITS[n]
    out = []
    rest = n
    zero_pending = False
    for value, unit in _UNITS:
        digit, rest = divmod(rest, value)
        if digit:
            if zero_pending:
                out.append("零")
                zero_pending = False
            # 十一 not 一十一 at the head; 一百一十 inside a longer number.
            if not (value == 10 and digit == 1 and not out):
                out.append(_DIGITS[digit])
            out.append(unit)
        elif out:
            zero_pending = True
    if rest:
        if zero_pending:
            out.append("零")
        out.append(_DIGITS[rest])
    return "".join(out)


def parse_chinese_number(text: str) -> int:
    """Read a number written in Chinese numerals (or Arabic digits)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    total = 0
    digit = 0
    seen = False
    for ch in text:
        if ch in "零〇":
            digit = 0
            seen = True
        elif ch == "两":
            digit = 2
            seen = True
        elif ch in _DIGITS:
            digit = _DIGITS.index(ch)
            seen = True
        else:
            unit = {"十": 10, "百": 100, "千": 1000}.get(ch)
            if unit is None:
                raise ValueError(f"not a Chinese numeral: {text!r}")
            total += (digit or 1) * unit
            digit = 0
            seen = True
    if not seen:
        raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + digit


@functools.lru_cache(maxsize=4096)
def article_label(n: int) -> str:
    """The label of article ``n`` as it is written in the measures."""
    return "第" + chinese_number(n) + "条"


def parse_article(value: object) -> int:
    """Read an article reference: 17, "17", or a label such as the one
    :func:`article_label` makes, alone or after a document number."""
    if isinstance(value, bool):
        raise ValueError(f"not an article: {value!r}")
    if isinstance(value, int):
        if value <= 0:
            raise ValueError(f"not an article: {value!r}")
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return parse_article(int(text))
        found = _ARTICLE_RE.findall(text)
        if len(found) == 1:
            return parse_chinese_number(found[0])
    raise ValueError(f"not an article reference: {value!r}")


# The hash is kept: a province's tens of thousands of findings share a few
# dozen citations, looked up by citation when they are listed or written out.
@attrs.frozen(cache_hash=True)
class Citation:
    """Where a rule comes from: a document and one or more of its articles."""

    document: str
    articles: tuple[int, ...] = attrs.field(converter=lambda a: tuple(sorted(set(a))))
    jurisdiction: str = ""

    @articles.validator
    def _check(self, _attr, value):
        if not value:
            raise ValueError("a citation names at least one article")

    @property
    def article_labels(self) -> tuple[str, ...]:
        return tuple(article_label(a) for a in self.articles)

    @property
    def label(self) -> str:
        return f"{self.document} {'、'.join(self.article_labels)}"

    def cites(self, article: int) -> bool:
        return article in self.articles

    def __str__(self) -> str:
        return self.label

    def to_json(self) -> dict:
        return {"document": self.document, "articles": list(self.articles),
                "jurisdiction": self.jurisdiction, "label": self.label}

    @classmethod
    def from_json(cls, data: dict) -> "Citation":
        return cls(data["document"], tuple(data["articles"]), data.get("jurisdiction", ""))

    @classmethod
    def join(cls, citations: Iterable["Citation"]) -> "Citation | None":
        """Merge citations of one document into one; None when there are none."""
        cits = list(citations)
        if not cits:
            return None
        arts = sorted({a for c in cits for a in c.articles})
        return cls(cits[0].document, tuple(arts), cits[0].jurisdiction)
