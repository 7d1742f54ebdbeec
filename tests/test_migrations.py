"""The schema comes from numbered migrations, recorded in a history table; a
ledger made by the first schema upgrades with nothing lost."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from playhouse.migrations import Runner

from tongchou.db import HISTORY_TABLE, migrate, migration_runner, open_database, pending_migrations
from tongchou.ledger import Ledger

MIGRATIONS = sorted(p.stem for p in (Path(__file__).parents[1] / "migrations").glob("[0-9]*.py"))


def test_a_new_ledger_has_every_migration_recorded(backend_url):
    db = open_database(backend_url)
    db.connect()
    try:
        assert migrate(db) == MIGRATIONS
        assert migrate(db) == []
        assert pending_migrations(db) == []
        names = [r[0] for r in db.execute_sql(f"SELECT name FROM {HISTORY_TABLE} ORDER BY name").fetchall()]
        assert names == MIGRATIONS
    finally:
        db.close()


def test_a_first_schema_ledger_upgrades_with_nothing_lost(tmp_path, xichuan, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    path = tmp_path / "old.db"
    db = open_database(str(path))
    db.connect()
    runner: Runner = migration_runner(db)
    assert runner.up(target=MIGRATIONS[0]) == [MIGRATIONS[0]]
    # What the first release wrote, by its own columns (no `rules` yet).
    db.execute_sql("INSERT INTO unit (name, created_at) VALUES ('县教育局', '2025-09-01 00:00:00')")
    db.execute_sql("INSERT INTO project (name, unit_id, year, estimate, status, data, version, created_on, "
                   "created_at, updated_at) VALUES ('旧项目', 1, 2026, 12345678, 'draft', "
                   "'{\"category\":\"purchased_service\",\"kind\":\"information_system\","
                   "\"source\":\"unit_application\"}', 1, '2025-09-01', '2025-09-01 00:00:00', "
                   "'2025-09-01 00:00:00')")
    db.close()
    with Ledger.open(str(path), jurisdiction=xichuan) as led:
        p = led.project(1)
        assert (p.name, str(p["estimate"]), p["category"], p.status) == ("旧项目", "123456.78",
                                                                       "purchased_service", "draft")
        assert pending_migrations(led.db) == []
        led.add_user("u", "unit", "县教育局")
        led.act(1, "apply", led.actor("u"), dt.date(2025, 6, 1))
        assert led.project(1).status == "submitted"
    con = sqlite3.connect(path)
    assert con.execute("SELECT rules FROM project WHERE id = 1").fetchone() == ("",)
    con.close()


def test_new_projects_record_the_rules_they_are_governed_by(county):
    from tongchou.models import Project
    p = county.project()
    assert Project.get_by_id(p.id).rules == "xichuan@2025.6"


def test_an_index_that_a_wider_one_starts_with_is_dropped_and_its_queries_use_the_wider(backend_url):
    """0014: the four one-column indexes every action wrote are gone, the
    wider ones that serve their queries are there, and 0014's down puts them back."""
    db = open_database(backend_url)
    db.connect()
    try:
        migrate(db)
        dropped = {"event_project_id", "obligation_project_id", "project_party_project_id", "project_party_unit_id"}
        wider = {"event_project_id_seq", "obligation_project_id_closed_on_due", "project_party_project_id_field",
                 "project_party_unit_id_project_id"}

        def indexes() -> set[str]:
            return {i.name for t in ("event", "obligation", "project_party") for i in db.get_indexes(t)}

        assert not dropped & indexes() and wider <= indexes()
        if not backend_url.startswith("postgresql"):
            plan = db.execute_sql('EXPLAIN QUERY PLAN SELECT "seq" FROM "event" WHERE "project_id" = 1 '
                                  'ORDER BY "seq"').fetchall()
            assert "event_project_id_seq" in str(plan) and "TEMP B-TREE" not in str(plan)
        migration_runner(db).down(target="0013_project_estimate_sums")
        assert dropped <= indexes()
    finally:
        db.close()
