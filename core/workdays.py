"""China's official working days, for deadlines counted in 工作日.

The national schedule (public holidays off, 调休 make-up working days on) comes from
the maintained ``chinesecalendar`` package, which covers the years the State
Council has published when it was released.  A jurisdiction may add its own dated
list of holidays and make-up days, for a year the package does not cover yet
(the schedule is usually published in November for the next year) or for a
local holiday.  Days of a year that neither covers are counted by the weekend
rule (Monday to Friday work), and every result says so: see
:attr:`WorkingDayResult.notice`.

Precedence for one day: the jurisdiction's list → the national calendar (if it
covers the year) → Monday to Friday.
"""
from __future__ import annotations

import datetime as dt
import functools
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import chinese_calendar

__all__ = ["add_working_days", "WorkingCalendar", "WorkingDayResult", "UncoveredYearWarning", "NATIONAL",
           "national_years", "uncovered_notice"]

#: The parameter names :meth:`WorkingCalendar.from_parameters` reads by default.
HOLIDAYS_PARAMETER = "holidays_extra"
WORKDAYS_PARAMETER = "workdays_extra"

_ONE = dt.timedelta(days=1)


class UncoveredYearWarning(UserWarning):
    """A working-day count ran through a year with no published holiday schedule."""


@functools.cache
def national_years() -> range:
    """The years the installed ``chinesecalendar`` knows the official schedule of."""
    years = {d.year for d in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


def uncovered_notice(years: Iterable[int]) -> str:
    """The Chinese sentence a deadline shows when it was counted by weekends only."""
    years = sorted(set(years))
    if not years:
        return ""
    return f"{'、'.join(str(y) for y in years)}年节假日安排尚未公布或未录入，按周末推算"


@attrs.frozen
class WorkingDayResult:
    """The day ``days`` working days after ``start``, and the years whose holiday
    schedule was unknown while counting (then the date is an estimate)."""

    start: dt.date
    days: int
    date: dt.date
    uncovered_years: tuple[int, ...] = ()

    @property
    def estimated(self) -> bool:
        """True when some counted day fell in a year no calendar covers."""
        return bool(self.uncovered_years)

    @property
    def notice(self) -> str:
        """``""`` or e.g. ``"2028年节假日安排尚未公布或未录入,按周末推算"``."""
        return uncovered_notice(self.uncovered_years)


class WorkingCalendar:
    """Which days are working days: the national calendar plus a jurisdiction's list.

    :param holidays: days off that the list declares (local holidays, or a year's
        official holidays before the package has them).
    :param workdays: make-up working days (调休上班) the list declares.
    :param years: the years the list fully covers.  By default, every year in which
        ``holidays`` names a day: listing a year's holidays says that year's schedule
        is entered.  Pass ``years=()`` when the list only adds local days.
    :param national: use the ``chinesecalendar`` package (default True).
    """

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = (), *,
                 years: Iterable[int] | None = None, national: bool = True):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError("同一天既列为节假日又列为调休工作日："
                             + "、".join(d.isoformat() for d in both))
        self.local_years = frozenset({d.year for d in self.holidays} if years is None else years)
        self.national_years = national_years() if national else range(0)

    @classmethod
    def from_parameters(cls, params: Any, holidays: str = HOLIDAYS_PARAMETER,
                        workdays: str = WORKDAYS_PARAMETER, on: dt.date | None = None
                        ) -> "WorkingCalendar":
        """The calendar from a pack's ``date_list`` parameters.

        :param params: a :class:`~tongchou.parameters.ParameterSet` (what
            ``tongchou_obligations`` receives) or a ``ParameterView``.
        :param holidays: the parameter listing extra days off (a missing one is empty).
        :param workdays: the parameter listing make-up working days (missing: empty).
        :param on: the date whose values apply.  Default: the latest value, because
            a list published today also governs deadlines of events before today.
        """
        def read(name: str) -> tuple[dt.date, ...]:
            if hasattr(params, "specs") and hasattr(params, "value"):  # ParameterSet
                return tuple(params.value(name, on or dt.date.max)) if name in params.specs else ()
            if isinstance(params, Mapping) and hasattr(params, "on"):  # ParameterView
                return tuple(params.on(on or dt.date.max)[name]) if name in params else ()
            raise TypeError(f"not a ParameterSet or ParameterView: {params!r}")
        return cls(read(holidays), read(workdays))

    def covers(self, year: int) -> bool:
        """Whether the official schedule of ``year`` is known (nationally or locally)."""
        return year in self.local_years or year in self.national_years

    def uncovered_years(self, start: dt.date, end: dt.date) -> tuple[int, ...]:
        """The years from ``start`` to ``end`` (either order) whose schedule is unknown."""
        low, high = sorted((start.year, end.year))
        return tuple(y for y in range(low, high + 1) if not self.covers(y))

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        if day.year in self.national_years:
            # chinese_calendar.is_workday's own rule, on its public tables: the function
            # re-derives the covered range on every call, which a long count feels.
            return day in chinese_calendar.workdays or (
                day.weekday() < 5 and day not in chinese_calendar.holidays)
        return day.weekday() < 5

    def add(self, start: dt.date, days: int) -> WorkingDayResult:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted).

        ``days == 0`` gives ``start`` unchanged, even on a holiday: nothing is counted.
        A negative ``days`` is a ValueError.
        """
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError(f"days must be an int, not {days!r}")
        if days < 0:
            raise ValueError(f"工作日天数不能为负数：{days}")
        if isinstance(start, dt.datetime):
            start = start.date()
        day, left, unknown = start, days, set()
        try:
            while left:
                day += _ONE
                if not self.covers(day.year):
                    unknown.add(day.year)
                if self.is_working_day(day):
                    left -= 1
        except OverflowError:
            raise ValueError(f"{start.isoformat()} 之后 {days} 个工作日超出可表示的日期范围") from None
        return WorkingDayResult(start, days, day, tuple(sorted(unknown)))

    def count(self, start: dt.date, end: dt.date) -> int:
        """How many working days lie after ``start`` up to and including ``end``
        (0 when ``end`` is not after ``start``), the inverse of :meth:`add`."""
        total, day = 0, start
        while day < end:
            day += _ONE
            total += self.is_working_day(day)
        return total


#: The national calendar alone, what ``add_working_days`` uses without a calendar.
NATIONAL = WorkingCalendar()


def add_working_days(start: dt.date, days: int, calendar: WorkingCalendar | None = None) -> dt.date:
    """The ``days``-th official working day after ``start`` (see :meth:`WorkingCalendar.add`).

    Returns a plain date.  When a counted day falls in a year no calendar covers,
    it also warns with :class:`UncoveredYearWarning`; a rule that must show this to
    staff uses ``calendar.add(...)`` (or :func:`tongchou.deadlines.due_after`) and
    puts ``result.notice`` in its message.
    """
    result = (calendar or NATIONAL).add(start, days)
    if result.uncovered_years:
        warnings.warn(UncoveredYearWarning(result.notice), stacklevel=2)
    return result.date
