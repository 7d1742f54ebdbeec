"""Files the ledger is exported to: Excel workbooks (openpyxl), CSV, and an
iCalendar file of deadlines.  One home for the CLI (``tongchou export``,
``tongchou remind --ics``) and the web UI's downloads.

Money goes into Excel as Decimal with a two-decimal number format and into CSV
as text with two decimals; dates as dates (ISO text in CSV).  Text is written
as text: a leading ``=``, ``+``, ``-`` or ``@`` is quoted so that a project
name cannot become a formula.  CSV is UTF-8 with a byte-order mark, which is
what makes Excel open Chinese text correctly.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from .errors import InvalidInput, NotFound
from .vocabulary import Actor, Field

FORMATS = ("xlsx", "csv")
#: projects read per query when exporting a whole ledger
BATCH = 2000
MONEY_FORMAT = "#,##0.00"
#: 万元 to two places, and to six when the amount has fen in it (0.000001 万元 = 1 分)
WAN_FORMAT = "#,##0.00####"
MONEY_UNITS = {"yuan": "元", "wan": "万元"}
DATE_FORMAT = "yyyy-mm-dd"


def _safe_text(value: str) -> str:
    # CSV/Excel formula injection: text starting with these is shown, not run.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _cell(ws, value: Any, kind: str = "", money_format: str = MONEY_FORMAT):
    """A plain value where no format is needed (fast), a styled cell otherwise."""
    if isinstance(value, str):
        return _safe_text(value)
    if isinstance(value, Decimal):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = money_format if kind == "money" else MONEY_FORMAT
        return c
    if isinstance(value, dt.date):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = DATE_FORMAT
        return c
    return value


def text_width(value: Any) -> int:
    """How wide a cell's text prints, in Excel's character units: a CJK (or
    other full-width) character counts two."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        text = f"{value:,.2f}"
    elif isinstance(value, dt.date):
        text = "2026-01-01"
    else:
        text = str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


#: narrowest and widest column, in character units (a long 建设内容 wraps instead)
MIN_WIDTH, MAX_WIDTH = 6, 60


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[float]:
    """Each column as wide as its widest cell (header included) plus a margin."""
    widths = [text_width(h) for h in headers]
    for row in rows:
        for i, v in enumerate(row[:len(widths)]):
            w = text_width(v)
            if w > widths[i]:
                widths[i] = w
    return [min(MAX_WIDTH, max(MIN_WIDTH, w + 2)) for w in widths]


def to_wan(value: Any) -> Any:
    """元 → 万元, exactly (a Decimal divided by 10,000 loses nothing)."""
    return value / Decimal(10000) if isinstance(value, Decimal) else value


def money_header(header: str, money: str) -> str:
    """``概算总投资(元)`` as its 万元 column: ``概算总投资(万元)``."""
    if money != "wan":
        return header
    for suffix in ("(元)", "（元）"):
        if header.endswith(suffix):
            return header[: -len(suffix)] + suffix[0] + "万元" + suffix[-1]
    return header if header.endswith(("(万元)", "（万元）")) else f"{header}(万元)"


def _check_money(money: str) -> str:
    if money not in MONEY_UNITS:
        raise InvalidInput("money", "金额单位只能是 yuan（元）或 wan（万元）", "金额单位")
    return money


def workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[str]]], *,
             title: str | None = None, total: bool = False, money: str = "yuan") -> io.BytesIO:
    """A print-ready workbook: each sheet is (title, headers, rows, column kinds).

    Columns as wide as their content (CJK characters count double), the
    header frozen and filtered, landscape A4 fitted to the page width with the
    header (and title) repeated on every page.  ``title`` adds a merged title
    row above the header; ``total`` a 合计 row under the data summing the
    money columns; ``money="wan"`` gives amounts in 万元."""
    _check_money(money)
    wb = Workbook(write_only=True)
    for sheet_title, headers, rows, kinds in sheets:
        ws = wb.create_sheet(title=sheet_title[:31])
        kinds = list(kinds or ())
        money_cols = [i for i, k in enumerate(kinds) if k == "money"]
        data = [list(r) for r in rows]
        if money == "wan":
            headers = [money_header(h, money) if i in money_cols else h for i, h in enumerate(headers)]
            for r in data:
                for i in money_cols:
                    if i < len(r):
                        r[i] = to_wan(r[i])
        sums = [sum((r[i] for r in data if i < len(r) and isinstance(r[i], Decimal)), Decimal(0))
                for i in money_cols]
        widths = column_widths(headers, data)
        for i, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        last = get_column_letter(max(1, len(headers)))
        head_row = 2 if title else 1
        # A write-only sheet writes its views and properties with the first row: set them first.
        ws.freeze_panes = f"A{head_row + 1}"
        ws.print_title_rows = f"1:{head_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        if title:
            c = WriteOnlyCell(ws, value=title)
            c.font = Font(bold=True, size=14)
            c.alignment = Alignment(horizontal="center", vertical="center")
            ws.append([c])
            ws.merged_cells.add(f"A1:{last}1")
        head = []
        for h in headers:
            c = WriteOnlyCell(ws, value=h)
            c.font = Font(bold=True)
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            head.append(c)
        ws.append(head)
        fmt = WAN_FORMAT if money == "wan" else MONEY_FORMAT
        for row in data:
            ws.append([_cell(ws, v, kinds[i] if i < len(kinds) else "", fmt) for i, v in enumerate(row)])
        if data:
            ws.auto_filter.ref = f"A{head_row}:{last}{head_row + len(data)}"
        if total:
            line: list[Any] = [None] * len(headers)
            line[0] = f"合计（{len(data)} 项）"
            for i, value in zip(money_cols, sums):
                line[i] = value
            cells = []
            for i, v in enumerate(line):
                c = WriteOnlyCell(ws, value=v)
                c.font = Font(bold=True)
                if isinstance(v, Decimal):
                    c.number_format = fmt
                cells.append(c)
            ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def field_cell(spec: Field | None, value: Any) -> Any:
    """A project field's value as it goes into a spreadsheet cell."""
    if value is None:
        return None
    if spec is None:
        return value if isinstance(value, (int, Decimal, dt.date)) else str(value)
    if spec.type == "enum":
        return spec.choice_label(value)
    if spec.type == "enum_list":
        return "、".join(spec.choice_label(v) for v in value)
    if spec.type == "bool":
        return "是" if value else "否"
    if spec.type in ("money", "decimal"):
        return Decimal(str(value))
    return value


def projects_workbook(ledger, projects: Iterable, on: dt.date, overdue_ids, *, title: str | None = None,
                      total: bool = False, money: str = "yuan") -> io.BytesIO:
    """Every given project with all its fields, status and overdue flag
    (``title``, ``total``, ``money``: as for :func:`workbook`)."""
    headers, rows, kinds = projects_table(ledger, projects, overdue_ids)
    return workbook([(f"项目台账 {on.isoformat()}", headers, rows, kinds)], title=title, total=total, money=money)


def report_workbook(report, rows: Sequence[dict], *, title: str | None = None, total: bool = False,
                    money: str = "yuan") -> io.BytesIO:
    headers, data, kinds = report_table(report, rows)
    return workbook([(report.label, headers, data, kinds)], title=title, total=total, money=money)


def obligations_workbook(obligations: Sequence, on: dt.date) -> io.BytesIO:
    headers = ["到期日", "项目编号", "项目名称", "建设单位", "事项", "依据", "状态"]
    data = ([o.due, o.project_id, o.project, o.unit, o.message, o.citation.label,
             "已逾期" if o.overdue_on(on) else "未到期"] for o in obligations)
    return workbook([("期限日历", headers, data, ["date", "", "wide", "", "wide", "", ""])])


# -- CSV ------------------------------------------------------------------------


def csv_value(value: Any, kind: str = "") -> str:
    """A cell as CSV text: money with two decimals, ISO dates, 是/否, quoted formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        if kind == "wan":  # 万元: two places, more only when the amount has fen in it
            text = format(value.quantize(Decimal("0.000001")), "f").rstrip("0")
            whole, _dot, frac = text.partition(".")
            return f"{whole}.{frac.ljust(2, '0')}"
        return format(value.quantize(Decimal("0.01")), "f") if kind == "money" else format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    return _safe_text(str(value))


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], kinds: Sequence[str] = (),
              money: str = "yuan") -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF line ends) of ``rows`` under ``headers``
    (amounts in 万元 when ``money="wan"``)."""
    _check_money(money)
    if money == "wan":
        headers = [money_header(h, money) if i < len(kinds) and kinds[i] == "money" else h
                   for i, h in enumerate(headers)]
        kinds = ["wan" if k == "money" else k for k in kinds]
        rows = ([to_wan(v) if i < len(kinds) and kinds[i] == "wan" else v for i, v in enumerate(r)] for r in rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe_text(h) for h in headers])
    for row in rows:
        writer.writerow([csv_value(v, kinds[i] if i < len(kinds) else "") for i, v in enumerate(row)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


# -- tables both formats are made from ------------------------------------------


def iter_projects(ledger, actor: Actor | None, *, filters: Mapping[str, Any] | None = None,
                  search: str = "", order_by: str = "id", descending: bool = False) -> Iterator:
    """Every project ``actor`` may see that matches, read a batch at a time."""
    offset = 0
    while True:
        rows, total = ledger.projects(actor, filters=filters, search=search, order_by=order_by,
                                      descending=descending, offset=offset, limit=BATCH)
        yield from rows
        offset += len(rows)
        if not rows or offset >= total:
            break


def projects_table(ledger, projects: Iterable, overdue_ids: set[int] | frozenset[int]):
    """(headers, rows, kinds) of the ledger: id, status, every field, overdue flag."""
    reg = ledger.registry
    fields = list(reg.fields.values())
    headers = ["编号", "状态"] + [f.label for f in fields] + ["有逾期义务"]
    kinds = ["", ""] + [("money" if f.type == "money" else "") for f in fields] + [""]

    def rows():
        for p in projects:
            yield ([p.id, reg.status_label(p.status)]
                   + [field_cell(f, p[f.name]) for f in fields]
                   + ["是" if p.id in overdue_ids else "否"])
    return headers, rows(), kinds


def report_table(report, rows: Sequence[dict]):
    headers = [c.label for c in report.columns]
    kinds = ["money" if c.type == "money" else "" for c in report.columns]
    data = ([field_cell(c, r.get(c.name)) for c in report.columns] for r in rows)
    return headers, data, kinds


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput("format", f"导出格式只能是 {' 或 '.join(FORMATS)}", "格式")
    return fmt


def export_projects(ledger, actor: Actor | None, fmt: str = "xlsx", *, filters: Mapping[str, Any] | None = None,
                    search: str = "", on: dt.date | None = None, order_by: str = "id", money: str = "yuan",
                    print_ready: bool = True) -> bytes:
    """The projects ``actor`` may see that match ``filters`` (as for
    :meth:`Ledger.projects`), as an .xlsx or .csv file; amounts in 元 or
    (``money="wan"``) 万元.  ``print_ready``: the workbook gets a title row
    and a 合计 row (see :func:`workbook`)."""
    _check_format(fmt)
    _check_money(money)
    on = on or dt.date.today()
    overdue = {o.project_id for o in ledger.obligations(actor, due_before=on)}
    projects = iter_projects(ledger, actor, filters=filters, search=search, order_by=order_by)
    if fmt == "csv":
        return csv_bytes(*projects_table(ledger, projects, overdue), money=money)
    title = f"{ledger.jurisdiction.title}政务信息化项目台账（截至 {on.year} 年 {on.month} 月 {on.day} 日）" \
        if print_ready else None
    return projects_workbook(ledger, projects, on, overdue, title=title, total=print_ready, money=money).getvalue()


def export_report(ledger, actor: Actor | None, name: str, fmt: str = "xlsx",
                  options: Mapping[str, Any] | None = None, *, money: str = "yuan", print_ready: bool = True) -> bytes:
    """A plugin's report (e.g. an annual catalogue of systems, options ``unit`` and
    ``year``) as an .xlsx or .csv file.  A unit's user gets their own unit's."""
    from .values import parse_record
    _check_format(fmt)
    _check_money(money)
    # The newest version's report, else an older version's (a report a newer
    # version of the rules dropped still reads the projects the older governs).
    report = next((v.jurisdiction.registry.reports[name] for v in reversed(ledger.rule_versions)
                   if name in v.jurisdiction.registry.reports), None)
    if report is None:
        raise NotFound(f"unknown report {name!r} (reports: {', '.join(ledger.registry.reports)})")
    typed = parse_record(list(report.options), dict(options or {}), partial=True, what="报表选项")
    if actor is not None and actor.unit and "unit" in {o.name for o in report.options}:
        typed["unit"] = actor.unit
    rows = report.build(ledger, actor, **{k: v for k, v in typed.items() if v is not None})
    if fmt == "csv":
        return csv_bytes(*report_table(report, rows), money=money)
    title = None
    if print_ready:
        scope = "".join(str(typed[k]) + ("年度" if k == "year" else "")
                        for k in ("unit", "year") if typed.get(k) is not None)
        title = f"{scope}{report.label}" if scope else report.label
    return report_workbook(report, rows, title=title, total=print_ready, money=money).getvalue()


# -- iCalendar ------------------------------------------------------------------


def obligations_ics(obligations: Sequence, *, calendar_name: str, stamp: dt.datetime | None = None,
                    host: str = "tongchou", alarm_days: int | None = None) -> bytes:
    """An all-day event per obligation, on its due date, with the article it
    follows in the description; the UID is the project and the obligation's
    code (not its due date), so a calendar that imports the file again updates
    the events instead of doubling them.  See :mod:`tongchou.ics` (which also
    keeps each event's SEQUENCE in the ledger)."""
    from .ics import obligations_calendar
    return obligations_calendar(obligations, calendar_name=calendar_name, stamp=stamp, host=host,
                                alarm_days=alarm_days)
