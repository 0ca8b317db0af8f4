"""Events in, alert changes out: threshold, dedup per (vessel, asset, kind), escalation, persistence, fan-out.

``AlertPipeline.handle(events)`` is what ``seawarden ingest/watch/detect`` call after every
``DetectionEngine.process``/``flush``. It is idempotent on event ids: an event already stored
with the same or a newer report is skipped, so replaying an input changes nothing and notifies
nobody. Sinks are called after the store commit and must not block (see sinks.py).

What notifies an operator (a history line and a pushed change): an alert opening, a new event
joining it, a severity rise, an attached event changing status (open -> closed). A detector
re-reporting an open event with only a later end updates the stored event and alert at once but
is notified at most once per ``[alerts] rereport_notify_s`` of stream time per alert: an open
loitering or rendezvous re-reported on every batch must not flood the push and hold news back.

The store is read in a fixed number of batched queries per call (known events, active alerts,
alerts of re-reported events, next history numbers), whatever the number of events.
"""

from __future__ import annotations

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

#: entries of the per-alert "last notified" memory kept before old ones are forgotten
_NOTIFIED_MAX = 20_000


def _activity_ms(e: Event) -> int:
    """Latest stream time the event speaks for (its end, or when it was detected while open)."""
    return max(e.start, e.detected_at, e.end if e.end is not None else e.start)


def _title(e: Event) -> str:
    where = f" at {e.asset_name}" if e.asset_name else ""
    sub = f" ({e.subtype})" if e.subtype else ""
    return f"{e.type}{sub}: MMSI {e.mmsi}{where}"


def _is_news(e: Event, k: KnownEvent | None) -> bool:
    return k is None or not k.supersedes(e)


class _Round:
    """What one ``handle`` call writes and tells: event rows, changed alerts, history lines, sink changes."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.ev_writes: list[tuple[Event, str | None]] = []
        self.transitions: list[Transition] = []
        self.changes: list[AlertChange] = []
        self.dirty: dict[str, Alert] = {}

    def record(self, alert: Alert, action: str, e: Event) -> None:
        """A history line (numbered at commit time) and the change sinks receive, with a snapshot of the alert."""
        tr = Transition(alert.alert_id, 0, self.now, action, None if action == "opened" else alert.status,
                        alert.status, alert.severity, event_id=e.event_id)
        self.transitions.append(tr)
        self.dirty[alert.alert_id] = alert
        self.changes.append(AlertChange(action, alert.snapshot(), tr, [e.event_id]))


class AlertPipeline:
    """Turns detector events into deduplicated, escalating alerts kept in an AlertStore."""

    def __init__(self, store: AlertStore, sinks: Sequence[object] = (), config: AlertSettings | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.store = store
        self.sinks = list(sinks)
        self.config = config or AlertSettings.load()
        self.clock = clock
        self.stats: Counter[str] = Counter()
        self._notified_ms: dict[str, int] = {}  # alert id -> stream time (last_event_ms) of its last notified change

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
        self.stats["events_in"] += len(latest)
        known = self.store.known_events(list(latest))
        batch = [e for e in latest.values() if _is_news(e, known.get(e.event_id))]
        self.stats["events_replayed"] += len(latest) - len(batch)
        if not batch:
            return []
        attached = {known[e.event_id].alert_id for e in batch if e.event_id in known and known[e.event_id].alert_id}
        unattached = sorted({self.key_of(e) for e in batch if e.event_id not in known or known[e.event_id].alert_id is None})
        active = self.store.active_alerts(unattached) if unattached else {}
        by_id: dict[str, Alert] = {a.alert_id: a for a in active.values()}
        by_id.update(self._alerts_by_id(attached - by_id.keys()))
        rnd = _Round(self.clock())
        for e in batch:
            k = known.get(e.event_id)
            if k is not None and k.alert_id is not None:  # a new report of an event that already belongs to an alert
                alert = by_id.get(k.alert_id)
                rnd.ev_writes.append((e, k.alert_id))
                if alert is not None and alert.active:
                    self._rereport(alert, e, k, rnd)
                else:
                    self.stats["events_on_closed_alerts"] += 1
                continue
            key = self.key_of(e)
            alert = active.get(key)
            if alert is not None and (not alert.active or e.start - alert.last_event_ms > self.config.merge_window_ms):
                alert = None
            if alert is not None:
                alert.event_ids.append(e.event_id)
                self._grow(alert, e, rnd, notify=True)
            elif e.severity >= self.config.min_severity(e.type):
                alert = Alert(alert_id=make_alert_id(key, e.event_id), kind=key.kind, mmsi=key.mmsi, asset_id=e.asset_id,
                              asset_name=e.asset_name, status=OPEN, severity=e.severity, title=_title(e),
                              first_event_ms=e.start, last_event_ms=_activity_ms(e), lat=e.lat, lon=e.lon,
                              created_at=rnd.now, updated_at=rnd.now, event_ids=[e.event_id])
                active[key] = by_id[alert.alert_id] = alert
                self.stats["alerts_opened"] += 1
                self._notified(alert)
                rnd.record(alert, "opened", e)
            else:
                self.stats["events_below_threshold"] += 1
            rnd.ev_writes.append((e, alert.alert_id if alert is not None else None))
        self._number(rnd.transitions)
        self.store.commit(rnd.ev_writes, list(rnd.dirty.values()), rnd.transitions)
        self._publish(rnd.changes)
        return rnd.changes

    def _rereport(self, alert: Alert, e: Event, k: KnownEvent, rnd: _Round) -> None:
        """A later report of an attached event: always stored; notified on status change or once per interval."""
        if e.status != k.status or e.severity > alert.severity:
            self._grow(alert, e, rnd, notify=True)
            return
        since = self._notified_ms.setdefault(alert.alert_id, alert.last_event_ms)
        due = _activity_ms(e) - since >= self.config.rereport_notify_ms
        self._grow(alert, e, rnd, notify=due)

    def _grow(self, alert: Alert, e: Event, rnd: _Round, *, notify: bool) -> None:
        before = alert.severity
        alert.severity = max(alert.severity, e.severity)
        alert.first_event_ms = min(alert.first_event_ms, e.start)
        alert.last_event_ms = max(alert.last_event_ms, _activity_ms(e))
        if e.lat is not None and e.lon is not None:
            alert.lat, alert.lon = e.lat, e.lon
        rnd.dirty[alert.alert_id] = alert
        if not notify:  # stored with the event (span, position), told later with the next notified change
            self.stats["rereports_stored"] += 1
            return
        alert.updated_at = rnd.now
        self._notified(alert)
        if alert.severity > before:
            alert.title = _title(e)
            self.stats["alerts_escalated"] += 1
            rnd.record(alert, "escalated", e)
        else:
            self.stats["alerts_grew"] += 1
            rnd.record(alert, "grew", e)

    def _notified(self, alert: Alert) -> None:
        if len(self._notified_ms) >= _NOTIFIED_MAX:  # forgetting one only means its next re-report is notified
            self._notified_ms.clear()
        self._notified_ms[alert.alert_id] = alert.last_event_ms

    def _alerts_by_id(self, alert_ids: set[str]) -> dict[str, Alert]:
        if not alert_ids:
            return {}
        batched = getattr(self.store, "alerts_by_id", None)  # optional: stores without it are asked one by one
        if batched is not None:
            return batched(sorted(alert_ids))
        found = {aid: self.store.get(aid) for aid in sorted(alert_ids)}
        return {aid: a for aid, a in found.items() if a is not None}

    def _number(self, transitions: list[Transition]) -> None:
        """History sequence numbers, one store query for every alert of the round that existed before it.

        An alert opened in this round starts at 1 without asking: its id is made from its key and an event no
        alert held (a stored event that belongs to an alert is re-reported, never opens one), so it is new.
        """
        if not transitions:
            return
        opened = {t.alert_id for t in transitions if t.action == "opened"}
        ids = sorted({t.alert_id for t in transitions} - opened)
        batched = getattr(self.store, "next_seqs", None)
        seqs = dict.fromkeys(opened, 1)
        if ids:
            seqs.update(batched(ids) if batched is not None else {aid: self.store.next_seq(aid) for aid in ids})
        for t in transitions:
            t.seq = seqs[t.alert_id]
            seqs[t.alert_id] += 1

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

    def flush(self, older_than_s: float = 0.0) -> None:
        """Write what the store holds back (a working set's quiet rounds, alert/working_set.py) once that old."""
        flush = getattr(self.store, "flush", None)
        if flush is not None:
            flush(older_than_s)

    def close(self) -> None:
        try:
            self.flush()
        except Exception:  # noqa: BLE001 -- the store failed; the sinks are still closed (webhooks drain)
            log.exception("alert pipeline: writing the held rounds at close failed")
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if close is not None:
                close()
