"""Dated parameters: every number a rule uses, with a value per effective date.

Plugins declare parameters (usually one small YAML file each, in the manner of
OpenFisca's parameters); a jurisdiction's pack may override their values; an
administrator may add dated values in the ledger; a scenario case may pin a
value for the whole case.  :class:`ParameterSet` answers "what is X on day D"
with that precedence, case pin first.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .citation import Citation, parse_article
from .dates import month_day, parse_date
from .errors import InvalidInput, NotFound
from .vocabulary import Parameter

PARAMETER_TYPES = ("int", "decimal", "month_day", "date", "text", "mapping", "date_list")

# A date_list may write a run of days as "2027-02-06..2027-02-13"; a run longer
# than a year is surely a typo (a holiday never lasts that long).
_RANGE_SEP = ".."
_MAX_RUN = 366


# No rule counts beyond these: a bigger number is a typo or an attack (a decimal
# of 1e999999999 once took 47 s and 3.9 GB to print).
_MAX_INT_DIGITS = 15
_MAX_DECIMAL_EXPONENT = 15
_MAX_MAPPING_ITEMS = 100


def coerce(param_type: "str | Parameter", raw: Any, name: str = "") -> Any:
    """A parameter value of ``param_type`` from YAML, JSON or typed text.

    Given the :class:`Parameter` itself instead of its type, the value is also
    checked against the parameter's declared ``minimum``/``maximum``."""
    if isinstance(param_type, Parameter):
        spec = param_type
        value = coerce(spec.type, raw, name or spec.name)
        check_bounds(spec, value, raw, name or spec.name)
        return value
    try:
        if param_type == "int":
            if isinstance(raw, bool) or not (isinstance(raw, int) or str(raw).strip().lstrip("-").isdigit()):
                raise ValueError("需要整数")
            if len(str(raw).strip().lstrip("-")) > _MAX_INT_DIGITS:
                raise ValueError(f"整数不能超过{_MAX_INT_DIGITS}位")
            return int(raw)
        if param_type == "decimal":
            if isinstance(raw, bool):
                raise ValueError("需要数值")
            value = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
            if not value.is_finite():
                raise ValueError("需要有限数值")
            if value and not -_MAX_DECIMAL_EXPONENT <= value.adjusted() <= _MAX_DECIMAL_EXPONENT:
                raise ValueError("数值超出范围")
            if len(value.as_tuple().digits) > 2 * _MAX_DECIMAL_EXPONENT:
                raise ValueError("数值位数过多")
            return value
        if param_type == "month_day":
            return month_day(raw)
        if param_type == "date":
            return parse_date(raw)
        if param_type == "text":
            return str(raw)
        if param_type == "mapping":
            if isinstance(raw, str):
                raw = yaml.safe_load(raw)
            if not isinstance(raw, Mapping) or len(raw) > _MAX_MAPPING_ITEMS:
                raise ValueError("需要形如 {3: 12, 4: 6} 的映射")
            out = {}
            for k, v in raw.items():
                # each key and value a whole number as written: no 12.5, no true, no list
                if not all(isinstance(x, int) and not isinstance(x, bool) for x in (k, v)):
                    raise ValueError(f"映射项 {k!r}: {v!r} 需要整数键和整数值，如 {{3: 12, 4: 6}}")
                if max(abs(k), abs(v)) >= 10 ** _MAX_INT_DIGITS:
                    raise ValueError(f"映射项 {k!r}: {v!r} 超出范围")
                out[k] = v
            return out
        if param_type == "date_list":
            return date_list(raw)
    except ArithmeticError:
        raise InvalidInput(name or "parameter", f"参数值 {raw!r} 无效：需要数值") from None
    except yaml.YAMLError as exc:  # a mapping or list typed as text that YAML cannot read
        first = str(exc).splitlines()[0][:80]
        raise InvalidInput(name or "parameter", f"参数值 {str(raw)[:40]!r} 无效：{first}") from None
    except (ValueError, TypeError) as exc:
        raise InvalidInput(name or "parameter", f"参数值 {raw!r} 无效：{exc}") from None
    raise InvalidInput(name or "parameter", f"未知参数类型 {param_type!r}")


def _bound_text(spec: Parameter) -> str:
    low = "" if spec.minimum is None else str(spec.minimum)
    high = "" if spec.maximum is None else str(spec.maximum)
    return (("(" if spec.exclusive_minimum or spec.minimum is None else "[") + f"{low or '-∞'}, "
            + f"{high or '+∞'}" + (")" if spec.exclusive_maximum or spec.maximum is None else "]"))


def check_bounds(spec: Parameter, value: Any, raw: Any = None, name: str = "") -> None:
    """Refuse ``value`` (or any value of a mapping) outside the declared range."""
    if spec.minimum is None and spec.maximum is None:
        return
    items = list(value.values()) if isinstance(value, Mapping) else [value]
    for item in items:
        if not isinstance(item, (int, Decimal)) or isinstance(item, bool):
            continue
        low, high = spec.minimum, spec.maximum
        too_low = low is not None and (item <= Decimal(str(low)) if spec.exclusive_minimum
                                       else item < Decimal(str(low)))
        too_high = high is not None and (item >= Decimal(str(high)) if spec.exclusive_maximum
                                         else item > Decimal(str(high)))
        if too_low or too_high:
            shown = raw if raw is not None else value
            raise InvalidInput(name or spec.name,
                               f"参数“{name or spec.name}”的值 {str(shown)[:40]} 超出允许范围 {_bound_text(spec)}")


def render(param_type: str, value: Any) -> str:
    """A value written back the way the YAML files write it."""
    if param_type == "month_day":
        return f"{value[0]:02d}-{value[1]:02d}"
    if param_type == "decimal":
        return format(value, "f")
    if param_type == "date":
        return value.isoformat()
    if param_type == "mapping":
        return "{" + ", ".join(f"{k}: {v}" for k, v in sorted(value.items())) + "}"
    if param_type == "date_list":
        return _render_date_list(value)
    return str(value)


def date_list(raw: Any) -> tuple[dt.date, ...]:
    """A sorted tuple of distinct dates from a YAML list, or from text such as
    ``"2027-01-01, 2027-02-06..2027-02-13"`` (a run ``A..B`` includes both ends).
    An empty list is allowed: a pack may declare that it has no extra days."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            raw = yaml.safe_load(text)
        else:
            raw = [p for p in text.replace("，", ",").replace("、", ",").replace(",", " ").split() if p]
    if raw is None:
        raw = []
    if isinstance(raw, (dt.date, Mapping)) or not isinstance(raw, (list, tuple, set, frozenset)):
        raise ValueError("需要日期列表，如 [2027-01-01, 2027-02-06..2027-02-13]")
    days: set[dt.date] = set()
    for index, item in enumerate(raw, 1):
        days.update(_date_run(item, index))
    return tuple(sorted(days))


def _date_run(item: Any, index: int) -> list[dt.date]:
    if isinstance(item, str) and _RANGE_SEP in item:
        first, _, last = item.partition(_RANGE_SEP)
        try:
            start, end = parse_date(first), parse_date(last)
        except ValueError:
            raise ValueError(f"第{index}项 {item!r} 不是 YYYY-MM-DD..YYYY-MM-DD 形式的日期区间") from None
        if end < start:
            raise ValueError(f"第{index}项 {item!r} 的结束日早于开始日")
        if (end - start).days >= _MAX_RUN:
            raise ValueError(f"第{index}项 {item!r} 超过一年，请检查是否笔误")
        return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    try:
        return [parse_date(item)]
    except ValueError:
        raise ValueError(f"第{index}项 {item!r} 不是 YYYY-MM-DD 形式的日期") from None


def _render_date_list(days: Iterable[dt.date]) -> str:
    """Runs of consecutive days written as ``A..B`` so that a 9-day holiday stays one item."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    if not runs:
        return "[]"
    return ", ".join(a.isoformat() if a == b else f"{a.isoformat()}{_RANGE_SEP}{b.isoformat()}"
                     for a, b in runs)


def load_parameter_file(path: Path, *, document: str, jurisdiction: str = "") -> Parameter:
    """Read one parameter file (``description``, ``reference``, ``type``,
    ``unit`` and ``values`` keyed by effective date); its name is the file's stem."""
    name = path.stem
    with open(path, encoding="utf-8") as fh:
        try:
            # libyaml's parser when installed (4x faster: every command reads these files)
            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe
        except (yaml.YAMLError, ValueError) as exc:
            # PyYAML itself raises ValueError for an unquoted impossible date such as
            # 2027-02-30 (easy to type in a date_list); name the file, not a traceback.
            raise InvalidInput(name, f"{path}：不是有效的 YAML：{str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InvalidInput(name, f"{path}: a parameter file is a mapping")
    for key in ("description", "reference", "type", "values"):
        if key not in data:
            raise InvalidInput(name, f"{path}: missing key {key!r}")
    ptype = data["type"]
    if ptype not in PARAMETER_TYPES:
        raise InvalidInput(name, f"{path}: unknown type {ptype!r}")
    refs = data["reference"]
    refs = refs if isinstance(refs, list) else [refs]
    citation = Citation(data.get("document", document), tuple(parse_article(r) for r in refs),
                        jurisdiction)
    bounds = {}
    for key in ("minimum", "maximum"):
        if data.get(key) is not None:
            bounds[key] = coerce("decimal", data[key], f"{name}.{key}")
    for key in ("exclusive_minimum", "exclusive_maximum"):
        if key in data:
            if not isinstance(data[key], bool):
                raise InvalidInput(name, f"{path}: {key} 应为 true 或 false")
            bounds[key] = data[key]
    values = {}
    for when, raw in (data["values"] or {}).items():
        values[parse_date(when)] = coerce(ptype, raw, name)
    if not values:
        raise InvalidInput(name, f"{path}: no values")
    spec = Parameter(name=name, description=str(data["description"]), citation=citation,
                     type=ptype, values=values, unit=str(data.get("unit", "")), **bounds)
    for raw in values.values():
        check_bounds(spec, raw, None, name)
    return spec


def load_parameters(directory: Path, names: Iterable[str], *, document: str,
                    jurisdiction: str = "") -> list[Parameter]:
    return [load_parameter_file(Path(directory) / f"{n}.yaml", document=document,
                                jurisdiction=jurisdiction) for n in names]


class ParameterSet:
    """Resolves parameter values on a date.

    Precedence: a case pin (one value for every date) → the latest dated value on
    or before the date, where ledger values beat pack values on the same date
    and pack overrides beat the plugin's own.  Before the first effective date
    the earliest value applies, so that history older than the measures can
    still be judged by them.
    """

    def __init__(self, specs: Mapping[str, Parameter],
                 dated: Iterable[tuple[str, dt.date, Any, str]] = (),
                 pinned: Mapping[str, Any] | None = None):
        self.specs = dict(specs)
        self._values: dict[str, list[tuple[dt.date, int, Any, str]]] = {}
        for name, spec in self.specs.items():
            self._values[name] = [(d, 0, v, "plugin") for d, v in spec.values]
        for name, when, value, source in dated:
            self.require(name)
            rank = 2 if source == "ledger" else 1
            self._values[name].append((when, rank, value, source))
        for rows in self._values.values():
            rows.sort(key=lambda r: (r[0], r[1]))
        self.pinned: dict[str, Any] = {}
        for name, raw in (pinned or {}).items():
            spec = self.require(name)
            self.pinned[name] = coerce(spec, raw, name)

    def require(self, name: str) -> Parameter:
        try:
            return self.specs[name]
        except KeyError:
            raise NotFound(f"unknown parameter {name!r} (known: {', '.join(sorted(self.specs))})") from None

    def value(self, name: str, on: dt.date) -> Any:
        self.require(name)
        if name in self.pinned:
            return self.pinned[name]
        rows = self._values[name]
        chosen = rows[0][2]
        for when, _rank, value, _src in rows:
            if when <= on:
                chosen = value
            else:
                break
        return chosen

    def history(self, name: str) -> list[tuple[dt.date, Any, str]]:
        """Every dated value of ``name`` with where it came from, oldest first."""
        self.require(name)
        return [(d, v, s) for d, _r, v, s in self._values[name]]

    def at(self, on: dt.date) -> "ParameterView":
        return ParameterView(self, on)

    def with_pins(self, pinned: Mapping[str, Any]) -> "ParameterSet":
        clone = ParameterSet.__new__(ParameterSet)
        clone.specs = self.specs
        clone._values = self._values
        clone.pinned = dict(self.pinned)
        for name, raw in pinned.items():
            spec = self.require(name)
            clone.pinned[name] = coerce(spec, raw, name)
        return clone


class ParameterView(Mapping[str, Any]):
    """The parameters in force on one date: ``view["change_threshold"]``.

    ``view.on(other_date)`` gives the view for another date, for rules whose
    deadline runs from an earlier event.
    """

    def __init__(self, params: ParameterSet, on: dt.date):
        self._params = params
        self.date = on

    def __getitem__(self, name: str) -> Any:
        return self._params.value(name, self.date)

    def __iter__(self):
        return iter(self._params.specs)

    def __len__(self) -> int:
        return len(self._params.specs)

    def on(self, when: dt.date) -> "ParameterView":
        return ParameterView(self._params, when)

    def citation(self, name: str) -> Citation:
        return self._params.require(name).citation
