"""Versioned schema of the PostGIS store, as an Alembic history run from code (no alembic.ini).

A revision is never edited once released: a schema change is a new file in ``versions/``.
The store calls :func:`ensure_current` on open: a database at head costs one query; an older
one is upgraded in place; one written by a newer seawarden is refused.

A new revision file is written from code too:
``alembic.command.revision(seawarden.store.pg_migrations.config(None, "public"), "what changes")``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from typing import TYPE_CHECKING

import psycopg

from seawarden.store.migrations import StoreVersionError

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def check_schema_name(schema: str) -> str:
    """A plain lower-case SQL identifier (it is interpolated into DDL, so nothing else is accepted)."""
    if not isinstance(schema, str) or not _IDENT.match(schema):
        raise ValueError(f"PostgreSQL schema name must match {_IDENT.pattern}, got {schema!r}")
    return schema


def config(connection: Any, schema: str) -> "Config":
    """An Alembic Config for this folder, carrying a SQLAlchemy connection and the target schema."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = check_schema_name(schema)
    return cfg


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Revision ids, read from the file names (``NNNN_what.py``, revision ``NNNN``) without importing Alembic:
    opening a store that is already at head then costs one query and no Alembic import."""
    return frozenset(p.name.split("_", 1)[0] for p in (HERE / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def head() -> str:
    """The newest revision this seawarden knows (revisions are numbered in order)."""
    return max(known_revisions())


def current(con: psycopg.Connection, schema: str) -> str | None:
    """The revision a schema is at (None: never migrated)."""
    row = con.execute(
        "SELECT EXISTS (SELECT FROM pg_tables WHERE schemaname = %s AND tablename = 'alembic_version')",
        [check_schema_name(schema)],
    ).fetchone()
    if not row or not row[0]:
        return None
    found = con.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchone()
    return found[0] if found else None


def _run(dsn: str, schema: str, action: str, revision: str) -> None:
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            getattr(command, action)(config(connection, schema), revision)
    finally:
        engine.dispose()


def upgrade(dsn: str, schema: str, revision: str = "head") -> None:
    _run(dsn, schema, "upgrade", revision)


def downgrade(dsn: str, schema: str, revision: str) -> None:
    _run(dsn, schema, "downgrade", revision)


def ensure_current(con: psycopg.Connection, dsn: str, schema: str, *, where: str, read_only: bool = False) -> str:
    """Upgrade the schema to head if it is behind (refused read-only); refuse a revision from a newer seawarden."""
    found = current(con, schema)
    if found == head():
        return found
    if found is not None and found not in known_revisions():
        raise StoreVersionError(
            f"{where}: store schema revision {found} is newer than this seawarden understands ({head()}); upgrade seawarden"
        )
    if read_only:
        raise StoreVersionError(f"{where}: store schema revision {found}, this seawarden needs {head()}; "
                                "open it once for writing to upgrade it")
    upgrade(dsn, schema)
    return head()
