"""Alert records and their lifecycle vocabulary, shared by the pipeline, the stores and the sinks.

An alert is one incident: one vessel, one asset (or none), one *kind* (a group of event types,
see ``[alerts.kind_of]`` in defaults.toml). Events attach to it while it is active, so a drag
reported fifty times is one alert that grows. Every change -- opening, escalation, growth and
the operator's acknowledge / resolve / dismiss -- is a :class:`Transition` in its history.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, NamedTuple

from seawarden.detect.event import iso

OPEN, ACKNOWLEDGED, RESOLVED, DISMISSED = "open", "acknowledged", "resolved", "dismissed"
STATUSES = (OPEN, ACKNOWLEDGED, RESOLVED, DISMISSED)
ACTIVE = (OPEN, ACKNOWLEDGED)  # events still attach; terminal alerts are never reopened

#: operator action -> (statuses it may start from, status it leads to)
ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "acknowledge": ((OPEN,), ACKNOWLEDGED),
    "resolve": ((OPEN, ACKNOWLEDGED), RESOLVED),
    "dismiss": ((OPEN, ACKNOWLEDGED), DISMISSED),
}


class LifecycleError(ValueError):
    """An operator action the alert's current status does not allow (message says which)."""


class AlertKey(NamedTuple):
    mmsi: int
    asset_id: str  # "" when the event concerns no asset
    kind: str


def make_alert_id(key: AlertKey, first_event_id: str) -> str:
    """Stable id: the same input replayed into an empty store gives the same alert ids."""
    raw = f"{key.mmsi}|{key.asset_id}|{key.kind}|{first_event_id}"
    return "A" + hashlib.sha1(raw.encode()).hexdigest()[:15]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Transition:
    """One line of an alert's history."""

    alert_id: str
    seq: int
    at: datetime
    action: str  # opened / escalated / grew / acknowledge / resolve / dismiss
    from_status: str | None
    to_status: str
    severity: int
    by: str | None = None
    reason: str | None = None
    event_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # all immutable: asdict's deep copy buys nothing
        d["at"] = self.at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return d


@dataclass
class Alert:
    alert_id: str
    kind: str
    mmsi: int
    asset_id: str | None
    asset_name: str | None
    status: str
    severity: int
    title: str
    first_event_ms: int  # stream time of the first attached event's start
    last_event_ms: int  # stream time of the latest attached event activity
    lat: float | None
    lon: float | None
    created_at: datetime
    updated_at: datetime
    status_by: str | None = None  # who made the last operator transition
    status_at: datetime | None = None
    status_reason: str | None = None
    event_ids: list[str] = field(default_factory=list)

    @property
    def key(self) -> AlertKey:
        return AlertKey(self.mmsi, self.asset_id or "", self.kind)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def snapshot(self) -> "Alert":
        """A copy sinks may keep while the pipeline goes on changing this alert.

        Every field but ``event_ids`` is immutable (str, int, float, datetime), so a shallow copy
        with its own id list is a full copy, at a fraction of ``copy.deepcopy``'s cost.
        """
        twin = object.__new__(Alert)
        twin.__dict__.update(self.__dict__)
        twin.event_ids = list(self.event_ids)
        return twin

    def to_dict(self) -> dict[str, Any]:
        """Shallow, like ``snapshot``: only ``event_ids`` is mutable (asdict cost ~0.3 ms an alert on the live push)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["event_ids"] = list(self.event_ids)
        for k in ("created_at", "updated_at", "status_at"):
            v = getattr(self, k)
            d[k] = None if v is None else v.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        d["first_event"] = iso(self.first_event_ms)
        d["last_event"] = iso(self.last_event_ms)
        return d


@dataclass
class AlertChange:
    """What one pipeline step or operator action did to one alert: the unit every sink receives."""

    change: str  # opened / escalated / grew / acknowledged / resolved / dismissed
    alert: Alert
    transition: Transition
    event_ids: list[str] = field(default_factory=list)  # the events that caused it (pipeline changes)

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change, "alert": self.alert.to_dict(), "transition": self.transition.to_dict(),
                "event_ids": list(self.event_ids)}
