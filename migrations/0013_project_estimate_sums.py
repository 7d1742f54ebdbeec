"""Index projects' estimates by year and by unit, for the home page's charts.

投资按年度 and 投资按单位 sum every estimate a role sees.  Without these the
sums read each project's row (its fields included): at 150,000 projects the
two sums took a second of a cold server's home page.  With them each is one
scan of a small index (docs/performance.md)."""


def up(migrator, db):
    migrator.migrate(migrator.add_index("project", ("year", "estimate"), False),
                     migrator.add_index("project", ("unit_id", "estimate"), False))
    # The planner needs the new indexes' statistics to prefer them.
    db.execute_sql('ANALYZE "project"')


def down(migrator, db):
    migrator.migrate(migrator.drop_index("project", "project_year_estimate"),
                     migrator.drop_index("project", "project_unit_id_estimate"))
