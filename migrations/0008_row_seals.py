"""Row seals (see tongchou.seals): an HMAC-SM3 column on the tables the audit
chain does not cover.  The migration cannot hold the key, so rows that exist
at upgrade are sealed by Ledger.open right after it (the key is at hand
there), or later by an administrator with ``tongchou audit reseal``."""
from peewee import CharField

TABLES = ("account", "parameter_value", "setting", "project", "document")


def up(migrator, db):
    migrator.migrate(*[migrator.add_column(t, "seal", CharField(max_length=64, null=True))
                       for t in TABLES])


def down(migrator, db):
    migrator.migrate(*[migrator.drop_column(t, "seal") for t in TABLES])
