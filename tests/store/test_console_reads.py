"""The console's questions (latest fix per vessel, last seen, totals, event payloads) on both stores,
checked against pyarrow/numpy answers computed from the real DMA data that went in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from seawarden import schema
from seawarden.detect.event import Event
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import StoreInputError, alert_store_for
from seawarden.store.base import LATEST_FIX, Store, to_ms
from store_backends import StoreFactory

_TIE_BREAK = ["lat", "lon", "sog", "cog", "heading", "nav_status"]


def expected_latest(positions: pa.Table, t0: datetime, bbox=None) -> pa.Table:
    """Newest located fix per vessel since t0 by sorting (ties: the other columns ascending, nulls last)."""
    located = positions.filter(pc.is_valid(pc.field("lat")) & pc.is_valid(pc.field("lon"))
                               & (pc.field("ts") >= pa.scalar(t0, schema.TS)))
    order = pc.sort_indices(located, [("mmsi", "ascending", "at_end"), ("ts", "descending", "at_end")]
                            + [(c, "ascending", "at_end") for c in _TIE_BREAK])
    rows = located.take(order)
    mmsi = rows["mmsi"].to_numpy()
    first = np.r_[True, mmsi[1:] != mmsi[:-1]] if len(mmsi) else np.zeros(0, bool)
    out = rows.filter(pa.array(first))
    out = pa.table({"mmsi": out["mmsi"], "ts_ms": out["ts"].cast(pa.int64()), **{c: out[c] for c in LATEST_FIX.names[2:]}})
    if bbox is not None:
        lon0, lat0, lon1, lat1 = bbox
        lat, lon = out["lat"].to_numpy(), out["lon"].to_numpy()
        inside_lon = (lon >= lon0) & (lon <= lon1) if lon0 <= lon1 else (lon >= lon0) | (lon <= lon1)
        out = out.filter(pa.array(inside_lon & (lat >= lat0) & (lat <= lat1)))
    return out.cast(LATEST_FIX)


def newest(positions: pa.Table) -> datetime:
    return positions["ts"].cast(pa.int64()).to_numpy().max()


@pytest.mark.parametrize("hours_back", [0.5, 6, 10_000])
def test_latest_fixes_equal_sorting(loaded: Store, dma: DecodedBatch, hours_back: float) -> None:
    end_ms = int(newest(dma.positions))
    t0 = datetime.fromtimestamp(end_ms / 1000, timezone.utc) - timedelta(hours=hours_back)
    got = loaded.latest_fixes(t0)
    assert got.schema == LATEST_FIX
    assert got.num_rows > 0
    assert got.equals(expected_latest(dma.positions, t0))


def test_latest_fixes_box_tests_the_newest_fix_and_wraps(loaded: Store, dma: DecodedBatch) -> None:
    t0 = datetime(2000, 1, 1, tzinfo=timezone.utc)
    everyone = loaded.latest_fixes(t0)
    lon = np.sort(everyone["lon"].to_numpy())
    cut = float(lon[len(lon) // 2])
    west = (-180.0, -90.0, cut, 90.0)
    got = loaded.latest_fixes(t0, bbox=west)
    assert 0 < got.num_rows < everyone.num_rows
    assert got.equals(expected_latest(dma.positions, t0, west))
    # lon0 > lon1 is the box across the antimeridian: here everything east of the cut
    wrapped = (cut, -90.0, -179.0, 90.0)
    east = loaded.latest_fixes(t0, bbox=wrapped)
    assert east.equals(expected_latest(dma.positions, t0, wrapped))
    assert east.num_rows + got.num_rows >= everyone.num_rows
    with pytest.raises(StoreInputError, match="lat_min"):
        loaded.latest_fixes(t0, bbox=(0.0, 10.0, 1.0, 5.0))


def test_latest_fix_and_last_seen_of_one_vessel(loaded: Store, dma: DecodedBatch) -> None:
    pos = dma.positions
    mmsi = int(pc.mode(pos["mmsi"])[0]["mode"].as_py())
    t0 = datetime(2000, 1, 1, tzinfo=timezone.utc)
    own = pos.filter(pc.equal(pos["mmsi"], mmsi))
    one = loaded.latest_fixes(t0, mmsi=mmsi)
    assert one.num_rows == 1 and one.equals(expected_latest(own, t0))
    assert to_ms(loaded.last_seen(mmsi)) == int(newest(own))
    assert to_ms(loaded.last_seen()) == int(newest(pos))
    absent = int(pc.max(pos["mmsi"]).as_py()) + 1
    assert loaded.last_seen(absent) is None
    assert loaded.latest_fixes(t0, mmsi=absent).num_rows == 0
    with pytest.raises(StoreInputError, match="MMSI"):
        loaded.last_seen(-5)


def test_position_totals(loaded: Store, dma: DecodedBatch) -> None:
    totals = loaded.position_totals()
    assert totals.positions == dma.positions.num_rows
    assert totals.vessels == len(pc.unique(dma.positions["mmsi"]))
    assert to_ms(totals.last_ts) == int(newest(dma.positions))


def test_empty_store_answers(open_store: StoreFactory) -> None:
    store = open_store("empty")
    assert store.last_seen() is None
    totals = store.position_totals()
    assert (totals.positions, totals.vessels, totals.last_ts) == (0, 0, None)
    assert store.latest_fixes(datetime(2000, 1, 1, tzinfo=timezone.utc)).schema == LATEST_FIX


def _event(i: int, mmsi: int, asset: str | None, type_: str, start: int, end: int | None) -> Event:
    return Event(type=type_, mmsi=mmsi, start=start, end=end, lat=59.9 + i / 100, lon=24.9, severity=1 + i % 5,
                 status="open" if end is None else "closed", detected_at=(end or start) + 1000,
                 evidence={"i": i, "note": "ünïcode ✓"}, config={"k": i}, asset_id=asset, asset_name=asset)


def test_event_payloads_and_alert_counts(open_store: StoreFactory) -> None:
    alerts = alert_store_for(open_store("events"))
    base = 1_600_000_000_000
    events = [_event(i, 230000000 + i % 3, ("EE-1", "FI-2", None)[i % 3], ("anchor_drag", "ais_gap")[i % 2],
                     base + (i // 2) * 60_000, None if i % 4 == 3 else base + (i // 2) * 60_000 + 30_000) for i in range(24)]
    alerts.commit([(e, f"A{i % 5}" if i % 2 else None) for i, e in enumerate(events)], [], [])
    payloads = alerts.event_payloads(limit=5000)
    assert len(payloads) == len(events)
    by_id = {e.event_id: e for e in events}
    # newest first, ties by event id
    keys = [(-by_id[p["event_id"]].start, p["event_id"]) for p in payloads]
    assert keys == sorted(keys)
    for p in payloads:
        e = by_id[p["event_id"]]
        assert p["evidence"] == e.evidence and p["mmsi"] == e.mmsi
    assert {p["event_id"]: p["alert_id"] for p in payloads} == {
        e.event_id: (f"A{i % 5}" if i % 2 else None) for i, e in enumerate(events)}
    for kwargs, keep in (
        ({"mmsi": 230000001}, lambda e: e.mmsi == 230000001),
        ({"asset_id": "EE-1"}, lambda e: e.asset_id == "EE-1"),
        ({"type_": "ais_gap"}, lambda e: e.type == "ais_gap"),
        ({"since_ms": base + 6 * 60_000}, lambda e: (e.end if e.end is not None else e.detected_at) >= base + 6 * 60_000),
        ({"mmsi": 230000002, "type_": "anchor_drag"}, lambda e: e.mmsi == 230000002 and e.type == "anchor_drag"),
    ):
        got = [p["event_id"] for p in alerts.event_payloads(**kwargs)]
        assert 0 < len(got) < len(events)
        assert sorted(got) == sorted(e.event_id for e in events if keep(e)), kwargs
    assert [p["event_id"] for p in alerts.event_payloads(limit=3)] == [p["event_id"] for p in payloads[:3]]
    assert alerts.alert_counts() == {}
