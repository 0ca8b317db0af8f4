"""Where decoded AIS is kept and queried: the embedded DuckDB store (default) behind the Store protocol."""

from seawarden.store.base import STATIC_LATEST, VESSEL_SUMMARY, Store, StoreInputError
from seawarden.store.duckdb_store import DuckDBStore
from seawarden.store.files import default_store_path, file_fingerprint
from seawarden.store.migrations import StoreVersionError

__all__ = [
    "STATIC_LATEST",
    "VESSEL_SUMMARY",
    "DuckDBStore",
    "Store",
    "StoreInputError",
    "StoreVersionError",
    "default_store_path",
    "file_fingerprint",
]
