"""Backups of a ledger.

SQLite: the online backup API copies a consistent snapshot while the ledger is
in use; restore checks the file is an intact Tongchou ledger before it
replaces anything.  PostgreSQL: ``pg_dump``/``pg_restore`` (custom format),
when those programs are installed.

The audit key and the document store are not inside the database and are not
in the backup file: back them up separately (see docs/security.md).
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .db import HISTORY_TABLE, database_url, is_postgres
from .errors import ConfigurationError, InvalidInput, TongchouError


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


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def verify_ledger(url: str, key_file: Path | None, anchor: str | None = None) -> int:
    """Open the ledger at ``url`` (upgrading an older schema) with the audit key
    of the ledger it is to replace, and raise InvalidInput unless the audit
    chain, every event, every sealed row and the derived rows all check.  The
    ledger open in this process (if any) stays the bound one.  Returns how many
    audit entries were checked."""
    from .ledger import Ledger
    from .models import database
    before = database.obj
    try:
        try:
            ledger = Ledger.open(url, key_file=key_file)
        except TongchouError as exc:
            raise InvalidInput("file", f"备份无法作为台账打开：{exc}") from None
        except Exception as exc:  # a foreign or damaged database: any driver error
            raise InvalidInput("file", f"备份不是完好的台账（{type(exc).__name__}: {exc}）") from None
        try:
            known = {p.stem for p in _migration_names()}
            from .db import HISTORY_TABLE
            from .field_index import is_pack_migration
            names = {r[0] for r in ledger.db.execute_sql(f"SELECT name FROM {HISTORY_TABLE}").fetchall()
                     if not is_pack_migration(r[0])}  # a pack's indexes are made again at open
            if names - known:
                raise InvalidInput("file", f"备份来自更新版本的 Tongchou（未知迁移 {sorted(names - known)}），请先升级")
            result = ledger.verify_audit(anchor)
            if not result.ok:
                raise InvalidInput("file", f"备份未通过审计校验（可能被改动、截断，或属于另一台账）：{result.problem}")
            return result.checked
        finally:
            ledger.close()
    finally:
        if before is not None:
            database.initialize(before)


def _migration_names():
    from .db import _migrations_dir
    return sorted(_migrations_dir().glob("[0-9]*.py"))


def restore(url: str | None, source: str | Path, *, key_file: Path | None = None,
            anchor: str | None = None) -> Path | str:
    """Replace the ledger at ``url`` by the backup ``source`` (see
    :func:`restore_ledger`); returns where the ledger is."""
    return restore_ledger(url, source, key_file=key_file, anchor=anchor)[0]


def restore_ledger(url: str | None, source: str | Path, *, key_file: Path | None = None,
                   anchor: str | None = None) -> tuple[Path | str, Path | str]:
    """Replace the ledger at ``url`` by the backup ``source``, never losing it:

    1. refuse while any ``tongchou serve`` holds the serving lease (and keep
       servers from starting until done);
    2. load the backup beside the ledger (a new file, or a new PostgreSQL
       schema) and verify it completely with this ledger's audit key: format,
       schema version, audit chain, events, row seals, derived rows and the
       optional ``anchor``; a backup that fails leaves the ledger untouched;
    3. switch atomically (a rename; on PostgreSQL two schema renames in one
       transaction), keeping the replaced ledger under a timestamped name.

    Returns (where the ledger now is, where the replaced ledger was kept)."""
    from .db import open_database
    from .ledger import default_key_path
    from .lease import restoring
    url = database_url(url)
    source = Path(source).expanduser().resolve()
    if not source.exists():
        raise InvalidInput("file", f"没有备份文件 {source}")
    if key_file is None:
        key_file = default_key_path(url, open_database(url))
    if key_file is None or not Path(key_file).exists():
        raise InvalidInput("key", f"找不到本台账的审计密钥 {key_file}：没有它无法校验备份")
    with restoring(url):
        if is_postgres(url):
            return _restore_postgres(url, source, Path(key_file), anchor)
        return _restore_sqlite(url, source, Path(key_file), anchor)


def _restore_sqlite(url: str, source: Path, key_file: Path, anchor: str | None) -> tuple[Path, Path | str]:
    check_sqlite_ledger(source)
    target = _sqlite_file(url)
    stamp = _stamp()
    tmp = target.with_name(f"{target.name}.restoring-{stamp}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.chmod(tmp, 0o600)
    try:
        verify_ledger(str(tmp), key_file, anchor)
        con = sqlite3.connect(tmp)  # fold the WAL in: the file alone is the ledger
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
        finally:
            con.close()
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        raise
    kept: Path | str = ""
    if target.exists():
        con = sqlite3.connect(target)  # no server holds it (the lease): fold its WAL in
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
        kept = target.with_name(f"{target.name}.replaced-{stamp}")
        os.link(target, kept)  # the replaced ledger stays, under a new name
    os.replace(tmp, target)  # atomic: the ledger is the old file or the new one, never neither
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    return target, kept


def _pg_schema(url: str) -> str:
    options = parse_qs(urlparse(url).query).get("options")
    schema = _search_path_schema(options[-1]) if options else None
    if not schema:
        raise ConfigurationError("恢复 PostgreSQL 台账需要台账位于自己的 schema（URL 中的 "
                                 "options=-csearch_path=名称）")
    return schema


def _with_schema(url: str, schema: str) -> str:
    return re.sub(r"(-csearch_path(?:%3D|=))[^&\s%]+", lambda m: m.group(1) + schema, url)


def _restore_postgres(url: str, source: Path, key_file: Path, anchor: str | None) -> tuple[str, str]:
    from .db import open_database
    for tool in ("pg_restore", "psql"):
        if not shutil.which(tool):
            raise ConfigurationError(f"{tool} 未安装；请安装 PostgreSQL 客户端工具")
    schema = _pg_schema(url)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S")
    staging, kept = f"{schema}_restoring_{stamp}", f"{schema}_replaced_{stamp}"
    args, env = _pg_args(url)
    env.pop("PGOPTIONS", None)
    if "-n" in args:  # pg_dump's schema switch; psql takes none
        i = args.index("-n")
        del args[i:i + 2]
    listing = subprocess.run(["pg_restore", "-l", str(source)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise InvalidInput("file", f"{source} 不是完整的 pg_dump 备份：{listing.stderr.strip()[:200]}")
    dumped = [line.split()[-2] for line in listing.stdout.splitlines()
              if not line.startswith(";") and " SCHEMA - " in line]
    if len(dumped) != 1:
        raise InvalidInput("file", f"{source} 不是一个台账 schema 的备份（含 schema:{dumped}）")
    dumped_schema = dumped[0]
    script = subprocess.run(["pg_restore", "--no-owner", "--no-privileges", "-f", "-", str(source)],
                            capture_output=True, text=True)
    if script.returncode != 0:
        raise InvalidInput("file", f"{source} 无法读出（截断或损坏）：{script.stderr.strip()[:200]}")
    # Loaded under a staging name in one transaction: the dump creates its own
    # schema name, so any schema of that name is set aside and put back.
    aside = f"{dumped_schema}_aside_{stamp}"
    db = open_database(_without_options(url))
    db.connect()
    try:
        exists = db.execute_sql("SELECT 1 FROM pg_namespace WHERE nspname = %s", (dumped_schema,)).fetchone()
    finally:
        db.close()
    head = f'ALTER SCHEMA "{dumped_schema}" RENAME TO "{aside}";\n' if exists else ""
    tail = (f'\nALTER SCHEMA "{dumped_schema}" RENAME TO "{staging}";\n'
            + (f'ALTER SCHEMA "{aside}" RENAME TO "{dumped_schema}";\n' if exists else ""))
    sql = head + script.stdout + tail
    run = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", "-"]
                         + args, input=sql, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        raise InvalidInput("file", f"备份载入失败，台账未改动：{run.stderr.strip()[:300]}")
    staging_url = _with_schema(url, staging)
    try:
        verify_ledger(staging_url, key_file, anchor)
    except BaseException:
        _drop_schema(url, staging)
        raise
    db = open_database(_without_options(url))
    db.connect()
    try:
        live = db.execute_sql("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
        with db.atomic():  # both renames or neither
            if live:
                db.execute_sql(f'ALTER SCHEMA "{schema}" RENAME TO "{kept}"')
            db.execute_sql(f'ALTER SCHEMA "{staging}" RENAME TO "{schema}"')
    finally:
        db.close()
    return url, kept if live else ""


def _without_options(url: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(query="").geturl()


def _drop_schema(url: str, schema: str) -> None:
    from .db import open_database
    db = open_database(_without_options(url))
    db.connect()
    try:
        db.execute_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        db.close()
