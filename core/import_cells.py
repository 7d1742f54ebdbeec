"""One cell of a 台账 read as a field's value: 元 and 万元, dates typed as text or
stored as Excel dates, 是/否 and ticks, choices by label, abbreviation or synonym
(:mod:`tongchou.imports`)."""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import InvalidInput
from .import_headers import abbreviation, choice_error, choice_table
from .values import parse_value
from .vocabulary import Field


#: amount units a column may be in, as a multiplier to 元
MONEY_UNITS = {"元": Decimal(1), "万元": Decimal(10000), "万": Decimal(10000)}
_UNIT_SUFFIX = re.compile(r"^(?P<base>.*?)[(\[【](?P<unit>万元|元|万)[)\]】]$")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"}
_TRUE_EXTRA = {"√", "✓", "✔", "有", "对"}
_FALSE_EXTRA = {"×", "✗", "✘", "无", "不是", "-", "—"}
# Excel serial day numbers of 1990-01-01 and 2100-12-31: outside, a number is not a date.
_SERIAL_MIN, _SERIAL_MAX = 32874, 73415
_MAX_MONEY = Decimal("1e14")



# ---------------------------------------------------------------------------
# Cells


def norm(text: Any) -> str:
    """A header or label as compared: full-width forms folded (NFKC), no spaces,
    no required-marks or trailing colons."""
    s = unicodedata.normalize("NFKC", str(text))
    s = re.sub(r"\s+", "", s)
    return s.strip("*:")


def split_unit(header: str) -> tuple[str, Decimal | None]:
    """``概算总投资(万元)`` → (``概算总投资``, 10000); no unit → (header, None)."""
    m = _UNIT_SUFFIX.match(norm(header))
    if m is None:
        return norm(header), None
    return m.group("base"), MONEY_UNITS[m.group("unit")]


class CellError(ValueError):
    """A cell that cannot become the field's value; the message is Chinese."""


def _show(raw: Any) -> str:
    if isinstance(raw, float) and raw == int(raw):
        return str(int(raw))
    return str(raw).strip()


def _number_text(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace(" ", "").lstrip("¥").strip()


def _money(raw: Any, unit: Decimal) -> Decimal:
    if isinstance(raw, bool):
        raise CellError(f"不是金额：{raw}")
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError(f"不是金额：{raw}")
        value = Decimal(repr(raw))
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        text = _number_text(raw)
        for suffix in ("万元", "万", "元"):  # a unit in the cell wins over the column's
            if text.endswith(suffix):
                text, unit = text[: -len(suffix)], MONEY_UNITS[suffix]
                break
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise CellError(f"不是金额：{_show(raw)}")
        value = Decimal(text)
    else:
        raise CellError(f"不是金额：{_show(raw)}")
    value = value * unit
    if abs(value) >= _MAX_MONEY:
        raise CellError(f"金额过大：{_show(raw)}")
    cents = value.quantize(Decimal("0.01"))
    if isinstance(raw, float) and abs(value - cents) < Decimal("0.000001"):
        # A binary float's tail (1234.5600000000002) is not a fraction of a fen.
        value = cents
    if value != cents:
        raise CellError(f"金额只能精确到分：{_show(raw)}")
    if value < 0:
        raise CellError(f"金额不能为负数：{_show(raw)}")
    return cents


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.datetime):
        if raw.time() != dt.time(0):
            raise CellError(f"应为日期而不是时刻：{raw}")
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw == int(raw) and _SERIAL_MIN <= raw <= _SERIAL_MAX:
            # A date cell that lost its date format shows Excel's day number.
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(raw))
        raise CellError(f"不是日期：{_show(raw)}")
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        text = re.sub(r"[ T]00:00(:00)?$", "", text)
        m = (re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?", text)
             or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text))
        if m is None:
            raise CellError(f"不是日期（应为 2026-03-01、2026/3/1 或 2026年3月1日）：{_show(raw)}")
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise CellError(f"不是有效日期：{_show(raw)}") from None
    raise CellError(f"不是日期：{_show(raw)}")


def _integer(raw: Any, field: Field) -> Any:
    if isinstance(raw, float) and raw == int(raw):
        return int(raw)
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        text = re.sub(r"^第", "", text)
        text = re.sub(r"[年级]$", "", text)
        if text in _CN_DIGITS:
            return _CN_DIGITS[text]
        if not re.fullmatch(r"-?\d+", text):
            raise CellError(f"{'不是年份' if field.type == 'year' else '不是整数'}：{_show(raw)}")
        return int(text)
    return raw


def _bool(raw: Any) -> Any:
    if isinstance(raw, str):
        text = raw.strip()
        if text in _TRUE_EXTRA:
            return True
        if text in _FALSE_EXTRA:
            return False
    if isinstance(raw, float) and raw in (0.0, 1.0):
        return bool(raw)
    return raw


def _text(raw: Any) -> Any:
    if isinstance(raw, float):
        return str(int(raw)) if raw == int(raw) else repr(raw)
    if isinstance(raw, (dt.date, Decimal)):
        return str(raw)
    return raw


def _enum_lookup(field: Field, values: Mapping[str, str], synonyms: Mapping[str, str] | None = None) -> dict[str, str]:
    """Words → choice values: codes, labels, the pack's synonyms, then the
    mapping file's ``values`` (which win)."""
    table = choice_table(field, synonyms or {})
    table.update({norm(k): v for k, v in values.items()})
    return table


def _choice(field: Field, table: Mapping[str, str], word: Any) -> Any:
    if not isinstance(word, str):
        return word
    key = norm(word)
    hit = table.get(key)
    if hit is None:
        hit = abbreviation(field, key)
    if hit is None:
        raise CellError(choice_error(field, word))
    return hit


def parse_cell(field: Field, raw: Any, *, unit: Decimal = Decimal(1),
               values: Mapping[str, str] | None = None, _lookup: dict[str, str] | None = None) -> Any:
    """A spreadsheet cell as a value of ``field``, or CellError.

    ``unit`` multiplies amounts (10000 for a column in 万元); ``values``
    translates a 台账's own words into the field's choices.  Empty cells are
    None (the field's default applies); the final check is
    :func:`tongchou.values.parse_value`, as for every other way in.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if isinstance(raw, str) and raw.strip() in _EXCEL_ERRORS:
        raise CellError(f"单元格是公式错误 {raw.strip()}")
    if (isinstance(raw, Decimal) and not raw.is_finite()) or (isinstance(raw, float) and not math.isfinite(raw)):
        raise CellError(f"不是有限数值：{raw}")
    t = field.type
    try:
        if t == "money":
            value: Any = _money(raw, unit)
        elif t == "decimal":
            value = _number_text(raw) if isinstance(raw, str) else raw
        elif t == "date":
            value = _date(raw)
        elif t in ("int", "year"):
            value = _integer(raw, field)
        elif t == "bool":
            value = _bool(raw)
        elif t in ("enum", "enum_list"):
            table = _lookup if _lookup is not None else _enum_lookup(field, values or {})
            if t == "enum":
                value = _choice(field, table, raw)
            else:
                items = re.split(r"[,,、;;\s]+", str(raw).strip())
                value = [_choice(field, table, i) for i in items if i]
        else:
            value = _text(raw)
        return parse_value(field, value)
    except InvalidInput as exc:
        if t in ("enum", "enum_list"):  # the labels staff know, never the codes
            raise CellError(choice_error(field, raw)) from None
        raise CellError(exc.detail) from None
    except CellError:
        raise
    except (ArithmeticError, ValueError):  # e.g. a number too large for any field
        raise CellError(f"无法识别的值：{_show(raw)}") from None


# ---------------------------------------------------------------------------
# The column mapping
