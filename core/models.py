"""The ledger's tables (peewee models), bound to the open ledger's database.

The schema itself is created and upgraded only by the numbered scripts in
migrations/, which hold frozen copies of these definitions; these classes are
how the running code reads and writes it.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from peewee import (AutoField, BigIntegerField, BooleanField, CharField,
                    DateField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField)

from .binding import LedgerDatabase

#: the models' database: the ledger at work in the calling thread (tongchou.binding)
database = LedgerDatabase()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class MoneyField(BigIntegerField):
    """Yuan as a Decimal in Python, whole fen (integer) in the database."""

    def db_value(self, value):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def python_value(self, value):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class JSONField(TextField):
    """JSON text; values are already JSON-safe (see :mod:`tongchou.values`)."""

    def db_value(self, value):
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class Base(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Unit(Base):
    """An organisation (建设单位 or a department)."""

    id = AutoField()
    name = CharField(max_length=100, unique=True)
    created_at = DateTimeField(default=now)


class Account(Base):
    """A user: login name, role, and for unit-scoped roles the unit."""

    id = AutoField()
    name = CharField(max_length=64, unique=True)
    display_name = CharField(max_length=100, default="")
    role = CharField(max_length=40)
    unit = ForeignKeyField(Unit, null=True, backref="accounts", on_delete="RESTRICT")
    password_hash = TextField(null=True)
    disabled = BooleanField(default=False)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    created_at = DateTimeField(default=now)
    #: HMAC-SM3 of the row (see :mod:`tongchou.seals`)
    seal = CharField(max_length=64, null=True)


class Project(Base):
    id = AutoField()
    name = CharField(max_length=200)
    unit = ForeignKeyField(Unit, backref="projects", on_delete="RESTRICT")
    year = IntegerField()
    estimate = MoneyField(null=True)
    status = CharField(max_length=40)
    #: every plugin-contributed field, as JSON-safe values
    data = JSONField(default=dict)
    #: optimistic lock: bumped by every change
    version = IntegerField(default=1)
    #: the rule set the project was entered under ("pack@version")
    rules = CharField(max_length=60, default="")
    #: SM3 of the obligations and findings last derived (see Ledger._recompute)
    derived = CharField(max_length=64, default="")
    created_on = DateField()
    created_by = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=now)
    updated_at = DateTimeField(default=now)
    #: HMAC-SM3 of the row (see :mod:`tongchou.seals`)
    seal = CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("unit", "year"), False), (("status",), False), (("year",), False))


class ProjectParty(Base):
    """A unit that is a party to a project besides its requesting unit, by the
    party field that names it: kept in step with ``Project.data`` on every
    write, so that a party's staff find their projects by an index."""

    id = AutoField()
    project = ForeignKeyField(Project, backref="parties", on_delete="CASCADE")
    field = CharField(max_length=100)
    unit = ForeignKeyField(Unit, backref="party_to", on_delete="RESTRICT")

    class Meta:
        table_name = "project_party"
        indexes = ((("project", "field"), True), (("unit", "project"), False))


class Event(Base):
    """One action taken on a project; rows are only ever added."""

    id = AutoField()
    project = ForeignKeyField(Project, backref="events", on_delete="RESTRICT")
    seq = IntegerField()
    action = CharField(max_length=60)
    date = DateField()
    actor = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
    role = CharField(max_length=40)
    args = JSONField(default=dict)
    from_status = CharField(max_length=40)
    to_status = CharField(max_length=40)
    recorded_at = DateTimeField(default=now)

    class Meta:
        indexes = ((("project", "seq"), True), (("date",), False))


class Obligation(Base):
    id = AutoField()
    project = ForeignKeyField(Project, backref="obligations", on_delete="RESTRICT")
    code = CharField(max_length=100)
    document = CharField(max_length=100)
    articles = CharField(max_length=60)
    due = DateField()
    message = TextField()
    closed_on = DateField(null=True)

    class Meta:
        indexes = ((("closed_on", "due"), False), (("due",), False), (("project", "closed_on", "due"), False))


class Finding(Base):
    id = AutoField()
    project = ForeignKeyField(Project, backref="findings", on_delete="RESTRICT")
    code = CharField(max_length=100)
    severity = CharField(max_length=20)
    document = CharField(max_length=100)
    articles = CharField(max_length=60)
    message = TextField()

    class Meta:
        indexes = ((("severity",), False),)


class Document(Base):
    id = AutoField()
    project = ForeignKeyField(Project, null=True, backref="documents", on_delete="RESTRICT")
    kind = CharField(max_length=60)
    filename = CharField(max_length=255)
    media_type = CharField(max_length=100)
    size = BigIntegerField()
    digest = CharField(max_length=64, index=True)
    encrypted = BooleanField(default=False)
    uploaded_by = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
    uploaded_at = DateTimeField(default=now)
    #: HMAC-SM3 of the row (see :mod:`tongchou.seals`)
    seal = CharField(max_length=64, null=True)


class ParameterValue(Base):
    """A dated parameter value set for this ledger by an administrator."""

    id = AutoField()
    name = CharField(max_length=100)
    effective = DateField()
    value = JSONField()
    note = TextField(default="")
    set_by = CharField(max_length=64, default="")
    set_at = DateTimeField(default=now)
    #: HMAC-SM3 of the row (see :mod:`tongchou.seals`)
    seal = CharField(max_length=64, null=True)

    class Meta:
        indexes = ((("name", "effective"), True),)


class Setting(Base):
    key = CharField(max_length=100, primary_key=True)
    value = JSONField()
    #: HMAC-SM3 of the row (see :mod:`tongchou.seals`)
    seal = CharField(max_length=64, null=True)


class AuditEntry(Base):
    """One link of the tamper-evident audit chain (see :mod:`tongchou.audit`)."""

    id = IntegerField(primary_key=True)
    at = DateTimeField()
    kind = CharField(max_length=30)
    actor = CharField(max_length=64)
    project_id = IntegerField(null=True)
    action = CharField(max_length=60, null=True)
    detail = TextField()
    prev_mac = CharField(max_length=64)
    mac = CharField(max_length=64)


class AuditHead(Base):
    """The chain's last link, locked by every writer so links never fork."""

    id = IntegerField(primary_key=True)
    last_id = IntegerField()
    last_mac = CharField(max_length=64)


MODELS = (Unit, Account, Project, ProjectParty, Event, Obligation, Finding, Document, ParameterValue,
          Setting, AuditEntry, AuditHead)
