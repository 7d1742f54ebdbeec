"""Parties to a project besides its requesting unit (e.g. the company that
builds and operates it), one row per party field, so that a party's staff
find their projects by an index.  Nothing to backfill: no pack declared party
fields before this table existed."""
from peewee import AutoField, CharField, ForeignKeyField, Model


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    # Frozen stand-ins for the tables referred to (not created here).
    class Unit(Base):
        id = AutoField()

    class Project(Base):
        id = AutoField()

    class ProjectParty(Base):
        id = AutoField()
        project = ForeignKeyField(Project, on_delete="CASCADE")
        field = CharField(max_length=100)
        unit = ForeignKeyField(Unit, on_delete="RESTRICT")

        class Meta:
            table_name = "project_party"
            indexes = ((("project", "field"), True), (("unit", "project"), False))

    db.create_tables([ProjectParty])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "project_party"')
