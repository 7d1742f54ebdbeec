"""Issuing an official document (公文): its 文号 from the ledger's register,
the file kept with the project, the issue in the audit chain.

The register keeps one counter per document kind and issue year
(``official_counter``).  A number is taken by one atomic
``INSERT … ON CONFLICT DO UPDATE SET last = last + 1 RETURNING last`` inside
the write transaction that also stores the file, records the issue
(``official_issue``, unique on kind, year and number) and appends the audit
entry: if anything fails the number is not used up, and two issuers — two
processes, on SQLite or PostgreSQL — never get the same number.

A draft (:func:`draft`) takes no number and records nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import attrs
from peewee import AutoField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, fn

from . import official
from .audit import sm3_hex
from .documents import DocumentStore
from .models import Base, Document, Project, now
from .vocabulary import Actor

if TYPE_CHECKING:  # pragma: no cover
    from .ledger import Ledger

#: the kind a stored official document is filed under (``official:<kind>``)
DOCUMENT_KIND = "official:{kind}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class OfficialCounter(Base):
    kind = CharField(max_length=60)
    year = IntegerField()
    last = IntegerField()

    class Meta:
        table_name = "official_counter"
        primary_key = False
        indexes = ((("kind", "year"), True),)


class OfficialIssue(Base):
    id = AutoField()
    project = ForeignKeyField(Project, on_delete="RESTRICT")
    kind = CharField(max_length=60)
    year = IntegerField()
    seq = IntegerField()
    number = CharField(max_length=100)
    issued_on = DateField()
    document = ForeignKeyField(Document, null=True, on_delete="SET NULL")
    digest = CharField(max_length=64)
    issued_by = CharField(max_length=100)
    created_at = DateTimeField(default=now)

    class Meta:
        table_name = "official_issue"
        indexes = ((("kind", "year", "seq"), True), (("project", "kind"), False))


@attrs.frozen
class Issued:
    """One issued document: its 文号, the .docx and where it is kept."""

    id: int
    project_id: int
    kind: str
    number: str
    year: int
    seq: int
    issued_on: dt.date
    digest: str
    document_id: int | None
    data: bytes = attrs.field(repr=False, eq=False)


def format_number(prefix: str, year: int, seq: int) -> str:
    """A 发文字号 as GB/T 9704-2012 7.2.4 writes it: ``淅审〔2026〕3号`` — the
    year in 六角括号, the number without leading zeros and without 第."""
    return f"{prefix}〔{year}〕{seq}号"


def _take(kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``; call inside the write transaction."""
    query = (OfficialCounter.insert(kind=kind, year=year, last=1)
             .on_conflict(conflict_target=[OfficialCounter.kind, OfficialCounter.year],
                          update={OfficialCounter.last: OfficialCounter.last + 1})
             .returning(OfficialCounter.last))
    return int(list(query.tuples().execute())[0][0])


def draft(ledger: "Ledger", project_id: int, kind: str, actor: Actor, on: dt.date | None = None) -> bytes:
    """An unnumbered preview: no 文号 taken, nothing recorded."""
    return official.render(ledger, project_id, kind, actor, on, number=None)


def issue(ledger: "Ledger", project_id: int, kind: str, actor: Actor, on: dt.date | None = None,
          store: DocumentStore | None = None) -> Issued:
    """Issue document ``kind`` for the project on ``on`` (default today): take
    the next 文号 of the kind in ``on``'s year, fill the template with it, keep
    the .docx with the project (document store, SM3 digest), record the issue
    and append it to the audit chain, all in one transaction.

    Raises what :func:`tongchou.official.render` raises (NotFound,
    PermissionDenied, InvalidInput) before any number is taken.
    """
    on = on or dt.date.today()
    spec = official.templates(ledger.pm).get(kind)
    # Refusals (no such kind or project, wrong role, nothing to say) before the number.
    official.render(ledger, project_id, kind, actor, on, number=None)
    official._refuse_issuer(ledger, spec, actor)
    prefix = official.number_prefix(ledger, spec, project_id, actor, on)
    store = store or DocumentStore.for_ledger(ledger)
    with ledger._change():
        row = ledger._readable_row(project_id, actor)
        seq = _take(kind, on.year) if prefix else 0
        number = format_number(prefix, on.year, seq) if prefix else ""
        data = official.render(ledger, project_id, kind, actor, on, number=number)
        digest = sm3_hex(data)
        store._write(digest, data)  # content-addressed: a rollback leaves at most an unused file
        filename = f"{number or spec.label}-{spec.label}.docx" if number else f"{spec.label}.docx"
        doc_id = Document.insert(project=row.id, kind=DOCUMENT_KIND.format(kind=kind), filename=filename,
                                 media_type=DOCX, size=len(data), digest=digest, encrypted=store.encrypt,
                                 uploaded_by=actor.id).execute()
        ledger._seal("document", [doc_id])  # a document row is sealed like any other (tongchou.seals)
        issue_id = OfficialIssue.insert(project=row.id, kind=kind, year=on.year, seq=seq, number=number,
                                        issued_on=on, document=doc_id, digest=digest,
                                        issued_by=actor.name).execute()
        ledger.audit.append("official", actor.name, {
            "op": "issue", "kind": kind, "label": spec.label, "number": number, "year": on.year, "seq": seq,
            "date": on.isoformat(), "document": doc_id, "digest": digest, "size": len(data)},
            project_id=row.id)
        ledger.rederive(row.id)  # rules see the kinds of a project's documents
    return Issued(issue_id, row.id, kind, number, on.year, seq, on, digest, doc_id, data)


def issued(ledger: "Ledger", project_id: int, actor: Actor) -> list[Issued]:
    """The documents issued for a project the actor may read, oldest first
    (without their bytes: fetch those from the document store)."""
    ledger._readable_row(project_id, actor)
    return [Issued(r.id, r.project_id, r.kind, r.number, r.year, r.seq, r.issued_on, r.digest, r.document_id, b"")
            for r in OfficialIssue.select().where(OfficialIssue.project == project_id).order_by(OfficialIssue.id)]


def last_number(kind: str, year: int) -> int:
    """The last number taken of ``kind`` in ``year`` (0: none yet)."""
    return OfficialCounter.select(fn.MAX(OfficialCounter.last)).where(
        (OfficialCounter.kind == kind) & (OfficialCounter.year == year)).scalar() or 0
