"""Alembic environment of the PostGIS store: always online, on the connection the store hands over.

Run through :func:`seawarden.store.pg_migrations.upgrade` (no alembic.ini): ``config.attributes``
carries the SQLAlchemy connection and the schema the store lives in. A session-level advisory
lock serialises migrations, so several processes opening a new database at once apply each
step exactly once.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

config = context.config
connection = config.attributes["connection"]
schema = config.attributes["schema"]

#: any constant shared by every seawarden process: the key of the migration advisory lock
MIGRATION_LOCK = 0x5EA_0A1D

connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
try:
    connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    connection.execute(text(f'SET search_path TO "{schema}", public'))
    connection.commit()
    context.configure(connection=connection, version_table_schema=schema, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
finally:
    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    connection.commit()
