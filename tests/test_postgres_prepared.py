"""On PostgreSQL an action's statements are prepared once per connection
(tongchou.postgres) and then run as EXECUTE; ``?prepare=off`` turns it off."""
from __future__ import annotations

import datetime as dt

import pytest
from peewee import PostgresqlDatabase

from tongchou.ledger import Ledger

from .conftest import County

pytestmark = pytest.mark.postgres


def _sent(monkeypatch) -> list[str]:
    """Every statement text that reaches the driver through peewee."""
    sent: list[str] = []
    real = PostgresqlDatabase.execute_sql

    def execute_sql(self, sql, params=None):
        sent.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(PostgresqlDatabase, "execute_sql", execute_sql)
    return sent


def _names(ledger: Ledger) -> set[str]:
    return {r[0] for r in ledger.db.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()}


def _three_projects_through_review(county: County) -> list[int]:
    ids = []
    for i in range(3):
        p = county.project(name=f"项目{i}", scope=f"建设内容{i}")
        county.act(p, "apply", "unit", dt.date(2025, 6, 9))
        county.act(p, "review", "bureau", dt.date(2025, 6, 10), result="pass",
                   dimensions=["necessity", "scale", "technology", "security", "intensiveness"])
        ids.append(p.id)
    return ids


def test_an_actions_statements_are_prepared_once_and_then_executed(pg_url, xichuan, tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    with Ledger.open(pg_url, jurisdiction=xichuan) as ledger:
        county = County(ledger)
        sent = _sent(monkeypatch)
        ids = _three_projects_through_review(county)
        prepares = [s for s in sent if s.startswith("PREPARE ")]
        executes = [s for s in sent if s.startswith("EXECUTE ")]
        assert prepares and len(prepares) == len(set(prepares))  # each once on this connection
        assert len(executes) > 2 * len(prepares)
        assert {s.split()[1] for s in prepares} <= _names(ledger)
        # what the prepared statements wrote reads back as written
        assert [ledger.project(i).status for i in ids] == ["reviewed"] * 3
        assert ledger.verify_audit().ok


def test_statements_the_server_lost_are_prepared_again(pg_url, xichuan, tmp_path, monkeypatch):
    """A pooler's new session or DISCARD ALL drops them: the action that finds
    them gone fails as a database error, nothing half-written, and the next
    one prepares them again."""
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    with Ledger.open(pg_url, jurisdiction=xichuan) as ledger:
        county = County(ledger)
        p = county.project()
        county.act(p, "apply", "unit", dt.date(2025, 6, 9))
        ledger.db.execute_sql("DEALLOCATE ALL")
        review = {"result": "pass", "dimensions": ["necessity", "scale", "technology", "security", "intensiveness"]}
        with pytest.raises(Exception, match="does not exist"):
            county.act(p, "review", "bureau", dt.date(2025, 6, 10), **review)
        assert ledger.project(p.id).status == "submitted"
        county.act(p, "review", "bureau", dt.date(2025, 6, 11), **review)
        assert ledger.project(p.id).status == "reviewed"
        assert [e["action"] for e in ledger.history(p.id)] == ["apply", "review"]
        assert ledger.verify_audit().ok


def test_prepare_off_in_the_url_sends_every_statement_as_text(pg_url, xichuan, tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    sep = "&" if "?" in pg_url else "?"
    with Ledger.open(f"{pg_url}{sep}prepare=off", jurisdiction=xichuan) as ledger:
        county = County(ledger)
        sent = _sent(monkeypatch)
        _three_projects_through_review(county)
        assert not [s for s in sent if s.startswith(("PREPARE ", "EXECUTE "))]
        assert not {n for n in _names(ledger) if n.startswith("tc_")}
