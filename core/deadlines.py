"""Deadlines "N units after an event", for obligation rules of any jurisdiction.

A pack's measures say "within 15 working days after final acceptance", "within 30
days", "within 6 months"; :func:`due_after` turns the event's date, the number (from
a dated parameter) and the unit into a :class:`Due`.  The due day itself is on time.
"""
from __future__ import annotations

import datetime as dt

import attrs

from .dates import add_months
from .workdays import NATIONAL, WorkingCalendar, uncovered_notice

__all__ = ["Due", "UNITS", "due_after", "unit_name"]

#: The canonical units and the words a parameter file or a rule may use for them.
UNITS = {
    "days": ("days", "day", "calendar_days", "日", "天", "自然日", "日历日"),
    "working_days": ("working_days", "working_day", "workdays", "工作日", "个工作日"),
    "months": ("months", "month", "月", "个月"),
}
_ALIASES = {alias: unit for unit, aliases in UNITS.items() for alias in aliases}
_LABELS = {"days": "日", "working_days": "个工作日", "months": "个月"}


def unit_name(unit: str) -> str:
    """The canonical unit (``days``, ``working_days`` or ``months``) of ``unit``."""
    try:
        return _ALIASES[str(unit).strip()]
    except KeyError:
        raise ValueError(f"未知的期限单位 {unit!r}：应为 days（自然日）、working_days（工作日）"
                         " 或 months（月）") from None


@attrs.frozen
class Due:
    """When something is due, and whether that date is only an estimate.

    ``notice`` is ``""`` unless working days were counted through a year whose
    holiday schedule is not known yet; then it is a Chinese sentence to show.
    """

    date: dt.date
    event_date: dt.date
    n: int
    unit: str
    uncovered_years: tuple[int, ...] = ()

    @property
    def notice(self) -> str:
        return uncovered_notice(self.uncovered_years)

    @property
    def label(self) -> str:
        """E.g. ``"15个工作日"``, for messages."""
        return f"{self.n}{_LABELS[self.unit]}"

    def message(self, text: str) -> str:
        """``text`` with the notice appended in brackets when there is one."""
        return f"{text}（{self.notice}）" if self.notice else text


def due_after(event_date: dt.date, n: int, unit: str = "days", *,
              calendar: WorkingCalendar | None = None) -> Due:
    """The day ``n`` units after ``event_date``.

    :param event_date: the date of the event the deadline runs from.
    :param n: how many units, 0 or more (0: due on the event's day).
    :param unit: ``days`` (calendar days), ``working_days`` (official working days,
        see :class:`tongchou.workdays.WorkingCalendar`) or ``months`` (same day
        ``n`` months later, clamped to the month's end as
        :func:`tongchou.dates.add_months` does); Chinese words 日/工作日/月 also work.
    :param calendar: for working days; default the national calendar alone.  Build
        one with ``WorkingCalendar.from_parameters(params)`` to use a pack's lists.
    :return: a :class:`Due`.
    """
    unit = unit_name(unit)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, not {n!r}")
    if n < 0:
        raise ValueError(f"期限不能为负数：{n}")
    if isinstance(event_date, dt.datetime):
        event_date = event_date.date()
    if unit == "working_days":
        result = (calendar or NATIONAL).add(event_date, n)
        return Due(result.date, event_date, n, unit, result.uncovered_years)
    if unit == "months":
        return Due(add_months(event_date, n), event_date, n, unit)
    return Due(event_date + dt.timedelta(days=n), event_date, n, unit)
