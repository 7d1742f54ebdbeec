"""The 文号 register of official documents (公文), one counter per kind and
issue year, with one row per document issued; and the calendar events last
issued in .ics files (one stable UID per obligation, its SEQUENCE bumped when
the due date moves).  Nothing to backfill: no 文号 was taken and no event
was tracked before these tables existed."""
from peewee import (AutoField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, Model)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    # Frozen stand-ins for the tables referred to (not created here).
    class Project(Base):
        id = AutoField()

    class Document(Base):
        id = AutoField()

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
        created_at = DateTimeField()

        class Meta:
            table_name = "official_issue"
            indexes = ((("kind", "year", "seq"), True), (("project", "kind"), False))

    class CalendarEvent(Base):
        uid = CharField(max_length=255, primary_key=True)
        due = DateField()
        sequence = IntegerField()

        class Meta:
            table_name = "calendar_event"

    db.create_tables([OfficialCounter, OfficialIssue, CalendarEvent])


def down(migrator, db):
    for table in ("calendar_event", "official_issue", "official_counter"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
