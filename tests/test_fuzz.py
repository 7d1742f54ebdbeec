"""Hostile input: fuzzed action arguments and scenario files never crash the
engine or write anything; they are refused or rejected with a clear error."""
from __future__ import annotations

import datetime as dt
import os

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tongchou.errors import InvalidInput, Refused
from tongchou.ledger import Ledger
from tongchou.models import Event, Project
from tongchou.scenario import Loader, ScenarioError

from .conftest import County

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 12, 10 ** 12), st.floats(allow_nan=True),
                    st.text(max_size=20), st.dates().map(str))
values = st.one_of(scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=5), scalars, max_size=3))


@SETTINGS
@given(action=st.sampled_from(["review", "request_change", "accept", "sign_contract", "order_rectification",
                               "record_assessment", "budget", "start_operation", "explain_delay"]),
       args=st.dictionaries(st.sampled_from(["result", "dimensions", "amount", "reason", "documents", "clauses",
                                             "deadline", "type", "mode", "date", "goal_unchanged", "junk"]),
                            values, max_size=5))
def test_fuzzed_action_arguments_are_rejected_or_refused_never_half_written(xichuan, action, args):
    led = Ledger.open(":memory:", jurisdiction=xichuan, audit_key=os.urandom(32))
    county = County(led)
    p = county.project()
    county.act(p, "apply", "unit", dt.date(2025, 6, 1))
    before = (Event.select().count(), led.project(p.id).version)
    role = led.registry.action(action).roles[0]
    try:
        county.act(p, action, role, dt.date(2025, 6, 2), **args)
    except InvalidInput as exc:
        assert exc.field and str(exc)
        assert (Event.select().count(), led.project(p.id).version) == before
    except Refused as exc:
        assert exc.refusals
        assert (Event.select().count(), led.project(p.id).version) == before
    else:
        assert Event.select().count() == before[0] + 1
    assert Project.select().count() == 1
    led.close()


case_keys = st.sampled_from(["name", "project", "projects", "steps", "expect", "parameters", "jurisdiction",
                             "project_refused", "bogus"])


@SETTINGS
@given(doc=st.one_of(values, st.lists(st.dictionaries(case_keys, values, max_size=5), max_size=3)))
def test_fuzzed_scenario_files_are_errors_not_crashes(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    try:
        items = Loader().load_text_lenient(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert "fuzz.yaml" in str(exc)
        return
    for item in items:
        if isinstance(item, ScenarioError):
            assert "fuzz.yaml: case" in str(item)


step_keys = st.sampled_from(["date", "as", "do", "with", "refused", "project", "create", "bogus"])
PROJECT = {"unit": "县教育局", "year": 2026, "category": "purchased_service", "kind": "information_system",
           "source": "ad_hoc"}


@SETTINGS
@given(steps=st.lists(st.dictionaries(step_keys, st.one_of(values, st.sampled_from(["a", "b", "apply", "unit"])),
                                      max_size=5), max_size=3),
       expect=st.one_of(values, st.dictionaries(st.sampled_from(["date", "projects", "status", "findings"]),
                                                st.one_of(values, st.just({"a": {"status": "draft"}})),
                                                max_size=3)))
def test_fuzzed_multi_project_cases_are_errors_not_crashes(steps, expect):
    doc = [{"name": "多项目", "projects": {"a": PROJECT, "b": PROJECT}, "steps": steps, "expect": expect}]
    for item in Loader().load_text_lenient(yaml.safe_dump(doc, allow_unicode=True), "fuzz.yaml"):
        if isinstance(item, ScenarioError):
            assert "fuzz.yaml: case 1 “多项目”" in str(item)


def test_step_key_on_is_explained():
    text = """
- name: 用了 on 而不是 date
  project: {unit: 县教育局, year: 2026, category: purchased_service, kind: information_system, source: ad_hoc}
  steps:
    - {on: 2026-03-01, as: unit, do: apply}
"""
    [err] = Loader().load_text_lenient(text, "x.yaml")
    assert isinstance(err, ScenarioError) and "'date:'" in str(err) and "case 1" in str(err)


def test_unknown_names_in_a_step_name_the_case_step_and_key():
    base = """
- name: 名称
  project: {unit: 县教育局, year: 2026, category: purchased_service, kind: information_system, source: ad_hoc}
  steps:
    - {date: 2026-03-01, as: unit, do: apply}
    - %s
"""
    for step, key in (("{date: 2026-03-02, as: mayor, do: approve}", "'as'"),
                      ("{date: 2026-03-02, as: bureau, do: reveiw}", "'do'"),
                      ("{date: 2026-03-02, as: bureau, do: review, with: {result: maybe}}", "'with.result'"),
                      ("{date: 2026-03-32, as: bureau, do: review}", "'date'"),
                      ("{date: 2026-03-02, as: bureau, do: review, with: {result: pass}, refused: 第十七章}", "refused"),
                      ("{date: 2026-03-02, as: bureau, do: review, colour: red}", "'colour'")):
        [err] = Loader().load_text_lenient(base % step, "x.yaml")
        assert isinstance(err, ScenarioError), step
        assert "step 2" in str(err) and key in str(err), str(err)


def test_duplicate_keys_are_an_error():
    text = "- name: a\n  name: b\n"
    try:
        Loader().load_text_lenient(text, "dup.yaml")
    except ScenarioError as exc:
        assert "appears twice" in str(exc)
    else:
        raise AssertionError("duplicate key accepted")
