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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .errors import InvalidInput, NotFound
from .vocabulary import Actor, Field

FORMATS = ("xlsx", "csv")
#: projects read per query when exporting a whole ledger
BATCH = 2000
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _safe_text(value: str) -> str:
    # CSV/Excel formula injection: text starting with these is shown, not run.
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _cell(ws, value: Any, kind: str = ""):
    """A plain value where no format is needed (fast), a styled cell otherwise."""
    if isinstance(value, str):
        return _safe_text(value)
    if isinstance(value, Decimal):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = MONEY_FORMAT
        return c
    if isinstance(value, dt.date):
        c = WriteOnlyCell(ws, value=value)
        c.number_format = DATE_FORMAT
        return c
    return value


def workbook(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]], Sequence[str]]]) -> io.BytesIO:
    """A workbook: each sheet is (title, headers, rows, column kinds)."""
    wb = Workbook(write_only=True)
    for title, headers, rows, kinds in sheets:
        ws = wb.create_sheet(title=title[:31])
        for i, h in enumerate(headers):
            width = 14 if kinds and i < len(kinds) and kinds[i] in ("money", "date") else 18
            if i == 1 or (kinds and i < len(kinds) and kinds[i] == "wide"):
                width = 36
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        head = []
        for h in headers:
            c = WriteOnlyCell(ws, value=h)
            c.font = Font(bold=True)
            head.append(c)
        ws.append(head)
        for row in rows:
            ws.append([_cell(ws, v, kinds[i] if kinds and i < len(kinds) else "") for i, v in enumerate(row)])
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


def projects_workbook(ledger, projects: Iterable, on: dt.date, overdue_ids) -> io.BytesIO:
    """Every given project with all its fields, status and overdue flag."""
    headers, rows, kinds = projects_table(ledger, projects, overdue_ids)
    return workbook([(f"项目台账 {on.isoformat()}", headers, rows, kinds)])


def report_workbook(report, rows: Sequence[dict]) -> io.BytesIO:
    headers, data, kinds = report_table(report, rows)
    return workbook([(report.label, headers, data, kinds)])


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
        return format(value.quantize(Decimal("0.01")), "f") if kind == "money" else format(value, "f")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    return _safe_text(str(value))


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], kinds: Sequence[str] = ()) -> bytes:
    """A CSV file (UTF-8 with BOM, CRLF line ends) of ``rows`` under ``headers``."""
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
                    search: str = "", on: dt.date | None = None, order_by: str = "id") -> bytes:
    """The projects ``actor`` may see that match ``filters`` (as for
    :meth:`Ledger.projects`), as an .xlsx or .csv file."""
    _check_format(fmt)
    on = on or dt.date.today()
    overdue = {o.project_id for o in ledger.obligations(actor, due_before=on)}
    projects = iter_projects(ledger, actor, filters=filters, search=search, order_by=order_by)
    if fmt == "csv":
        return csv_bytes(*projects_table(ledger, projects, overdue))
    return projects_workbook(ledger, projects, on, overdue).getvalue()


def export_report(ledger, actor: Actor | None, name: str, fmt: str = "xlsx",
                  options: Mapping[str, Any] | None = None) -> bytes:
    """A plugin's report (e.g. 第二十八条's catalogue, options ``unit`` and
    ``year``) as an .xlsx or .csv file.  A unit's user gets their own unit's."""
    from .values import parse_record
    _check_format(fmt)
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
        return csv_bytes(*report_table(report, rows))
    return report_workbook(report, rows).getvalue()


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
