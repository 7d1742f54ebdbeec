"""The serving lease: ``tongchou serve`` holds it while it runs, a restore
takes it exclusively, so a ledger is never replaced under a running server
(which would go on writing to the replaced file or schema).

SQLite: a shared ``flock`` on ``<ledger>.serve.lock`` beside the ledger file.
PostgreSQL: a shared session advisory lock on a dedicated connection, keyed
by database and schema.  Both are released by the operating system or the
database server when the holder dies, so a crashed server never blocks a
restore, and a restore in progress keeps servers from starting.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .audit import sm3_hex
from .db import database_url, is_postgres, open_database
from .errors import ConfigurationError, TongchouError


class LeaseBusy(TongchouError):
    """The lease is held the other way (servers running, or a restore running)."""


def _pg_key(url: str) -> int:
    parsed = urlparse(url)
    options = parse_qs(parsed.query).get("options", [""])[-1]
    schema = ""
    for part in options.split():
        if part.startswith("-csearch_path="):
            schema = part.split("=", 1)[1].split(",")[0].strip().strip('"')
    name = f"tongchou-serve:{parsed.path.lstrip('/') or 'postgres'}:{schema or 'public'}"
    return int(sm3_hex(name.encode())[:15], 16)  # fits a signed bigint


def _sqlite_lock_path(url: str) -> Path | None:
    path = url[len("sqlite://"):] if url.startswith("sqlite://") else url
    if path in ("", ":memory:", "/:memory:"):
        return None
    path = Path(path).expanduser().resolve()
    return path.with_name(path.name + ".serve.lock")


class Lease:
    """A held lease; :meth:`release` (or process exit) gives it back."""

    def __init__(self, url: str | None, exclusive: bool):
        self.url = database_url(url)
        self.exclusive = exclusive
        self._fd: int | None = None
        self._db = None
        self._take()

    def _take(self) -> None:
        busy = ("有服务（tongchou serve）正在使用该台账；请先停止所有服务再恢复" if self.exclusive
                else "该台账正在恢复备份，恢复完成前不能启动服务")
        if is_postgres(self.url):
            db = open_database(self.url)
            db.connect()
            fn = "pg_try_advisory_lock" if self.exclusive else "pg_try_advisory_lock_shared"
            (ok,) = db.execute_sql(f"SELECT {fn}(%s)", (_pg_key(self.url),)).fetchone()
            if not ok:
                db.close()
                raise LeaseBusy(busy)
            self._db = db
            return
        path = _sqlite_lock_path(self.url)
        if path is None:
            return  # an in-memory ledger belongs to one process
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LeaseBusy(busy) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None
        if self._db is not None:
            self._db.close()  # ending the session drops the advisory lock
            self._db = None

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def serving(url: str | None) -> Lease:
    """The lease a server holds while it runs (shared: several servers may share a ledger)."""
    try:
        return Lease(url, exclusive=False)
    except LeaseBusy:
        raise
    except OSError as exc:  # pragma: no cover - unwritable directory
        raise ConfigurationError(f"cannot take the serving lease: {exc}") from None


def restoring(url: str | None) -> Lease:
    """The lease a restore holds: refused while any server holds its lease."""
    return Lease(url, exclusive=True)
