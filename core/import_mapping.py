"""Which column of a 台账 holds which field: the default mapping from the
fields' Chinese labels and the pack's synonyms, or a YAML mapping file that
renames columns (by header text or column letter), gives an amount's unit and
translates values (:mod:`tongchou.imports`)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import yaml

from .errors import InvalidInput
from .import_cells import MONEY_UNITS, norm, split_unit
from .import_headers import column_index
from .values import parse_value


@attrs.frozen
class ColumnRule:
    """How one header of the 台账 becomes a field."""

    field: str
    unit: Decimal | None = None
    values: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class ColumnMapping:
    """Headers (normalised) to fields, plus defaults for fields no column gives."""

    columns: Mapping[str, ColumnRule]
    defaults: Mapping[str, Any] = attrs.field(factory=dict)
    sheet: str | None = None
    header_row: int | None = None
    #: column index (0 = A) → rule, from a mapping file's column letters; wins over the header
    letters: Mapping[int, ColumnRule] = attrs.field(factory=dict)

    def rule(self, header: str) -> ColumnRule | None:
        """The rule for a header: as written, then without its unit suffix,
        then without a leading 是否 (是否涉密 is 涉密)."""
        key = norm(header)
        if key in self.columns:
            return self.columns[key]
        base, unit = split_unit(header)
        rule = self.columns.get(base)
        if rule is None and base.startswith("是否") and len(base) > 2:
            rule = self.columns.get(base[2:])
        if rule is not None and rule.unit is None and unit is not None:
            return attrs.evolve(rule, unit=unit)
        return rule

    def rule_at(self, index: int, header: str) -> tuple[str, ColumnRule | None]:
        """The rule for the column at ``index`` headed ``header`` (a two-row
        header as its upper and lower text joined by a newline), and the
        header text it matched as."""
        from .import_headers import header_candidates
        if index in self.letters:
            return header.replace("\n", "/"), self.letters[index]
        for text in header_candidates(header):
            if text:
                rule = self.rule(text)
                if rule is not None:
                    return text, rule
        return header.replace("\n", "/"), None


#: Other headers county 台账 commonly use for a field of that name, taken
#: only when the jurisdiction has the field and no label already claims them.
HEADER_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "scope": ("建设内容", "主要建设内容", "项目建设内容"),
    "funding": ("资金来源", "经费渠道", "资金渠道", "经费来源"),
}


def default_mapping(registry, vocabulary=None) -> ColumnMapping:
    """Every field under its name, its label, and its label without a unit in
    brackets (``概算总投资(元)`` also answers to ``概算总投资``), then the
    common synonyms of :data:`HEADER_SYNONYMS` and those of ``vocabulary``
    (:func:`tongchou.import_headers.import_vocabulary`)."""
    columns: dict[str, ColumnRule] = {}
    for name, spec in registry.fields.items():
        base, unit = split_unit(spec.label)
        for key in (base, norm(spec.label), norm(name)):
            columns.setdefault(key, ColumnRule(field=name, unit=unit if key == norm(spec.label) else None))
    synonyms = dict(HEADER_SYNONYMS)
    for name, headers in (vocabulary.headers.items() if vocabulary is not None else ()):
        synonyms[name] = tuple(synonyms.get(name, ())) + tuple(headers)
    for name, headers in synonyms.items():
        if name in registry.fields:
            for header in headers:
                base, unit = split_unit(header)
                columns.setdefault(base, ColumnRule(field=name))
                columns.setdefault(norm(header), ColumnRule(field=name, unit=unit))
    return ColumnMapping(columns=columns)


def _unit(value: Any, where: str) -> Decimal:
    if value in MONEY_UNITS:
        return MONEY_UNITS[value]
    raise InvalidInput(where, f"金额单位只能是 元 或 万元，而不是 {value!r}", "映射文件")


def load_mapping(source: str | Path | Mapping | None, registry, vocabulary=None) -> ColumnMapping:
    """The default mapping, overridden by a YAML file (or its parsed mapping).

    Format (every key optional)::

        sheet: 项目台账             # the sheet to read (default: the first)
        header_row: 3               # default: the row that names most fields
        columns:
          项目名称: name
          概算金额: {field: estimate, unit: 万元}
          项目类别: {field: category, values: {政府投资: government_investment}}
          备注: null                # ignore a column the default would map
          D: estimate               # a column letter (D, D列) instead of the header
        defaults:                   # for fields no column gives
          source: unit_application
    """
    base = default_mapping(registry, vocabulary)
    if source is None:
        return base
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path = Path(source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise InvalidInput("mapping", f"无法读取映射文件 {path}：{exc.strerror}", "映射文件") from None
        except yaml.YAMLError as exc:
            raise InvalidInput("mapping", f"映射文件不是有效的 YAML：{str(exc).splitlines()[0]}", "映射文件") from None
    if not isinstance(data, dict):
        raise InvalidInput("mapping", "映射文件应为键值映射", "映射文件")
    unknown = set(data) - {"sheet", "header_row", "columns", "defaults"}
    if unknown:
        raise InvalidInput("mapping", f"未知的键：{', '.join(sorted(map(str, unknown)))}"
                           "（可用：sheet, header_row, columns, defaults）", "映射文件")
    fields = registry.fields
    columns = dict(base.columns)
    letters: dict[int, ColumnRule] = {}
    for header, spec in (data.get("columns") or {}).items():
        where = f"columns.{header}"
        index = column_index(str(header))
        target = letters if index is not None else columns
        key = index if index is not None else norm(header)
        if spec is None:
            target[key] = ColumnRule(field="")  # explicitly ignored
            continue
        if isinstance(spec, str):
            spec = {"field": spec}
        if not isinstance(spec, dict) or "field" not in spec:
            raise InvalidInput(where, "应为字段名，或含 field 的映射", "映射文件")
        extra = set(spec) - {"field", "unit", "values"}
        if extra:
            raise InvalidInput(where, f"未知的键：{', '.join(sorted(map(str, extra)))}（可用：field, unit, values）",
                               "映射文件")
        name = spec["field"]
        if name not in fields:
            raise InvalidInput(where, f"未知字段 {name!r}（可用：{', '.join(fields)}）", "映射文件")
        unit = None
        if "unit" in spec:
            if fields[name].type != "money":
                raise InvalidInput(where, f"只有金额字段可以指定单位，{name} 不是金额", "映射文件")
            unit = _unit(spec["unit"], where)
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            raise InvalidInput(where, "values 应为“台账中的值：字段取值”的映射", "映射文件")
        if values and fields[name].type not in ("enum", "enum_list"):
            raise InvalidInput(where, f"只有选项字段可以翻译取值，{name} 不是选项字段", "映射文件")
        checked = {}
        for k, v in values.items():
            try:
                checked[str(k)] = parse_value(fields[name], v) if fields[name].type == "enum" else str(v)
            except InvalidInput as exc:
                raise InvalidInput(f"{where}.values.{k}", exc.detail, "映射文件") from None
        target[key] = ColumnRule(field=name, unit=unit, values=checked)
    defaults = {}
    for name, value in (data.get("defaults") or {}).items():
        if name not in fields:
            raise InvalidInput(f"defaults.{name}", f"未知字段（可用：{', '.join(fields)}）", "映射文件")
        try:
            defaults[name] = parse_value(fields[name], value)
        except InvalidInput as exc:
            raise InvalidInput(f"defaults.{name}", exc.detail, "映射文件") from None
    header_row = data.get("header_row")
    if header_row is not None and (not isinstance(header_row, int) or header_row < 1):
        raise InvalidInput("header_row", "应为正整数（表头所在的行号）", "映射文件")
    sheet = data.get("sheet")
    return ColumnMapping(columns=columns, defaults=defaults, sheet=str(sheet) if sheet else None,
                         header_row=header_row, letters=letters)
