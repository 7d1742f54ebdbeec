"""Backups of a ledger.

SQLite: the online backup API copies a consistent snapshot while the ledger is
in use; restore checks the file is an intact Tongchou ledger before it
replaces anything.  PostgreSQL: ``pg_dump``/``pg_restore`` (custom format),
when those programs are installed.

The audit key and the document store are not inside the database and are not
in the backup file: back them up separately (see docs/security.md).
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .db import HISTORY_TABLE, database_url, is_postgres
from .errors import ConfigurationError, InvalidInput


def _sqlite_file(url: str) -> Path:
    path = url[len("sqlite://"):] if url.startswith("sqlite://") else url
    if path in ("", ":memory:"):
        raise ConfigurationError("an in-memory ledger cannot be backed up")
    return Path(path).expanduser().resolve()


def _search_path_schema(options: str) -> str | None:
    """The schema a ``-csearch_path=NAME`` connection option selects, if any."""
    for part in options.split():
        if part.startswith("-csearch_path="):
            first = part.split("=", 1)[1].split(",")[0].strip().strip('"')
            return first or None
    return None


def _pg_args(url: str) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore arguments for ``url``.  A ledger kept in a schema of its
    own (``options=-csearch_path=NAME``) is dumped and restored as that schema
    only, so a shared database's other schemas are never touched."""
    parsed = urlparse(url)
    args = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432)]
    if parsed.username:
        args += ["-U", parsed.username]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    options = parse_qs(parsed.query).get("options")
    if options:
        env["PGOPTIONS"] = options[-1]
        schema = _search_path_schema(options[-1])
        if schema:
            args += ["-n", schema]
    args += ["-d", parsed.path.lstrip("/") or "postgres"]
    return args, env


def backup(url: str | None, target: str | Path) -> Path:
    """Write a consistent copy of the ledger to ``target`` (never over an existing file)."""
    url = database_url(url)
    target = Path(target).expanduser().resolve()
    if target.exists():
        raise InvalidInput("file", f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_postgres(url):
        if not shutil.which("pg_dump"):
            raise ConfigurationError("pg_dump is not installed; install the PostgreSQL client tools")
        args, env = _pg_args(url)
        subprocess.run(["pg_dump", "-Fc", "-f", str(target)] + args, check=True, env=env)
        return target
    source = _sqlite_file(url)
    if not source.exists():
        raise InvalidInput("db", f"no ledger at {source}")
    tmp = target.with_name(target.name + ".partial")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    os.replace(tmp, target)
    return target


def check_sqlite_ledger(path: Path) -> None:
    """Raise InvalidInput unless ``path`` is an intact SQLite Tongchou ledger."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput("file", f"{path} is not an SQLite database: {exc}") from None
    if ok != "ok":
        raise InvalidInput("file", f"{path} fails SQLite's integrity check: {ok}")
    if not {HISTORY_TABLE, "project", "event", "audit_entry"} <= names:
        raise InvalidInput("file", f"{path} is not a Tongchou ledger")


def restore(url: str | None, source: str | Path) -> Path | str:
    """Replace the ledger at ``url`` by the backup ``source``.  Stop the servers
    first: a restore under a running server is not supported."""
    url = database_url(url)
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise InvalidInput("file", f"no backup file {source}")
    if is_postgres(url):
        if not shutil.which("pg_restore"):
            raise ConfigurationError("pg_restore is not installed; install the PostgreSQL client tools")
        args, env = _pg_args(url)
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner"] + args + [str(source)],
                       check=True, env=env)
        return url
    check_sqlite_ledger(source)
    target = _sqlite_file(url)
    tmp = target.with_name(target.name + ".restoring")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
    return target
