"""Where seawarden keeps the user's files (store, asset registry, tokens, download cache).

One definition shared by every layer, so ``SEAWARDEN_HOME`` moves all of them together
(the tests point it at a temporary folder to never touch a user's own data).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    """$SEAWARDEN_HOME, else $XDG_DATA_HOME/seawarden, else ~/.local/share/seawarden."""
    if env := os.environ.get("SEAWARDEN_HOME"):
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "seawarden"
