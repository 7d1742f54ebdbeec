"""Numbered schema migrations, applied in order by :func:`tongchou.db.migrate`.

Each ``NNNN_name.py`` defines ``up(migrator, db)`` with frozen table
definitions (never the application's models, which move on) and is recorded
in the ``schema_migration`` table once applied.
"""
