"""Reading a user's TOML configuration file with errors that name the file and what it is for."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: str | Path, what: str, error: type[Exception] = ValueError) -> dict[str, Any]:
    """The parsed document; a missing file or invalid TOML raises ``error`` naming ``what`` and the path."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {p}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {p}: not valid TOML: {exc}") from exc
