"""Where the default store lives, and how an input file is recognised when it comes again."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from seawarden.paths import data_home

STORE_FILE = "seawarden.duckdb"
_EDGE = 1 << 20  # bytes hashed at each end of a file
_FINGERPRINT_VERSION = "v1"


def redact_dsn(dsn: str) -> str:
    """A store spec or DSN without its password, for messages and stats."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", re.sub(r"(password\s*=\s*)\S+", r"\1***", dsn))


def default_store_path() -> Path:
    """The default DuckDB store: ``data_home() / "seawarden.duckdb"``."""
    return data_home() / STORE_FILE


def file_fingerprint(path: str | Path) -> str:
    """Content identity of an input file, independent of its name and mtime.

    Hashes the size plus the first and last MiB (the whole file when smaller), so a
    multi-GB archive is fingerprinted in milliseconds. Copies and renames match; a file
    that grew (a live log appended to) does not, and is treated as a new input.
    """
    path = Path(path)
    size = path.stat().st_size
    digest = hashlib.blake2b(digest_size=20)
    digest.update(size.to_bytes(8, "little"))
    with path.open("rb") as fh:
        if size <= 2 * _EDGE:
            digest.update(fh.read())
        else:
            digest.update(fh.read(_EDGE))
            fh.seek(size - _EDGE)
            digest.update(fh.read(_EDGE))
    return f"{_FINGERPRINT_VERSION}:{size}:{digest.hexdigest()}"
