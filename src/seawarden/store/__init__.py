"""Where decoded AIS is kept and queried, behind the Store protocol: the embedded DuckDB file (default,
one analyst) or PostgreSQL + PostGIS (a team: several processes writing and reading at once).

``open_store(spec)`` picks by the spec, so every ``--store`` option accepts both::

    open_store("~/ais/seawarden.duckdb")                          # DuckDB file
    open_store("postgresql://user:pw@db.example:5432/seawarden")  # PostGIS, schema public
    open_store("postgresql://user:pw@db.example/seawarden#baltic")  # PostGIS, schema baltic
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from seawarden.store.base import STATIC_LATEST, VESSEL_SUMMARY, Store, StoreInputError, track_windows
from seawarden.store.duckdb_store import DuckDBStore
from seawarden.store.files import default_store_path, file_fingerprint, redact_dsn
from seawarden.store.migrations import StoreVersionError

if TYPE_CHECKING:
    from seawarden.alert.base import AlertStore

_PG_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_spec(spec: str | Path | None) -> bool:
    return isinstance(spec, str) and spec.strip().lower().startswith(_PG_SCHEMES)


def open_store(spec: str | Path | None = None, *, read_only: bool = False) -> Store:
    """A store from a ``--store`` value: a ``postgresql://`` URI (``#schema`` optional) or a DuckDB file path.

    None means the default DuckDB file (:func:`default_store_path`). PostgreSQL needs the ``postgis``
    extra (psycopg, Alembic, SQLAlchemy); its absence is reported, not raised as an ImportError.
    """
    if spec is None:
        return DuckDBStore(default_store_path(), read_only=read_only)
    if not is_postgres_spec(spec):
        return DuckDBStore(Path(spec), read_only=read_only)
    dsn, _, schema = str(spec).strip().partition("#")
    try:
        from seawarden.store.postgis import PostGISStore
    except ImportError as exc:
        raise StoreInputError(f"--store {spec.split('@')[-1]}: PostgreSQL needs the postgis extra "
                              f"(pip install 'seawarden[postgis]'): {exc}") from exc
    try:
        return PostGISStore(dsn, schema=schema or "public", read_only=read_only)
    except ConnectionError as exc:  # the message already names the server, with the password masked
        raise StoreInputError(str(exc)) from exc


#: help text of every ``--store`` option
STORE_HELP = "DuckDB file or postgresql://user:pw@host/db[#schema] (default: the DuckDB file in the user data folder)"


def open_existing_store(spec: str | Path | None = None, *, read_only: bool = False) -> Store:
    """Like :func:`open_store`, but a missing DuckDB file is an error (for commands that only read or act on data)."""
    if not is_postgres_spec(spec):
        path = Path(spec).expanduser() if spec else default_store_path()
        if not path.exists():
            raise StoreInputError(f"no store at {path}: run `seawarden ingest` or `seawarden watch` first, or pass --store")
        spec = path
    return open_store(spec, read_only=read_only)


def alert_store_for(store: Store) -> "AlertStore":
    """The AlertStore that keeps events and alerts beside the AIS of ``store`` (same database, same connection)."""
    if isinstance(store, DuckDBStore):
        from seawarden.store.alerts_duckdb import DuckDBAlertStore

        return DuckDBAlertStore(store)
    from seawarden.store.postgis import PostGISStore

    if isinstance(store, PostGISStore):
        from seawarden.store.alerts_postgis import PostGISAlertStore

        return PostGISAlertStore(store)
    raise StoreInputError(f"no alert store for a {type(store).__name__}")


def pipeline_store_for(store: Store, *, hold_s: float | None = None) -> "AlertStore":
    """The AlertStore an alert pipeline writing ``store`` should use.

    DuckDB: a file has one writing process, so the pipeline's reads are answered from memory
    (:class:`~seawarden.alert.working_set.AlertWorkingSet`, holding rounds that raise nothing back up
    to ``hold_s``: the caller then flushes); PostGIS, where other processes may write alerts too, is
    read every time.
    """
    alerts = alert_store_for(store)
    if isinstance(store, DuckDBStore) and not store.read_only:
        from seawarden.alert.working_set import AlertWorkingSet

        return AlertWorkingSet(alerts, hold_s=hold_s)
    return alerts


def __getattr__(name: str) -> Any:
    """``PostGISStore`` on first use only, so DuckDB users never import psycopg."""
    if name == "PostGISStore":
        from seawarden.store.postgis import PostGISStore

        return PostGISStore
    raise AttributeError(name)


__all__ = [
    "STATIC_LATEST",
    "VESSEL_SUMMARY",
    "DuckDBStore",
    "PostGISStore",
    "STORE_HELP",
    "Store",
    "StoreInputError",
    "StoreVersionError",
    "alert_store_for",
    "pipeline_store_for",
    "default_store_path",
    "file_fingerprint",
    "is_postgres_spec",
    "open_existing_store",
    "open_store",
    "redact_dsn",
    "track_windows",
]
