"""Index obligations by project and state, so one project's open obligations
are found without scanning every open obligation of the ledger."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("obligation", ("project_id", "closed_on", "due"), False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index("obligation", "obligation_project_id_closed_on_due"))
