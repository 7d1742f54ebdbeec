"""Downloads: Excel workbooks (openpyxl) and an iCalendar file of deadlines.

Money goes into Excel as Decimal with a two-decimal number format; dates as
dates.  Text is written as text (a leading ``=`` is quoted so a project name
cannot become a formula).
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tongchou.vocabulary import Field

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


def projects_workbook(ledger, projects: Iterable, on: dt.date, overdue_ids: set[int]) -> io.BytesIO:
    """Every given project with all its fields, status and overdue flag."""
    reg = ledger.registry
    fields = list(reg.fields.values())
    headers = ["编号", "状态"] + [f.label for f in fields] + ["有逾期义务"]
    kinds = ["", ""] + [("money" if f.type == "money" else "") for f in fields] + [""]

    def rows():
        for p in projects:
            yield ([p.id, reg.status_label(p.status)]
                   + [field_cell(f, p[f.name]) for f in fields]
                   + ["是" if p.id in overdue_ids else "否"])
    return workbook([(f"项目台账 {on.isoformat()}", headers, rows(), kinds)])


def report_workbook(report, rows: Sequence[dict]) -> io.BytesIO:
    headers = [c.label for c in report.columns]
    kinds = ["money" if c.type == "money" else "" for c in report.columns]
    data = ([field_cell(c, r.get(c.name)) for c in report.columns] for r in rows)
    return workbook([(report.label, headers, data, kinds)])


def obligations_workbook(obligations: Sequence, on: dt.date) -> io.BytesIO:
    headers = ["到期日", "项目编号", "项目名称", "建设单位", "事项", "依据", "状态"]
    data = ([o.due, o.project_id, o.project, o.unit, o.message, o.citation.label,
             "已逾期" if o.overdue_on(on) else "未到期"] for o in obligations)
    return workbook([("期限日历", headers, data, ["date", "", "wide", "", "wide", "", ""])])


def _ics_text(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545 line folding at 75 octets (never splitting a UTF-8 character)."""
    out, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > (75 if not out else 74):
            out.append(cur)
            cur, size = "", 0
        cur += ch
        size += n
    out.append(cur)
    return [out[0]] + [" " + x for x in out[1:]]


def obligations_ics(obligations: Sequence, *, calendar_name: str, stamp: dt.datetime | None = None,
                    host: str = "tongchou") -> bytes:
    """An all-day event per open obligation, on its due date."""
    stamp = stamp or dt.datetime.now(dt.timezone.utc)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tongchou//deadlines//ZH", "CALSCALE:GREGORIAN",
             f"X-WR-CALNAME:{_ics_text(calendar_name)}"]
    for o in obligations:
        uid = f"{o.project_id}-{o.code}-{o.due.isoformat()}@{host}"
        lines += ["BEGIN:VEVENT", f"UID:{_ics_text(uid)}",
                  f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}",
                  f"DTSTART;VALUE=DATE:{o.due.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(o.due + dt.timedelta(days=1)).strftime('%Y%m%d')}",
                  f"SUMMARY:{_ics_text(f'#{o.project_id} {o.project}:{o.message}')}",
                  f"DESCRIPTION:{_ics_text(f'{o.unit};依据 {o.citation.label}')}",
                  "END:VEVENT"]
    lines.append("END:VCALENDAR")
    folded = [seg for line in lines for seg in _fold(line)]
    return ("\r\n".join(folded) + "\r\n").encode("utf-8")
