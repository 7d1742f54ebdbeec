"""Tests that a mutation run showed missing: boundaries a mutant (`>` to `>=`,
a flipped branch) would have survived."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tongchou import auth
from tongchou.plugins.xichuan import approval, cloud, funds, security
from tongchou.vocabulary import Actor

D = dt.date


def _budget(amount: Decimal):
    return SimpleNamespace(action="budget", args={"amount": amount})


class _Project(dict):
    def __init__(self, status="in_operation", pid=1, **fields):
        super().__init__(fields)
        self.status, self.id = status, pid

    def __getitem__(self, key):
        return self.get(key)


@settings(max_examples=60, deadline=None)
@given(estimate_fen=st.integers(1, 10 ** 10), delta_fen=st.integers(-500, 500))
@example(estimate_fen=100_000_00, delta_fen=0).via("budget equal to the estimate: no finding")
@example(estimate_fen=100_000_00, delta_fen=1).via("one fen over: the finding")
def test_budget_over_estimate_is_found_only_above_the_estimate(estimate_fen, delta_fen):
    estimate = Decimal(estimate_fen) / 100
    total = Decimal(max(estimate_fen + delta_fen, 1)) / 100
    # two budget events, as a project budgeted in two years
    half = (total / 2).quantize(Decimal("0.01"))
    history = [_budget(half), _budget(total - half)]
    found = funds._budget_over_estimate(_Project(estimate=estimate), history, None)
    if total > estimate:
        assert found and found[0].code == "xichuan.funds.budget_over_estimate" and found[0].severity == "advice"
    else:
        assert found is None
    assert funds._budget_over_estimate(_Project(estimate=None), history, None) is None
    assert funds._budget_over_estimate(_Project(estimate=estimate), [], None) is None


def test_retired_projects_owe_no_assessment_and_no_cloud_migration(xichuan):
    params = xichuan.parameters([])
    assessed = [SimpleNamespace(action="record_assessment", date=D(2026, 8, 3), args={"type": kind, "result": "pass"})
                for kind in ("mlps", "crypto")]
    for kind, article_months in (("mlps", 12), ("crypto", 12)):
        rule = security._next_assessment(kind)
        live = rule(_Project("in_operation", mlps_level=3), assessed, params)
        assert live and live[0].due == D(2027, 8, 3), kind
        assert rule(_Project("retired", mlps_level=3), assessed, params) is None
    migrating = dict(infrastructure="third_party_cloud", third_party_cloud_expires=D(2027, 6, 30))
    live = cloud._migrate(_Project("in_operation", **migrating), [], params)
    assert live and live[0].due == D(2027, 6, 30)
    assert cloud._migrate(_Project("retired", **migrating), [], params) is None
    assert cloud._third_party_no_expiry(_Project("retired", infrastructure="third_party_cloud"), [], params) is None
    assert cloud._third_party_no_expiry(_Project("in_operation", infrastructure="third_party_cloud"), [], params)


def test_action_permission_for_unit_scoped_users_directly(xichuan):
    reg = xichuan.registry
    apply = reg.actions["apply"]          # an action of the requesting unit (no party)
    staff = Actor(name="s", role="unit", unit_id=7, unit="县教育局", id=1)
    assert auth.action_permission(reg, staff, apply, 7) is None
    other = auth.action_permission(reg, staff, apply, 8)
    assert other is not None and other.code == "permission" and other.message == "只能办理本单位的项目"
    # a party to the project, not its requesting unit: told who acts instead
    party = auth.action_permission(reg, staff, apply, 8, {"builder": 7})
    assert party is not None and party.message.startswith("“") and "只能由该项目的" in party.message
    # a unit-scoped user without a unit acts on nothing
    assert auth.action_permission(reg, Actor(name="x", role="unit", unit_id=None, unit="", id=2), apply, 7)
    # a role the action does not list is refused before any unit check
    bureau = Actor(name="b", role="bureau", unit_id=None, unit="", id=3)
    assert auth.action_permission(reg, bureau, apply, 7).message.startswith("角色")


@settings(max_examples=40, deadline=None)
@given(offset=st.integers(-40, 40))
@example(offset=0).via("June 30: still on time, no finding")
@example(offset=1).via("July 1: the sweep finds the missed deadline")
def test_the_sweep_finds_a_missed_application_deadline_from_the_day_after(xichuan, offset):
    params = xichuan.parameters([])
    on = D(2026, 6, 30) + dt.timedelta(days=offset)
    draft = _Project("draft", pid=5, year=2027, source="unit_application")
    found = approval.tongchou_sweep(projects=[draft], on=on, params=params)
    assert (5 in found) == (offset > 0)
    if offset > 0:
        assert found[5][0].code == "xichuan.approval.deadline_passed"
    assert approval.tongchou_sweep(projects=[_Project("submitted", pid=6, year=2027, source="unit_application")],
                                   on=on, params=params) == {}
