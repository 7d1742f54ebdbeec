"""项目台账: the ledger of projects, filtered, sorted, searched and paged on
the server (one page of rows is read at a time), with an Excel export of
every matching row."""
from __future__ import annotations

import io
import math
from typing import Any

import pandas as pd
import panel as pn

from . import exports, queries
from .compat import widget
from .money import format_money
from .fmt import esc, html_pane
from .tables import ROW_CSS

PAGE_SIZES = (20, 50, 100)
SORT_KEYS = ("id", "name", "unit", "year", "estimate", "status", "category")


class LedgerView:
    """The ledger page of one session; its filters survive leaving the page."""

    def __init__(self, app):
        self.app = app
        self.page = 1
        self.state: dict[str, Any] = {"year": "", "unit": "", "category": "", "status": "", "overdue": False,
                                      "search": "", "sort": "id", "desc": True, "size": PAGE_SIZES[0]}
        self.rows: list = []
        self.total = 0
        self.overdue_ids: set[int] = set()

    # -- what the ledger is asked ----------------------------------------------

    def base_filters(self) -> dict[str, Any]:
        s = self.state
        f: dict[str, Any] = {}
        if s["year"]:
            f["year"] = int(s["year"])
        if s["unit"]:
            f["unit"] = s["unit"]
        if s["category"]:
            f["category"] = s["category"]
        if s["status"]:
            f["status"] = s["status"]
        return f

    def filters(self) -> dict[str, Any] | None:
        return queries.project_filters(self.app.ledger, self.app.actor, self.base_filters(),
                                       bool(self.state["overdue"]), self.app.today())

    def fetch(self) -> None:
        app, s = self.app, self.state
        filters = self.filters()
        self.overdue_ids = queries.overdue_project_ids(app.ledger, app.actor, app.today())
        if filters is None:
            self.rows, self.total = [], 0
            return
        size = int(s["size"])
        self.rows, self.total = app.ledger.projects(
            app.actor, filters=filters, search=s["search"], order_by=s["sort"], descending=bool(s["desc"]),
            offset=(self.page - 1) * size, limit=size)
        pages = max(1, math.ceil(self.total / size))
        if self.page > pages:
            self.page = pages
            self.fetch()

    def frame(self) -> pd.DataFrame:
        reg = self.app.registry
        cat = reg.fields.get("category")
        data = [{
            "id": p.id, "name": p.name, "unit": p["unit"], "year": str(p["year"]),
            "category": cat.choice_label(p["category"]) if cat and p["category"] else "",
            "status": reg.status_label(p.status),
            "estimate": format_money(p["estimate"], self.app.money_unit, self.app.lang),
            "overdue": self.app.t("overdue") if p.id in self.overdue_ids else "",
        } for p in self.rows]
        return pd.DataFrame(data, columns=["id", "name", "unit", "year", "category", "status", "estimate", "overdue"])

    def _matching(self) -> list:
        """Every project of the current filtered, searched and sorted view (all pages)."""
        app = self.app
        filters = self.filters()
        return [] if filters is None else exports.iter_projects(
            app.ledger, app.actor, filters=filters, search=self.state["search"], order_by=self.state["sort"],
            descending=bool(self.state["desc"]))

    def export(self):
        return exports.projects_workbook(self.app.ledger, self._matching(), self.app.today(), self.overdue_ids)

    def export_csv(self):
        from tongchou.exports import csv_bytes, projects_table
        return io.BytesIO(csv_bytes(*projects_table(self.app.ledger, self._matching(), self.overdue_ids)))

    # -- the page ----------------------------------------------------------------

    def view(self):
        app, s, reg = self.app, self.state, self.app.registry
        t = app.t
        all_label = t("all")
        this_year = app.today().year
        years = {all_label: ""} | {str(y): str(y) for y in range(this_year + 3, this_year - 11, -1)}
        # A unit's staff see their own unit's projects, and where a pack declares
        # parties also those their unit is a party to (of other requesting units).
        own_only = app.is_unit() and not reg.party_fields
        if own_only:
            units = {app.actor.unit: app.actor.unit}
        elif app.is_unit():
            units = {all_label: "", app.actor.unit: app.actor.unit}
        else:
            units = {all_label: ""} | {name: name for _id, name in app.ledger.units()}
        w_year = widget(pn.widgets.Select, name=t("filter_year"), options=years, value=s["year"], width=110,
                                   css_classes=["tc-filter-year"])
        w_unit = widget(pn.widgets.Select, name=t("filter_unit"), options=units,
                                   value=app.actor.unit if own_only else (s["unit"] if s["unit"] in units.values() else ""),
                                   disabled=own_only, width=200, css_classes=["tc-filter-unit"])
        cat = reg.fields.get("category")
        w_cat = widget(pn.widgets.Select, name=t("filter_category"),
                                  options={all_label: ""} | ({c.label: c.value for c in cat.choices} if cat else {}),
                                  value=s["category"], width=190, css_classes=["tc-filter-category"])
        w_status = widget(pn.widgets.Select, name=t("filter_status"),
                                     options={all_label: ""} | {st.label: name for name, st in reg.statuses.items()},
                                     value=s["status"], width=170, css_classes=["tc-filter-status"])
        w_overdue = widget(pn.widgets.Checkbox, name=t("filter_overdue"), value=s["overdue"], css_classes=["tc-filter-overdue"],
                                        margin=(30, 10, 10, 10))
        w_search = widget(pn.widgets.TextInput, name=t("search"), value=s["search"], placeholder="…", width=220,
                                        css_classes=["tc-search"])
        sort_labels = {"id": t("col_id")} | {k: reg.fields[k].label for k in SORT_KEYS[1:] if k in reg.fields and k != "status"}
        sort_labels["status"] = t("status")
        w_sort = widget(pn.widgets.Select, name=t("sort_by"), options={v: k for k, v in sort_labels.items()}, value=s["sort"],
                                   width=150, css_classes=["tc-sort"])
        w_desc = widget(pn.widgets.Checkbox, name=t("descending"), value=s["desc"], css_classes=["tc-desc"],
                                     margin=(30, 10, 10, 10))
        w_size = widget(pn.widgets.Select, name=t("page_size"), options=[str(n) for n in PAGE_SIZES], value=str(s["size"]),
                                   width=80, css_classes=["tc-page-size"])
        reset = widget(pn.widgets.Button, name=t("reset_filters"), button_type="light", margin=(28, 10, 10, 10),
                                  css_classes=["tc-reset"])

        self.fetch()
        table = widget(pn.widgets.Tabulator, 
            self.frame(), show_index=False, disabled=True, selectable=False, pagination=None,
            titles={"id": t("col_id"), "name": reg.fields["name"].label, "unit": reg.fields["unit"].label,
                    "year": reg.fields["year"].label, "category": cat.label if cat else "",
                    "status": t("status"), "estimate": reg.fields["estimate"].label if "estimate" in reg.fields else "",
                    "overdue": t("col_overdue")},
            text_align={"estimate": "right", "id": "right"}, header_align="left",
            sortable={"overdue": False}, sorters=[{"field": s["sort"], "dir": "desc" if s["desc"] else "asc"}],
            layout="fit_data_stretch", sizing_mode="stretch_width", css_classes=["tc-ledger-table"],
            stylesheets=[ROW_CSS],
            # Header clicks only report the sort; the ledger sorts (all rows, not just this page).
            configuration={"sortMode": "remote"})
        info = html_pane("", css_classes=["tc-page-info"], margin=(12, 10))
        prev = widget(pn.widgets.Button, name="‹ " + t("prev"), width=100, css_classes=["tc-prev"])
        nxt = widget(pn.widgets.Button, name=t("next") + " ›", width=100, css_classes=["tc-next"])

        def show():
            size = int(s["size"])
            pages = max(1, math.ceil(self.total / size))
            table.value = self.frame()
            info.object = f'<span class="tc-muted">{esc(t("page_of", page=self.page, pages=pages, total=self.total))}</span>'
            prev.disabled = self.page <= 1
            nxt.disabled = self.page >= pages

        def reload(reset_page: bool = True):
            if reset_page:
                self.page = 1
            self.fetch()
            show()

        syncing = [False]

        def bind(widget, key, convert=lambda v: v):
            def changed(event):
                if syncing[0]:
                    return
                s[key] = convert(event.new)
                if key in ("sort", "desc"):
                    syncing[0] = True
                    try:
                        table.sorters = [{"field": s["sort"], "dir": "desc" if s["desc"] else "asc"}]
                    finally:
                        syncing[0] = False
                reload()
            widget.param.watch(app.handler(changed), "value")

        def header_sorted(event):
            if syncing[0] or not event.new:
                return
            first = event.new[0]
            if first.get("field") not in SORT_KEYS:
                return
            s["sort"], s["desc"] = first["field"], first.get("dir") == "desc"
            syncing[0] = True
            try:
                w_sort.value, w_desc.value = s["sort"], s["desc"]
            finally:
                syncing[0] = False
            reload()
        table.param.watch(app.handler(header_sorted), "sorters")

        bind(w_year, "year")
        bind(w_unit, "unit")
        bind(w_cat, "category")
        bind(w_status, "status")
        bind(w_overdue, "overdue", bool)
        bind(w_search, "search", lambda v: (v or "").strip())
        bind(w_sort, "sort")
        bind(w_desc, "desc", bool)
        bind(w_size, "size", int)

        def turn(delta):
            self.page = max(1, self.page + delta)
            reload(reset_page=False)
        app.on_click(prev, lambda: turn(-1))
        app.on_click(nxt, lambda: turn(1))

        def do_reset():
            s.update({"year": "", "unit": "", "category": "", "status": "", "overdue": False, "search": ""})
            self.page = 1
            app.go("ledger")
        app.on_click(reset, do_reset)

        def clicked(event):
            try:
                pid = int(table.value.iloc[event.row]["id"])
            except (IndexError, KeyError, TypeError, ValueError):
                return
            app.go("project", project=pid)
        table.on_click(app.handler(clicked))

        download = widget(pn.widgets.FileDownload, callback=app.download_callback(self.export), filename=f"项目台账_{app.today():%Y%m%d}.xlsx",
                                           label=t("export_excel"), button_type="success", width=260,
                                           css_classes=["tc-export"])
        download_csv = widget(pn.widgets.FileDownload, callback=app.download_callback(self.export_csv),
                              filename=f"项目台账_{app.today():%Y%m%d}.csv", label=t("export_csv"),
                              button_type="success", width=260, css_classes=["tc-export-csv"])
        show()
        return pn.Column(
            html_pane(f'<div class="tc-h">{esc(t("nav_ledger"))}</div>'
                      f'<div class="tc-muted">{esc(t("click_row"))}</div>'),
            pn.FlexBox(w_search, w_year, w_unit, w_cat, w_status, w_overdue, reset, sizing_mode="stretch_width"),
            pn.Row(w_sort, w_desc, w_size, pn.HSpacer(), download, download_csv, sizing_mode="stretch_width"),
            table,
            pn.Row(prev, info, nxt),
            sizing_mode="stretch_width", css_classes=["tc-page-ledger"])


def ledger_page(app, **_params):
    view = getattr(app, "_ledger_view", None)
    if view is None or view.app is not app:
        view = app._ledger_view = LedgerView(app)
    return view.view()
