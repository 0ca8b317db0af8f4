"""Events in, alert changes out: threshold, dedup per (vessel, asset, kind), escalation, persistence, fan-out.

``AlertPipeline.handle(events)`` is what ``seawarden ingest/watch/detect`` call after every
``DetectionEngine.process``/``flush``. It is idempotent on event ids: an event already stored
with the same status, severity and end is skipped, so replaying an input changes nothing and
notifies nobody. Sinks are called after the store commit and must not block (see sinks.py).
"""

from __future__ import annotations

import copy
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from seawarden.alert.base import AlertStore, KnownEvent
from seawarden.alert.config import AlertSettings
from seawarden.alert.lifecycle import apply_action
from seawarden.alert.model import OPEN, Alert, AlertChange, AlertKey, Transition, make_alert_id, utc_now
from seawarden.detect.event import Event

log = logging.getLogger(__name__)


def _activity_ms(e: Event) -> int:
    """Latest stream time the event speaks for (its end, or when it was detected while open)."""
    return max(e.start, e.detected_at, e.end if e.end is not None else e.start)


def _title(e: Event) -> str:
    where = f" at {e.asset_name}" if e.asset_name else ""
    sub = f" ({e.subtype})" if e.subtype else ""
    return f"{e.type}{sub}: MMSI {e.mmsi}{where}"


class AlertPipeline:
    """Turns detector events into deduplicated, escalating alerts kept in an AlertStore."""

    def __init__(self, store: AlertStore, sinks: Sequence[object] = (), config: AlertSettings | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.sinks = list(sinks)
        self.config = config or AlertSettings.load()
        self.clock = clock
        self.stats: Counter[str] = Counter()

    def key_of(self, e: Event) -> AlertKey:
        return AlertKey(int(e.mmsi), e.asset_id or "", self.config.kind_of(e.type))

    # -- events -------------------------------------------------------------------------------
    def handle(self, events: Iterable[Event]) -> list[AlertChange]:
        latest: dict[str, Event] = {}
        for e in events:  # within one call the last report of an event id wins
            latest.pop(e.event_id, None)
            latest[e.event_id] = e
        if not latest:
            return []
        batch = list(latest.values())
        self.stats["events_in"] += len(batch)
        known = self.store.known_events(list(latest))
        active = self.store.active_alerts(sorted({self.key_of(e) for e in batch}))
        by_id: dict[str, Alert] = {a.alert_id: a for a in active.values()}
        seqs: dict[str, int] = {}
        ev_writes: list[tuple[Event, str | None]] = []
        transitions: list[Transition] = []
        changes: list[AlertChange] = []
        dirty: dict[str, Alert] = {}
        now = self.clock()

        def next_seq(alert_id: str) -> int:
            seqs[alert_id] = seqs.get(alert_id) or self.store.next_seq(alert_id)
            seqs[alert_id] += 1
            return seqs[alert_id] - 1

        def record(alert: Alert, action: str, e: Event, change: str) -> None:
            tr = Transition(alert.alert_id, next_seq(alert.alert_id), now, action, None if action == "opened" else alert.status,
                            alert.status, alert.severity, event_id=e.event_id)
            transitions.append(tr)
            dirty[alert.alert_id] = alert
            changes.append(AlertChange(change, copy.deepcopy(alert), tr, [e.event_id]))

        for e in batch:
            k = known.get(e.event_id)
            if k is not None and k.supersedes(e):
                self.stats["events_replayed"] += 1
                continue
            key = self.key_of(e)
            if k is not None and k.alert_id is not None:  # an update of an event that already belongs to an alert
                alert = by_id.get(k.alert_id) or self.store.get(k.alert_id)
                ev_writes.append((e, k.alert_id))
                if alert is not None and alert.active:
                    by_id[alert.alert_id] = alert
                    self._grow(alert, e, now, record, new_event=False)
                else:
                    self.stats["events_on_closed_alerts"] += 1
                known[e.event_id] = KnownEvent(k.alert_id, e.status, e.severity, e.end, e.detected_at)
                continue
            alert = active.get(key)
            if alert is not None and (not alert.active or e.start - alert.last_event_ms > self.config.merge_window_ms):
                alert = None
            if alert is not None:
                self._grow(alert, e, now, record, new_event=True)
            elif e.severity >= self.config.min_severity(e.type):
                alert = Alert(alert_id=make_alert_id(key, e.event_id), kind=key.kind, mmsi=key.mmsi, asset_id=e.asset_id,
                              asset_name=e.asset_name, status=OPEN, severity=e.severity, title=_title(e),
                              first_event_ms=e.start, last_event_ms=_activity_ms(e), lat=e.lat, lon=e.lon,
                              created_at=now, updated_at=now, event_ids=[e.event_id])
                active[key] = by_id[alert.alert_id] = alert
                self.stats["alerts_opened"] += 1
                record(alert, "opened", e, "opened")
            else:
                self.stats["events_below_threshold"] += 1
            aid = alert.alert_id if alert is not None else None
            ev_writes.append((e, aid))
            known[e.event_id] = KnownEvent(aid, e.status, e.severity, e.end, e.detected_at)
        self.store.commit(ev_writes, list(dirty.values()), transitions)
        self._publish(changes)
        return changes

    def _grow(self, alert: Alert, e: Event, now: datetime, record, *, new_event: bool) -> None:
        before = alert.severity
        if new_event:
            alert.event_ids.append(e.event_id)
        alert.severity = max(alert.severity, e.severity)
        alert.first_event_ms = min(alert.first_event_ms, e.start)
        alert.last_event_ms = max(alert.last_event_ms, _activity_ms(e))
        if e.lat is not None and e.lon is not None:
            alert.lat, alert.lon = e.lat, e.lon
        alert.updated_at = now
        if alert.severity > before:
            alert.title = _title(e)
            self.stats["alerts_escalated"] += 1
            record(alert, "escalated", e, "escalated")
        else:
            self.stats["alerts_grew"] += 1
            record(alert, "grew", e, "grew")

    # -- operator actions ---------------------------------------------------------------------
    def acknowledge(self, alert_id: str, by: str, reason: str | None = None) -> AlertChange:
        return self._act(alert_id, "acknowledge", by, reason)

    def resolve(self, alert_id: str, by: str, reason: str) -> AlertChange:
        return self._act(alert_id, "resolve", by, reason)

    def dismiss(self, alert_id: str, by: str, reason: str) -> AlertChange:
        return self._act(alert_id, "dismiss", by, reason)

    def _act(self, alert_id: str, action: str, by: str, reason: str | None) -> AlertChange:
        change = apply_action(self.store, alert_id, action, by=by, reason=reason, clock=self.clock)
        self._publish([change])
        return change

    # -- fan-out ------------------------------------------------------------------------------
    def _publish(self, changes: list[AlertChange]) -> None:
        if not changes:
            return
        for sink in self.sinks:
            try:
                sink.emit(changes)  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 -- a broken sink must never stop ingest; it is counted and logged
                self.stats[f"sink_errors:{type(sink).__name__}"] += 1
                log.exception("alert sink %s failed", type(sink).__name__)

    def close(self) -> None:
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close()
