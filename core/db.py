"""Opening a ledger database from a URL, and upgrading its schema.

- no URL, or a path: an SQLite file in WAL mode (default ``./tongchou.db``);
- ``sqlite:///path`` or ``:memory:``: SQLite (in memory for scenario runs);
- ``postgresql://user@host:port/db`` (``?options=-csearch_path%3Dschema`` to
  pick a schema): PostgreSQL.

``TONGCHOU_DATABASE`` gives the URL when the command line does not.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from peewee import Database, SqliteDatabase
from playhouse.migrations import Runner

from .errors import ConfigurationError
from .postgres import PreparingPostgresqlDatabase

DEFAULT_SQLITE = "tongchou.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
HISTORY_TABLE = "schema_migration"


def _migrations_dir() -> Path:
    # Installed (not editable), the scripts travel inside the package.
    try:
        from tongchou import migrations as pkg
        return Path(pkg.__file__).resolve().parent
    except ImportError:  # pragma: no cover
        return MIGRATIONS_DIR


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("TONGCHOU_DATABASE") or DEFAULT_SQLITE


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_database(url: str | None = None) -> Database:
    """A peewee Database for ``url`` (not yet connected)."""
    url = database_url(url)
    if is_postgres(url):
        parsed = urlparse(url)
        params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        kwargs = {
            "user": unquote(parsed.username) if parsed.username else None,
            "password": unquote(parsed.password) if parsed.password else None,
            "host": parsed.hostname or None,
            "port": parsed.port or None,
            "connect_timeout": int(params.pop("connect_timeout", 5)),
        }
        prepare = params.pop("prepare", "on").lower() not in ("off", "0", "false", "no")
        kwargs.update(params)
        name = parsed.path.lstrip("/") or "postgres"
        return PreparingPostgresqlDatabase(name, prepare=prepare, **{k: v for k, v in kwargs.items() if v is not None})
    if url.startswith("sqlite://"):
        path = url[len("sqlite://"):]
        path = path[1:] if path.startswith("/") and path[1:].startswith(":memory:") else path
    elif "://" in url:
        raise ConfigurationError(f"unsupported database URL {url!r}: use a file path, "
                                 "sqlite:///path or postgresql://...")
    else:
        path = url
    if path in (":memory:", ""):
        return SqliteDatabase(":memory:", pragmas={"foreign_keys": 1})
    Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    _create_private(Path(path).expanduser())
    return SqliteDatabase(str(Path(path).expanduser()), pragmas={
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 15000,
        "synchronous": "normal",
    })


def _create_private(path: Path) -> None:
    """Create a new ledger file readable by its owner only (0600), whatever the
    umask; SQLite gives the -wal and -shm files the same mode as the database."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def sqlite_path(db: Database) -> Path | None:
    if isinstance(db, SqliteDatabase) and db.database != ":memory:":
        return Path(db.database).resolve()
    return None


def write_transaction(db: Database):
    """A transaction that takes the write lock at once (SQLite ``BEGIN IMMEDIATE``),
    so two writers queue instead of failing half-way on lock upgrade."""
    if isinstance(db, SqliteDatabase):
        return db.atomic("IMMEDIATE")
    return db.atomic()


def migration_runner(db: Database) -> Runner:
    return Runner(db, directory=str(_migrations_dir()), table_name=HISTORY_TABLE)


def migrate(db: Database) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    return migration_runner(db).up()


def pending_migrations(db: Database) -> list[str]:
    return [m.name for m in migration_runner(db).status() if m.applied is None and m.path]


@contextlib.contextmanager
def postgres_schema(base_url: str, schema: str):
    """Create ``schema`` in the PostgreSQL at ``base_url``, yield a URL that uses
    it, and drop it afterwards (tests and scenario runs on PostgreSQL)."""
    db = open_database(base_url)
    db.connect()
    try:
        db.execute_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        db.close()
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        db = open_database(base_url)
        db.connect()
        try:
            db.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
            # and what a restore kept or left beside it (tongchou.backup)
            for (name,) in db.execute_sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                          (schema.replace("_", r"\_") + r"\_re%",)).fetchall():
                db.execute_sql(f'DROP SCHEMA "{name}" CASCADE')
        finally:
            db.close()
