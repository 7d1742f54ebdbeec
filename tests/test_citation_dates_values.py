"""Small building blocks: Chinese article numbers, month arithmetic, typed input."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongchou import Choice, Citation, Field, article_label, parse_article
from tongchou.citation import chinese_number, parse_chinese_number
from tongchou.dates import add_months, month_day, on_month_day, parse_date
from tongchou.errors import InvalidInput
from tongchou.values import parse_record, parse_value


@pytest.mark.parametrize("n,text", [(1, "一"), (10, "十"), (11, "十一"), (17, "十七"), (20, "二十"),
                                    (25, "二十五"), (39, "三十九"), (100, "一百"), (101, "一百零一"),
                                    (110, "一百一十"), (1005, "一千零五")])
def test_chinese_numbers(n, text):
    assert chinese_number(n) == text
    assert parse_chinese_number(text) == n


@given(st.integers(min_value=1, max_value=9999))
def test_chinese_numbers_round_trip(n):
    assert parse_chinese_number(chinese_number(n)) == n


def test_article_references_in_every_spelling():
    assert article_label(17) == "第十七条"
    for ref in (17, "17", "第十七条", "淅政办〔2025〕6号 第十七条"):
        assert parse_article(ref) == 17
    for bad in ("第十七章", "seventeen", 0, -3, True, None, "第一条、第二条"):
        with pytest.raises(ValueError):
            parse_article(bad)


def test_citation_label_and_match():
    c = Citation("淅政办〔2025〕6号", (11, 7, 11))
    assert c.articles == (7, 11)
    assert c.label == "淅政办〔2025〕6号 第七条、第十一条"
    assert c.cites(7) and not c.cites(8)
    with pytest.raises(ValueError):
        Citation("x", ())


@pytest.mark.parametrize("start,months,end", [
    (dt.date(2026, 1, 31), 6, dt.date(2026, 7, 31)),
    (dt.date(2025, 8, 31), 6, dt.date(2026, 2, 28)),   # clamped
    (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),   # leap year
    (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
    (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
    (dt.date(2026, 3, 31), 12, dt.date(2027, 3, 31)),
])
def test_add_months_clamps_to_month_end(start, months, end):
    assert add_months(start, months) == end


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)), st.integers(0, 120))
def test_add_months_properties(day, months):
    out = add_months(day, months)
    assert (out.year * 12 + out.month) - (day.year * 12 + day.month) == months
    assert out.day <= day.day
    assert out.day == day.day or (out + dt.timedelta(days=1)).day == 1  # clamped only to the month's end


def test_dates_and_month_days():
    assert parse_date("2026-02-28") == dt.date(2026, 2, 28)
    for bad in ("2026-02-30", "26-1-1", "2026/01/01", 20260101, None):
        with pytest.raises(ValueError):
            parse_date(bad)
    assert month_day("06-30") == (6, 30)
    with pytest.raises(ValueError):
        month_day("02-30")
    assert on_month_day(2027, (2, 29)) == dt.date(2027, 2, 28)


MONEY = Field("estimate", "概算总投资(元)", "money")
KIND = Field("kind", "类型", "enum", choices=(Choice("a", "甲"), Choice("b", "乙")))


def test_money_is_decimal_with_two_places():
    assert parse_value(MONEY, "1,234.5") == Decimal("1234.50")
    assert parse_value(MONEY, 2000000) == Decimal("2000000.00")
    assert parse_value(MONEY, 0.1) == Decimal("0.10")
    assert parse_value(MONEY, "１２") == Decimal("12.00")  # full-width digits from Chinese IMEs
    for bad in ("1.234", "-1", "abc", "1e5", True, "NaN", "1 000"):
        with pytest.raises(InvalidInput) as exc:
            parse_value(MONEY, bad)
        # Staff read the label; the key is for programs only (no "(estimate)" in Chinese text).
        assert "概算总投资" in str(exc.value) and exc.value.field == "estimate"
        assert "estimate" not in str(exc.value)
    # County practice writes 万元: "186万" and "186 万元" are 1,860,000.00 元, exactly.
    assert parse_value(MONEY, "186万") == parse_value(MONEY, "186 万元") == Decimal("1860000.00")
    assert parse_value(MONEY, "0.000001万") == Decimal("0.01")
    for bad in ("1.0000001万", "-1万", "万", "十二万"):
        with pytest.raises(InvalidInput):
            parse_value(MONEY, bad)


@given(st.decimals(min_value=0, max_value=Decimal("9999999.999999"), places=6, allow_nan=False))
def test_money_in_wan_is_exact(wan):
    assert parse_value(MONEY, f"{wan}万") == wan * 10000


@given(st.decimals(min_value=0, max_value=Decimal("99999999999.99"), places=2, allow_nan=False))
def test_money_round_trips_every_amount_in_fen(amount):
    assert parse_value(MONEY, str(amount)) == amount


def test_enums_bools_lists_and_records():
    assert parse_value(KIND, "乙") == "b"
    with pytest.raises(InvalidInput, match="不在允许范围内"):
        parse_value(KIND, "c")
    flag = Field("f", "标志", "bool")
    assert parse_value(flag, None) is False
    assert parse_value(flag, "是") is True
    with pytest.raises(InvalidInput):
        parse_value(flag, "maybe")
    lst = Field("l", "列表", "enum_list", choices=KIND.choices)
    assert parse_value(lst, "a,b,a") == ("a", "b")
    fields = [Field("name", "名称", "text", required=True), KIND]
    with pytest.raises(InvalidInput, match="必填"):
        parse_record(fields, {"kind": "a"})
    with pytest.raises(InvalidInput, match="未知"):
        parse_record(fields, {"name": "x", "colour": "red"})
    assert parse_record(fields, {"name": " x "}) == {"name": "x", "kind": None}


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("-inf"), 1.5,
                                 Decimal("2.5"), "2026.0", True])
def test_integers_refuse_what_has_no_integer_value(bad):
    year = Field("year", "计划建设年度", "int")
    with pytest.raises(InvalidInput, match="计划建设年度.*不是整数"):
        parse_value(year, bad)
    assert parse_value(year, Decimal("2026")) == 2026 and parse_value(year, 2026.0) == 2026
