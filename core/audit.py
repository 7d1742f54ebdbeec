"""The tamper-evident audit log: every event, refusal, login and administrative
change, chained with HMAC-SM3.

Each entry's MAC covers its own content and the previous entry's MAC, keyed by a
secret that lives outside the database (a file created with mode 0600).  Someone
who can write to the database but does not hold the key can neither change,
delete nor insert an entry without :meth:`AuditChain.verify` naming the first
broken one.  Every event row is also bound to its audit entry by an SM3 digest,
so editing the events table is caught too.
"""
from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import json
import os
import secrets
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import attrs
from cryptography.hazmat.primitives import hashes, hmac
from peewee import PostgresqlDatabase

from .errors import AuditKeyMissing
from .models import AuditEntry, AuditHead, Event, Project, database, now
from .postgres import prepared
from .values import dumps

GENESIS = "0" * 64
#: the columns of an audit entry, in the order the hot INSERT binds them
ENTRY_FIELDS = (AuditEntry.id, AuditEntry.at, AuditEntry.kind, AuditEntry.actor, AuditEntry.project_id,
                AuditEntry.action, AuditEntry.detail, AuditEntry.prev_mac, AuditEntry.mac)
KEY_BYTES = 32
#: the prefix of an anchor (AuditChain.anchor)
ANCHOR_TAG = "tongchou-anchor-v1"


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    h = hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def create_key_file(path: Path) -> bytes:
    """Write a new random key readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def read_key_file(path: Path) -> bytes:
    """The first (or only) key in a key file."""
    return Keyring.read(path).keys[0][1]


@attrs.frozen
class Keyring:
    """The chain's keys: each signs the entries from its first id on.  Rotating
    adds a key; old ones stay so that old entries still verify."""

    keys: tuple[tuple[int, bytes], ...]

    @classmethod
    def single(cls, key: bytes) -> "Keyring":
        return cls(((1, key),))

    @classmethod
    def read(cls, path: Path) -> "Keyring":
        keys = []
        for line in path.read_text().split():
            first, _, text = line.rpartition(":")
            try:
                key = bytes.fromhex(text)
                start = int(first) if first else 1
            except ValueError:
                raise AuditKeyMissing(f"audit key file {path} is not a key file") from None
            if len(key) < 16:
                raise AuditKeyMissing(f"audit key file {path} holds a key that is too short")
            keys.append((start, key))
        if not keys:
            raise AuditKeyMissing(f"audit key file {path} is empty")
        return cls(tuple(sorted(keys)))

    def for_entry(self, entry_id: int) -> bytes:
        chosen = self.keys[0][1]
        for start, key in self.keys:
            if start <= entry_id:
                chosen = key
        return chosen

    def with_key(self, start: int, key: bytes) -> "Keyring":
        return Keyring(self.keys + ((start, key),))

    def write(self, path: Path) -> None:
        """Replace the key file atomically, readable by its owner only."""
        tmp = path.with_name(path.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            for start, key in self.keys:
                fh.write(f"{start}:{key.hex()}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


def event_digest(event: Event) -> str:
    """SM3 of an event row's content, as bound into its audit entry."""
    body = {
        "id": event.id, "project": event.project_id, "seq": event.seq,
        "action": event.action, "date": event.date, "actor": event.actor_id,
        "role": event.role, "args": event.args, "from": event.from_status,
        "to": event.to_status,
    }
    return sm3_hex(dumps(body).encode())


def _entry_bytes(entry_id: int, at: dt.datetime, kind: str, actor: str,
                 project_id: int | None, action: str | None, detail: str, prev: str) -> bytes:
    return dumps([entry_id, at.isoformat(timespec="microseconds"), kind, actor, project_id,
                  action, detail, prev]).encode()


@attrs.frozen
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None
    problem: str = ""
    #: sealed rows that fail their check, as ``(table, row key, problem)`` (tongchou.seals)
    tampered: tuple = ()


class AuditChain:
    """Appends to and verifies the chain in the bound database."""

    def __init__(self, keys: "Keyring | bytes", *, key_file: Path | None = None):
        self.keys = keys if isinstance(keys, Keyring) else Keyring.single(keys)
        self._sql: tuple[Any, tuple[str, str, str, str | None]] | None = None
        # Another process (``tongchou audit rotate-key``) may rotate the key while
        # this one runs: the file is re-read when it changes, under the head lock.
        self.key_file = key_file
        self._key_stamp = self._stamp()

    def _stamp(self) -> tuple | None:
        try:
            st = os.stat(self.key_file) if self.key_file is not None else None
        except OSError:
            return None
        return None if st is None else (st.st_ino, st.st_mtime_ns, st.st_size)

    def refresh_keys(self) -> bool:
        """Re-read the key file if it changed since last read; True when it did."""
        stamp = self._stamp()
        if stamp is None or stamp == self._key_stamp:
            return False
        self.keys = Keyring.read(self.key_file)  # type: ignore[arg-type]
        self._key_stamp = stamp
        return True

    def ensure_head(self) -> None:
        if AuditHead.get_or_none(AuditHead.id == 1) is None:
            AuditHead.insert(id=1, last_id=0, last_mac=GENESIS).on_conflict_ignore().execute()

    def _statements(self) -> tuple[str, str, str, str | None]:
        """The statements of an append as parameterised SQL for the bound
        backend, built once: composing them with peewee on every action cost
        more than running them."""
        db = database.obj
        if self._sql is None or self._sql[0] is not db:
            ph = db.param
            lock = " FOR UPDATE" if isinstance(db, PostgresqlDatabase) else ""
            cols = ", ".join(f'"{f.column_name}"' for f in ENTRY_FIELDS)
            insert = f'INSERT INTO "{AuditEntry._meta.table_name}" ({cols}) VALUES ({", ".join([ph] * len(ENTRY_FIELDS))})'
            update = f'UPDATE "{AuditHead._meta.table_name}" SET "last_id" = {ph}, "last_mac" = {ph} WHERE "id" = 1'
            # PostgreSQL: one entry and the head's move in one statement (one round
            # trip, which is what a write costs on a server); SQLite has no
            # data-modifying WITH, and runs in-process anyway.
            both = f'WITH "h" AS ({update}) {insert}' if lock else None
            head = f'SELECT "last_id", "last_mac" FROM "{AuditHead._meta.table_name}" WHERE "id" = 1{lock}'
            # on PostgreSQL planned once per connection (tongchou.postgres)
            self._sql = (db, (prepared(db, head), insert, update, prepared(db, both) if both else None))
        return self._sql[1]

    def append(self, kind: str, actor: str, detail: dict[str, Any], *,
               project_id: int | None = None, action: str | None = None) -> int:
        """Add one entry; call inside the write transaction of what it records."""
        return self.append_many(actor, [(kind, detail, project_id, action)])

    def append_many(self, actor: str, entries: Sequence[tuple[str, dict[str, Any], int | None, str | None]],
                    batch: int = 500) -> int:
        """Add entries ``(kind, detail, project_id, action)`` in order, linked as
        :meth:`append` links them one by one, with one head update (bulk imports).
        Call inside the write transaction of what they record.  Returns the last id."""
        db = database.obj
        head_sql, insert_sql, update_sql, both_sql = self._statements()
        # On PostgreSQL FOR UPDATE serialises writers on the head row, so two
        # links never share a parent; SQLite's write transaction already does.
        head = db.execute_sql(head_sql).fetchone()
        if head is None:
            self.ensure_head()
            head = db.execute_sql(head_sql).fetchone()
        last_id, last_mac = head
        self.refresh_keys()  # under the head lock: a rotation committed before us is seen
        if not entries:
            return last_id
        rows = []
        for kind, detail, project_id, action in entries:
            last_id += 1
            at = now()
            text = dumps(detail)
            mac = hmac_sm3_hex(self.keys.for_entry(last_id),
                               _entry_bytes(last_id, at, kind, actor, project_id, action, text, last_mac))
            rows.append((last_id, at, kind, actor, project_id, action, text, last_mac, mac))
            last_mac = mac
        if len(rows) == 1:
            values = tuple(f.db_value(v) for f, v in zip(ENTRY_FIELDS, rows[0]))
            if both_sql:
                db.execute_sql(both_sql, (last_id, last_mac) + values)
                return last_id
            db.execute_sql(insert_sql, values)
        else:
            for i in range(0, len(rows), batch):
                chunk = rows[i:i + batch]
                AuditEntry.insert_many(chunk, fields=list(ENTRY_FIELDS)).execute()
        db.execute_sql(update_sql, (last_id, last_mac))
        return last_id

    def rotate(self, key_file: Path, actor: str) -> int:
        """Start signing with a new key: verify the chain, log the rotation with
        the old key, and add the new key to ``key_file``.  Call inside a write
        transaction.  Returns the id of the first entry the new key signs."""
        result = self.verify()
        if not result.ok:
            raise AuditKeyMissing(f"refusing to rotate the key of a broken chain: {result.problem}")
        new = secrets.token_bytes(KEY_BYTES)
        entry = self.append("key_rotation", actor, {"fingerprint": sm3_hex(new)[:16]})
        keys = self.keys.with_key(entry + 1, new)
        keys.write(key_file)
        self.keys = keys
        if key_file == self.key_file:
            self._key_stamp = self._stamp()
        return entry + 1

    def anchor(self) -> str:
        """The head of the chain as one line to keep outside the database: a
        later :meth:`check_anchor` shows the chain was not cut back before it."""
        head = AuditHead.get_or_none(AuditHead.id == 1)
        last_id, last_mac = (head.last_id, head.last_mac) if head else (0, GENESIS)
        return f"{ANCHOR_TAG}:{last_id}:{last_mac}"

    def check_anchor(self, anchor: str) -> str:
        """"" when the chain still holds the anchored entry unchanged, else the problem."""
        try:
            tag, entry_id, mac = anchor.strip().rsplit(":", 2)
            entry_id = int(entry_id)
            if tag != ANCHOR_TAG or len(mac) != 64:
                raise ValueError
        except ValueError:
            return f"锚点“{anchor.strip()[:80]}”格式不对（应为 tongchou audit anchor 的输出）"
        if entry_id == 0:
            return ""
        row = AuditEntry.get_or_none(AuditEntry.id == entry_id)
        if row is None:
            return f"锚点记录的第 {entry_id} 条审计记录已不存在（审计链尾部被截断）"
        if not std_hmac.compare_digest(row.mac, mac):
            return f"第 {entry_id} 条审计记录与锚点不符（审计链被替换）"
        return ""

    def verify(self, batch: int = 5000) -> VerifyResult:
        """Walk the chain; report the first entry that was changed, removed or
        inserted, then check that every event is bound to an entry."""
        self.refresh_keys()
        prev_id, prev_mac, checked = 0, GENESIS, 0
        bound: dict[int, str] = {}
        last = 0
        while True:
            rows = list(AuditEntry.select().where(AuditEntry.id > last)
                        .order_by(AuditEntry.id).limit(batch).tuples())
            if not rows:
                break
            for (eid, at, kind, actor, project_id, action, detail, prev, mac) in rows:
                if isinstance(at, str):
                    at = dt.datetime.fromisoformat(at)
                if eid != prev_id + 1:
                    return VerifyResult(False, checked, prev_id + 1,
                                        f"entry {prev_id + 1} is missing (next present is {eid})")
                if prev != prev_mac:
                    return VerifyResult(False, checked, eid, f"entry {eid} does not follow entry {prev_id}")
                want = hmac_sm3_hex(self.keys.for_entry(eid), _entry_bytes(eid, at, kind, actor, project_id,
                                                          action, detail, prev))
                if not std_hmac.compare_digest(want, mac):
                    return VerifyResult(False, checked, eid, f"entry {eid} was altered or forged")
                if kind == "event":
                    d = json.loads(detail)
                    bound[d["event_id"]] = d["digest"]
                prev_id, prev_mac = eid, mac
                checked += 1
            last = rows[-1][0]
        head = AuditHead.get_or_none(AuditHead.id == 1)
        if head is not None and (head.last_id != prev_id or head.last_mac != prev_mac):
            return VerifyResult(False, checked, prev_id + 1 if head.last_id > prev_id else prev_id,
                                f"the chain ends at entry {prev_id} but its head records entry {head.last_id}")
        for ev in Event.select().order_by(Event.id).iterator():
            digest = bound.pop(ev.id, None)
            if digest is None:
                return VerifyResult(False, checked, None, f"event {ev.id} has no audit entry (inserted out of band)")
            if digest != event_digest(ev):
                return VerifyResult(False, checked, None, f"event {ev.id} was altered after it was recorded")
        if bound:
            missing = min(bound)
            return VerifyResult(False, checked, None, f"event {missing} was deleted from the events table")
        # A project's status is where its last event left it.
        last_status = {}
        for pid, to_status in (Event.select(Event.project, Event.to_status)
                               .order_by(Event.project, Event.seq).tuples().iterator()):
            last_status[pid] = to_status
        for pid, status in Project.select(Project.id, Project.status).tuples().iterator():
            if pid in last_status and last_status[pid] != status:
                return VerifyResult(False, checked, None,
                                    f"project {pid} shows status {status!r} but its last event left {last_status[pid]!r}")
        return VerifyResult(True, checked)
