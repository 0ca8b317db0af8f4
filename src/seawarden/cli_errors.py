"""How every `seawarden` sub-command reports a user error: one red line on stderr, exit code 2.

One definition, so scripts wrapping seawarden can rely on the same exit code whichever command failed.
"""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

#: the exit code of a bad argument, a missing file or an unreachable store
USER_ERROR = 2

_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str) -> typer.Exit:
    """Print ``message`` (taken literally, never as markup) and return the Exit to raise."""
    _stderr.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code=USER_ERROR)
