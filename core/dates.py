"""Date arithmetic that rules need: months that clamp to the end of the month,
and China's official working days (the calendar itself lives in :mod:`tongchou.workdays`)."""
from __future__ import annotations

import calendar
import datetime as dt
import re

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months later, clamped to the last day of that month
    (January 31 plus one month is February 28 or 29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


def parse_date(value: object) -> dt.date:
    """A date from a ``date`` or a ``YYYY-MM-DD`` string; anything else is a ValueError."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO.match(value.strip()):
        return dt.date.fromisoformat(value.strip())
    raise ValueError(f"not a date in YYYY-MM-DD form: {value!r}")


def month_day(value: object) -> tuple[int, int]:
    """A (month, day) pair from ``"06-30"``; the day must exist in a leap year."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        month, day = int(value[0]), int(value[1])
    elif isinstance(value, str) and re.match(r"^\d{1,2}-\d{1,2}$", value.strip()):
        month, day = (int(p) for p in value.strip().split("-"))
    else:
        raise ValueError(f"not a month-day in MM-DD form: {value!r}")
    dt.date(2024, month, day)  # raises ValueError for 02-30 and the like
    return month, day


def on_month_day(year: int, md: tuple[int, int]) -> dt.date:
    """The date of a (month, day) in ``year``; Feb 29 falls back to Feb 28."""
    month, day = md
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day, last))


#: public here, read from :mod:`tongchou.workdays` on first use: most commands
#: count no working days, and the calendar's import is a good part of start-up
_WORKDAYS = ("WorkingCalendar", "WorkingDayResult", "add_working_days")


def __getattr__(name: str):
    if name in _WORKDAYS:
        from . import workdays
        return getattr(workdays, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
