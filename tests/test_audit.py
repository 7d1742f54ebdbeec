"""The audit chain catches rows changed, deleted or inserted by raw SQL, on both
backends, and `tongchou audit verify` says which entry broke."""
from __future__ import annotations

import datetime as dt

import pytest

from tongchou.audit import AuditChain
from tongchou.cli import main
from tongchou.models import AuditEntry, Event

from .conftest import DIMS


@pytest.fixture
def history(county):
    p = county.project()
    county.act(p, "apply", "unit", dt.date(2025, 6, 1))
    with pytest.raises(Exception):
        county.act(p, "approve", "government", dt.date(2025, 6, 2))  # refused: logged
    county.act(p, "review", "bureau", dt.date(2025, 6, 3), result="pass", dimensions=DIMS)
    county.act(p, "approve", "government", dt.date(2025, 6, 4))
    assert county.ledger.verify_audit().ok
    return county.ledger, p


def _sql(ledger, sql, params=()):
    if ledger.is_postgres:
        sql = sql.replace("?", "%s")
    ledger.db.execute_sql(sql, params)


def test_an_intact_chain_verifies(history):
    ledger, _p = history
    result = ledger.verify_audit()
    assert result.ok and result.checked == AuditEntry.select().count() > 10


def test_a_changed_entry_is_named(history):
    ledger, _p = history
    target = AuditEntry.select().where(AuditEntry.kind == "refusal").get()
    _sql(ledger, "UPDATE audit_entry SET detail = ? WHERE id = ?", ('{"forged":true}', target.id))
    result = ledger.verify_audit()
    assert not result.ok and result.first_bad == target.id


def test_a_deleted_entry_is_named(history):
    ledger, _p = history
    target = AuditEntry.select().order_by(AuditEntry.id).offset(4).get()
    _sql(ledger, "DELETE FROM audit_entry WHERE id = ?", (target.id,))
    result = ledger.verify_audit()
    assert not result.ok and result.first_bad == target.id


def test_an_inserted_entry_is_named(history):
    ledger, _p = history
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    _sql(ledger, "INSERT INTO audit_entry (id, at, kind, actor, project_id, action, detail, prev_mac, mac) "
                 "VALUES (?, ?, 'login', 'mallory', NULL, NULL, '{}', ?, ?)",
         (last.id + 1, dt.datetime(2026, 1, 1), last.mac, "0" * 64))
    result = ledger.verify_audit()
    assert not result.ok and result.first_bad == last.id + 1


def test_truncating_the_tail_is_caught_by_the_head(history):
    ledger, _p = history
    last = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    _sql(ledger, "DELETE FROM audit_entry WHERE id = ?", (last.id,))
    assert not ledger.verify_audit().ok


def test_events_changed_inserted_or_deleted_out_of_band(history):
    ledger, p = history
    ev = Event.select().where(Event.action == "review").get()
    _sql(ledger, "UPDATE event SET args = ? WHERE id = ?", ('{"result":"fail"}', ev.id))
    assert "altered" in ledger.verify_audit().problem
    _sql(ledger, "UPDATE event SET args = ? WHERE id = ?", (ev.args and __import__("json").dumps(
        ev.args, sort_keys=True, ensure_ascii=False, separators=(",", ":")), ev.id))
    assert ledger.verify_audit().ok
    _sql(ledger, "DELETE FROM event WHERE id = ?", (ev.id,))
    assert "deleted" in ledger.verify_audit().problem


def test_a_project_status_edited_by_sql_is_caught(history):
    ledger, p = history
    _sql(ledger, "UPDATE project SET status = 'in_operation' WHERE id = ?", (p.id,))
    assert "status" in ledger.verify_audit().problem


def test_another_key_cannot_verify_the_chain(history):
    ledger, _p = history
    assert not AuditChain(b"x" * 32).verify().ok


def test_cli_audit_verify_exit_codes(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "l.db")
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    assert main(["--db", db, "init", "--demo", "--today", "2026-11-25"]) == 0
    assert main(["--db", db, "audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    import sqlite3
    con = sqlite3.connect(db)
    con.execute("UPDATE audit_entry SET actor = 'mallory' WHERE id = 7")
    con.commit()
    con.close()
    assert main(["--db", db, "audit", "verify"]) == 1
    assert "first broken entry: 7" in capsys.readouterr().err


def test_a_missing_key_file_stops_the_ledger_from_opening(tmp_path, monkeypatch, capsys):
    db = str(tmp_path / "l.db")
    key = tmp_path / "audit.key"
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(key))
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "unit", "add", "县教育局"]) == 0
    key.unlink()
    assert main(["--db", db, "project", "list"]) == 2
    assert "audit key" in capsys.readouterr().err


def test_rotating_the_key_keeps_old_entries_verifiable(tmp_path, xichuan):
    from tongchou.audit import Keyring
    from tongchou.ledger import Ledger
    key = tmp_path / "audit.key"
    with Ledger.open(str(tmp_path / "l.db"), jurisdiction=xichuan, key_file=key) as led:
        led.add_unit("县教育局")
        first = led.rotate_audit_key()
        led.add_user("u", "unit", "县教育局")
        assert led.verify_audit().ok
        ring = Keyring.read(key)
        assert [start for start, _ in ring.keys] == [1, first]
        assert key.stat().st_mode & 0o777 == 0o600
        old_only = AuditChain(Keyring(ring.keys[:1]))
        assert old_only.verify().first_bad == first
    with Ledger.open(str(tmp_path / "l.db"), jurisdiction=xichuan, key_file=key) as led:
        assert led.verify_audit().ok
        _sql(led, "UPDATE audit_entry SET actor = 'x' WHERE id = ?", (first,))
        assert led.verify_audit().first_bad == first


def test_a_bulk_append_records_every_entry_in_the_chain(county):
    # an import writes its audit entries in one batch: each must be in the chain, linked
    ledger = county.ledger
    before = AuditEntry.select().count()
    with ledger.db.atomic():
        last = ledger.audit.append_many("admin1", [("login", {"n": n}, None, None) for n in range(3)])
    assert AuditEntry.select().count() == before + 3 == last
    assert [e.detail for e in AuditEntry.select().where(AuditEntry.id > before).order_by(AuditEntry.id)] \
        == ['{"n":0}', '{"n":1}', '{"n":2}']
    assert ledger.verify_audit().ok


def test_an_anchor_taken_before_the_first_entry_verifies(tmp_path, xichuan):
    from tongchou.ledger import Ledger
    with Ledger.open(str(tmp_path / "l.db"), jurisdiction=xichuan, key_file=tmp_path / "audit.key") as led:
        anchor = led.anchor()
        assert int(anchor.rsplit(":", 2)[1]) == 0
        assert led.verify_audit(anchor).ok
        led.add_unit("县教育局")
        assert led.verify_audit(anchor).ok


def test_an_anchor_in_another_format_is_refused(county):
    ledger = county.ledger
    county.project()
    anchor = ledger.anchor()
    tag, entry_id, mac = anchor.rsplit(":", 2)
    assert ledger.verify_audit(anchor).ok
    # a wrong tag with a well-formed MAC, or the right tag with a short MAC: neither vouches for the chain
    for bad in (f"other-tool:0:{mac}", f"other-tool:{entry_id}:{mac}", f"{tag}:0:{mac[:-1]}"):
        result = ledger.verify_audit(bad)
        assert not result.ok and "格式不对" in result.problem, bad


def test_the_key_of_a_chain_with_a_missing_entry_is_not_rotated(county):
    from tongchou.errors import AuditKeyMissing
    ledger = county.ledger
    county.project()
    middle = AuditEntry.select().order_by(AuditEntry.id).offset(2).get()
    _sql(ledger, "DELETE FROM audit_entry WHERE id = ?", (middle.id,))
    with pytest.raises(AuditKeyMissing, match="broken chain"):
        ledger.rotate_audit_key()


_LAST_EVENT = "(SELECT MAX(id) FROM event)"
DAMAGE = {
    "an event inserted out of band": (
        "INSERT INTO event (project_id, seq, action, date, actor_id, role, args, from_status, to_status, "
        "recorded_at) SELECT project_id, seq + 100, action, date, actor_id, role, args, from_status, to_status, "
        f"recorded_at FROM event WHERE id = {_LAST_EVENT}", "has no audit entry"),
    "an event altered": (f"UPDATE event SET date = '2025-06-05' WHERE id = {_LAST_EVENT}", "was altered"),
    "an event deleted": (f"DELETE FROM event WHERE id = {_LAST_EVENT}", "was deleted"),
    "a status its events do not lead to": ("UPDATE project SET status = 'in_operation'", "shows status"),
    "a head past the chain's end": ("UPDATE audit_head SET last_id = last_id + 1", "its head records"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_kind_of_damage_fails_the_chain_and_stops_a_key_rotation(history, damage):
    """Every check of the chain's verification says the chain is not sound (not
    only its message), so nothing that trusts ``ok`` — a key rotation, a restore,
    ``tongchou audit verify``'s exit status — goes ahead on a damaged ledger."""
    from tongchou.errors import AuditKeyMissing
    ledger, _ = history
    sql, words = DAMAGE[damage]
    _sql(ledger, sql)
    result = ledger.audit.verify()
    assert result.ok is False and words in result.problem, result
    with pytest.raises(AuditKeyMissing, match="broken chain"):
        ledger.rotate_audit_key()
