"""Small Bokeh bar charts for the dashboard (no hvplot/holoviews).

Amounts are converted from Decimal yuan to 万元 for drawing only; the figures
shown in tables and tooltips are formatted from the Decimals.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import panel as pn
from bokeh.models import AdaptiveTicker, ColumnDataSource, HoverTool, NumeralTickFormatter
from bokeh.plotting import figure

from .fmt import money, wan

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'
COLOR = "#7a5af8"


def _style(p) -> None:
    p.toolbar_location = None
    p.outline_line_color = None
    p.grid.grid_line_alpha = 0.4
    for axis in (p.xaxis, p.yaxis):
        axis.major_label_text_font = FONT
        axis.axis_label_text_font = FONT
        axis.major_label_text_font_size = "11px"
    p.title.text_font = FONT
    p.title.text_font_size = "13px"


def vbar(title: str, labels: Sequence[str], values: Sequence[Decimal | int], *, value_text: Sequence[str],
         height: int = 260, color: str = COLOR, counts: bool = False) -> pn.pane.Bokeh:
    labels = [str(x) for x in labels]
    source = ColumnDataSource({"label": labels, "value": [float(v) for v in values], "text": list(value_text)})
    p = figure(x_range=labels or [""], height=height, title=title, sizing_mode="stretch_width",
               tools="", min_border_left=50)
    p.vbar(x="label", top="value", width=0.7, source=source, color=color)
    p.add_tools(HoverTool(tooltips=[("", "@label"), ("", "@text")]))
    p.y_range.start = 0
    p.yaxis.formatter = NumeralTickFormatter(format="0,0")
    if counts:
        p.yaxis.ticker = AdaptiveTicker(min_interval=1, num_minor_ticks=0)
    p.xaxis.major_label_orientation = 0.6 if max((len(x) for x in labels), default=0) > 4 else 0
    _style(p)
    return pn.pane.Bokeh(p, sizing_mode="stretch_width")


def hbar(title: str, labels: Sequence[str], values: Sequence[Decimal | int], *, value_text: Sequence[str],
         color: str = COLOR) -> pn.pane.Bokeh:
    labels = [str(x) for x in labels][::-1]
    values = list(values)[::-1]
    source = ColumnDataSource({"label": labels, "value": [float(v) for v in values],
                               "text": list(value_text)[::-1]})
    height = max(160, 28 * len(labels) + 60)
    p = figure(y_range=labels or [""], height=height, title=title, sizing_mode="stretch_width", tools="")
    p.hbar(y="label", right="value", height=0.7, source=source, color=color)
    p.add_tools(HoverTool(tooltips=[("", "@label"), ("", "@text")]))
    p.x_range.start = 0
    p.xaxis.formatter = NumeralTickFormatter(format="0,0")
    _style(p)
    return pn.pane.Bokeh(p, sizing_mode="stretch_width")


def money_bars(title: str, amounts: dict, *, horizontal: bool = False) -> pn.pane.Bokeh:
    labels = list(amounts)
    values = [wan(v) for v in amounts.values()]
    text = [money(v, " 元") for v in amounts.values()]
    if horizontal:
        return hbar(title, labels, values, value_text=text)
    return vbar(title, labels, values, value_text=text)
