"""The first schema: units, accounts, projects, events, obligations, findings,
documents, dated parameter values, settings and the audit chain."""
import datetime

from peewee import (AutoField, BigIntegerField, BooleanField, CharField, DateField,
                    DateTimeField, ForeignKeyField, IntegerField, Model, TextField)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Unit(Base):
        id = AutoField()
        name = CharField(max_length=100, unique=True)
        created_at = DateTimeField(default=datetime.datetime.now)

    class Account(Base):
        id = AutoField()
        name = CharField(max_length=64, unique=True)
        display_name = CharField(max_length=100, default="")
        role = CharField(max_length=40)
        unit = ForeignKeyField(Unit, null=True, on_delete="RESTRICT")
        password_hash = TextField(null=True)
        disabled = BooleanField(default=False)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField(default=datetime.datetime.now)

    class Project(Base):
        id = AutoField()
        name = CharField(max_length=200)
        unit = ForeignKeyField(Unit, on_delete="RESTRICT")
        year = IntegerField()
        estimate = BigIntegerField(null=True)  # fen
        status = CharField(max_length=40)
        data = TextField(default="{}")
        version = IntegerField(default=1)
        created_on = DateField()
        created_by = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
        created_at = DateTimeField(default=datetime.datetime.now)
        updated_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("unit", "year"), False), (("status",), False), (("year",), False))

    class Event(Base):
        id = AutoField()
        project = ForeignKeyField(Project, on_delete="RESTRICT")
        seq = IntegerField()
        action = CharField(max_length=60)
        date = DateField()
        actor = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
        role = CharField(max_length=40)
        args = TextField(default="{}")
        from_status = CharField(max_length=40)
        to_status = CharField(max_length=40)
        recorded_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("project", "seq"), True), (("date",), False))

    class Obligation(Base):
        id = AutoField()
        project = ForeignKeyField(Project, on_delete="RESTRICT")
        code = CharField(max_length=100)
        document = CharField(max_length=100)
        articles = CharField(max_length=60)
        due = DateField()
        message = TextField()
        closed_on = DateField(null=True)

        class Meta:
            indexes = ((("closed_on", "due"), False), (("due",), False))

    class Finding(Base):
        id = AutoField()
        project = ForeignKeyField(Project, on_delete="RESTRICT")
        code = CharField(max_length=100)
        severity = CharField(max_length=20)
        document = CharField(max_length=100)
        articles = CharField(max_length=60)
        message = TextField()

        class Meta:
            indexes = ((("severity",), False),)

    class Document(Base):
        id = AutoField()
        project = ForeignKeyField(Project, null=True, on_delete="RESTRICT")
        kind = CharField(max_length=60)
        filename = CharField(max_length=255)
        media_type = CharField(max_length=100)
        size = BigIntegerField()
        digest = CharField(max_length=64, index=True)
        encrypted = BooleanField(default=False)
        uploaded_by = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
        uploaded_at = DateTimeField(default=datetime.datetime.now)

    class ParameterValue(Base):
        id = AutoField()
        name = CharField(max_length=100)
        effective = DateField()
        value = TextField()
        note = TextField(default="")
        set_by = CharField(max_length=64, default="")
        set_at = DateTimeField(default=datetime.datetime.now)

        class Meta:
            indexes = ((("name", "effective"), True),)

    class Setting(Base):
        key = CharField(max_length=100, primary_key=True)
        value = TextField()

    class AuditEntry(Base):
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
        id = IntegerField(primary_key=True)
        last_id = IntegerField()
        last_mac = CharField(max_length=64)

    db.create_tables([Unit, Account, Project, Event, Obligation, Finding, Document,
                      ParameterValue, Setting, AuditEntry, AuditHead])
