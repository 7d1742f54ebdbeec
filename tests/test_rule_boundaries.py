"""Property tests of the xichuan rules with numeric and date boundaries, run
through the real engine on in-memory ledgers."""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tongchou.dates import add_months
from tongchou.errors import Refused
from tongchou.ledger import Ledger

from .conftest import CLAUSES, DIMS, County

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _county(xichuan, **pins):
    led = Ledger.open(":memory:", jurisdiction=xichuan, pinned_parameters=pins, audit_key=os.urandom(32))
    return County(led)


@FAST
@given(year=st.integers(2026, 2040), offset=st.integers(-400, 400))
@example(year=2027, offset=0).via("June 30 itself: on time")
@example(year=2027, offset=1).via("July 1: late")
@example(year=2027, offset=-1).via("June 29")
@example(year=2029, offset=0).via("June 30 of a leap year (2028)")
def test_application_deadline_is_june_30_of_the_year_before_inclusive(xichuan, year, offset):
    county = _county(xichuan)
    deadline = dt.date(year - 1, 6, 30)
    day = deadline + dt.timedelta(days=offset)
    p = county.project(day=day, year=year)
    try:
        county.act(p, "apply", "unit", day)
        accepted = True
    except Refused as exc:
        assert exc.cites(7)
        accepted = False
    assert accepted == (day <= deadline)
    county.ledger.close()


@FAST
@given(estimate_fen=st.integers(1, 10 ** 11), delta_fen=st.integers(-1000, 1000),
       threshold=st.sampled_from(["0.15", "0.10", "0.2", "0.125"]))
def test_change_threshold_boundary_is_allowed_and_one_fen_over_is_refused(xichuan, estimate_fen, delta_fen,
                                                                          threshold):
    county = _county(xichuan, change_threshold=threshold)
    estimate = Decimal(estimate_fen) / 100
    limit = estimate * Decimal(threshold)
    amount = (limit.quantize(Decimal("0.01"), rounding="ROUND_FLOOR") + Decimal(delta_fen) / 100)
    if amount < 0:
        amount = Decimal("0.00")
    p = county.project(estimate=str(estimate))
    county.act(p, "apply", "unit", dt.date(2025, 6, 1))
    county.act(p, "review", "bureau", dt.date(2025, 6, 2), result="pass", dimensions=DIMS)
    county.act(p, "approve", "government", dt.date(2025, 6, 3))
    args = dict(amount=str(amount), reason="schedule_adjustment", goal_unchanged=True)
    try:
        county.act(p, "request_change", "unit", dt.date(2025, 7, 1), **args)
        allowed = True
    except Refused as exc:
        assert exc.cites(17) and len(exc.refusals) == 1
        allowed = False
    assert allowed == (amount <= limit)
    county.ledger.close()


@FAST
@given(done=st.dates(min_value=dt.date(2025, 9, 1), max_value=dt.date(2032, 12, 31)),
       months=st.integers(1, 24), look=st.integers(-3, 3))
def test_acceptance_falls_due_months_after_completion_and_the_due_day_is_on_time(xichuan, done, months, look):
    county = _county(xichuan, acceptance_months=months)
    p = county.project(category="equipment_software", kind="equipment_network")
    day = dt.date(2025, 6, 1)
    for action, role, args in (("apply", "unit", {}), ("review", "bureau", {"result": "pass", "dimensions": DIMS}),
                               ("approve", "government", {}), ("budget", "finance", {"amount": "1"}),
                               ("tender", "unit", {}), ("sign_contract", "unit", {"clauses": CLAUSES}),
                               ("start_construction", "unit", {})):
        county.act(p, action, role, day, **args)
    county.act(p, "complete", "unit", done)
    due = add_months(done, months)
    [ob] = county.ledger.obligations(project_id=p.id)
    assert ob.due == due
    on = due + dt.timedelta(days=look)
    overdue = [f for f in county.ledger.findings(on, project_id=p.id) if f.severity == "overdue"]
    assert bool(overdue) == (on > due)
    county.ledger.close()


def test_once_applied_the_content_is_changed_only_through_the_change_procedure(xichuan):
    # 第十七条: after the application, 建设内容 (name, estimate ...) moves only by request_change;
    # fields outside it, and a content field given again unchanged, are edited as before
    county = _county(xichuan)
    unit, day = county.users["unit"], dt.date(2025, 6, 2)
    p = county.project()
    county.ledger.update_project(p.id, {"estimate": "1200000"}, unit, day)     # a draft is the unit's own
    county.act(p, "apply", "unit", day)
    with pytest.raises(Refused) as exc:
        county.ledger.update_project(p.id, {"estimate": "900000", "scope": "采购终端"}, unit, day)
    [refusal] = exc.value.refusals
    assert refusal.code == "xichuan.change.no_silent_edit" and refusal.citation.articles == (17,)
    assert "estimate" in refusal.message and "scope" not in refusal.message
    county.ledger.update_project(p.id, {"estimate": "1200000", "scope": "采购终端"}, unit, day)
    assert county.ledger.project(p.id)["scope"] == "采购终端"
    assert county.ledger.project(p.id)["estimate"] == Decimal("1200000")
    county.ledger.close()
