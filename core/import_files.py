"""Reading a 台账 workbook safely: size, row and column limits checked from the
archive before openpyxl parses anything, then the sheet's rows as cell values
(:mod:`tongchou.imports`)."""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import attrs

from .errors import InvalidInput


# Limits checked from the archive before openpyxl parses anything: a 21 MB
# workbook of 2 million rows once ran 197 s and 845 MB before being refused.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ENTRY_BYTES = 100 * 1024 * 1024      # any one part, uncompressed
MAX_ARCHIVE_BYTES = 150 * 1024 * 1024    # all parts together, uncompressed
MAX_ROWS = 50_000                        # a province's ledger is a few thousand
MAX_COLUMNS = 200
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')


@attrs.frozen
class Sheet:
    """A sheet's rows as cell values, numbered as Excel numbers them."""

    title: str
    rows: tuple[tuple[int, tuple[Any, ...]], ...]


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def check_archive(source: str | Path | bytes) -> None:
    """Refuse a workbook whose file, parts, rows or columns are past the limits,
    from the zip directory and each sheet's declared dimension, before parsing."""
    import zipfile

    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size > MAX_FILE_BYTES:
        raise InvalidInput("file", f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限", "文件")
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > MAX_ARCHIVE_BYTES or \
                    any(i.file_size > MAX_ENTRY_BYTES for i in infos):
                raise InvalidInput("file", "Excel 文件解压后过大（可能是压缩炸弹），请只保留台账工作表", "文件")
            for info in infos:
                if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                    continue
                with archive.open(info) as part:
                    head = part.read(4096)
                found = _DIMENSION.search(head)
                if found is None:
                    continue
                rows = int(found.group(4) or found.group(2) or 0)
                cols = _column_number((found.group(3) or found.group(1) or b"A").decode())
                _check_extent(rows, cols)
    except zipfile.BadZipFile:
        raise InvalidInput("file", "无法读取 Excel 文件（应为 .xlsx）", "文件") from None


def _check_extent(rows: int, cols: int) -> None:
    if rows > MAX_ROWS:
        raise InvalidInput("file", f"工作表行数超过 {MAX_ROWS} 行上限，请分批导入", "文件")
    if cols > MAX_COLUMNS:
        raise InvalidInput("file", f"工作表列数超过 {MAX_COLUMNS} 列上限", "文件")


def read_sheet(source: str | Path | bytes, sheet: str | None = None) -> Sheet:
    """The values of one sheet (cached formula results, not formulas), after
    :func:`check_archive`; rows and columns past the limits are refused while
    reading too, for a sheet that states no or a false dimension."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    check_archive(source)
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        wb = load_workbook(data, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InvalidInput("file", f"无法读取 Excel 文件（应为 .xlsx）：{exc}", "文件") from None
    except Exception as exc:  # whatever else a damaged file makes openpyxl raise
        raise InvalidInput("file", f"无法读取 Excel 文件（应为 .xlsx）：{type(exc).__name__}", "文件") from None
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise InvalidInput("sheet", f"没有名为“{sheet}”的工作表（有：{'、'.join(wb.sheetnames)}）", "工作表")
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        # Files written by other programs may state wrong dimensions; read all.
        ws.reset_dimensions()
        rows = []
        for cells in ws.iter_rows():
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            if number is None:
                continue  # an empty row: skipped, and numbering comes from the cells
            _check_extent(number, max((i for i, c in enumerate(cells, 1) if c.value is not None), default=0))
            rows.append((number, tuple(c.value for c in cells)))
        return Sheet(title=ws.title, rows=tuple(rows))
    finally:
        wb.close()
