"""Every case in tests/scenarios/ is a test: on in-memory SQLite per case, and
the whole directory once more on PostgreSQL (as ``tongchou scenario run --db``)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tongchou.scenario import Loader, Runner, ScenarioError, run_paths

from .conftest import PG_URL, postgres_unavailable

HERE = Path(__file__).parent / "scenarios"
FILES = sorted(HERE.rglob("*.yaml"))
_loader = Loader()


def _cases():
    for f in FILES:
        for item in _loader.load_file_lenient(f):
            if isinstance(item, ScenarioError):
                yield pytest.param(item, id=f"{f.stem}-malformed")
            else:
                yield pytest.param(item, id=f"{f.stem}-{item.index}")


@pytest.mark.parametrize("case", list(_cases()))
def test_scenario_case(case):
    if isinstance(case, ScenarioError):
        pytest.fail(str(case))
    result = Runner(_loader).run(case)
    assert result.ok, case.where + "\n" + "\n".join(result.lines)


def test_scenario_directory_is_not_empty():
    assert len(FILES) >= 10
    assert sum(1 for _ in _cases()) >= 100


@pytest.mark.postgres
def test_all_scenarios_on_postgresql():
    reason = postgres_unavailable()
    if reason:
        pytest.skip(reason)
    out: list[str] = []
    passed, failed = run_paths([HERE], db_url=PG_URL, emit=out.append)
    assert failed == 0, "\n".join(out)
    assert passed >= 100
