"""Forms built from :class:`tongchou.vocabulary.Field` lists (project fields,
action arguments, report options).

Each field type gets a suitable widget; what the widgets hold is read back as
raw values and checked with :func:`tongchou.values.parse_record`, so that an
error is the core's Chinese message naming the field.  Money is typed as text
and read as a Decimal; it never passes through a float.
"""
from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import panel as pn

from tongchou.values import parse_record
from tongchou.vocabulary import Field

from .compat import widget
from .money import MoneyInput

PLACEHOLDERS = {
    "money": ("单位：元，最多两位小数，如 1200000.00", "yuan, up to two decimals, e.g. 1200000.00"),
    "year": ("如 2026", "e.g. 2026"),
    "int": ("整数", "a whole number"),
    "decimal": ("数值", "a number"),
}
EMPTY_CHOICE = "—"


def widget_class(name: str) -> str:
    """The CSS class a field's widget carries (for tests and styling)."""
    return f"tc-f-{name}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def make_widget(spec: Field, value: Any = None, *, lang: str = "zh", units: Sequence[str] | None = None,
                disabled: bool = False, money_unit: str = "yuan"):
    """A widget for one field, holding ``value``."""
    label = spec.label + (" *" if spec.required and spec.type != "bool" else "")
    common = dict(name=label, disabled=disabled, css_classes=[widget_class(spec.name)],
                  description=spec.help or None)
    t = spec.type
    if t == "money":
        return MoneyInput(spec, value, label=label, unit=money_unit, disabled=disabled,
                          description=spec.help or None, lang=lang)
    if (spec.name == "unit" or t == "unit") and units is not None:
        options = {u: u for u in units}
        if value and value not in options:
            options[value] = value
        # An optional unit field (a party, e.g. the builder) may be cleared again.
        if not value or (t == "unit" and not spec.required):
            options = {EMPTY_CHOICE: ""} | options
        return widget(pn.widgets.Select, options=options, value=value or "", **common)
    if t == "bool":
        return widget(pn.widgets.Checkbox, name=spec.label, value=bool(value), disabled=disabled,
                                   css_classes=[widget_class(spec.name)])
    if t == "date":
        if isinstance(value, str) and value:
            value = dt.date.fromisoformat(value)
        return widget(pn.widgets.DatePicker, value=value, **common)
    if t == "enum":
        options = {c.label: c.value for c in spec.choices}
        if not spec.required or value is None:
            options = {EMPTY_CHOICE: ""} | options
        default = value if value is not None else (spec.default or "")
        return widget(pn.widgets.Select, options=options, value=default, **common)
    if t == "enum_list":
        options = {c.label: c.value for c in spec.choices}
        box = widget(pn.widgets.CheckBoxGroup, options=options, value=list(value or ()), inline=False,
                                       disabled=disabled, css_classes=[widget_class(spec.name)],
                                       sizing_mode="stretch_width")
        box._tc_label = label  # shown by FieldForm above the group
        return box
    placeholder = PLACEHOLDERS.get(t, ("", ""))[1 if lang == "en" else 0]
    if t == "text" and spec.maximum is not None and int(spec.maximum) > 200:
        return widget(pn.widgets.TextAreaInput, value=_text(value), placeholder=placeholder, **common)
    return widget(pn.widgets.TextInput, value=_text(value), placeholder=placeholder, **common)


def raw_value(widget) -> Any:
    """What a widget holds, in the form :func:`parse_value` reads."""
    value = widget.value
    if isinstance(widget, pn.widgets.CheckBoxGroup):
        return list(value or [])
    if value == "":
        return None
    return value


class FieldForm:
    """Widgets for ``fields``; :meth:`parse` reads and checks them."""

    def __init__(self, fields: Iterable[Field], values: Mapping[str, Any] | None = None, *,
                 lang: str = "zh", units: Sequence[str] | None = None,
                 fixed: Iterable[str] = (), what: str = "", money_unit: str = "yuan"):
        self.fields = list(fields)
        self.lang = lang
        self.what = what
        values = values or {}
        fixed = set(fixed)
        self.widgets = {f.name: make_widget(f, values.get(f.name), lang=lang, units=units,
                                            disabled=f.name in fixed, money_unit=money_unit)
                        for f in self.fields}

    def raw(self) -> dict[str, Any]:
        return {name: raw_value(w) for name, w in self.widgets.items()}

    def parse(self, *, partial: bool = False) -> dict[str, Any]:
        """Typed values; raises :class:`tongchou.errors.InvalidInput` naming the field."""
        parsed = parse_record(self.fields, self.raw(), partial=partial, what=self.what)
        for w in self.widgets.values():
            if isinstance(w, MoneyInput):
                w.check_confirmed()
        return parsed

    def layout(self) -> pn.layout.ListPanel:
        plain, flags, groups = [], [], []
        for f in self.fields:
            w = self.widgets[f.name]
            if f.type == "bool":
                flags.append(w)
            elif f.type == "enum_list":
                groups.append(pn.Column(pn.pane.HTML(f"<b>{html.escape(w._tc_label)}</b>", margin=(5, 10, 0, 10)), w,
                                        sizing_mode="stretch_width"))
            else:
                plain.append(w)
        parts: list[Any] = []
        if plain:
            parts.append(pn.FlexBox(*plain, sizing_mode="stretch_width"))
        if flags:
            parts.append(pn.FlexBox(*flags, sizing_mode="stretch_width"))
        parts.extend(groups)
        return pn.Column(*parts, sizing_mode="stretch_width")


def project_field_order(fields: Mapping[str, Field]) -> list[Field]:
    """Project fields in the order a form shows them: name, unit, year, the
    required classifications, the estimate, then the rest (flags last)."""
    head = ["name", "unit", "year"]
    items = list(fields.values())
    index = {f.name: i for i, f in enumerate(items)}

    def key(f: Field):
        if f.name in head:
            return (0, head.index(f.name))
        if f.required:
            return (1, index[f.name])
        if f.name == "estimate":
            return (2, 0)
        return (3 + (f.type == "bool"), index[f.name])

    return sorted(items, key=key)


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values in ``after`` that differ from ``before``."""
    out = {}
    for k, v in after.items():
        old = before.get(k)
        if isinstance(old, list):
            old = tuple(old)
        if v != old:
            out[k] = v
    return out
