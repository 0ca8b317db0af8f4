"""AlertStore.commit on every store: rows new and already stored, one to many in a call, the last report of an
id wins (the DuckDB store inserts new ids and updates stored ones in place, by statement or in bulk)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from seawarden.alert.model import OPEN, Alert
from seawarden.detect.event import Event

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _event(i: int, detected: int, status: str = "open") -> Event:
    return Event(type="loitering", mmsi=211_000_000 + i, start=1_000 * i, end=None if status == "open" else detected,
                 lat=55.0 + i / 100, lon=12.0, severity=2 + (detected // 1000) % 3, status=status, detected_at=detected,
                 evidence={"points": [[i, detected]]}, config={}, asset_id="cable-1", asset_name="Cable 1",
                 event_id=f"E{i:03d}")


def _alert(i: int, last: int) -> Alert:
    return Alert(alert_id=f"A{i:03d}", kind="seabed_threat", mmsi=211_000_000 + i, asset_id="cable-1", asset_name="Cable 1",
                 status=OPEN, severity=3, title=f"alert {i} at {last}", first_event_ms=1_000 * i, last_event_ms=last,
                 lat=55.0, lon=12.0, created_at=T0, updated_at=T0, event_ids=[f"E{i:03d}"])


# calls of (event ids, report time): new alone, stored alone, few stored, many new, many mixed, duplicates in one call
CALLS = [([0], 10_000), ([0], 20_000), ([0, 1, 2], 30_000), (list(range(3, 15)), 40_000),
         (list(range(0, 20)), 50_000), ([5, 5, 6], 60_000), ([7, 8, 9, 10, 11], 70_000)]


@pytest.mark.parametrize("upto", [1, 2, 3, 5, len(CALLS)])
def test_commit_keeps_the_last_report_of_every_id(alert_store, upto):
    expected: dict[str, tuple] = {}
    alerts: dict[str, int] = {}
    for ids, at in CALLS[:upto]:
        events = [_event(i, at + k, "closed" if k % 4 == 3 else "open") for k, i in enumerate(ids)]
        batch_alerts = [_alert(i, at + k) for k, i in enumerate(ids) if i % 2 == 0]
        alert_store.commit([(e, f"A{e.mmsi - 211_000_000:03d}") for e in events], batch_alerts, [])
        for e in events:
            expected[e.event_id] = (e.status, e.severity, e.end, e.detected_at)
        alerts.update((a.alert_id, a.last_event_ms) for a in batch_alerts)
    known = alert_store.known_events(sorted(expected) + ["E999"])
    assert {eid: (k.status, k.severity, k.end_ms, k.detected_ms) for eid, k in known.items()} == expected
    log = {r["event_id"]: r for r in alert_store.events().to_pylist()}
    assert sorted(log) == sorted(expected) and all(log[eid]["detected_ms"] == v[3] for eid, v in expected.items())
    stored = {a.alert_id: a.last_event_ms for a in alert_store.list_alerts()}
    assert stored == alerts
    assert all(alert_store.get(aid).title == f"alert {int(aid[1:])} at {last}" for aid, last in alerts.items())
