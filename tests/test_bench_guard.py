"""Regression guard for the compliance sweep, run with the rest of the suite.

A small synthetic province (see bench/province.py) is swept, and the sweep's
time is compared with a bare scan of the same rows in the same process: the
ratio, unlike the seconds, holds on a slow or busy machine.  The full-size
figures are in docs/performance.md (``python -m bench``).
"""
from __future__ import annotations

import os
import statistics
import time
import uuid

import pytest
from peewee import SQL, fn

from bench.cases import _busiest_unit, _stats, bare_scan
from bench.province import SWEEP_ON, generate
from tongchou.db import postgres_schema
from tongchou.ledger import Ledger

from .conftest import PG_URL, postgres_unavailable

#: The agreed bound: the sweep may take at most this many times the bare scan.
#: Measured ~1x at 2,000 projects and ~4x at 150,000 (docs/performance.md); a query
#: per project instead of a set-based one costs well over 10x.
SWEEP_RATIO_BOUND = 5.0


def _fastest(fn, repeat: int = 5) -> float:
    """The least of a few runs.  A guard compares two costs in one run, and a
    busy machine only ever adds time, so the least is the steadiest estimate of
    each side (the benchmarks under bench/ report medians and p95, for people)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("province")
    ledger = Ledger.open(str(folder / "p.db"), key_file=folder / "p.key")
    # Two template counties instead of eight: the same mix, a quarter of the set-up.
    loaded = generate(ledger, counties=2, per_county=1000, offsets=(0, 160))
    yield ledger, loaded
    ledger.close()


def test_the_generated_province_is_a_consistent_ledger(province):
    ledger, loaded = province
    assert loaded.projects == 2000 and loaded.events > 10 * 1000
    result = ledger.verify_audit()
    assert result.ok, result.problem
    assert result.checked == loaded.audit_entries
    statuses = ledger.status_counts()
    assert statuses["in_operation"] > 0.3 * loaded.projects and len(statuses) >= 12


def test_the_sweep_stays_within_its_bound_of_a_bare_scan(province):
    ledger, _ = province
    sweep = ledger.sweep(SWEEP_ON)
    assert sweep.findings and sweep.obligations
    ratio = _fastest(lambda: ledger.sweep(SWEEP_ON)) / _fastest(lambda: bare_scan(ledger))
    print(f"sweep / bare scan: {ratio:.2f}x")
    assert ratio <= SWEEP_RATIO_BOUND, (
        f"the sweep takes {ratio:.1f}x a bare scan of its rows (bound {SWEEP_RATIO_BOUND}x): "
        "something in it has become per-project")


#: A page filtered on an indexed plugin field may take at most this many times the
#: same page filtered on the unit (issue 14; measured 1.2-2x on both backends, see
#: docs/performance.md).  The filter matches most projects, so the page's count is
#: what a JSON scan would make slow.
FIELD_PAGE_RATIO_BOUND = 3.0


@pytest.fixture(scope="module")
def pg_province():
    """The same two-county province on PostgreSQL, in a schema of its own."""
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_schema(PG_URL, f"tc_guard_{uuid.uuid4().hex[:10]}") as url:
        ledger = Ledger.open(url, audit_key=os.urandom(32))
        loaded = generate(ledger, counties=2, per_county=1000, offsets=(0, 160))
        yield ledger, loaded
        ledger.close()


def _field_page_ratio(ledger: Ledger) -> float:
    unit = _busiest_unit(ledger)
    page = dict(order_by="id", descending=True, offset=150, limit=50)
    by_field, total = ledger.projects(filters={"kind": "information_system"}, **page)
    assert len(by_field) == 50 and total > 0.4 * 2000  # most projects match: no help from selectivity
    assert all(p["kind"] == "information_system" for p in by_field)
    # Alternated, so that a burst of load from elsewhere falls on both.
    field_t, unit_t = [], []
    for _ in range(15):
        field_t.append(_stats(lambda: ledger.projects(filters={"kind": "information_system"}, **page), 1)[0])
        unit_t.append(_stats(lambda: ledger.projects(filters={"unit": unit}, **page), 1)[0])
    ratio = statistics.median(field_t) / statistics.median(unit_t)
    print(f"indexed field page / unit page ({'postgres' if ledger.is_postgres else 'sqlite'}): {ratio:.2f}x")
    return ratio


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_page_on_an_indexed_plugin_field_stays_near_the_unit_page(backend, request):
    ledger, _ = request.getfixturevalue("province" if backend == "sqlite" else "pg_province")
    ratio = _field_page_ratio(ledger)
    assert ratio <= FIELD_PAGE_RATIO_BOUND, (
        f"a page filtered on an indexed plugin field takes {ratio:.1f}x the unit's page "
        f"(bound {FIELD_PAGE_RATIO_BOUND}x): is the filter still reading every project's JSON?")
    if ledger.is_postgres:
        # The cause of the old 14.6x at 60,000 projects: the count parsed every
        # row's JSON.  It must be answerable from the column's index alone.
        query = ledger._project_query(None, {"kind": "information_system"}, "").select(fn.COUNT(SQL("*")))
        sql, params = query.sql()
        ledger.db.execute_sql("SET enable_seqscan = off")
        try:
            plan = "\n".join(r[0] for r in ledger.db.execute_sql("EXPLAIN " + sql, params))
        finally:
            ledger.db.execute_sql("SET enable_seqscan = on")
        assert "Index Only Scan" in plan and "json" not in plan, plan
