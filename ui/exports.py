"""Downloads of the web UI: the writers live in :mod:`tongchou.exports`, which
the CLI uses too; this module keeps the names the pages import."""
from __future__ import annotations

from tongchou.exports import (csv_bytes, export_projects, export_report, field_cell, iter_projects,
                              obligations_ics, obligations_workbook, projects_workbook,
                              report_workbook, workbook)

__all__ = ["csv_bytes", "export_projects", "export_report", "field_cell", "iter_projects", "obligations_ics",
           "obligations_workbook", "projects_workbook", "report_workbook", "workbook"]
