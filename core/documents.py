"""Documents (申报材料, 合同, 验收报告 ...): uploaded with a size limit and a type
allow-list, stored by content under their SM3 digest, optionally encrypted at
rest with SM4-GCM, and re-checked against the digest on every download.

A user's file name is kept as metadata only; what lands on disk is named by
the digest, so no name a user chooses ever becomes a path.
"""
from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import auth
from .audit import create_key_file, read_key_file, sm3_hex
from .db import sqlite_path
from .errors import InvalidInput, NotFound, PermissionDenied, TongchouError
from .models import Document
from .seals import TamperedRow
from .values import record_id
from .vocabulary import Actor

MAX_BYTES = 20 * 1024 * 1024
#: Bytes encrypted per step when a document is written SM4-encrypted.
WRITE_SLICE = 1024 * 1024

#: extension → (media type, magic prefixes that content of that type starts with)
ALLOWED = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "ofd": ("application/ofd", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "txt": ("text/plain", ()),
}


class DocumentCorrupt(TongchouError):
    """A stored document no longer matches its SM3 digest (or its SM4 tag)."""


@attrs.frozen
class StoredDocument:
    id: int
    project_id: int | None
    kind: str
    filename: str
    media_type: str
    size: int
    digest: str
    encrypted: bool


def clean_filename(name: str) -> str:
    """A display name: no directories, no control characters, at most 200 chars."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return name[:200] or "document"


def _check_type(filename: str, data: bytes) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ALLOWED:
        raise InvalidInput("file", f"不允许的文件类型“.{ext}”（允许：{', '.join(sorted(ALLOWED))}）", "文件")
    media, magics = ALLOWED[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise InvalidInput("file", f"文件内容与扩展名“.{ext}”不符", "文件")
    if ext == "txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("file", "文本文件须为 UTF-8 编码", "文件") from None
    return media


LEGACY_KEY_NAME = "documents.sm4key"


def sm4_key_path(audit_key: Path) -> Path:
    """Where the SM4 document key lives: beside the audit key file."""
    return audit_key.with_name(audit_key.stem + ".sm4key")


def _move_legacy_key(old: Path, new: Path) -> None:
    """Move a key that older versions kept inside the document store (and so
    in every copy of the store) to its place beside the audit key."""
    if not old.exists() or new.exists():
        return
    new.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(old.read_bytes())
        fh.flush()
        os.fsync(fh.fileno())
    old.unlink()


class DocumentStore:
    """Files of one ledger: ``<root>/<d[:2]>/<d[2:4]>/<digest>[.sm4]``."""

    def __init__(self, root: Path, *, encrypt: bool = False, key_file: Path | None = None,
                 max_bytes: int = MAX_BYTES):
        self.root = Path(root)
        self.encrypt = encrypt
        self.key_file = key_file or self.root / LEGACY_KEY_NAME
        self.max_bytes = max_bytes
        if self.key_file != self.root / LEGACY_KEY_NAME:
            _move_legacy_key(self.root / LEGACY_KEY_NAME, self.key_file)

    @classmethod
    def for_ledger(cls, ledger, **kwargs) -> "DocumentStore":
        env = os.environ.get("TONGCHOU_FILES")
        if env:
            root = Path(env)
        else:
            path = sqlite_path(ledger.db)
            root = path.with_name(path.name + ".files") if path else Path("tongchou-files")
        encrypt = bool(ledger.setting("encrypt_documents", False))
        if "key_file" not in kwargs and getattr(ledger, "key_path", None) is not None:
            # Beside the audit key, outside the store: a copy of the store (a
            # backup of the files) then holds no key to decrypt them.
            kwargs["key_file"] = sm4_key_path(ledger.key_path)
        return cls(root, encrypt=kwargs.pop("encrypt", encrypt), **kwargs)

    def _key(self) -> bytes:
        if not self.key_file.exists():
            create_key_file(self.key_file)
        return read_key_file(self.key_file)[:16]

    def _path(self, digest: str, encrypted: bool) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise DocumentCorrupt(f"bad digest {digest!r}")
        return self.root / digest[:2] / digest[2:4] / (digest + (".sm4" if encrypted else ""))

    def _write(self, digest: str, data: bytes) -> None:
        path = self._path(digest, self.encrypt)
        if path.exists():
            return  # content-addressed: the same bytes are stored once
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".tmp{os.getpid()}")
        # owner-only whatever the umask: documents are the units' papers
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            if self.encrypt:
                # nonce | ciphertext | tag, encrypted a slice at a time: a 20 MB
                # upload never has a second whole copy in memory.
                nonce = os.urandom(12)
                enc = Cipher(algorithms.SM4(self._key()), modes.GCM(nonce)).encryptor()
                enc.authenticate_additional_data(digest.encode())
                fh.write(nonce)
                view = memoryview(data)
                for start in range(0, len(view), WRITE_SLICE):
                    fh.write(enc.update(view[start:start + WRITE_SLICE]))
                fh.write(enc.finalize() + enc.tag)
            else:
                fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def _read(self, digest: str, encrypted: bool) -> bytes:
        path = self._path(digest, encrypted)
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            raise DocumentCorrupt(f"document file for {digest[:12]}… is missing") from None
        if encrypted:
            nonce, body, tag = blob[:12], blob[12:-16], blob[-16:]
            dec = Cipher(algorithms.SM4(self._key()), modes.GCM(nonce, tag)).decryptor()
            dec.authenticate_additional_data(digest.encode())
            try:
                blob = dec.update(body) + dec.finalize()
            except InvalidTag:
                raise DocumentCorrupt(f"document {digest[:12]}… fails its SM4-GCM tag") from None
        if sm3_hex(blob) != digest:
            raise DocumentCorrupt(f"document {digest[:12]}… no longer matches its SM3 digest")
        return blob

    # -- the ledger-facing operations ----------------------------------------

    def add(self, ledger, project_id: int, kind: str, filename: str, data: bytes, actor: Actor) -> StoredDocument:
        """Store a document of a project the actor may file documents for."""
        row = ledger._readable_row(project_id, actor)
        refusal = auth.may_add_document(ledger.registry, actor, row.unit_id, ledger._row_parties(row))
        if refusal is not None:
            raise PermissionDenied(refusal.message)
        kind = (kind or "").strip()
        if not kind or len(kind) > 60:
            raise InvalidInput("kind", "材料类别不能为空且不超过60字", "材料类别")
        if len(data) > self.max_bytes:
            raise InvalidInput("file", f"文件超过 {self.max_bytes // (1024 * 1024)} MB 上限", "文件")
        if not data:
            raise InvalidInput("file", "文件为空", "文件")
        name = clean_filename(filename)
        media = _check_type(name, data)
        digest = sm3_hex(data)
        self._write(digest, data)
        with ledger._change():
            doc_id = Document.insert(project=row.id, kind=kind, filename=name, media_type=media, size=len(data),
                                     digest=digest, encrypted=self.encrypt, uploaded_by=actor.id).execute()
            ledger._seal("document", [doc_id])
            ledger.audit.append("document", actor.name, {"op": "add", "document": doc_id, "digest": digest,
                                                         "kind": kind, "filename": name, "size": len(data)},
                                project_id=row.id)
            # Rules see the kinds uploaded: what the project owes may change with them.
            ledger.rederive(row.id)
        return StoredDocument(doc_id, row.id, kind, name, media, len(data), digest, self.encrypt)

    def remove(self, ledger, doc_id: int, actor: Actor) -> StoredDocument:
        """Take a document off its project (who may upload may remove); the
        project's obligations and findings are re-derived in the same
        transaction.  The file stays in the store: the same bytes may belong to
        another project, and the audit log keeps its digest."""
        d = Document.get_or_none(Document.id == doc_id) if record_id(doc_id) else None
        if d is None or d.project_id is None:
            raise NotFound(f"no document {doc_id!r}")
        row = ledger._readable_row(d.project_id, actor)
        refusal = auth.may_add_document(ledger.registry, actor, row.unit_id)
        if refusal is not None:
            raise PermissionDenied(refusal.message.replace("上传", "删除"))
        meta = StoredDocument(d.id, d.project_id, d.kind, d.filename, d.media_type, d.size, d.digest, d.encrypted)
        with ledger._change():
            Document.delete().where(Document.id == d.id).execute()
            ledger.audit.append("document", actor.name, {"op": "remove", "document": d.id, "digest": d.digest,
                                                         "kind": d.kind, "filename": d.filename},
                                project_id=row.id)
            ledger.rederive(row.id)
        return meta

    def list(self, ledger, project_id: int, actor: Actor) -> list[StoredDocument]:
        ledger._readable_row(project_id, actor)
        return [StoredDocument(d.id, d.project_id, d.kind, d.filename, d.media_type, d.size, d.digest, d.encrypted)
                for d in Document.select().where(Document.project == project_id).order_by(Document.id)]

    def get(self, ledger, doc_id: int, actor: Actor) -> tuple[StoredDocument, bytes]:
        """A document's metadata and bytes, after checking access and its digest."""
        d = Document.get_or_none(Document.id == doc_id) if record_id(doc_id) else None
        if d is None or (d.project_id is not None and not _readable(ledger, actor, d.project_id)):
            raise NotFound(f"no document {doc_id!r}")
        if not ledger._row_sound("document", d):
            raise TamperedRow("document", d.id)
        data = self._read(d.digest, d.encrypted)
        with ledger._change():
            ledger.audit.append("document", actor.name, {"op": "get", "document": d.id, "digest": d.digest},
                                project_id=d.project_id)
        meta = StoredDocument(d.id, d.project_id, d.kind, d.filename, d.media_type, d.size, d.digest, d.encrypted)
        return meta, data


def _readable(ledger, actor: Actor, project_id: int) -> bool:
    try:
        ledger._readable_row(project_id, actor)
    except NotFound:
        return False
    return True
