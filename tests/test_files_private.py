"""Files the ledger writes are its owner's only, and the SM4 document key
lives beside the audit key, outside the document store (and its backups)."""
from __future__ import annotations

import json
import os
import stat

import pytest

from tongchou.cli import main
from tongchou.documents import LEGACY_KEY_NAME, DocumentStore, sm4_key_path
from tongchou.ledger import SYSTEM, Ledger
from tongchou.models import Document

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # what most servers run with: files would be 0644
    yield
    os.umask(old)


def test_ledger_wal_key_and_documents_are_created_0600(tmp_path, loose_umask, monkeypatch):
    monkeypatch.delenv("TONGCHOU_FILES", raising=False)
    db = tmp_path / "ledger.db"
    key = tmp_path / "keys" / "audit.key"
    with Ledger.open(str(db), jurisdiction="xichuan", key_file=key) as led:
        led.add_unit("县教育局")
        unit = led.add_user("staff", "unit", "县教育局")
        led.set_setting("encrypt_documents", True, SYSTEM)
        p = led.create_project({"name": "项目", "unit": "县教育局", "year": 2026, "category": "purchased_service",
                                "kind": "information_system", "source": "ad_hoc"}, unit)
        store = DocumentStore.for_ledger(led)
        store.add(led, p.id, "合同", "合同.pdf", PDF, unit)
        assert _mode(db) == 0o600 and _mode(str(db) + "-wal") == 0o600
        assert _mode(key) == 0o600
        files = [f for f in store.root.rglob("*") if f.is_file()]
        assert files and all(_mode(f) == 0o600 for f in files)
        # the SM4 key is beside the audit key, not in the store a backup copies
        assert store.key_file == sm4_key_path(key) and _mode(store.key_file) == 0o600
        assert not (store.root / LEGACY_KEY_NAME).exists()
        assert Document.get().encrypted


def test_a_key_left_in_the_store_by_an_older_version_is_moved_and_still_decrypts(tmp_path, monkeypatch):
    monkeypatch.setenv("TONGCHOU_FILES", str(tmp_path / "files"))
    key = tmp_path / "audit.key"
    with Ledger.open(str(tmp_path / "l.db"), jurisdiction="xichuan", key_file=key) as led:
        led.add_unit("县教育局")
        unit = led.add_user("staff", "unit", "县教育局")
        p = led.create_project({"name": "项目", "unit": "县教育局", "year": 2026, "category": "purchased_service",
                                "kind": "information_system", "source": "ad_hoc"}, unit)
        old = DocumentStore(tmp_path / "files", encrypt=True)   # the old layout
        doc = old.add(led, p.id, "合同", "合同.pdf", PDF, unit)
        assert (tmp_path / "files" / LEGACY_KEY_NAME).exists()
        moved = DocumentStore.for_ledger(led)
        assert not (tmp_path / "files" / LEGACY_KEY_NAME).exists()
        assert moved.key_file.exists() and _mode(moved.key_file) == 0o600
        assert moved.get(led, doc.id, unit)[1] == PDF


def test_encryption_is_switched_by_the_cli_for_administrators_only(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_FILES", str(tmp_path / "files"))
    db = str(tmp_path / "l.db")
    assert main(["--db", db, "init", "--demo"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "doc", "encryption", "on", "--user", "jiaoyu"]) == 2
    assert "管理员" in capsys.readouterr().err
    assert main(["--db", db, "doc", "encryption", "on", "--user", "admin"]) == 0
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(PDF)
    capsys.readouterr()
    assert main(["--db", db, "project", "list", "--user", "jiaoyu", "--json"]) == 0
    pid = json.loads(capsys.readouterr().out)["projects"][0]["id"]
    assert main(["--db", db, "doc", "add", str(pid), str(pdf), "--kind", "合同", "--user", "jiaoyu"]) == 0
    assert "SM4-encrypted" in capsys.readouterr().out
    assert main(["--db", db, "doc", "encryption", "off", "--user", "admin"]) == 0
    assert list((tmp_path / "files").rglob("*.sm4"))


def test_the_cli_refuses_an_oversized_document_before_reading_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    monkeypatch.setenv("TONGCHOU_FILES", str(tmp_path / "files"))
    db = str(tmp_path / "l.db")
    assert main(["--db", db, "init", "--demo"]) == 0
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:  # sparse: 2 GB on paper, nothing on disk
        fh.truncate(2 * 1024 ** 3)
    capsys.readouterr()
    assert main(["--db", db, "doc", "add", "1", str(big), "--kind", "合同", "--user", "admin"]) == 2
    assert "20 MB" in capsys.readouterr().err
