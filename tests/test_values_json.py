"""``values.dumps_pretty`` (what ``tongchou ... --json`` prints) is exactly
``json.dumps(indent=2, sort_keys=True, ensure_ascii=False)`` of the same data:
its fast paths (flat records, lists of plain values) must not change a byte."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tongchou.values import dumps, dumps_pretty, dumps_rows, to_json_value

# Strings with the characters that could confuse the record-splitting fast path.
text = st.one_of(st.text(alphabet=list('ab验收{}[],:"\\\n\t \u2028'), max_size=8),
                 st.sampled_from(["},\n  {", "},\n", "{", "}"]))
scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=False, allow_infinity=False), text,
                   st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9),
                   st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)))
values = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4),
    st.lists(st.dictionaries(text, scalar, min_size=1, max_size=4), min_size=1, max_size=4)),
    max_leaves=25)


def _reference(value) -> str:
    return json.dumps(to_json_value(value), ensure_ascii=False, indent=2, sort_keys=True)


@settings(max_examples=300, deadline=None)
@given(values)
@example([{"a": "},\n  {", "b": 1}, {"a": "x"}])
@example({"findings": [{"code": "x", "amount": Decimal("1.50"), "due": dt.date(2026, 6, 30)}], "n": 0})
@example({"": [], "k": {}, "l": [[], {}]})
def test_dumps_pretty_writes_what_json_dumps_writes(value):
    assert dumps_pretty(value) == _reference(value)


# Records that all have the same keys (what a sweep's findings and obligations
# are), with columns of one type or of several (True, 1 and 1.0 are equal keys
# of a dict but not the same JSON): the column-wise fast path.
same_shape = st.lists(text, min_size=1, max_size=5, unique=True).flatmap(
    lambda keys: st.lists(st.fixed_dictionaries({k: st.one_of(text, scalar, st.sampled_from([True, 1, 1.0, 0, False]))
                                                 for k in keys}), min_size=1, max_size=8))


@settings(max_examples=300, deadline=None)
@given(same_shape)
@example([{"a": "x", "b": True}, {"a": "x", "b": 1}, {"a": "x", "b": 1.0}])
@example([{"a": "},\n  {", "b": None}, {"a": "\u2028\n\"", "b": "é"}])
def test_records_of_one_shape_are_written_as_json_dumps_writes_them(records):
    assert dumps_pretty(records) == _reference(records)
    assert dumps_pretty({"findings": records, "n": 1}) == _reference({"findings": records, "n": 1})


# Rows as derived_digest digests them (a project's obligations and findings):
# tuples of scalars, dates and Decimals, nested in lists.
rows = st.lists(st.lists(st.tuples(scalar, scalar, scalar).map(tuple) | st.lists(scalar, max_size=4).map(tuple),
                         max_size=4), max_size=3)


@settings(max_examples=300, deadline=None)
@given(rows)
@example([[(1, "验收", "淅政办〔2025〕6号", "17,18", dt.date(2026, 6, 30), "应于…", None)], []])
def test_dumps_rows_writes_what_dumps_writes(value):
    # A changed byte would make every stored derived digest fail verification.
    assert dumps_rows(value) == dumps(value)
