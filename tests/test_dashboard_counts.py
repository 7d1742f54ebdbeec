"""Dashboard numbers from SQL (``finding_counts``, ``top_findings``) agree with
building every finding (``findings``), for every scope and limit."""
from __future__ import annotations

import pytest

from bench.province import SWEEP_ON, generate
from tongchou.errors import InvalidInput
from tongchou.ledger import Ledger


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dash")
    ledger = Ledger.open(str(folder / "d.db"), key_file=folder / "d.key")
    generate(ledger, counties=1, per_county=400, offsets=(0, 160))
    yield ledger
    ledger.close()


def _actors(ledger):
    rows = ledger.db.execute_sql('SELECT "name" FROM "account" WHERE "role" IN (\'unit\', \'bureau\') '
                                 'ORDER BY "id"').fetchall()
    return [None] + [ledger.actor(r[0]) for r in rows]


def _tally(findings, key):
    out: dict[str, int] = {}
    for f in findings:
        out[getattr(f, key)] = out.get(getattr(f, key), 0) + 1
    return out


@pytest.mark.parametrize("advice", [False, True])
def test_counts_match_the_findings_they_stand_for(province, advice):
    for actor in _actors(province):
        found = province.findings(SWEEP_ON, actor, include_advice=advice)
        assert province.finding_counts(actor, SWEEP_ON, include_advice=advice) == _tally(found, "severity")
        assert province.finding_counts(actor, SWEEP_ON, by="unit", include_advice=advice) == _tally(found, "unit")


@pytest.mark.parametrize("limit", [1, 7, 50, 400, 100_000])
def test_top_findings_are_the_first_of_the_findings(province, limit):
    for actor in _actors(province):
        for advice in (False, True):
            found = province.findings(SWEEP_ON, actor, include_advice=advice)
            assert province.top_findings(actor, SWEEP_ON, limit, include_advice=advice) == found[:limit]


def test_the_first_findings_include_violations_once_overdue_run_out(province):
    found = province.findings(SWEEP_ON, include_advice=True)
    overdue = sum(1 for f in found if f.severity == "overdue")
    top = province.top_findings(None, SWEEP_ON, overdue + 5, include_advice=True)
    assert top == found[:overdue + 5] and top[-1].severity != "overdue"


def test_counts_by_an_unknown_key_are_refused(province):
    with pytest.raises(InvalidInput):
        province.finding_counts(None, SWEEP_ON, by="code")


def test_a_change_drops_only_the_dashboards_that_see_the_project(province):
    from tongchou.ui import queries
    actors = [a for a in _actors(province) if a is not None]
    queries.changed()
    for a in actors:
        queries.finding_counts(province, a, SWEEP_ON)
    unit_of = {a.name: queries.scope_key(province, a)[1] for a in actors}
    pid = province.db.execute_sql('SELECT MIN("id") FROM "project"').fetchone()[0]
    seen_by = province.project(pid).unit_id
    queries.changed(province, pid)
    kept = {k[-1] for k in queries._cache}
    assert seen_by not in kept and None not in kept
    assert kept == {u for u in unit_of.values() if u not in (None, seen_by)}
    queries.changed()
    assert not queries._cache


def test_a_write_between_two_dashboards_is_seen_by_the_second(tmp_path):
    """The home page's two questions share what sweep plugins answered until
    the next write: a draft past 第七条's deadline is advice on the first
    dashboard and, once moved to the next year, on neither the second's counts
    nor its rows."""
    import datetime as dt

    from tongchou.packs import load_jurisdiction
    from tests.conftest import County
    ledger = Ledger.open(str(tmp_path / "w.db"), jurisdiction=load_jurisdiction("xichuan"), key_file=tmp_path / "k")
    county = County(ledger)
    draft = county.project(day=dt.date(2025, 6, 1), year=2026)
    on = dt.date(2025, 7, 2)
    def seventh(rows):
        return [f for f in rows if f.project_id == draft.id and f.citation.articles == (7,)]
    assert len(seventh(ledger.top_findings(None, on, 50, include_advice=True))) == 1
    assert ledger.finding_counts(None, on, include_advice=True).get("advice", 0) >= 1
    ledger.update_project(draft.id, {"year": 2027}, county.users["unit"], dt.date(2025, 7, 1))  # due 2026-06-30
    assert seventh(ledger.top_findings(None, on, 50, include_advice=True)) == []
    assert ledger.finding_counts(None, on, include_advice=True) == _tally(
        ledger.findings(on, None, include_advice=True), "severity")
    ledger.close()


def test_province_wide_counts_and_sums_read_indexes_not_project_rows(province):
    """The home page's numbers for a province-wide role: the overdue and
    finding counts and the first problem projects come from the obligation
    and finding indexes alone, and the estimate sums by year and by unit from
    the project indexes of migration 0013 (no project row is read), on SQLite;
    the sums agree with adding up the projects."""
    plans: list[str] = []
    execute = province.db.execute_sql

    def explained(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            plans.append("\n".join(str(r[-1]) for r in execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()))
        return execute(sql, params, *args, **kwargs)
    province.db.execute_sql = explained
    try:
        province.finding_counts(None, SWEEP_ON, include_advice=False)
        province.top_findings(None, SWEEP_ON, 5)
        by_year = province.estimate_totals(None, "year")
        by_unit = province.estimate_totals(None, "unit")
    finally:
        del province.db.execute_sql
    counted = [p for p in plans if "obligation" in p or "finding" in p]
    assert counted and all("SEARCH p " not in p and "SCAN p " not in p for p in counted[:2]), plans
    sums = plans[-2:]
    assert "COVERING INDEX project_year_estimate" in sums[0], sums
    assert "COVERING INDEX project_unit_id_estimate" in sums[1], sums
    rows, _ = province.projects(None, limit=None)
    assert sum(by_year.values()) == sum(by_unit.values()) == sum((p["estimate"] or 0) for p in rows)
