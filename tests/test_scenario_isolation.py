"""The runner prepares one ledger per run and gives every case a fresh state
from it (a copy on SQLite, a rolled-back transaction on PostgreSQL): a case
sees nothing of the one before, and the ids a fresh ledger would give."""
from __future__ import annotations

from pathlib import Path

import pytest

from tongchou.models import AuditEntry, Project
from tongchou.scenario import Loader, Runner

from .conftest import County

SCENARIOS = Path(__file__).parent / "scenarios"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def runner(request):
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    r = Runner(Loader(), url)
    yield r
    r.close()


def test_each_case_starts_from_an_empty_ledger(runner):
    cases = [c for path in sorted(SCENARIOS.glob("*.yaml"))[:2] for c in runner.loader.load_file(path)][:6]
    jur = runner.loader.jurisdiction(None)
    for case in cases:
        assert runner.run(case).ok
        with runner.ledgers.ledger(jur, {}) as ledger:
            assert Project.select().count() == 0 and AuditEntry.select().count() == 0
            made = County(ledger).project(name="隔离检查")
            assert made.id == 1  # the id a fresh ledger gives, whatever the cases before made
