"""Tabulator tables whose rows open a project when clicked."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import panel as pn

from .compat import widget

ROW_CSS = """
.tabulator-row { cursor: pointer; }
.tabulator .tabulator-header .tabulator-col { background: #f9fafb; }
.tabulator { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 13px; }
/* A long 说明 wraps inside its column instead of being cut off (a CSS rule, not
   Tabulator's tooltip, which would render a project's text as HTML). */
.tabulator-cell[tabulator-field="message"], .tabulator-cell[tabulator-field="todo"] {
  white-space: normal !important; word-break: break-word; height: auto !important; }
.tabulator-row { height: auto !important; }
"""


def clickable_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]], *,
                    on_open: Callable[[int], None] | None, id_key: str = "id",
                    right: Sequence[str] = (), css_class: str = "", height: int | None = None,
                    sortable: bool = True, widths: dict[str, int] | None = None) -> pn.widgets.Tabulator:
    """A read-only table of ``rows`` showing ``columns`` ((key, title) pairs).

    Every cell is plain text (Tabulator escapes it).  Clicking a row calls
    ``on_open(row[id_key])``.
    """
    keys = [k for k, _ in columns]
    df = pd.DataFrame([{k: r.get(k) for k in keys} for r in rows], columns=keys)
    for k in keys:
        if k != id_key:
            df[k] = df[k].astype(object).where(df[k].notna(), "")
    titles = dict(columns)
    widths = dict(widths or {})
    if "message" in keys:
        widths.setdefault("message", 340)  # wide enough to read, narrow enough to wrap
    kwargs: dict[str, Any] = {}
    if height:
        kwargs["height"] = height
    table = widget(pn.widgets.Tabulator, 
        df, show_index=False, disabled=True, selectable=False, titles=titles,
        layout="fit_data_stretch", sizing_mode="stretch_width", header_align="left",
        text_align={k: "right" for k in right}, sortable=sortable, widths=widths,
        css_classes=[css_class] if css_class else [], stylesheets=[ROW_CSS],
        **kwargs)
    if on_open is not None:
        def clicked(event):
            try:
                pid = table.value.iloc[event.row][id_key]
            except (IndexError, KeyError, TypeError):
                return
            on_open(int(pid))
        table.on_click(clicked)
    return table

