"""A restore cannot lose the ledger: the backup is verified completely (format,
schema, audit chain with this ledger's key, events, row seals) before anything
is touched, loaded beside the ledger and switched in atomically, the replaced
ledger kept; refused while a server holds the ledger — SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tongchou.backup import backup, restore, restore_ledger
from tongchou.cli import main
from tongchou.errors import InvalidInput
from tongchou.lease import LeaseBusy
from tongchou.ledger import Ledger

NEW = {"unit": "县教育局", "year": 2026, "category": "purchased_service", "kind": "information_system",
       "source": "ad_hoc"}


def _needs_pg_tools(url: str) -> None:
    if url.startswith("postgresql") and not all(shutil.which(t) for t in ("pg_dump", "pg_restore", "psql")):
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore, psql) are not installed")


def _names(url: str, key: Path) -> list[str]:
    with Ledger.open(url, key_file=key) as led:
        return sorted(p.name for p in led.projects()[0])


@pytest.fixture
def two_states(backend_url, tmp_path, xichuan):
    """A ledger with project 甲 backed up, then 乙 added after the backup."""
    _needs_pg_tools(backend_url)
    key = tmp_path / "audit.key"
    suffix = ".dump" if backend_url.startswith("postgresql") else ".db"
    with Ledger.open(backend_url, jurisdiction=xichuan, key_file=key) as led:
        led.add_unit("县教育局")
        u = led.add_user("unit1", "unit", "县教育局")
        led.add_user("admin1", "admin")
        led.create_project(dict(NEW, name="甲"), u, dt.date(2026, 1, 1))
        snapshot = backup(backend_url, tmp_path / f"b{suffix}")
        led.create_project(dict(NEW, name="乙"), u, dt.date(2026, 1, 2))
    return backend_url, key, snapshot


def test_a_good_backup_is_switched_in_and_the_replaced_ledger_kept(two_states):
    url, key, snapshot = two_states
    where, kept = restore_ledger(url, snapshot, key_file=key)
    assert kept
    assert _names(url, key) == ["甲"]
    with Ledger.open(url, key_file=key) as led:
        assert led.verify_audit().ok
        led.create_project(dict(NEW, name="丙"), led.actor("unit1"), dt.date(2026, 1, 3))  # takes new work
    kept_url = (str(kept) if not url.startswith("postgresql")
                else url.replace(url.split("search_path%3D")[-1], kept))
    assert _names(kept_url, key) == ["乙", "甲"]  # nothing of the replaced ledger is lost


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit(url: str, snapshot: Path, tmp_path: Path) -> None:
    """Make the unit user an administrator inside the backup file."""
    if not url.startswith("postgresql"):
        con = sqlite3.connect(snapshot)
        con.execute("UPDATE account SET role = 'admin', unit_id = NULL WHERE name = 'unit1'")
        con.commit()
        con.close()
        return
    script = subprocess.run(["pg_restore", "-f", "-", str(snapshot)], check=True, capture_output=True,
                            text=True).stdout
    lines = script.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("COPY ") and ".account " in line)
    cols = lines[start].split("(", 1)[1].split(")", 1)[0].split(", ")
    for i in range(start + 1, len(lines)):
        cells = lines[i].split("\t")
        if len(cells) == len(cols) and cells[cols.index("name")] == "unit1":
            cells[cols.index("role")] = "admin"
            cells[cols.index("unit_id")] = r"\N"
            lines[i] = "\t".join(cells)
            break
    else:
        raise AssertionError("no unit1 row in the dump")
    # Back into a custom-format dump through a scratch schema of the same name.
    from tongchou.db import open_database
    schema = url.split("search_path%3D")[-1]
    db = open_database(url.split("?")[0])
    db.connect()
    db.execute_sql(f'ALTER SCHEMA "{schema}" RENAME TO "{schema}_re_edit"')
    db.close()
    try:
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "postgres",
                        "-d", "test", "-f", "-"], input="\n".join(lines) + "\n", check=True,
                       capture_output=True, text=True)
        snapshot.unlink()
        subprocess.run(["pg_dump", "-Fc", "-n", schema, "-f", str(snapshot), "-h", "127.0.0.1", "-U", "postgres",
                        "-d", "test"], check=True, capture_output=True)
    finally:
        db = open_database(url.split("?")[0])
        db.connect()
        db.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        db.execute_sql(f'ALTER SCHEMA "{schema}_re_edit" RENAME TO "{schema}"')
        db.close()


def _foreign(url: str, snapshot: Path, tmp_path: Path, xichuan) -> None:
    """Replace the backup by one of a ledger with the same content but another key."""
    other = tmp_path / "other"
    other.mkdir()
    if url.startswith("postgresql"):
        from tongchou.db import open_database
        schema = url.split("search_path%3D")[-1]
        db = open_database(url.split("?")[0])
        db.connect()
        db.execute_sql(f'ALTER SCHEMA "{schema}" RENAME TO "{schema}_re_aside"')
        db.execute_sql(f'CREATE SCHEMA "{schema}"')
        db.close()
        try:
            _fill(url, other / "k", xichuan)
            snapshot.unlink()
            backup(url, snapshot)
        finally:
            db = open_database(url.split("?")[0])
            db.connect()
            db.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
            db.execute_sql(f'ALTER SCHEMA "{schema}_re_aside" RENAME TO "{schema}"')
            db.close()
        return
    _fill(str(other / "l.db"), other / "k", xichuan)
    snapshot.unlink()
    backup(str(other / "l.db"), snapshot)


def _fill(url: str, key: Path, xichuan) -> None:
    with Ledger.open(url, jurisdiction=xichuan, key_file=key) as led:
        led.add_unit("县教育局")
        u = led.add_user("unit1", "unit", "县教育局")
        led.add_user("admin1", "admin")
        led.create_project(dict(NEW, name="甲"), u, dt.date(2026, 1, 1))


@pytest.mark.parametrize("damage", ["truncated", "edited", "foreign"])
def test_a_bad_backup_is_refused_and_the_ledger_is_untouched(two_states, tmp_path, xichuan, damage):
    url, key, snapshot = two_states
    if damage == "truncated":
        _truncate(snapshot)
    elif damage == "edited":
        _edit(url, snapshot, tmp_path)
    else:
        _foreign(url, snapshot, tmp_path, xichuan)
    with pytest.raises(InvalidInput):
        restore(url, snapshot, key_file=key)
    assert _names(url, key) == ["乙", "甲"]
    with Ledger.open(url, key_file=key) as led:
        assert led.verify_audit().ok
    leftovers = [p.name for p in tmp_path.iterdir() if ".restoring-" in p.name or ".replaced-" in p.name]
    if url.startswith("postgresql"):
        with Ledger.open(url, key_file=key) as led:
            schema = url.split("search_path%3D")[-1]
            leftovers = [r[0] for r in led.db.execute_sql(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (schema + "%_re%",)).fetchall()]
    assert leftovers == []


def test_a_backup_older_than_an_anchor_is_refused(two_states):
    url, key, snapshot = two_states
    with Ledger.open(url, key_file=key) as led:
        anchor = led.anchor()  # taken after the backup: the backup's chain stops short of it
    with pytest.raises(InvalidInput, match="截断"):
        restore(url, snapshot, key_file=key, anchor=anchor)
    assert _names(url, key) == ["乙", "甲"]


def test_an_edited_sqlite_backup_names_the_row_in_the_cli(two_states, tmp_path, capsys):
    url, key, snapshot = two_states
    if url.startswith("postgresql"):
        pytest.skip("the CLI message is the same on both backends")
    _edit(url, snapshot, tmp_path)
    os.environ["TONGCHOU_AUDIT_KEY_FILE"] = str(key)
    try:
        assert main(["--db", url, "restore", str(snapshot)]) != 0
    finally:
        del os.environ["TONGCHOU_AUDIT_KEY_FILE"]
    assert "account" in capsys.readouterr().err


def test_a_restore_is_refused_while_another_process_holds_the_serving_lease(two_states):
    url, key, snapshot = two_states
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from tongchou.lease import serving; "
                               "l = serving(sys.argv[1]); print('held', flush=True); time.sleep(120)", url],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LeaseBusy, match="服务"):
            restore(url, snapshot, key_file=key)
        assert _names(url, key) == ["乙", "甲"]
    finally:
        holder.kill()
        holder.wait()
    restore(url, snapshot, key_file=key)  # a dead holder's lease is gone with it
    assert _names(url, key) == ["甲"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_restore_under_a_live_tongchou_serve_is_refused(tmp_path, xichuan):
    db = tmp_path / "l.db"
    key = tmp_path / "audit.key"
    _fill(str(db), key, xichuan)
    snapshot = backup(str(db), tmp_path / "b.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGCHOU_")}
    env["TONGCHOU_AUDIT_KEY_FILE"] = str(key)
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tongchou", "--db", str(db), "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        with pytest.raises(LeaseBusy):
            restore(str(db), snapshot, key_file=key)
        # while a restore holds the lease, no server starts on the ledger
        from tongchou.lease import restoring
        proc.terminate()
        proc.wait(timeout=20)
        with restoring(str(db)):
            started = subprocess.run([sys.executable, "-m", "tongchou", "--db", str(db), "serve", "--port",
                                      str(_free_port())], env=env, capture_output=True, text=True, timeout=120)
        assert started.returncode != 0 and "恢复" in started.stderr
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()
    where, kept = restore_ledger(str(db), snapshot, key_file=key)
    assert Path(kept).exists()


def test_cli_restore_says_where_the_replaced_ledger_is_kept(tmp_path, xichuan, monkeypatch, capsys):
    key = tmp_path / "audit.key"
    db = str(tmp_path / "l.db")
    _fill(db, key, xichuan)
    snapshot = backup(db, tmp_path / "b.db")
    monkeypatch.setenv("TONGCHOU_AUDIT_KEY_FILE", str(key))
    assert main(["--db", db, "restore", str(snapshot)]) == 0
    out = capsys.readouterr().out
    kept = out.rsplit("kept as ", 1)[1].strip()
    assert ".replaced-" in kept and Path(kept).exists()
    assert main(["--db", db, "audit", "verify"]) == 0
