"""The small persistence interface alerts need; DuckDB today, PostGIS next (same contract tests).

Implementations must make :meth:`AlertStore.commit` atomic: the pipeline writes an event, the
alert it grew and the history line together or not at all, which is what keeps re-runs
idempotent after a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from seawarden.alert.model import Alert, AlertKey, LifecycleError, Transition
from seawarden.detect.event import Event

#: later reports of one event id: open < update < closed (closed is final)
STATUS_RANK = {"open": 0, "update": 1, "closed": 2}

#: Columns of :meth:`AlertStore.events` (the event log the risk score reads).
EVENT_LOG = pa.schema([
    pa.field("event_id", pa.string(), nullable=False),
    pa.field("type", pa.string(), nullable=False),
    pa.field("subtype", pa.string(), nullable=False),
    pa.field("mmsi", pa.uint32(), nullable=False),
    pa.field("related_mmsi", pa.uint32()),
    pa.field("asset_id", pa.string()),
    pa.field("asset_name", pa.string()),
    pa.field("start_ms", pa.int64(), nullable=False),
    pa.field("end_ms", pa.int64()),
    pa.field("detected_ms", pa.int64(), nullable=False),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("severity", pa.uint8(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("alert_id", pa.string()),
])


class AlertConflictError(LifecycleError):
    """The alert changed (another operator or process) between being read and being written; nothing was written."""


@dataclass(frozen=True)
class KnownEvent:
    """What the store already holds about an event id (to tell news from a replay)."""

    alert_id: str | None
    status: str
    severity: int
    end_ms: int | None
    detected_ms: int

    def supersedes(self, e: Event) -> bool:
        """True when the stored report is the same as or newer than ``e`` (a replay, or a stale report)."""
        return (self.detected_ms, STATUS_RANK[self.status]) >= (e.detected_at, STATUS_RANK[e.status])


@runtime_checkable
class AlertStore(Protocol):
    def known_events(self, event_ids: Sequence[str]) -> dict[str, KnownEvent]:
        """The stored state of those of ``event_ids`` already recorded."""
        ...

    def active_alerts(self, keys: Sequence[AlertKey]) -> dict[AlertKey, Alert]:
        """The newest open/acknowledged alert of each key that has one."""
        ...

    def get(self, alert_id: str) -> Alert | None: ...

    def commit(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert],
               transitions: Sequence[Transition]) -> None:
        """Upsert events (with the alert they belong to) and alerts; append transitions. All or nothing."""
        ...

    def list_alerts(self, status: str | None = None, mmsi: int | None = None, asset_id: str | None = None,
                    limit: int | None = None) -> list[Alert]:
        """Alerts, most recently updated first."""
        ...

    def history(self, alert_id: str) -> list[Transition]:
        """Every transition of one alert, oldest first."""
        ...

    def events(self, mmsis: Sequence[int] | None = None, asset_ids: Sequence[str] | None = None,
               since_ms: int | None = None) -> pa.Table:
        """EVENT_LOG rows (all, or of these vessels / assets, active at or after ``since_ms``)."""
        ...

    def event_payloads(self, *, mmsi: int | None = None, asset_id: str | None = None, type_: str | None = None,
                       since_ms: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Stored events as `seawarden detect` writes them (full JSON plus ``alert_id``), newest first."""
        ...

    def alert_counts(self) -> dict[str, int]:
        """Number of alerts in each status (statuses without alerts are absent)."""
        ...

    def next_seq(self, alert_id: str) -> int:
        """The sequence number the next transition of this alert gets."""
        ...

    def commit_transition(self, alert: Alert, transition: Transition) -> Transition:
        """Compare-and-set for operator actions (optional: callers fall back to :meth:`commit` without it).

        Writes ``alert`` and appends ``transition`` only if the stored status still is
        ``transition.from_status``, under a lock, so two operators cannot both move one alert out of
        the same state; the sequence number is assigned under that lock (``transition.seq`` is
        updated and returned). Raises :class:`AlertConflictError` otherwise.
        """
        ...
