"""Times at the edges of the library: aware datetimes only, converted to UTC."""

from __future__ import annotations

from datetime import datetime, timezone


def utc(value: datetime, what: str, error: type[Exception] = ValueError) -> datetime:
    """``value`` in UTC; a naive datetime is refused rather than guessed to be local time."""
    if not isinstance(value, datetime):
        raise error(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise error(f"{what}={value.isoformat()} is naive (no time zone); give one explicitly (e.g. 2024-12-25T10:00Z)")
    return value.astimezone(timezone.utc)
