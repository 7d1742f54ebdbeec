"""Formatting values for people, and building small pieces of escaped HTML.

Every piece of text that a user (or a plugin) wrote goes through :func:`esc`
before it is placed in HTML.  Money is a Decimal and is formatted, never
turned into a float.
"""
from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import panel as pn

from tongchou.citation import Citation, article_label
from tongchou.vocabulary import Field

from .i18n import tr

CSS = """
:host { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.tc-muted { color: #667085; font-size: 0.9em; }
.tc-h { font-size: 1.15em; font-weight: 600; margin: 0.2em 0 0.4em; }
.tc-alert { border-radius: 6px; padding: 8px 12px; margin: 4px 0; border: 1px solid; }
.tc-alert ul { margin: 4px 0 0 0; padding-left: 1.3em; }
.tc-danger { background: #fef3f2; border-color: #fda29b; color: #912018; }
.tc-warning { background: #fffaeb; border-color: #fec84b; color: #93370d; }
.tc-info { background: #eff8ff; border-color: #84caff; color: #175cd3; }
.tc-success { background: #ecfdf3; border-color: #75e0a7; color: #05603a; }
.tc-badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 0.85em;
            background: #f2f4f7; color: #344054; border: 1px solid #d0d5dd; white-space: nowrap; }
.tc-badge.overdue, .tc-badge.violation { background: #fef3f2; color: #b42318; border-color: #fda29b; }
.tc-badge.advice { background: #eff8ff; color: #175cd3; border-color: #b2ddff; }
.tc-badge.closed { background: #ecfdf3; color: #067647; border-color: #abefc6; }
.tc-badge.status { background: #f4f3ff; color: #5925dc; border-color: #d9d6fe; font-size: 0.95em; }
table.tc-table { border-collapse: collapse; width: 100%; }
table.tc-table th, table.tc-table td { border-bottom: 1px solid #eaecf0; padding: 5px 8px; text-align: left;
                                        vertical-align: top; }
table.tc-table th { background: #f9fafb; font-weight: 600; color: #344054; white-space: nowrap; }
table.tc-table td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.tc-fields th { width: 11em; }
details.tc-art { display: inline; }
details.tc-art summary { cursor: pointer; color: #175cd3; display: inline; list-style: none; }
details.tc-art summary::-webkit-details-marker { display: none; }
details.tc-art[open] > div { display: block; margin: 4px 0 6px; padding: 6px 10px; background: #f9fafb;
                             border-left: 3px solid #84caff; color: #344054; white-space: pre-wrap; }
ol.tc-timeline { list-style: none; padding-left: 0; margin: 0; }
ol.tc-timeline li { border-left: 2px solid #d0d5dd; padding: 0 0 10px 14px; position: relative; }
ol.tc-timeline li::before { content: ""; position: absolute; left: -6px; top: 4px; width: 10px; height: 10px;
                            border-radius: 5px; background: #7a5af8; }
.tc-kpi { display: inline-block; min-width: 120px; margin: 0 12px 8px 0; padding: 8px 14px; border-radius: 8px;
          background: #f9fafb; border: 1px solid #eaecf0; }
.tc-kpi b { display: block; font-size: 1.5em; color: #101828; }
.tc-kpi.bad b { color: #b42318; }
a.tc-link { color: #175cd3; text-decoration: none; cursor: pointer; }
"""

SEVERITY_ORDER = {"overdue": 0, "violation": 1, "advice": 2}


def esc(value: Any) -> str:
    """Text safe to place in HTML (None becomes the empty string)."""
    return html.escape("" if value is None else str(value), quote=True)


def money(value: Decimal | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}{unit}"


def wan(value: Decimal | None) -> Decimal:
    """Yuan to 万元 (Decimal, two places)."""
    return (Decimal(value or 0) / Decimal(10000)).quantize(Decimal("0.01"))


def date(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def field_value(spec: Field | None, value: Any, lang: str = "zh", money_unit: str = "yuan") -> str:
    """A field's value as plain text (not yet escaped)."""
    if value is None or value == () or value == []:
        return "—"
    if spec is None:
        return str(value)
    if spec.type == "bool":
        return tr("yes", lang) if value else tr("no", lang)
    if spec.type == "enum":
        return spec.choice_label(value)
    if spec.type == "enum_list":
        return "、".join(spec.choice_label(v) for v in value)
    if spec.type == "money":
        from .money import format_money
        return format_money(Decimal(str(value)), money_unit, lang)
    if spec.type == "date":
        return date(value)
    return str(value)


def article_html(registry, citation: Citation | None, lang: str = "zh") -> str:
    """The citation's label; hovering shows the articles' text, clicking expands it."""
    if citation is None:
        return ""
    parts_html, parts_text = [], []
    for number in citation.articles:
        art = registry.article(citation.document, number)
        if art is None:
            continue
        head = article_label(number) + (f" {art.title}" if art.title else "")
        parts_html.append(f"<b>{esc(head)}</b> {esc(art.text)}")
        parts_text.append(f"{head} {art.text}")
    label = esc(citation.label)
    if not parts_html:
        return f'<span class="tc-cite">{label}</span>'
    return (f'<details class="tc-art"><summary title="{esc(chr(10).join(parts_text))}">{label} ⓘ</summary>'
            f'<div>{"<br>".join(parts_html)}</div></details>')


def cite_hover(registry, citation: Citation | None) -> str:
    """The citation's label with the articles' text shown on hover only."""
    if citation is None:
        return ""
    text = "\n".join(f"{article_label(n)} {a.text}" for n in citation.articles
                     if (a := registry.article(citation.document, n)) is not None)
    return f'<span class="tc-cite" title="{esc(text)}">{esc(citation.label)}</span>'


def alert(kind: str, title: str, items: Sequence[str] = (), *, raw_items: bool = False) -> str:
    """An alert box; ``items`` are escaped unless ``raw_items`` (already HTML)."""
    lis = "".join(f"<li>{i if raw_items else esc(i)}</li>" for i in items)
    body = f"<ul>{lis}</ul>" if lis else ""
    return f'<div class="tc-alert tc-{kind}" role="alert"><b>{esc(title)}</b>{body}</div>'


def badge(text: str, kind: str = "") -> str:
    return f'<span class="tc-badge {esc(kind)}">{esc(text)}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Iterable[int] = (),
          cls: str = "") -> str:
    """An HTML table.  Headers are escaped; cells must already be HTML (use esc)."""
    num = set(numeric)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f'<table class="tc-table {cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def html_pane(text: str, **kwargs) -> pn.pane.HTML:
    """An HTML pane that carries the UI's stylesheet (panes live in shadow DOM)."""
    if "width" not in kwargs:
        kwargs.setdefault("sizing_mode", "stretch_width")
    return pn.pane.HTML(text, stylesheets=[CSS], **kwargs)
