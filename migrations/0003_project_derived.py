"""A digest of each project's derived obligations and findings, so a change that
does not alter them need not rewrite them."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("project", "derived", CharField(max_length=64, default="")))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("project", "derived"))
