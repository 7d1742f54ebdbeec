"""What one action sends to the database (docs/performance.md), on both
backends: its first read also brings the signature of the parameters in
force, and its UPDATE sets only the project columns that change, so an action
that changes no indexed column rewrites none of their indexes, and the row
still reads back whole and sealed."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.conftest import DIMS, statements

PROJECT_WRITE = ('UPDATE "PROJECT"', 'WITH "U" AS (UPDATE "PROJECT"')
INDEXED = ("name", "year", "estimate", "data")


def _set_columns(sql: str) -> set[str]:
    sets = sql.split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    return {part.split("=")[0].strip().strip('"') for part in sets.split(",")}


def test_an_action_that_moves_only_the_status_sets_no_other_project_column(county):
    led = county.ledger
    p = county.project()
    with statements(led) as sqls:
        county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    [write] = [s for s in sqls if s.lstrip().upper().startswith(PROJECT_WRITE)]
    columns = _set_columns(write)
    assert "status" in columns and {"derived", "version", "updated_at", "seal"} <= columns
    assert columns.isdisjoint(INDEXED)
    after = led.project(p.id)  # reads back through its seal check
    assert (after.status, after.name, after["estimate"]) == ("submitted", "测试项目", Decimal("1000000"))
    assert led.verify_audit().ok


def test_an_action_whose_effect_changes_a_field_sets_that_column(county):
    led = county.ledger
    p = county.project(category="government_investment")
    for act, role, args in (("apply", "unit", {}), ("review", "bureau", {"result": "pass", "dimensions": DIMS}),
                            ("approve", "government", {}),
                            ("approve_document", "drc", {"document": "proposal"}),
                            ("approve_document", "drc", {"document": "feasibility", "sharing_chapter": True})):
        county.act(p, act, role, dt.date(2025, 6, 10), **args)
    with statements(led) as sqls:
        county.act(p, "approve_document", "drc", dt.date(2025, 6, 10), document="preliminary_design",
                   sharing_chapter=True, estimate="1234567.89")
    [write] = [s for s in sqls if s.lstrip().upper().startswith(PROJECT_WRITE)]
    assert "estimate" in _set_columns(write) and "name" not in _set_columns(write)
    assert led.project(p.id)["estimate"] == Decimal("1234567.89")
    assert led.verify_audit().ok


def test_an_action_checks_the_parameters_in_force_with_its_first_read(county):
    led = county.ledger
    p = county.project()
    with statements(led) as sqls:
        county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    reads = [s for s in sqls if '"parameter_value"' in s]
    assert len(reads) == 1 and '"project"' in reads[0]  # one round trip for both


def test_the_documents_read_with_the_row_decide_an_action_on_them(county, tmp_path):
    """The action's first read brings the project's documents too: with the
    county requiring uploaded acceptance documents (第十八条), 组织验收 is
    refused while one is missing and taken once all are there."""
    from tongchou.documents import DocumentStore
    from tongchou.errors import Refused

    from tests.conftest import DOCS
    from tests.test_ledger import _to_completed
    led = county.ledger
    p = _to_completed(county)
    led.set_parameter("require_uploaded_documents", dt.date(2026, 1, 1), "1", county.users["admin"])
    store = DocumentStore(tmp_path / "files")
    for kind in ("项目建设总结", "财务报告", "审计报告"):
        store.add(led, p.id, kind, f"{kind}.pdf", b"%PDF-1.4 test", county.users["unit"])
    with statements(led) as sqls:
        with pytest.raises(Refused) as refused:
            county.act(p, "accept", "unit", dt.date(2026, 2, 1), result="pass", documents=DOCS)
    assert refused.value.cites(18) and "安全风险评估报告" in str(refused.value)
    assert not any(s.lstrip().startswith('SELECT "project_id", "id", "kind"') for s in sqls)  # no second read
    store.add(led, p.id, "安全风险评估报告", "risk.pdf", b"%PDF-1.4 test", county.users["unit"])
    county.act(p, "accept", "unit", dt.date(2026, 2, 1), result="pass", documents=DOCS)
    assert led.project(p.id).status == "accepted"
