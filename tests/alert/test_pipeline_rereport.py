"""Re-reports of an open event (same id, later end): stored at once, notified at most once per interval.

Built on the Eagle S replay (conftest.py): the drag is reported open, then re-reported as a detector
does while it goes on. Every test runs on both alert stores (DuckDB and PostGIS)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from alert_support import Clock

from seawarden.alert import AlertPipeline, AlertSettings

MIN = 60_000


class Collect:
    def __init__(self) -> None:
        self.changes = []

    def emit(self, changes) -> None:
        self.changes.extend(changes)


def _open_drag(pipe, eagle_s, eagle_s_batches):
    """Replay until the drag is reported open; return it and its alert."""
    host = eagle_s.labels[0]["mmsi"]
    for batch in eagle_s_batches:
        pipe.handle(batch)
        drag = next((e for e in batch if e.type == "anchor_drag" and e.mmsi == host and e.status == "open"), None)
        if drag is not None:
            return drag, next(a for a in pipe.store.list_alerts(mmsi=host) if drag.event_id in a.event_ids)
    raise AssertionError("the Eagle S replay reports no open drag")


def _later(e, minutes: float, **kw):
    """The same open event re-reported ``minutes`` later (new end and detection time, same id)."""
    t = e.detected_at + int(minutes * MIN)
    return replace(e, end=t, detected_at=t, **kw)


def _pipeline(store, notify_s: float | None = None):
    cfg = {"alerts": {"rereport_notify_s": notify_s}} if notify_s is not None else None
    sink = Collect()
    return AlertPipeline(store, sinks=[sink], config=AlertSettings.from_dict(cfg), clock=Clock()), sink


def test_rereport_with_a_later_end_is_stored_but_not_notified(alert_store, eagle_s, eagle_s_batches):
    pipe, sink = _pipeline(alert_store)
    drag, alert = _open_drag(pipe, eagle_s, eagle_s_batches)
    history, pushed = len(alert_store.history(alert.alert_id)), len(sink.changes)
    for minutes in (1, 2, 3):  # within the default 10 min of stream time
        again = _later(drag, minutes)
        assert pipe.handle([again]) == []
    log = {r["event_id"]: r for r in alert_store.events().to_pylist()}
    assert log[drag.event_id]["end_ms"] == again.end and log[drag.event_id]["detected_ms"] == again.detected_at
    stored = next(p for p in alert_store.event_payloads(mmsi=drag.mmsi, type_=drag.type) if p["event_id"] == drag.event_id)
    assert stored.pop("alert_id") == alert.alert_id
    assert stored == json.loads(again.to_json())  # the newest report, as the detector wrote it
    now = alert_store.get(alert.alert_id)
    assert now.last_event_ms == again.end and now.updated_at == alert.updated_at  # span moved, no news
    assert len(alert_store.history(alert.alert_id)) == history and len(sink.changes) == pushed
    assert pipe.stats["rereports_stored"] == 3


def test_rereports_are_notified_once_per_interval_of_stream_time(alert_store, eagle_s, eagle_s_batches):
    pipe, sink = _pipeline(alert_store, notify_s=600)
    drag, alert = _open_drag(pipe, eagle_s, eagle_s_batches)
    before = len(sink.changes)
    got = [c.change for m in range(1, 26) for c in pipe.handle([_later(drag, m)])]  # a report a minute for 25 min
    assert got == ["grew", "grew"]  # at +10 and +20 min
    grew = sink.changes[before:]
    assert [c.alert.last_event_ms - drag.detected_at for c in grew] == [10 * MIN, 20 * MIN]
    assert all(c.transition.event_id == drag.event_id for c in grew)
    hist = alert_store.history(alert.alert_id)
    assert [t.action for t in hist[-2:]] == ["grew", "grew"] and hist[-1].seq == hist[-2].seq + 1
    assert alert_store.get(alert.alert_id).last_event_ms == drag.detected_at + 25 * MIN


def test_closing_and_escalating_rereports_are_notified_at_once(alert_store, eagle_s, eagle_s_batches):
    pipe, _ = _pipeline(alert_store)
    drag, alert = _open_drag(pipe, eagle_s, eagle_s_batches)
    closed = _later(drag, 1, status="closed")
    assert [c.change for c in pipe.handle([closed])] == ["grew"]
    assert alert_store.known_events([drag.event_id])[drag.event_id].status == "closed"
    # a lower-severity event that later rises above the alert's severity escalates it at once
    pipe2, _ = _pipeline(alert_store)
    low = replace(_later(drag, 2), severity=alert.severity - 1, event_id="")  # a new event id: joins the alert
    assert [c.change for c in pipe2.handle([low])] == ["grew"]
    store_sev = alert_store.get(alert.alert_id).severity
    up = _later(low, 1)
    if store_sev < 5:
        up = replace(up, severity=store_sev + 1)
        assert [(c.change, c.alert.severity) for c in pipe2.handle([up])] == [("escalated", store_sev + 1)]


def test_zero_interval_notifies_every_rereport_and_replays_stay_silent(alert_store, eagle_s, eagle_s_batches):
    pipe, _ = _pipeline(alert_store, notify_s=0)
    drag, alert = _open_drag(pipe, eagle_s, eagle_s_batches)
    reports = [_later(drag, m) for m in (1, 2, 3)]
    assert [c.change for r in reports for c in pipe.handle([r])] == ["grew"] * 3
    hist = len(alert_store.history(alert.alert_id))
    assert pipe.handle(reports) == []  # replay: every report is already stored (or older than the stored one)
    restarted, _ = _pipeline(alert_store, notify_s=0)
    assert restarted.handle([e for b in eagle_s_batches[:2] for e in b] + reports) == []
    assert len(alert_store.history(alert.alert_id)) == hist


class CountingStore:
    """Delegates to an AlertStore and counts the calls the pipeline makes."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, {}

    def __getattr__(self, name):
        target = getattr(self.inner, name)
        if not callable(target):
            return target

        def counted(*a, **kw):
            self.calls[name] = self.calls.get(name, 0) + 1
            return target(*a, **kw)
        return counted


def test_store_reads_per_call_do_not_grow_with_the_events(alert_store, eagle_s_batches):
    """One call with every event of the replay: a fixed number of store round trips, however many alerts."""
    counting = CountingStore(alert_store)
    pipe = AlertPipeline(counting, config=AlertSettings.from_dict({"alerts": {"min_severity": {"approach": 1,
                                                                                              "cable_crossing": 1}}}))
    changes = pipe.handle([e for b in eagle_s_batches for e in b])
    assert len({c.alert.alert_id for c in changes}) >= 3
    # every alert of the call is opened in it: their history starts at 1, no numbers are asked for
    assert counting.calls == {"known_events": 1, "active_alerts": 1, "commit": 1}
    # re-reports of events attached to several alerts: their alerts come in one batched read
    counting.calls.clear()
    rereports = [_later(e, 1, status="closed") for e in {e.event_id: e for b in eagle_s_batches for e in b}.values()
                 if e.status == "open"]
    rereports += [replace(e, detected_at=e.detected_at + 1, severity=min(5, e.severity + 1))
                  for e in {e.event_id: e for b in eagle_s_batches for e in b}.values() if e.status == "closed"][:5]
    pipe.handle(rereports)
    assert counting.calls.get("get", 0) == 0 and counting.calls.get("next_seq", 0) == 0
    assert counting.calls["alerts_by_id"] == 1 and counting.calls["commit"] == 1
    assert counting.calls["next_seqs"] == 1  # alerts stored before the call: their next numbers, in one read


def test_negative_interval_is_refused():
    with pytest.raises(ValueError, match="rereport_notify_s"):
        AlertSettings.from_dict({"alerts": {"rereport_notify_s": -1}})
