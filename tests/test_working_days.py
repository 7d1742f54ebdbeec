"""Working days: the national calendar, a pack's own dated lists, deadlines.

The 2026 schedule below is copied from 国务院办公厅关于2026年部分节假日安排的通知,
not from the package, so that a wrong package release fails here.  Tests about
"a year nobody covers" take the first year after the installed package's range,
so they keep meaning the same thing when a newer chinesecalendar adds 2027.
"""
from __future__ import annotations

import datetime as dt
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou import Obligation, Parameter, hookimpl
from tongchou.dates import WorkingCalendar, add_months, add_working_days
from tongchou.deadlines import Due, due_after, unit_name
from tongchou.errors import InvalidInput
from tongchou.parameters import ParameterSet, coerce, load_parameter_file, render
from tongchou.workdays import NATIONAL, UncoveredYearWarning, national_years

from .toy_plugins import APPLY_DAY, cite

D = dt.date
FUTURE = national_years().stop  # the first year the package does not cover


def days(first: str, last: str | None = None) -> set[dt.date]:
    a = D.fromisoformat(first)
    b = D.fromisoformat(last or first)
    return {a + dt.timedelta(n) for n in range((b - a).days + 1)}


# 国务院办公厅关于2026年部分节假日安排的通知
HOLIDAYS_2026 = (days("2026-01-01", "2026-01-03") | days("2026-02-15", "2026-02-23")
                 | days("2026-04-04", "2026-04-06") | days("2026-05-01", "2026-05-05")
                 | days("2026-06-19", "2026-06-21") | days("2026-09-25", "2026-09-27")
                 | days("2026-10-01", "2026-10-07"))
MAKEUP_2026 = {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)}


def test_contract_examples():
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_working_days(D(2026, 2, 13), 3) == D(2026, 2, 25)  # 2/14 Sat is a make-up day


def test_the_2026_holidays_and_make_up_days_are_the_official_ones():
    assert len(HOLIDAYS_2026) == 33
    assert all(d.weekday() >= 5 for d in MAKEUP_2026)  # every make-up day is a Saturday or Sunday
    assert {d for d in HOLIDAYS_2026 if NATIONAL.is_working_day(d)} == set()
    assert {d for d in MAKEUP_2026 if not NATIONAL.is_working_day(d)} == set()
    assert NATIONAL.covers(2026) and NATIONAL.uncovered_years(D(2026, 1, 1), D(2026, 12, 31)) == ()


def test_every_day_of_2026():
    day, wrong = D(2026, 1, 1), []
    while day.year == 2026:
        expected = day in MAKEUP_2026 or (day.weekday() < 5 and day not in HOLIDAYS_2026)
        if NATIONAL.is_working_day(day) != expected:
            wrong.append(day)
        day += dt.timedelta(1)
    assert wrong == []
    assert NATIONAL.count(D(2025, 12, 31), D(2026, 12, 31)) == 248  # 261 weekdays, 19 of them holidays, 6 make-up days


def test_the_national_calendar_agrees_with_the_package_on_every_covered_day():
    import chinese_calendar

    years = national_years()
    day, differ = D(years.start, 1, 1), []
    while day.year < years.stop:
        if NATIONAL.is_working_day(day) != chinese_calendar.is_workday(day):
            differ.append(day)
        day += dt.timedelta(1)
    assert differ == [] and years.start <= 2026 < years.stop


def test_zero_days_is_the_start_and_negative_days_are_refused():
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)  # nothing counted, even on a holiday
    with pytest.raises(ValueError, match="负数"):
        add_working_days(D(2026, 10, 3), -1)
    with pytest.raises(TypeError):
        add_working_days(D(2026, 10, 3), 1.5)
    with pytest.raises(TypeError):
        add_working_days(D(2026, 10, 3), True)


def test_a_year_nobody_covers_is_counted_by_weekends_and_says_so():
    start = D(FUTURE - 1, 12, 31)
    result = NATIONAL.add(start, 1)
    expected = D(FUTURE, 1, 1)
    while expected.weekday() >= 5:
        expected += dt.timedelta(1)
    assert result.date == expected and result.estimated and result.uncovered_years == (FUTURE,)
    assert result.notice == f"{FUTURE}年节假日安排尚未公布或未录入，按周末推算"
    with pytest.warns(UncoveredYearWarning, match=f"{FUTURE}年"):
        assert add_working_days(start, 1) == expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        add_working_days(D(2026, 3, 2), 5)  # a covered year does not warn
    assert NATIONAL.add(D(2026, 3, 2), 5).notice == ""
    assert NATIONAL.uncovered_years(D(FUTURE + 1, 5, 1), D(2026, 1, 1)) == (FUTURE, FUTURE + 1)


def test_a_jurisdictions_list_covers_its_year_and_beats_the_package():
    holidays = days(f"{FUTURE}-01-01") | days(f"{FUTURE}-02-05", f"{FUTURE}-02-12")
    cal = WorkingCalendar(holidays=holidays, workdays={D(FUTURE, 2, 13)})
    assert cal.covers(FUTURE) and not cal.covers(FUTURE + 1)
    assert not cal.is_working_day(D(FUTURE, 2, 8)) and cal.is_working_day(D(FUTURE, 2, 13))
    crossing = cal.add(D(FUTURE, 2, 4), 2)  # 2/5-2/12 off, 2/13 the first, then the next weekday
    after = D(FUTURE, 2, 14)
    while after.weekday() >= 5:
        after += dt.timedelta(1)
    assert crossing.notice == "" and crossing.date == after
    assert cal.add(D(FUTURE, 12, 20), 30).uncovered_years == (FUTURE + 1,)
    # a local day off inside a covered year (e.g. a local festival) wins over the package
    local = WorkingCalendar(holidays={D(2026, 3, 3)}, years=())
    assert add_working_days(D(2026, 3, 2), 1, local) == D(2026, 3, 4)
    assert not local.covers(FUTURE)  # years=(): the list does not claim a whole year
    with pytest.raises(ValueError, match="既列为节假日又列为调休工作日"):
        WorkingCalendar(holidays={D(2027, 2, 7)}, workdays={D(2027, 2, 7)})


DATES = st.dates(min_value=D(2024, 1, 1), max_value=D(FUTURE + 1, 12, 31))
LOCAL = WorkingCalendar(holidays=days(f"{FUTURE}-01-01", f"{FUTURE}-01-03") | days(f"{FUTURE}-10-01", f"{FUTURE}-10-07"),
                        workdays={D(FUTURE, 10, 9)} if D(FUTURE, 10, 9).weekday() >= 5 else ())
CALENDARS = st.sampled_from([NATIONAL, LOCAL])


@settings(max_examples=60, deadline=None)
@given(start=DATES, n=st.integers(0, 300), more=st.integers(0, 40), later=st.integers(0, 60), cal=CALENDARS)
def test_counting_is_monotone(start, n, more, later, cal):
    due = cal.add(start, n).date
    assert cal.add(start, n + more).date >= due
    if more:
        assert cal.add(start, n + more).date > due
    assert cal.add(start + dt.timedelta(later), n).date >= due


@settings(max_examples=60, deadline=None)
@given(start=DATES, n=st.integers(1, 300), cal=CALENDARS)
def test_the_result_is_the_nth_working_day(start, n, cal):
    result = cal.add(start, n)
    assert cal.is_working_day(result.date)
    assert cal.count(start, result.date) == n
    assert cal.count(start, result.date - dt.timedelta(1)) == n - 1  # and not a day later than needed
    spanned = range((start + dt.timedelta(1)).year, result.date.year + 1)
    assert result.uncovered_years == tuple(y for y in spanned if not cal.covers(y))


# -- the date_list parameter type -------------------------------------------------


def test_date_list_values_read_runs_and_round_trip():
    value = coerce("date_list", ["2027-01-01", D(2027, 1, 2), "2027-02-06..2027-02-08", "2027-01-01"], "h")
    assert value == (D(2027, 1, 1), D(2027, 1, 2), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8))
    assert render("date_list", value) == "2027-01-01..2027-01-02, 2027-02-06..2027-02-08"
    assert coerce("date_list", render("date_list", value), "h") == value
    assert coerce("date_list", "2027-01-01,2027-01-03、2027-01-05", "h") == (D(2027, 1, 1), D(2027, 1, 3), D(2027, 1, 5))
    assert coerce("date_list", [], "h") == () and render("date_list", ()) == "[]" and coerce("date_list", "[]", "h") == ()


@pytest.mark.parametrize("raw, says", [
    (5, "需要日期列表"),
    ({"a": 1}, "需要日期列表"),
    (["2027-01-01", "2027-13-01"], "第2项 '2027-13-01' 不是 YYYY-MM-DD"),
    (["2027-02-08..2027-02-06"], "结束日早于开始日"),
    (["2027-01-01..2028-06-01"], "超过一年"),
    (["2027-01-01..tomorrow"], "日期区间"),
    ("2027-01-01 foo", "第2项 'foo'"),
])
def test_date_list_errors_name_the_parameter(raw, says):
    with pytest.raises(InvalidInput, match=says) as info:
        coerce("date_list", raw, "holidays_extra")
    assert info.value.field == "holidays_extra" and "holidays_extra" in str(info.value)


def write_list(tmp_path, name, values: str):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"description: 测试\nreference: 1\ntype: date_list\nvalues:\n{values}", encoding="utf-8")
    return path


def test_a_pack_ships_dated_lists_and_the_calendar_reads_the_latest(tmp_path):
    hol = load_parameter_file(write_list(tmp_path, "holidays_extra",
                                         "  2026-01-01: []\n"
                                         f"  2026-11-10: [{FUTURE}-01-01, {FUTURE}-02-05..{FUTURE}-02-12]\n"),
                              document="玩具办〔2026〕1号")
    work = load_parameter_file(write_list(tmp_path, "workdays_extra", f"  2026-11-10: [{FUTURE}-02-13]\n"),
                               document="玩具办〔2026〕1号")
    assert hol.type == "date_list" and dict(hol.values)[D(2026, 1, 1)] == ()
    params = ParameterSet({"holidays_extra": hol, "workdays_extra": work})
    cal = WorkingCalendar.from_parameters(params)
    assert cal.covers(FUTURE) and D(FUTURE, 2, 13) in cal.workdays and len(cal.holidays) == 9
    # a list published on 2026-11-10 also governs a deadline counted from an earlier event
    assert WorkingCalendar.from_parameters(params.at(D(2026, 6, 1))).holidays == cal.holidays
    assert not WorkingCalendar.from_parameters(params, on=D(2026, 6, 1)).covers(FUTURE)
    pinned = params.with_pins({"holidays_extra": f"{FUTURE}-03-01"})
    assert WorkingCalendar.from_parameters(pinned).holidays == {D(FUTURE, 3, 1)}
    assert WorkingCalendar.from_parameters(ParameterSet({})).holidays == frozenset()  # none declared
    with pytest.raises(InvalidInput, match="第2项") as info:
        load_parameter_file(write_list(tmp_path, "bad_list", "  2026-01-01: [2027-02-01, 2027-2-3]\n"), document="x")
    assert info.value.field == "bad_list"
    with pytest.raises(InvalidInput, match="不是有效的 YAML：day is out of range") as info:
        load_parameter_file(write_list(tmp_path, "bad_day", "  2026-01-01: [2027-02-30]\n"), document="x")
    assert info.value.field == "bad_day"


# -- deadlines ------------------------------------------------------------------


def test_due_after_in_each_unit():
    assert due_after(D(2026, 9, 30), 1, "working_days").date == D(2026, 10, 8)
    assert due_after(D(2026, 9, 30), 1, "工作日").label == "1个工作日"
    assert due_after(D(2026, 9, 30), 10, "days") == Due(D(2026, 10, 10), D(2026, 9, 30), 10, "days")
    assert due_after(D(2026, 1, 31), 1, "months").date == D(2026, 2, 28) == add_months(D(2026, 1, 31), 1)
    assert due_after(D(2026, 9, 30), 0, "months").date == D(2026, 9, 30)
    assert unit_name("自然日") == "days" and unit_name("个月") == "months"
    with pytest.raises(ValueError, match="未知的期限单位"):
        due_after(D(2026, 9, 30), 1, "weeks")
    with pytest.raises(ValueError, match="负数"):
        due_after(D(2026, 9, 30), -1, "days")
    late = due_after(D(FUTURE - 1, 12, 20), 15, "working_days")
    assert late.uncovered_years == (FUTURE,)
    assert late.message("终验后15个工作日内提交") == f"终验后15个工作日内提交（{late.notice}）"
    assert due_after(D(2026, 3, 2), 15, "working_days").message("按期") == "按期"


@settings(max_examples=40, deadline=None)
@given(event=DATES, n=st.integers(0, 120))
def test_due_after_months_clamps_like_add_months(event, n):
    assert due_after(event, n, "months").date == add_months(event, n)


def test_an_obligation_rule_counts_working_days_with_the_packs_list(toy_county):  # noqa: F811
    target = D(FUTURE, 3, 1)
    listed = {"holidays_extra": days(f"{FUTURE}-01-01") | days(f"{FUTURE}-02-05", f"{FUTURE}-02-12")}

    class Toy:
        @hookimpl
        def tongchou_parameters(self):
            return [Parameter(name, "玩具清单", cite(3), "date_list", {D(2025, 1, 1): tuple(sorted(v))})
                    for name, v in listed.items()]

        @hookimpl
        def tongchou_obligations(self, project, history, params):
            applied = next((ev for ev in history if ev.action == "apply"), None)
            if applied is None:
                return None
            due = due_after(applied.date, n, "working_days", calendar=WorkingCalendar.from_parameters(params))
            return [Obligation("toy.report_due", cite(6), due.date, due.message(f"申报后{n}个工作日内报送"))]

    cal = WorkingCalendar(holidays=listed["holidays_extra"])
    n = cal.count(APPLY_DAY, target)
    c = toy_county(Toy())
    p = c.project()
    c.act(p, "apply", "unit", APPLY_DAY)
    (ob,) = c.ledger.obligations(project_id=p.id)
    assert ob.due == cal.add(APPLY_DAY, n).date <= target
    assert ob.due != NATIONAL.add(APPLY_DAY, n).date  # the listed Spring Festival moved it
    assert ob.message == f"申报后{n}个工作日内报送"  # the list covers FUTURE: no notice
    # an administrator enters next year's list in the ledger as text: the deadline moves
    c.ledger.set_parameter("holidays_extra", D(2026, 11, 10), f"{FUTURE}-02-20..{FUTURE}-02-26",
                           c.users["admin"])
    assert c.ledger.params.value("holidays_extra", D.max) == tuple(sorted(days(f"{FUTURE}-02-20", f"{FUTURE}-02-26")))
    c.ledger.recompute_all()
    (moved,) = c.ledger.obligations(project_id=p.id)
    entered = WorkingCalendar(holidays=days(f"{FUTURE}-02-20", f"{FUTURE}-02-26"))
    assert moved.due == entered.add(APPLY_DAY, n).date != ob.due
