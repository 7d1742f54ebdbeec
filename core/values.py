"""Reading typed values (money, dates, enums ...) from what users type or files hold.

One function serves the CLI, the scenario files, the web forms and the database
codec, so a value is valid or not in the same way everywhere.  Errors are
:class:`~tongchou.errors.InvalidInput` with a Chinese message naming the field.
"""
from __future__ import annotations

import datetime as dt
import json
import json.encoder
import math
import operator
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .dates import parse_date
from .errors import InvalidInput
from .vocabulary import Field

_TRUE = {"true", "yes", "y", "1", "on", "是", "真"}
_FALSE = {"false", "no", "n", "0", "off", "否", "假", ""}
_MONEY_RE = re.compile(r"^-?\d+(\.\d{1,2})?$")
_WAN_RE = re.compile(r"^\d+(\.\d{1,6})?$")
_MAX_MONEY = Decimal("1e14")  # 100 trillion yuan: far past any county budget


# Right-to-left overrides and their kin reorder what a reader sees ("项目\u202egpj.exe"):
# refused in every name and text a user types.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
#: the largest record id (PostgreSQL BIGINT, SQLite INTEGER)
MAX_ID = 2 ** 63 - 1
# an int field or decimal beyond this is a typo, and would not fit a BIGINT column
_MAX_NUMBER = 10 ** 15


def has_bidi_control(text: str) -> bool:
    """Does ``text`` hold a bidirectional control character (U+202E ...)?"""
    return any(c in BIDI_CONTROLS for c in text)


def record_id(raw: Any) -> int | None:
    """A record id (project, document ...) from what a user typed, or None when
    it cannot be one: not a whole number, or outside 1..MAX_ID (so a lookup of
    99999999999999999999 is "not found", never an OverflowError)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        value = int(text)
    return value if 1 <= value <= MAX_ID else None


def _fail(field: Field, message: str) -> InvalidInput:
    return InvalidInput(field.name, message, field.label)


def parse_money(raw: Any, field: Field) -> Decimal:
    if isinstance(raw, bool):
        raise _fail(field, f"金额格式不正确：{raw!r}")
    if isinstance(raw, float):
        # YAML and JSON hand us floats; their shortest repr is what the author wrote.
        raw = repr(raw)
    if isinstance(raw, int):
        raw = str(raw)
    if isinstance(raw, Decimal):
        raw = format(raw, "f")
    if not isinstance(raw, str):
        raise _fail(field, f"金额格式不正确：{raw!r}")
    text = raw.strip().replace(",", "").replace(",", "")
    if text.endswith("元"):
        text = text[:-1].strip()
    # County practice writes amounts in 万元 ("186万", "186 万元"): 0.01 元 is 0.000001 万元.
    wan = text.endswith("万")
    if wan:
        text = text[:-1].strip()
    if not (_WAN_RE if wan else _MONEY_RE).match(text):
        raise _fail(field, "金额格式不正确（应为元，最多两位小数；或万元，如 186万）：" + repr(raw))
    try:
        value = Decimal(text) * (10000 if wan else 1)
    except InvalidOperation:  # pragma: no cover - the regex guards this
        raise _fail(field, f"金额格式不正确：{raw!r}") from None
    if value < 0:
        raise _fail(field, f"金额不能为负数：{raw!r}")
    if value >= _MAX_MONEY:
        raise _fail(field, f"金额过大：{raw!r}")
    return value.quantize(Decimal("0.01"))


def parse_decimal(raw: Any, field: Field) -> Decimal:
    if isinstance(raw, bool):
        raise _fail(field, f"不是数值：{raw!r}")
    if isinstance(raw, float):
        raw = repr(raw)
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise _fail(field, f"不是数值：{raw!r}") from None
    if not value.is_finite():
        raise _fail(field, f"不是有限数值：{raw!r}")
    if value and not -15 <= value.adjusted() <= 15:
        raise _fail(field, f"数值超出范围：{str(raw)[:40]}")
    return value


def parse_int(raw: Any, field: Field) -> int:
    if isinstance(raw, bool):
        raise _fail(field, f"不是整数：{raw!r}")
    value: int | None = None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and re.match(r"^-?\d{1,30}$", raw.strip()):
        value = int(raw.strip())
    elif isinstance(raw, (float, Decimal)):
        # NaN and infinity have no integer value: say so rather than crash.
        finite = raw.is_finite() if isinstance(raw, Decimal) else math.isfinite(raw)
        if finite and abs(raw) < _MAX_NUMBER and raw == int(raw):
            value = int(raw)
    if value is None:
        raise _fail(field, f"不是整数：{str(raw)[:40]!r}")
    if abs(value) >= _MAX_NUMBER:
        raise _fail(field, f"数值超出范围：{str(raw)[:40]}")
    return value


def parse_bool(raw: Any, field: Field) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return False
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _fail(field, f"应为 true 或 false：{raw!r}")


def parse_enum(raw: Any, field: Field) -> str:
    text = raw.strip() if isinstance(raw, str) else raw
    allowed = field.choice_values
    if text in allowed:
        return text
    # Staff may type the Chinese label instead of the code.
    for c in field.choices:
        if text == c.label:
            return c.value
    raise _fail(field, f"取值 {raw!r} 不在允许范围内（可选：{', '.join(allowed)}）")


def parse_value(field: Field, raw: Any) -> Any:
    """Turn ``raw`` into the field's Python type, or raise InvalidInput.

    ``None`` and the empty string mean "not given": a ``bool`` becomes False,
    anything else its default (None when it has none).  Required-ness is checked
    by :func:`parse_record`, not here.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and field.type != "text"):
        return False if field.type == "bool" else field.default
    t = field.type
    if t == "text":
        if not isinstance(raw, (str, int)) or isinstance(raw, bool):
            raise _fail(field, f"应为文字：{raw!r}")
        value: Any = str(raw).strip()
        if "\x00" in value or has_bidi_control(value):
            raise _fail(field, "含有不允许的控制字符（如从右到左覆盖符）")
        if field.maximum is not None and len(value) > int(field.maximum):
            raise _fail(field, f"长度不能超过 {field.maximum} 个字符")
        return value if value else field.default
    if t in ("int", "year"):
        value = parse_int(raw, field)
        lo, hi = field.minimum, field.maximum
        if t == "year":
            lo = 2000 if lo is None else lo
            hi = 2100 if hi is None else hi
        if lo is not None and value < lo:
            raise _fail(field, f"不能小于 {lo}：{raw!r}")
        if hi is not None and value > hi:
            raise _fail(field, f"不能大于 {hi}：{raw!r}")
        return value
    if t == "money":
        return parse_money(raw, field)
    if t == "decimal":
        value = parse_decimal(raw, field)
        if field.minimum is not None and value < Decimal(str(field.minimum)):
            raise _fail(field, f"不能小于 {field.minimum}：{raw!r}")
        if field.maximum is not None and value > Decimal(str(field.maximum)):
            raise _fail(field, f"不能大于 {field.maximum}：{raw!r}")
        return value
    if t == "bool":
        return parse_bool(raw, field)
    if t == "date":
        try:
            return parse_date(raw)
        except ValueError:
            raise _fail(field, f"日期格式不正确（应为 YYYY-MM-DD 的有效日期）：{raw!r}") from None
    if t == "enum":
        return parse_enum(raw, field)
    if t == "unit":
        # The name only: whether such a unit exists is the ledger's to say
        # (see Ledger.check_units), since this module reads no database.
        if not isinstance(raw, str):
            raise _fail(field, f"应为单位名称：{raw!r}")
        value = raw.strip()
        if "\x00" in value or len(value) > 100:
            raise _fail(field, "单位名称不能含控制字符且不超过100字")
        return value
    if t == "enum_list":
        items = raw
        if isinstance(raw, str):
            items = [p for p in re.split(r"[,,、\s]+", raw.strip()) if p]
        if not isinstance(items, (list, tuple)):
            raise _fail(field, f"应为列表：{raw!r}")
        out: list[str] = []
        for item in items:
            value = parse_enum(item, field)
            if value not in out:
                out.append(value)
        return tuple(out)
    raise AssertionError(t)  # pragma: no cover - Field validates its type


def parse_record(fields: dict[str, Field] | list[Field], raw: dict[str, Any], *,
                 partial: bool = False, what: str = "") -> dict[str, Any]:
    """Check a whole mapping of raw values against ``fields``.

    Unknown keys and missing required values are errors; the result holds every
    field (with defaults) unless ``partial``, in which case only the keys given.
    """
    specs = fields if isinstance(fields, dict) else {f.name: f for f in fields}
    if not isinstance(raw, dict):
        raise InvalidInput(what or "arguments", f"应为键值映射，而不是 {type(raw).__name__}")
    for key in raw:
        if key not in specs:
            known = ", ".join(specs) or "（无）"
            raise InvalidInput(str(key), f"未知的{what or '字段'}（可用：{known}）")
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        if partial and name not in raw:
            continue
        value = parse_value(spec, raw.get(name))
        if spec.required and (value is None or value == () or value == ""):
            raise InvalidInput(name, "必填项，不能为空", spec.label)
        out[name] = value
    return out


# ---------------------------------------------------------------------------
# The JSON form values take in the database and in --json output


def to_json_value(value: Any) -> Any:
    if isinstance(value, Records):
        return to_json_value(value.to_list())
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    return value


def from_json_value(field: Field | None, value: Any) -> Any:
    """Undo :func:`to_json_value` for a field of known type (unknown: as stored)."""
    if field is None or value is None:
        return value
    if field.type in ("money", "decimal"):
        return Decimal(str(value))
    if field.type == "date":
        return dt.date.fromisoformat(value)
    if field.type == "enum_list":
        return tuple(value)
    return value


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 kept readable."""
    return json.dumps(to_json_value(value), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def dumps_rows(rows: Sequence[Any]) -> str:
    """Exactly :func:`dumps` of nested lists and tuples of str, int, bool,
    None, dates and Decimals (no dicts, no Records), in half its time: the C
    encoder writes tuples as lists itself and asks :func:`_json_default` only
    for the dates and Decimals, where :func:`dumps` first copies the whole
    value through :func:`to_json_value` (every action digests its derived rows)."""
    return json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, (Decimal, dt.date, tuple)):
        return to_json_value(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_SCALARS = (str, int, float, bool, type(None))


def dumps_pretty(value: Any) -> str:
    """Exactly ``json.dumps(to_json_value(value), ensure_ascii=False, indent=2,
    sort_keys=True)`` for string-keyed data, several times faster on large
    output (``tongchou findings --json`` of a province is megabytes): ``indent``
    turns off the json module's C encoder, so dicts and lists of plain values
    are written by the C encoder with the indentation as their separator."""
    out: list[str] = []
    _pretty(value, "", out)
    return "".join(out)


def _pretty(value: Any, pad: str, out: list[str]) -> None:
    if isinstance(value, (Decimal, dt.date)):
        value = to_json_value(value)
    if type(value) is Records:
        text = _columns_text(value.keys, value.columns, len(value), pad) if value else None
        if text is not None:
            out.append(text)
            return
        value = value.to_list()
    inner = pad + "  "
    if isinstance(value, dict):
        if not value:
            out.append("{}")
        elif _flat(value):
            text = _encoder(inner)(value)
            out += ("{\n" + inner, text[1:-1], "\n" + pad + "}")
        else:
            out.append("{")
            sep = "\n"
            for k in sorted(str(k) for k in value):  # to_json_value's str(k), then json's order
                out.append(sep + inner + json.dumps(k, ensure_ascii=False) + ": ")
                _pretty(value[k] if k in value else _by_str(value, k), inner, out)
                sep = ",\n"
            out.append("\n" + pad + "}")
    elif isinstance(value, (list, tuple)):
        if not value:
            out.append("[]")
        elif all(type(v) in _SCALARS for v in value):
            text = _encoder(inner)(value)
            out.append("[\n" + inner + text[1:-1] + "\n" + pad + "]")
        elif (text := _same_shape_records(value, pad)) is not None:
            out.append(text)
        elif all(type(v) is dict and v and _flat(v) for v in value):
            # A list of flat records (findings, obligations): one C call for all of
            # them, written at the records' item indentation; then the records'
            # braces are put on lines of their own.  A raw newline appears only in
            # a separator (the encoder escapes it inside strings), and "},\n" only
            # between records (a "}" in a string is followed by its closing quote).
            deeper = inner + "  "
            text = _encoder(deeper)(value)
            body = text[2:-2].replace("},\n" + deeper + "{", "\n" + inner + "},\n" + inner + "{\n" + deeper)
            out += ("[\n" + inner + "{\n" + deeper, body, "\n" + inner + "}\n" + pad + "]")  # no copy of body
        else:
            out.append("[")
            sep = "\n"
            for v in value:
                out.append(sep + inner)
                _pretty(v, inner, out)
                sep = ",\n"
            out.append("\n" + pad + "]")
    else:
        out.append(json.dumps(value, ensure_ascii=False, default=_json_default))


_SCALAR_TYPES = frozenset(_SCALARS)
_STR_TYPE = frozenset((str,))
_DICT_TYPE = frozenset((dict,))


def _flat(record: dict) -> bool:
    """Only string keys and plain values (checked in C: this runs per record)."""
    return _SCALAR_TYPES.issuperset(map(type, record.values())) and _STR_TYPE.issuperset(map(type, record))


#: writes a flat list of plain values with a raw newline between them: the
#: encoder escapes every newline inside a string, so splitting on it is exact
_VALUES = json.JSONEncoder(ensure_ascii=False, separators=("\n", ":")).encode
#: how the encoder writes one string (ensure_ascii=False)
_STRING = json.encoder.encode_basestring


class _Strings(dict):
    """Each distinct string encoded once: a province's findings repeat a few
    hundred messages, codes and dates and one name per project."""

    def __missing__(self, text: str) -> str:
        encoded = self[text] = _STRING(text)
        return encoded


def _same_shape_records(records: list, pad: str) -> str | None:
    """A list of flat records that all have the same keys (a sweep's findings
    or obligations), written as ``json.dumps(indent=2, sort_keys=True)``
    writes it at indentation ``pad``; None for any other list."""
    if not _DICT_TYPE.issuperset(map(type, records)) or len(set(map(tuple, records))) != 1:
        return None
    keys = tuple(records[0])
    return _columns_text(keys, [list(map(operator.itemgetter(k), records)) for k in keys], len(records), pad)


def _columns_text(keys: Sequence[str], columns: Sequence[list], count: int, pad: str) -> str | None:
    """``count`` records with ``keys``, the values of each key in a column,
    written as ``json.dumps(indent=2, sort_keys=True)`` writes the list of
    them at indentation ``pad``; None unless the keys are strings and the
    values plain.

    A column of strings goes through a table of the strings already encoded,
    any other column of plain values through one C call; the columns are then
    interleaved with the keys' text, which is the same for every record."""
    if not keys or not _STR_TYPE.issuperset(map(type, keys)) or len(set(keys)) != len(keys):
        return None
    if any(len(c) != count for c in columns):
        return None
    ordered = sorted(zip(keys, columns), key=lambda kc: kc[0])
    strings = _Strings()
    encoded = []
    for _key, column in ordered:
        types = set(map(type, column))
        if types == _STR_TYPE:
            encoded.append(list(map(strings.__getitem__, column)))
        elif _SCALAR_TYPES.issuperset(types):
            encoded.append(_VALUES(column)[1:-1].split("\n"))
        else:
            return None
    inner = pad + "  "
    deeper = inner + "  "
    names = [json.dumps(k, ensure_ascii=False) + ": " for k, _c in ordered]
    between = ["\n" + inner + "},\n" + inner + "{\n" + deeper + names[0]]
    between += [",\n" + deeper + n for n in names[1:]]
    width = 2 * len(ordered)
    parts: list[str | None] = [None] * (width * count)
    for i, (text, column) in enumerate(zip(between, encoded)):
        parts[2 * i::width] = [text] * count
        parts[2 * i + 1::width] = column
    parts[0] = "[\n" + inner + "{\n" + deeper + names[0]
    parts.append("\n" + inner + "}\n" + pad + "]")
    return "".join(parts)


class Records:
    """Records that all have the same keys, held as one list of values per
    key: what ``dumps_pretty`` writes as the list of dicts
    (:meth:`to_list`) would be written, without building the dicts (a
    province's ``findings --json`` has 33,000 of them)."""

    __slots__ = ("keys", "columns")

    def __init__(self, columns: Mapping[str, list]):
        self.keys = tuple(columns)
        self.columns = [list(c) for c in columns.values()]

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def to_list(self) -> list[dict]:
        return [dict(zip(self.keys, values)) for values in zip(*self.columns)]


_ENCODERS: dict[str, Any] = {}


def _encoder(inner: str):
    """The C encoder writing items at indentation ``inner`` (made once: building
    one per call cost more than the encoding)."""
    enc = _ENCODERS.get(inner)
    if enc is None:
        enc = _ENCODERS[inner] = json.JSONEncoder(ensure_ascii=False, sort_keys=True,
                                                  separators=(",\n" + inner, ": ")).encode
    return enc


def _by_str(mapping: dict, key: str) -> Any:
    return next(v for k, v in mapping.items() if str(k) == key)
