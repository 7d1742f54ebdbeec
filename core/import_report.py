"""What an import of a 台账 found and did: the problems by row and column, the
report (also what ``tongchou import --json`` prints), and the two refusals
that carry it.  Used by :mod:`tongchou.imports` and the import page."""
from __future__ import annotations

import attrs

from .errors import InvalidInput


@attrs.frozen
class Problem:
    """One thing wrong: at a row and column of the sheet, or with the whole file
    (``row`` None)."""

    row: int | None
    column: str
    message: str

    @property
    def text(self) -> str:
        if self.row is None:
            return f"「{self.column}」：{self.message}" if self.column else self.message
        if not self.column:
            return f"第 {self.row} 行：{self.message}"
        return f"第 {self.row} 行「{self.column}」：{self.message}"

    def to_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message, "text": self.text}


@attrs.frozen
class ImportReport:
    """What an import found and did."""

    sheet: str
    header_row: int | None
    columns: tuple[tuple[str, str], ...]      # (header, field) in sheet order
    ignored: tuple[str, ...]                  # headers no field takes
    rows: int                                 # data rows read (empty rows not counted)
    good: int                                 # rows without problems
    problems: tuple[Problem, ...]
    dry_run: bool
    imported: tuple[int, ...] = ()            # ids of the projects written
    new_units: tuple[str, ...] = ()
    skipped: tuple["Skipped", ...] = ()       # rows that are no projects (titles, 合计, footers)
    header_rows: tuple[int, int] | None = None  # first and last row of the header

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> int:
        return len({p.row for p in self.problems if p.row is not None})

    def to_json(self) -> dict:
        return {"sheet": self.sheet, "header_row": self.header_row,
                "columns": [{"header": h, "field": f} for h, f in self.columns],
                "ignored": list(self.ignored), "rows": self.rows, "good": self.good,
                "bad_rows": self.bad_rows, "dry_run": self.dry_run, "imported": len(self.imported),
                "project_ids": list(self.imported), "new_units": list(self.new_units),
                "problems": [p.to_json() for p in self.problems],
                "skipped": [s.to_json() for s in self.skipped],
                "header_rows": list(self.header_rows or (self.header_row, self.header_row))}


@attrs.frozen
class Skipped:
    """A row below or above the header that is no project, and why."""

    row: int
    reason: str
    text: str = ""

    def to_json(self) -> dict:
        return {"row": self.row, "reason": self.reason, "text": self.text}


class ImportRefused(InvalidInput):
    """The file has problems and nothing was written; ``report`` lists them."""

    def __init__(self, report: ImportReport):
        self.report = report
        first = report.problems[0].text if report.problems else ""
        more = f"（另有 {len(report.problems) - 1} 处问题）" if len(report.problems) > 1 else ""
        super().__init__("file", f"{report.bad_rows} 行有问题，未导入任何项目；{first}{more}", "导入")


class FileRefused(InvalidInput):
    """The file cannot be read as a 台账 at all (no header, a required column
    missing, two columns for one field); ``report`` says what was found."""

    def __init__(self, report: "ImportReport"):
        self.report = report
        super().__init__("file", "；".join(p.text for p in report.problems), "导入")


def _file_report(sheet: str, header_row: int | None, problems: list[Problem], used=(), ignored=()) -> "ImportReport":
    return ImportReport(sheet=sheet, header_row=header_row, columns=tuple((h, r.field) for _i, h, r in used),
                        ignored=tuple(ignored), rows=0, good=0, problems=tuple(problems), dry_run=True)
