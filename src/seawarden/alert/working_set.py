"""The alert pipeline's working set in memory, for a process that is its store's only writer.

Every ``AlertPipeline.handle`` asks the store which events it already knows, which alerts are
active for the keys at hand, the alerts of re-reported events and the next history numbers: four
to six statements before its commit. On the embedded DuckDB store each costs 1-4 ms under a live
load (bench/live.py), a third of the alert writer's time and a good part of an alert's way from
sentence to screen. Where one process writes the store (``seawarden watch`` on DuckDB, whose file
has one writer), everything those reads return is known here already: the active alerts (loaded
once, kept by every commit), the events this run reported and the history numbers it handed out.
What it cannot know -- events stored before this run, closed alerts -- is read from the store as
before, so a replayed input is still recognised.

With ``hold_s``, rounds that notify nobody (a re-report stored but not told, an event below every
threshold) are held back and written together by :meth:`AlertWorkingSet.flush` once the oldest is
``hold_s`` old, instead of one transaction each: they were three quarters of the writer's commits
and delayed the rounds that do raise alerts. Memory sees them at once; the store (and so the API's
readers) up to ``hold_s`` later, as with the AIS appends. A round with changes is written at once,
and what it supersedes is dropped from the held rows, so they never overwrite newer ones. The caller
must flush at the end (``AlertPipeline.close`` does).

Not for stores with several writing processes (PostGIS: another ingest, a second console): their
changes would not reach this memory. Alerts are handed out as copies; a write that fails resets the
working set to what the store holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import pyarrow as pa

from seawarden.alert.base import AlertStore, KnownEvent
from seawarden.alert.model import ACTIVE, Alert, AlertKey, Transition
from seawarden.detect.event import Event

#: event ids remembered before the closed ones (final: a later report is a replay) are forgotten; a forgotten
#: id costs one store read when it is reported again, never a wrong answer
MAX_EVENTS = 200_000


class AlertWorkingSet:
    """An :class:`~seawarden.alert.base.AlertStore` that answers the pipeline's reads from memory.

    ``store`` is the DuckDB alert store (batched ``alerts_by_id``/``next_seqs``, a compare-and-set
    ``commit_transition``, and ``commit(..., new_events=)``: the events it said it lacks are inserted
    without a key lookup). Writes go to it first and reach memory only once committed; reads the
    pipeline does not make on its hot path (lists, history, the event log) go straight to it.
    """

    def __init__(self, store: AlertStore, *, max_events: int = MAX_EVENTS, hold_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.max_events = max_events
        self.hold_s = hold_s
        self._clock = clock
        self._known: dict[str, KnownEvent] = {}
        self._unstored: set[str] = set()  # event ids the store said it lacks, not written since: inserted unasked
        self._next_seq: dict[str, int] = {}
        self._active: dict[str, Alert] = {}  # alert id -> every active alert of the store
        self._by_key: dict[AlertKey, set[str]] = {}
        self._held_events: dict[str, tuple[Event, str | None]] = {}
        self._held_alerts: dict[str, Alert] = {}
        self._held_since: float | None = None
        self.stats = {"known_hits": 0, "known_reads": 0, "alert_reads": 0, "seq_reads": 0, "held_rounds": 0,
                      "flushes": 0}
        self._load()

    def _load(self) -> None:
        for status in ACTIVE:
            for a in self.store.list_alerts(status=status):
                self._keep(a)

    # -- the pipeline's reads ------------------------------------------------------------------
    def known_events(self, event_ids: Sequence[str]) -> dict[str, KnownEvent]:
        found = {eid: self._known[eid] for eid in event_ids if eid in self._known}
        self.stats["known_hits"] += len(found)
        missing = [eid for eid in event_ids if eid not in found]
        if missing:  # new ids (or ids of an earlier run): only the store can say
            self.stats["known_reads"] += 1
            stored = self.store.known_events(missing)
            self._remember(stored)
            if len(self._unstored) > self.max_events:
                self._unstored.clear()  # forgetting only costs the store a key lookup
            self._unstored.update(eid for eid in missing if eid not in stored)
            found.update(stored)
        return found

    def active_alerts(self, keys: Sequence[AlertKey]) -> dict[AlertKey, Alert]:
        out = {}
        for key in keys:
            ids = self._by_key.get(key)
            if ids:  # the store's rule: the newest (by last event) active alert of the key
                out[key] = max((self._active[i] for i in ids), key=lambda a: a.last_event_ms).snapshot()
        return out

    def alerts_by_id(self, alert_ids: Sequence[str]) -> dict[str, Alert]:
        out = {aid: self._active[aid].snapshot() for aid in alert_ids if aid in self._active}
        rest = [aid for aid in alert_ids if aid not in out]  # closed alerts are not kept
        if rest:
            self.stats["alert_reads"] += 1
            out.update(self.store.alerts_by_id(rest))
        return out

    def get(self, alert_id: str) -> Alert | None:
        return self.alerts_by_id([alert_id]).get(alert_id)

    def next_seqs(self, alert_ids: Sequence[str]) -> dict[str, int]:
        out = {aid: self._next_seq[aid] for aid in alert_ids if aid in self._next_seq}
        rest = sorted({aid for aid in alert_ids if aid not in out})
        if rest:
            self.stats["seq_reads"] += 1
            read = self.store.next_seqs(rest)
            self._next_seq.update(read)
            out.update(read)
        return out

    def next_seq(self, alert_id: str) -> int:
        return self.next_seqs([alert_id])[alert_id]

    # -- writes: to the store, then to memory ----------------------------------------------------
    def commit(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert],
               transitions: Sequence[Transition]) -> None:
        if self.hold_s is not None and not transitions:  # tells nobody: written with the next flush
            self._held_events.update((e.event_id, (e, aid)) for e, aid in events)
            self._held_alerts.update((a.alert_id, a.snapshot()) for a in alerts)
            if self._held_since is None:
                self._held_since = self._clock()
            self.stats["held_rounds"] += 1
            self._committed(events, alerts, transitions)
            return
        self._write_events(events, alerts, transitions)
        self._superseded(events, alerts)
        self._committed(events, alerts, transitions)

    def commit_transition(self, alert: Alert, transition: Transition) -> Transition:
        """The store's compare-and-set (its own check and numbering), then memory."""
        transition = self.store.commit_transition(alert, transition)  # a conflict writes nothing, changes nothing here
        self._superseded([], [alert])
        self._committed([], [alert], [transition])
        return transition

    def flush(self, older_than_s: float = 0.0) -> bool:
        """Write the held rows (one transaction) if the oldest is at least ``older_than_s`` old; True if written."""
        if self._held_since is None or self._clock() - self._held_since < older_than_s:
            return False
        events, alerts = list(self._held_events.values()), list(self._held_alerts.values())
        self._held_events, self._held_alerts, self._held_since = {}, {}, None
        self._write_events(events, alerts, [])
        self.stats["flushes"] += 1
        return True

    def _write_events(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert],
                      transitions: Sequence[Transition]) -> None:
        """The store's commit, told which events it lacks (it then need not look them up)."""
        new = {e.event_id for e, _ in events if e.event_id in self._unstored}
        self._write(lambda: self.store.commit(events, alerts, transitions, new_events=new))
        self._unstored -= new

    def _write(self, write: Callable[[], None]) -> None:
        try:
            write()
        except Exception:
            self._reset()  # memory may hold what never reached the store: start again from the store
            raise

    def _reset(self) -> None:
        self._known.clear()
        self._unstored.clear()
        self._next_seq.clear()
        self._active.clear()
        self._by_key.clear()
        self._held_events, self._held_alerts, self._held_since = {}, {}, None
        self._load()

    def _superseded(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert]) -> None:
        """Held rows of what was just written are older: they must never overwrite it."""
        for e, _ in events:
            self._held_events.pop(e.event_id, None)
        for a in alerts:
            self._held_alerts.pop(a.alert_id, None)
        if not self._held_events and not self._held_alerts:
            self._held_since = None

    def _committed(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert],
                   transitions: Sequence[Transition]) -> None:
        self._remember({e.event_id: KnownEvent(aid, e.status, int(e.severity), e.end, int(e.detected_at))
                        for e, aid in events})
        for a in alerts:
            self._drop(a.alert_id)
            if a.active:
                self._keep(a.snapshot())
        for t in transitions:
            self._next_seq[t.alert_id] = max(self._next_seq.get(t.alert_id, 0), t.seq + 1)
        if len(self._next_seq) > self.max_events:
            self._next_seq = {aid: n for aid, n in self._next_seq.items() if aid in self._active}

    def _remember(self, known: dict[str, KnownEvent]) -> None:
        self._known.update(known)
        if len(self._known) > self.max_events:
            self._known = {eid: k for eid, k in self._known.items() if k.status != "closed"}
            if len(self._known) > self.max_events:
                self._known.clear()

    def _keep(self, a: Alert) -> None:
        self._active[a.alert_id] = a
        self._by_key.setdefault(a.key, set()).add(a.alert_id)

    def _drop(self, alert_id: str) -> None:
        old = self._active.pop(alert_id, None)
        if old is not None:
            ids = self._by_key[old.key]
            ids.discard(alert_id)
            if not ids:
                del self._by_key[old.key]

    # -- everything else: the store's own ---------------------------------------------------------
    def list_alerts(self, status: str | None = None, mmsi: int | None = None, asset_id: str | None = None,
                    limit: int | None = None) -> list[Alert]:
        return self.store.list_alerts(status=status, mmsi=mmsi, asset_id=asset_id, limit=limit)

    def history(self, alert_id: str) -> list[Transition]:
        return self.store.history(alert_id)

    def events(self, mmsis: Sequence[int] | None = None, asset_ids: Sequence[str] | None = None,
               since_ms: int | None = None) -> pa.Table:
        return self.store.events(mmsis=mmsis, asset_ids=asset_ids, since_ms=since_ms)

    def event_payloads(self, **filters: Any) -> list[dict[str, Any]]:
        return self.store.event_payloads(**filters)

    def alert_counts(self) -> dict[str, int]:
        return self.store.alert_counts()
