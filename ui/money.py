"""Money in 元 or 万元: an input with a unit selector, and display in the
user's unit with the unit always shown.

County staff think in 万元 ("186" meaning 186 万元), the ledger stores 元 as
a Decimal.  The input hands the core a text it parses exactly
(:func:`tongchou.values.parse_money` reads "186万"), never a float.  An amount
under :data:`PLAUSIBLE_MIN` 元 (e.g. 186 typed while the unit is 元) is most
likely a unit slip, so the form asks the user to confirm it.
"""
from __future__ import annotations

from decimal import Decimal

import panel as pn
from babel.numbers import format_decimal

from tongchou.errors import InvalidInput
from tongchou.vocabulary import Field

from .compat import widget

UNITS = {"yuan": "元", "wan": "万元"}
DEFAULT_UNIT = "yuan"
#: Below this many 元 an amount needs confirming (1 万元).
PLAUSIBLE_MIN = Decimal(10000)


def format_money(value: Decimal | None, unit: str = DEFAULT_UNIT, lang: str = "zh") -> str:
    """``value`` (元) in ``unit`` ("yuan" or "wan"), grouped the Chinese way,
    with the unit shown; 万元 keeps up to six places so no 分 is lost."""
    if value is None:
        return "—"
    amount = Decimal(value)
    locale = "en" if lang == "en" else "zh_CN"
    if unit == "wan":
        wan = (amount / 10000).normalize()
        text = format_decimal(wan, format="#,##0.00####", locale=locale)
        return f"{text} 万元"
    return f"{format_decimal(amount, format='#,##0.00', locale=locale)} 元"


class MoneyInput(pn.viewable.Viewer):
    """A money box with a 元/万元 selector and, for an implausibly small
    amount, a confirmation tick box.  ``value`` is the text for the core."""

    def __init__(self, spec: Field, value: Decimal | None = None, *, label: str, unit: str = DEFAULT_UNIT,
                 disabled: bool = False, description: str | None = None, lang: str = "zh"):
        super().__init__()
        self.spec = spec
        shown = ""
        if value is not None:
            shown = format((Decimal(value) / 10000).normalize(), "f") if unit == "wan" else format(Decimal(value), "f")
        hint = "如 186万 或 1860000" if lang != "en" else "e.g. 186万 or 1860000"
        self.text = widget(pn.widgets.TextInput, name=label, value=shown, placeholder=hint, disabled=disabled,
                           description=description, css_classes=["tc-f-" + spec.name], width=200)
        self.unit = widget(pn.widgets.RadioButtonGroup, options={v: k for k, v in UNITS.items()}, value=unit,
                           disabled=disabled, css_classes=["tc-money-unit"], button_type="light",
                           align="end", width=110)
        self.confirm = widget(pn.widgets.Checkbox, name="金额无误（不足 1 万元）" if lang != "en"
                              else "The amount is right (under 10,000 yuan)", value=False, visible=False,
                              css_classes=["tc-money-confirm"])
        self.text.param.watch(self._check, ["value", "value_input"])
        self.unit.param.watch(self._check, "value")
        self._layout = pn.Column(pn.Row(self.text, self.unit, margin=0), self.confirm, margin=0,
                                 css_classes=["tc-money"])

    def __panel__(self):
        return self._layout

    @property
    def value(self) -> str:
        """The typed amount with its unit, as :func:`parse_money` reads it ("" if empty)."""
        # ``value`` is committed when the box loses focus (before a button's click
        # arrives); ``value_input`` may still be on its way then.
        text = self.text.value or self.text.value_input or ""
        text = text.strip()
        if not text:
            return ""
        if self.unit.value == "wan" and not text.rstrip("元").strip().endswith("万"):
            return text + "万"
        return text

    @value.setter
    def value(self, text: str) -> None:
        self.text.value = self.text.value_input = text or ""

    def amount(self) -> Decimal | None:
        from tongchou.values import parse_money
        try:
            return parse_money(self.value, self.spec) if self.value else None
        except InvalidInput:
            return None

    def implausible(self) -> bool:
        amount = self.amount()
        return amount is not None and Decimal(0) < amount < PLAUSIBLE_MIN

    def _check(self, *_events) -> None:
        self.confirm.visible = self.implausible()
        if not self.confirm.visible:
            self.confirm.value = False

    def check_confirmed(self) -> None:
        """Refuse an implausibly small amount the user has not confirmed."""
        self._check()
        if self.implausible() and not self.confirm.value:
            raise InvalidInput(self.spec.name,
                               f"金额仅 {format_money(self.amount())}，不足 1 万元；请核对单位（元/万元），"
                               "无误请勾选“金额无误”", self.spec.label)
