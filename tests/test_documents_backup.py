"""Documents (SM3 content addressing, SM4 at rest), backups, and faults."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal

import pytest

from bench.province import generate
from tongchou import engine
from tongchou.backup import backup, restore
from tongchou.documents import DocumentCorrupt, DocumentStore
from tongchou.errors import InvalidInput, NotFound, PermissionDenied
from tongchou.ledger import Ledger, derived_rows
from tongchou.models import Project

PDF = b"%PDF-1.7\n" + "验收报告".encode() * 100


@pytest.fixture
def store(tmp_path):
    return DocumentStore(tmp_path / "files", max_bytes=64 * 1024)


def test_documents_round_trip_and_are_stored_by_digest(county, store, tmp_path):
    p = county.project()
    doc = store.add(county.ledger, p.id, "验收报告", "../../etc/验收报告.pdf", PDF, county.users["unit"])
    assert doc.filename == "验收报告.pdf" and len(doc.digest) == 64
    files = [f for f in (tmp_path / "files").rglob("*") if f.is_file()]
    assert [f.name for f in files] == [doc.digest]
    assert not (tmp_path / "etc").exists()
    meta, data = store.get(county.ledger, doc.id, county.users["bureau"])
    assert data == PDF and meta.kind == "验收报告"
    again = store.add(county.ledger, p.id, "验收报告", "copy.pdf", PDF, county.users["unit"])
    assert again.digest == doc.digest and len([f for f in (tmp_path / "files").rglob("*") if f.is_file()]) == 1


@pytest.mark.parametrize("name,data,needle", [
    ("a.exe", b"MZ....", "不允许"),
    ("a.pdf", b"<html>not a pdf</html>", "不符"),
    ("a.pdf", b"", "为空"),
    ("a.pdf", b"%PDF-" + b"x" * (64 * 1024), "上限"),
    ("noext", b"%PDF-1", "不允许"),
])
def test_bad_uploads_are_refused_and_write_nothing(county, store, tmp_path, name, data, needle):
    p = county.project()
    with pytest.raises(InvalidInput, match=needle):
        store.add(county.ledger, p.id, "申报材料", name, data, county.users["unit"])
    assert not (tmp_path / "files").exists() or not any(f.is_file() for f in (tmp_path / "files").rglob("*"))


def test_a_tampered_file_is_caught_on_download(county, store, tmp_path):
    p = county.project()
    doc = store.add(county.ledger, p.id, "合同", "合同.pdf", PDF, county.users["unit"])
    [path] = [f for f in (tmp_path / "files").rglob("*") if f.is_file()]
    path.write_bytes(PDF.replace(b"1.7", b"1.6"))
    with pytest.raises(DocumentCorrupt, match="SM3"):
        store.get(county.ledger, doc.id, county.users["unit"])


def test_sm4_encryption_at_rest(county, tmp_path):
    store = DocumentStore(tmp_path / "enc", encrypt=True)
    p = county.project()
    doc = store.add(county.ledger, p.id, "合同", "合同.pdf", PDF, county.users["unit"])
    [path] = [f for f in (tmp_path / "enc").rglob("*.sm4")]
    raw = path.read_bytes()
    assert PDF not in raw and b"%PDF" not in raw
    assert (tmp_path / "enc" / "documents.sm4key").stat().st_mode & 0o777 == 0o600
    assert store.get(county.ledger, doc.id, county.users["unit"])[1] == PDF
    path.write_bytes(raw[:-1] + bytes([raw[-1] ^ 1]))
    with pytest.raises(DocumentCorrupt, match="SM4"):
        store.get(county.ledger, doc.id, county.users["unit"])


def test_another_units_staff_cannot_upload_or_download(county, store):
    led = county.ledger
    p = county.project()
    doc = store.add(led, p.id, "合同", "合同.pdf", PDF, county.users["unit"])
    led.add_unit("县公安局")
    other = led.add_user("police", "unit", "县公安局")
    with pytest.raises(NotFound):
        store.get(led, doc.id, other)
    with pytest.raises(NotFound):
        store.add(led, p.id, "合同", "x.pdf", PDF, other)
    with pytest.raises(NotFound):
        store.list(led, p.id, other)


def test_only_the_unit_and_acting_departments_file_documents(county, store):
    led = county.ledger
    p = county.project()
    admin = led.add_user("root", "admin")
    watcher = led.add_user("watcher", "oversight")
    for reader in (admin, watcher):
        with pytest.raises(PermissionDenied, match="只能查阅"):
            store.add(led, p.id, "合同", "合同.pdf", PDF, reader)
        assert store.list(led, p.id, reader) == []  # they still read
    doc = store.add(led, p.id, "审查意见", "意见.pdf", PDF, county.users["bureau"])
    assert store.get(led, doc.id, watcher)[1] == PDF


def test_backup_and_restore_sqlite(tmp_path, xichuan, monkeypatch):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    db = str(tmp_path / "l.db")
    with Ledger.open(db, jurisdiction=xichuan) as led:
        led.add_unit("县教育局")
        u = led.add_user("u", "unit", "县教育局")
        led.create_project({"name": "甲", "unit": "县教育局", "year": 2026, "category": "purchased_service",
                            "kind": "information_system", "source": "ad_hoc"}, u, dt.date(2026, 1, 1))
        snapshot = backup(db, tmp_path / "b.db")
        led.create_project({"name": "乙", "unit": "县教育局", "year": 2026, "category": "purchased_service",
                            "kind": "information_system", "source": "ad_hoc"}, u, dt.date(2026, 1, 2))
        with pytest.raises(InvalidInput):
            backup(db, snapshot)  # never overwrites
    restore(db, snapshot)
    with Ledger.open(db, jurisdiction=xichuan) as led:
        assert [p.name for p in led.projects()[0]] == ["甲"]
        assert led.verify_audit().ok
    (tmp_path / "junk.db").write_bytes(b"not sqlite at all")
    with pytest.raises(InvalidInput):
        restore(db, tmp_path / "junk.db")


def test_kill_9_during_demo_seeding_leaves_the_ledger_consistent(tmp_path):
    env = dict(os.environ, TONGCHOU_AUDIT_KEY_FILE=str(tmp_path / "k"))
    db = str(tmp_path / "l.db")
    subprocess.run([sys.executable, "-m", "tongchou", "--db", db, "init"], check=True, env=env,
                   capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "tongchou", "--db", db, "init", "--demo"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.2)  # the seed hashes passwords first, then enters projects
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    verify = subprocess.run([sys.executable, "-m", "tongchou", "--db", db, "audit", "verify"], env=env,
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    # All or nothing: the seed left no trace, so it can simply be run again.
    rerun = subprocess.run([sys.executable, "-m", "tongchou", "--db", db, "init", "--demo"], env=env,
                           capture_output=True, text=True)
    assert rerun.returncode == 0 and "33 projects" in rerun.stdout
    with Ledger.open(db, key_file=tmp_path / "k"):
        assert Project.select().count() == 33


@pytest.mark.postgres
def test_backup_and_restore_postgresql(tmp_path, xichuan, monkeypatch, pg_url):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore) are not installed")
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "k"))
    new = {"unit": "县教育局", "year": 2026, "category": "purchased_service",
           "kind": "information_system", "source": "ad_hoc"}
    with Ledger.open(pg_url, jurisdiction=xichuan) as led:
        led.add_unit("县教育局")
        u = led.add_user("u", "unit", "县教育局")
        led.create_project(dict(new, name="甲", estimate="1200000.50"), u, dt.date(2026, 1, 1))
        snapshot = backup(pg_url, tmp_path / "pg.dump")
        led.create_project(dict(new, name="乙"), u, dt.date(2026, 1, 2))
        with pytest.raises(InvalidInput):
            backup(pg_url, snapshot)  # never overwrites
    restore(pg_url, snapshot)
    with Ledger.open(pg_url, jurisdiction=xichuan) as led:
        projects = led.projects()[0]
        assert [p.name for p in projects] == ["甲"]
        assert projects[0].fields["estimate"] == Decimal("1200000.50")
        assert led.verify_audit().ok
        # the restored ledger takes new work
        u = led.actor("u")
        led.create_project(dict(new, name="丙"), u, dt.date(2026, 1, 3))
        assert sorted(p.name for p in led.projects()[0]) == ["丙", "甲"]


def test_kill_9_during_a_re_derivation_leaves_a_consistent_ledger_that_says_so(tmp_path):
    """A rule change is recorded at once; the re-derivation of every project it
    needs runs in batches.  Killed half-way, the ledger is intact, says that a
    re-derivation is owed, and ``tongchou recompute`` finishes it."""
    key = tmp_path / "k"
    env = dict(os.environ, TONGCHOU_AUDIT_KEY_FILE=str(key))
    db = str(tmp_path / "p.db")
    ledger = Ledger.open(db, key_file=key)
    generate(ledger, counties=3, per_county=1000, offsets=(0, 160))
    ledger.close()
    cli = [sys.executable, "-m", "tongchou", "--db", db]
    subprocess.run(cli + ["user", "add", "root", "--role", "admin", "--password-stdin"], input="s3cret-pass",
                   env=env, check=True, capture_output=True, text=True)
    proc = subprocess.Popen(cli + ["params", "set", "acceptance_months", "3", "--from", "2025-08-29",
                                   "--user", "root"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    con = sqlite3.connect(db, timeout=30)
    # kill once the parameter is in and the re-derivation is under way
    while time.monotonic() < deadline and proc.poll() is None:
        if con.execute("SELECT COUNT(*) FROM setting WHERE key = 'recompute_pending'").fetchone()[0]:
            time.sleep(0.15)  # a 3,000-project re-derivation takes a few seconds
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the re-derivation ended before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    verify = subprocess.run(cli + ["audit", "verify"], env=env, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    shown = subprocess.run(cli + ["findings", "--date", "2026-12-31", "--json"], env=env, capture_output=True,
                           text=True)
    assert shown.returncode == 0 and "tongchou recompute" in shown.stderr
    assert '"recompute_pending": true' in shown.stdout
    done = subprocess.run(cli + ["recompute"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "3000 projects re-derived" in done.stdout, done.stderr
    with Ledger.open(db, key_file=key) as led:
        assert led.recompute_pending is None
        assert led.params.value("acceptance_months", dt.date(2026, 1, 1)) == 3
        # every project's stored rows are what the rules now derive
        rows = list(Project.select())
        histories = led.histories([r.id for r in rows])
        for row in rows:
            state = led._state(row)
            reader, documents = led._rule_reads(state)  # what the rules see in the ledger
            obs, fis = engine.derive(led.pm, led.params, state, histories[row.id], reader, documents)
            assert row.derived == derived_rows(row.id, obs, fis)[2]
