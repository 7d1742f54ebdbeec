"""Big inputs are refused before they are read whole: xlsx limits from the
archive (zip directory, sheet dimension) and while streaming rows, with the
peak memory of a refusal measured as a ratio of the process's own baseline.
Crafted archives stand in for real 100 MB files."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from tongchou.errors import InvalidInput
from tongchou.imports import MAX_COLUMNS, MAX_ROWS, check_archive, read_sheet


def _workbook() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["项目名称", "建设单位"])
    wb.active.append(["项目", "县教育局"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite(data: bytes, sheet_xml: bytes | None = None, extra: tuple[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml" and sheet_xml is not None:
                body = sheet_xml
            dst.writestr(info.filename, body)
        if extra:
            dst.writestr(*extra)
    return out.getvalue()


def _sheet(rows: int, dimension: str | None, cols: int = 2) -> bytes:
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    if dimension:
        head += f'<dimension ref="{dimension}"/>'.encode()
    cells = "".join(f'<c t="inlineStr"><is><t>x</t></is></c>' for _ in range(cols))
    body = "".join(f'<row r="{r}">{cells}</row>' for r in range(1, rows + 1)).encode()
    return head + b"<sheetData>" + body + b"</sheetData></worksheet>"


def test_a_declared_two_million_rows_is_refused_from_the_dimension():
    data = _rewrite(_workbook(), _sheet(3, "A1:B2000000"))
    with pytest.raises(InvalidInput, match="行数"):
        check_archive(data)


def test_too_many_columns_declared_or_found_are_refused():
    with pytest.raises(InvalidInput, match="列数"):
        check_archive(_rewrite(_workbook(), _sheet(2, "A1:ZZ2")))
    with pytest.raises(InvalidInput, match="列数"):   # no dimension: found while reading
        read_sheet(_rewrite(_workbook(), _sheet(2, None, cols=MAX_COLUMNS + 5)))


def test_a_zip_bomb_is_refused_from_the_directory():
    bomb = ("xl/media/bomb.bin", b"\0" * (160 * 1024 * 1024))
    data = _rewrite(_workbook(), extra=bomb)
    assert len(data) < 1024 * 1024  # 160 MB of zeros in a few hundred KB
    with pytest.raises(InvalidInput, match="解压后过大"):
        check_archive(data)


def test_a_big_file_is_refused_from_its_size(tmp_path):
    path = tmp_path / "big.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(30 * 1024 * 1024)  # sparse
    with pytest.raises(InvalidInput, match="20 MB"):
        check_archive(path)


_MEASURE = r"""
import json, resource, sys
from tongchou.imports import read_sheet
from tongchou.errors import InvalidInput
import openpyxl  # loaded before the baseline, as in a running server
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    read_sheet(sys.argv[1])
    outcome = "read"
except InvalidInput as exc:
    outcome = str(exc)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base": base, "peak": peak, "outcome": outcome}))
"""


def test_a_sheet_without_dimension_and_too_many_rows_stops_early_in_little_memory(tmp_path):
    rows = MAX_ROWS * 3
    path = tmp_path / "rows.xlsx"
    path.write_bytes(_rewrite(_workbook(), _sheet(rows, None)))
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert "行数" in got["outcome"]
    # Before: every row was kept, 845 MB for 2 million.  Now the refusal comes
    # at the limit, and the peak stays within 2x the process's own baseline
    # (well under 300 MB).
    assert got["peak"] / got["base"] < 2.0, got
