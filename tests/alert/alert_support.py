"""Helpers shared by the alert tests (a module, not conftest: test files import it by name)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


class Clock:
    """A wall clock that ticks one second per reading: alert timestamps differ and are repeatable."""

    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t
