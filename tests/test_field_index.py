"""Plugin fields a pack declares ``indexed`` get an expression index, and the
ledger's filters use exactly the indexed expression (the planner says so)."""
from __future__ import annotations

from tongchou.cli import main
from tongchou.field_index import ensure_indexes, history_name, index_name, indexed_fields
from tongchou.ledger import Ledger
from tongchou.models import Project

from .conftest import County

XICHUAN_INDEXED = {"category", "kind", "source", "infrastructure"}


def _index_names(ledger: Ledger) -> set[str]:
    if ledger.is_postgres:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = 'project' AND schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'project'"
    return {r[0] for r in ledger.db.execute_sql(sql)}


def _plan(ledger: Ledger, filters: dict) -> str:
    query = ledger._project_query(None, filters, "").select(Project.id)
    sql, params = query.sql()
    if ledger.is_postgres:
        # A tiny table is cheaper to scan: forbid that, so the plan shows whether
        # the index *can* answer (it cannot when the expressions differ).
        ledger.db.execute_sql("SET enable_seqscan = off")
        try:
            return "\n".join(r[0] for r in ledger.db.execute_sql("EXPLAIN " + sql, params))
        finally:
            ledger.db.execute_sql("SET enable_seqscan = on")
    return "\n".join(str(r[-1]) for r in ledger.db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))


def test_xichuan_marks_its_filter_fields_indexed(xichuan):
    assert XICHUAN_INDEXED <= set(indexed_fields(xichuan.registry.fields.values()))


def test_opening_the_ledger_creates_an_index_per_indexed_field(ledger):
    names = _index_names(ledger)
    assert {index_name(f) for f in XICHUAN_INDEXED} <= names
    # Idempotent: a second pass (as at every later open) creates nothing.
    assert ensure_indexes(ledger.db, ledger.registry.fields.values()) == []


def test_a_filter_on_an_indexed_field_is_answered_from_its_index(ledger):
    county = County(ledger)
    for i in range(30):
        county.project(name=f"索引项目{i}", kind="cloud_platform" if i % 3 else "information_system")
    ledger.db.execute_sql('ANALYZE "project"')
    plan = _plan(ledger, {"kind": "information_system"})
    assert index_name("kind") in plan, plan
    page, total = ledger.projects(filters={"kind": "information_system"}, order_by="id", descending=True,
                                  offset=2, limit=3)
    assert total == 10 and len(page) == 3
    assert [p.id for p in page] == sorted((p.id for p in page), reverse=True)
    assert all(p["kind"] == "information_system" for p in page)
    # An unindexed plugin field still filters (by reading the JSON).
    assert "third_party_cloud_expires" not in indexed_fields(ledger.registry.fields.values())


def test_the_page_counts_agree_with_and_without_the_index_path(ledger):
    county = County(ledger)
    for i in range(12):
        county.project(name=f"计数项目{i}", kind="cloud_platform" if i % 4 else "information_system")
    by_index = ledger.projects(filters={"kind": "cloud_platform"}, order_by="name", offset=0, limit=5)
    # A search forces the window-count path over the same rows.
    by_window = ledger.projects(filters={"kind": "cloud_platform"}, search="计数", order_by="name",
                                offset=0, limit=5)
    assert by_index[1] == by_window[1] == 9
    assert [p.id for p in by_index[0]] == [p.id for p in by_window[0]]
    assert ledger.projects(filters={"kind": "cloud_platform"}, offset=50, limit=5) == ([], 9)


def test_postgres_answers_the_count_from_a_generated_column(pg_url, xichuan, tmp_path):
    """PostgreSQL keeps an indexed field in a stored generated column, and a
    ledger whose index is still on the JSON expression (made by an earlier
    version) gets the column when it is next opened, rows and all."""
    from tongchou.field_index import column_name, postgres_columns
    key = tmp_path / "k"
    with Ledger.open(pg_url, jurisdiction=xichuan, key_file=key) as ledger:
        assert {column_name(f) for f in XICHUAN_INDEXED} <= postgres_columns(ledger.db)
        county = County(ledger)
        for i in range(9):
            county.project(name=f"旧索引{i}", kind="cloud_platform" if i % 3 else "information_system")
        # Back to what an earlier version made: no column, an index on the expression.
        ledger.db.execute_sql(f'ALTER TABLE "project" DROP COLUMN "{column_name("kind")}"')
        ledger.db.execute_sql(f'CREATE INDEX "{index_name("kind")}" ON "project" '
                              "((CAST(\"data\" AS json) ->> 'kind'))")
    with Ledger.open(pg_url, jurisdiction=xichuan, key_file=key) as ledger:
        assert column_name("kind") in postgres_columns(ledger.db)
        indexdef = ledger.db.execute_sql(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = %s",
            (index_name("kind"),)).fetchone()[0]
        assert f"({column_name('kind')})" in indexdef
        page, total = ledger.projects(filters={"kind": "information_system"}, order_by="id", limit=2)
        assert total == 3 and [p["kind"] for p in page] == ["information_system"] * 2
        # Ordered by the field too, and the project reads past the extra columns.
        page, total = ledger.projects(order_by="kind", limit=50)
        assert [p["kind"] for p in page] == sorted(p["kind"] for p in page)
        assert ledger.project(page[0].id).name.startswith("旧索引")


def _history(ledger: Ledger) -> set[str]:
    return {r[0] for r in ledger.db.execute_sql('SELECT "name" FROM "schema_migration"')}


def test_the_pack_indexes_are_recorded_in_the_migration_history(ledger):
    assert {history_name(index_name(f)) for f in XICHUAN_INDEXED} <= _history(ledger)


def test_migrate_creates_and_records_an_index_a_pack_adds(backend_url, xichuan, tmp_path, monkeypatch, capsys):
    """A pack that declares a field ``indexed`` after the ledger exists (here: the
    index dropped, as before the pack's new version) gets it from ``tongchou migrate``."""
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    with Ledger.open(backend_url, jurisdiction=xichuan) as led:
        led.db.execute_sql(f'DROP INDEX "{index_name("kind")}"')
        led.db.execute_sql('DELETE FROM "schema_migration" WHERE "name" = '
                           f'{led.db.param}', (history_name(index_name("kind")),))
        assert index_name("kind") not in _index_names(led)
    assert main(["--db", backend_url, "migrate"]) == 0
    assert history_name(index_name("kind")) in capsys.readouterr().out
    with Ledger.open(backend_url, upgrade=False) as led:
        assert index_name("kind") in _index_names(led)
        assert history_name(index_name("kind")) in _history(led)
        assert led.upgraded == []
    assert main(["--db", backend_url, "migrate"]) == 0
    assert "nothing" in capsys.readouterr().out
