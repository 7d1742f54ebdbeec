"""The whole ledger is tamper-evident: with write access to the database but not
the key, each edit below is named by ``audit verify`` (table and row), and the
tampered row is refused where it would be used — on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tongchou.cli import main
from tongchou.documents import DocumentStore
from tongchou.errors import PermissionDenied
from tongchou.ledger import Ledger
from tongchou.seals import TamperedRow

PDF = b"%PDF-1.4\n% test\n"


def sql(ledger, text, *params):
    ledger.db.execute_sql(text.replace("?", ledger.db.param), params)


def one(ledger, text, *params):
    return ledger.db.execute_sql(text.replace("?", ledger.db.param), params).fetchone()


def tampered(ledger):
    result = ledger.verify_audit()
    assert not result.ok
    return {(t, k) for t, k, _ in result.tampered}


def test_an_untouched_ledger_verifies_with_every_row_sealed(county):
    led = county.ledger
    p = county.project()
    county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    led.set_parameter("change_threshold", dt.date(2025, 9, 1), "0.2", county.users["admin"])
    led.set_setting("disabled_plugins", [], county.users["admin"])
    led.set_password("unit1", "another-long-password")
    result = led.verify_audit()
    assert result.ok and result.tampered == (), result.problem
    for table in ("account", "parameter_value", "setting", "project"):
        assert one(led, f'SELECT COUNT(*) FROM "{table}" WHERE "seal" IS NULL')[0] == 0, table


def test_a_role_changed_by_the_administrator_stays_sealed_and_usable(county):
    led = county.ledger
    led.add_unit("县财政局")
    led.set_password("unit1", "a-long-password-1")
    moved = led.set_role("unit1", "unit", "县财政局", county.users["admin"])
    assert moved.unit == "县财政局"
    assert led.verify_audit().ok
    assert led.authenticate("unit1", "a-long-password-1").unit == "县财政局"


def test_names_no_account_can_have_are_no_user_on_every_backend(county):
    """PostgreSQL refuses NUL in text: such a name is answered like any unknown user."""
    from tongchou.errors import NotFound
    led, admin = county.ledger, county.users["admin"]
    for call in (lambda: led.set_disabled("a\x00b", True, admin), lambda: led.actor("a\x00b"),
                 lambda: led.set_role("a\x00b", "bureau", None, admin),
                 lambda: led.set_password("a\x00b", "a-long-password-1", admin)):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(PermissionDenied):
        led.authenticate("a\x00b", "whatever-password")
    assert led.verify_audit().ok


def test_a_unit_user_made_admin_is_named_and_cannot_act_or_log_in(county):
    led = county.ledger
    led.set_password("unit1", "a-long-password-1")
    uid = county.users["unit"].id
    sql(led, 'UPDATE "account" SET "role" = \'admin\', "unit_id" = NULL WHERE "id" = ?', uid)
    assert ("account", uid) in tampered(led)
    with pytest.raises(PermissionDenied, match="封印"):
        led.actor("unit1")
    with pytest.raises(PermissionDenied):
        led.authenticate("unit1", "a-long-password-1")
    last = one(led, 'SELECT "kind", "detail" FROM "audit_entry" ORDER BY "id" DESC')
    assert last[0] == "login_failed" and "tampered" in last[1]


def test_a_new_admin_account_is_named_and_refused(county):
    led = county.ledger
    good = one(led, 'SELECT "password_hash" FROM "account" WHERE "name" = \'admin1\'')[0]
    sql(led, 'INSERT INTO "account" ("name", "display_name", "role", "password_hash", "disabled", '
             '"failed_logins", "created_at") VALUES (\'evil\', \'evil\', \'admin\', ?, ?, 0, ?)',
        good, False, dt.datetime(2025, 1, 1))
    evil = one(led, 'SELECT "id" FROM "account" WHERE "name" = \'evil\'')[0]
    assert ("account", evil) in tampered(led)
    with pytest.raises(PermissionDenied):
        led.actor("evil")


def test_swapped_password_hashes_are_named_and_neither_logs_in(county):
    led = county.ledger
    led.set_password("unit1", "password-of-unit-1")
    led.set_password("admin1", "password-of-admin-1")
    a = one(led, 'SELECT "id", "password_hash" FROM "account" WHERE "name" = \'unit1\'')
    b = one(led, 'SELECT "id", "password_hash" FROM "account" WHERE "name" = \'admin1\'')
    sql(led, 'UPDATE "account" SET "password_hash" = ? WHERE "id" = ?', b[1], a[0])
    sql(led, 'UPDATE "account" SET "password_hash" = ? WHERE "id" = ?', a[1], b[0])
    assert {("account", a[0]), ("account", b[0])} <= tampered(led)
    with pytest.raises(PermissionDenied):
        led.authenticate("admin1", "password-of-unit-1")  # the unit user's password opens no admin


def test_a_tampered_parameter_is_named_and_not_applied(county):
    led = county.ledger
    led.set_parameter("change_threshold", dt.date(2025, 9, 1), "0.2", county.users["admin"])
    row = one(led, 'SELECT "id" FROM "parameter_value" WHERE "name" = \'change_threshold\'')[0]
    sql(led, 'UPDATE "parameter_value" SET "value" = \'0.9\' WHERE "id" = ?', row)
    sql(led, 'INSERT INTO "parameter_value" ("name", "effective", "value", "note", "set_by", "set_at") '
             'VALUES (\'change_threshold\', ?, \'0.95\', \'\', \'admin1\', ?)',
        dt.date(2025, 10, 1), dt.datetime(2025, 1, 1))
    inserted = one(led, 'SELECT "id" FROM "parameter_value" WHERE "value" = \'0.95\'')[0]
    assert {("parameter_value", row), ("parameter_value", inserted)} <= tampered(led)
    led._params = None
    assert led.params.value("change_threshold", dt.date(2025, 12, 1)) == Decimal("0.15")


def test_a_tampered_disabled_plugins_setting_is_named_and_not_used(county, backend_url):
    led = county.ledger
    sql(led, 'INSERT INTO "setting" ("key", "value") VALUES (\'disabled_plugins\', \'["x"]\')')
    assert ("setting", "disabled_plugins") in tampered(led)
    assert led.setting("disabled_plugins", "absent") == "absent"
    led.close()
    with Ledger.open(backend_url) as again:  # the tampered choice of plugins is not used
        assert "x" not in again.jurisdiction.disabled if hasattr(again.jurisdiction, "disabled") else True


@pytest.mark.parametrize("column,value", [("estimate", None), ("name", "改过的名字"), ("unit_id", None),
                                          ("data", '{"category":"x"}')])
def test_an_edited_project_row_is_named_and_refused(county, column, value):
    led = county.ledger
    p = county.project()
    if column == "estimate":
        sql(led, 'UPDATE "project" SET "estimate" = "estimate" * 10 WHERE "id" = ?', p.id)
    elif column == "unit_id":
        other = led.add_unit("县卫健委")
        sql(led, 'UPDATE "project" SET "unit_id" = ? WHERE "id" = ?', other, p.id)
    else:
        sql(led, f'UPDATE "project" SET "{column}" = ? WHERE "id" = ?', value, p.id)
    assert ("project", p.id) in tampered(led)
    with pytest.raises(TamperedRow, match="project"):
        county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    with pytest.raises(TamperedRow):
        led.project(p.id)


def test_a_project_inserted_without_events_is_named(county):
    led = county.ledger
    unit = county.users["unit"].unit_id
    sql(led, 'INSERT INTO "project" ("name", "unit_id", "year", "estimate", "status", "data", "version", '
             '"rules", "derived", "created_on", "created_at", "updated_at") VALUES '
             '(\'幽灵项目\', ?, 2026, 100, \'approved\', \'{}\', 1, \'\', \'\', ?, ?, ?)',
        unit, dt.date(2025, 1, 1), dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 1))
    pid = one(led, 'SELECT "id" FROM "project" WHERE "name" = \'幽灵项目\'')[0]
    assert ("project", pid) in tampered(led)


def test_edited_and_inserted_document_rows_are_named_and_refused(county, tmp_path):
    led = county.ledger
    store = DocumentStore(tmp_path / "files")
    p = county.project()
    doc = store.add(led, p.id, "验收报告", "a.pdf", PDF, county.users["unit"])
    sql(led, 'UPDATE "document" SET "kind" = \'可研批复\' WHERE "id" = ?', doc.id)
    sql(led, 'INSERT INTO "document" ("project_id", "kind", "filename", "media_type", "size", "digest", '
             '"encrypted", "uploaded_at") VALUES (?, \'审查意见\', \'b.pdf\', \'application/pdf\', 1, ?, ?, ?)',
        p.id, doc.digest, False, dt.datetime(2025, 1, 1))
    new = one(led, 'SELECT MAX("id") FROM "document"')[0]
    assert {("document", doc.id), ("document", new)} <= tampered(led)
    with pytest.raises(TamperedRow):
        store.get(led, doc.id, county.users["unit"])


@pytest.mark.parametrize("edit", ["delete finding", "edit finding", "insert obligation"])
def test_findings_and_obligations_edited_are_named_by_project(county, edit):
    led = county.ledger
    p = county.project()
    county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    assert one(led, 'SELECT COUNT(*) FROM "finding" WHERE "project_id" = ?', p.id)[0] > 0
    if edit == "delete finding":
        sql(led, 'DELETE FROM "finding" WHERE "project_id" = ?', p.id)
    elif edit == "edit finding":
        sql(led, 'UPDATE "finding" SET "severity" = \'info\' WHERE "project_id" = ?', p.id)
    else:
        sql(led, 'INSERT INTO "obligation" ("project_id", "code", "document", "articles", "due", "message") '
                 'VALUES (?, \'x\', \'d\', \'1\', ?, \'m\')', p.id, dt.date(2099, 1, 1))
    assert ("obligation/finding", p.id) in tampered(led)


def test_cli_verify_names_table_and_row_and_reseal_is_audited(tmp_path, monkeypatch, capsys, xichuan):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    db = str(tmp_path / "l.db")
    with Ledger.open(db, jurisdiction=xichuan) as led:
        led.add_unit("县教育局")
        u = led.add_user("unit1", "unit", "县教育局")
        led.add_user("admin1", "admin")
        sql(led, 'UPDATE "account" SET "role" = \'admin\' WHERE "id" = ?', u.id)
    assert main(["--db", db, "audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"table account row {u.id}" in err
    assert main(["--db", db, "audit", "reseal", "--user", "admin1"]) == 0
    assert main(["--db", db, "audit", "verify"]) == 0
    with Ledger.open(db) as led:
        assert one(led, 'SELECT COUNT(*) FROM "audit_entry" WHERE "kind" = \'reseal\'')[0] == 1


def test_the_anchor_catches_a_cut_back_tail(county, tmp_path, capsys):
    led = county.ledger
    p = county.project()
    anchor = led.anchor()
    assert led.verify_audit(anchor).ok
    county.act(p, "apply", "unit", dt.date(2025, 6, 2))
    assert led.verify_audit(anchor).ok  # the chain may grow past its anchor
    last = int(anchor.rsplit(":", 2)[1])
    # Cut the tail back before the anchor, head and all, as someone with write access could.
    before = one(led, 'SELECT "mac" FROM "audit_entry" WHERE "id" = ?', last - 1)[0]
    sql(led, 'DELETE FROM "event"')
    sql(led, 'DELETE FROM "audit_entry" WHERE "id" >= ?', last)
    sql(led, 'UPDATE "audit_head" SET "last_id" = ?, "last_mac" = ? WHERE "id" = 1', last - 1, before)
    sql(led, 'UPDATE "project" SET "status" = \'draft\'')
    result = led.verify_audit(anchor)
    assert not result.ok and "截断" in result.problem
    assert not led.verify_audit("nonsense").ok


def test_deleted_projects_and_accounts_are_named_from_the_chain(county):
    led = county.ledger
    p = county.project()
    sql(led, 'DELETE FROM "obligation"')
    sql(led, 'DELETE FROM "finding"')
    sql(led, 'DELETE FROM "project" WHERE "id" = ?', p.id)
    sql(led, 'DELETE FROM "account" WHERE "name" = \'bureau\'')
    assert {("project", p.id), ("account", "bureau")} <= tampered(led)


def test_a_ledger_from_before_seals_is_sealed_at_upgrade_and_audited(tmp_path, xichuan):
    from playhouse.migrations import Runner

    from tongchou.db import migration_runner, open_database
    path = tmp_path / "old.db"
    with Ledger.open(str(path), jurisdiction=xichuan, key_file=tmp_path / "k") as led:
        led.add_unit("县教育局")
        led.add_user("unit1", "unit", "县教育局")
    db = open_database(str(path))
    db.connect()
    runner: Runner = migration_runner(db)
    names = [m.name for m in runner.status() if m.applied]
    before = names[names.index("0008_row_seals") - 1]
    assert "0008_row_seals" in runner.down(target=before)  # the schema as it was before seals
    db.close()
    with Ledger.open(str(path), key_file=tmp_path / "k") as led:
        assert led.verify_audit().ok
        assert one(led, 'SELECT COUNT(*) FROM "account" WHERE "seal" IS NULL')[0] == 0
        assert one(led, 'SELECT COUNT(*) FROM "audit_entry" WHERE "kind" = \'reseal\'')[0] == 1
        led.actor("unit1")


def test_the_demo_county_written_by_every_path_verifies(tmp_path, monkeypatch):
    """Projects entered, edited, acted on and documents filed by the demo seed:
    every seal the write paths wrote checks."""
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    db = str(tmp_path / "demo.db")
    assert main(["--db", db, "init", "--demo"]) == 0
    with Ledger.open(db) as led:
        result = led.verify_audit()
        assert result.ok, result.problem
        assert one(led, 'SELECT COUNT(*) FROM "project"')[0] > 10
        assert one(led, 'SELECT COUNT(*) FROM "project" WHERE "seal" IS NULL')[0] == 0


def test_cli_anchor_file_is_private_and_verifies(tmp_path, monkeypatch, capsys, xichuan):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    db = str(tmp_path / "l.db")
    with Ledger.open(db, jurisdiction=xichuan) as led:
        led.add_unit("县教育局")
    out = tmp_path / "anchor.txt"
    assert main(["--db", db, "audit", "anchor", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o600
    assert main(["--db", db, "audit", "verify", "--anchor", str(out)]) == 0
    assert main(["--db", db, "audit", "verify", "--anchor", "tongchou-anchor-v1:99:" + "0" * 64]) == 1
    assert "截断" in capsys.readouterr().err
