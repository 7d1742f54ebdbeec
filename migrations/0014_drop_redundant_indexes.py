"""Drop four indexes that a wider index starting with the same column already serves.

``event(project_id)`` is the start of the unique ``event(project_id, seq)``;
``obligation(project_id)`` of ``obligation(project_id, closed_on, due)``
(0004); ``project_party(project_id)`` of the unique ``(project_id, field)``
and ``project_party(unit_id)`` of ``(unit_id, project_id)`` (0005).  Every
query that used one uses the wider one, and every action wrote them: its
event, and its project's obligations rewritten — one B-tree insert (and, at
the commit, one page) fewer each (docs/performance.md).

``project(unit_id)`` and ``project(year)`` stay: on SQLite a one-column
index ends with the row id, so a page of one unit's projects in id order is
read from it without sorting."""

DROPPED = (("event", "project_id"), ("obligation", "project_id"),
           ("project_party", "project_id"), ("project_party", "unit_id"))


def up(migrator, db):
    migrator.migrate(*(migrator.drop_index(table, f"{table}_{column}") for table, column in DROPPED))


def down(migrator, db):
    migrator.migrate(*(migrator.add_index(table, (column,), False) for table, column in DROPPED))
