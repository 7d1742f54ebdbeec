"""Each project records the rule set (pack and version) it was entered under, so
a ledger can tell which version of the measures governs it."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("project", "rules", CharField(max_length=60, default="")))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("project", "rules"))
