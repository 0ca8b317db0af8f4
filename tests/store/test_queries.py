"""Round trip and queries on real DMA data: the store returns exactly what a pyarrow filter returns."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from store_real_data import EVER, canonical

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import STATIC_LATEST, VESSEL_SUMMARY, Store
from store_backends import StoreFactory

T2013 = datetime(2013, 11, 12, 12, tzinfo=timezone.utc)


def window_filter(table: pa.Table, t0: datetime, t1: datetime) -> pc.Expression:
    return (pc.field("ts") >= pa.scalar(t0, schema.TS)) & (pc.field("ts") < pa.scalar(t1, schema.TS))


def assert_time_sorted(table: pa.Table) -> None:
    ts = table["ts"].cast(pa.int64()).to_numpy()
    assert np.all(np.diff(ts) >= 0)


def test_positions_round_trip_equal(loaded: Store, dma: DecodedBatch) -> None:
    out = loaded.positions_between(*EVER)
    assert out.schema == schema.POSITIONS
    assert out["ts"].type.tz == "UTC"
    assert_time_sorted(out)
    assert canonical(out).equals(canonical(dma.positions))
    # the sentinel -> null mapping survived: nulls are nulls, not numbers
    assert out["heading"].null_count == dma.positions["heading"].null_count > 0


def test_static_and_other_round_trip_equal(loaded: Store, dma: DecodedBatch) -> None:
    mmsis = sorted(set(dma.static["mmsi"].to_pylist()))
    history = pa.concat_tables([loaded.static_history(m) for m in mmsis])
    assert history.schema == schema.STATIC
    assert canonical(history).equals(canonical(dma.static))
    other = loaded.other_between(*EVER)
    assert other.schema == schema.OTHER
    assert canonical(other).equals(canonical(dma.other))
    assert loaded.other_between(*EVER, msg_types=[21]).num_rows == 0


def busiest_mmsis(positions: pa.Table, n: int) -> list[int]:
    counts = positions.group_by("mmsi").aggregate([("mmsi", "count")]).sort_by([("mmsi_count", "descending")])
    return counts["mmsi"].to_pylist()[:n]


@pytest.mark.parametrize("minutes", [1, 3, 10])
def test_track_equals_filter(loaded: Store, dma: DecodedBatch, minutes: int) -> None:
    rng = np.random.default_rng(minutes)
    all_mmsis = dma.positions["mmsi"].unique().to_pylist()
    picks = busiest_mmsis(dma.positions, 4) + [int(m) for m in rng.choice(all_mmsis, 6, replace=False)]
    t0 = T2013 + timedelta(seconds=int(rng.integers(0, 120)))
    t1 = t0 + timedelta(minutes=minutes)
    for mmsi in picks:
        got = loaded.track(mmsi, t0, t1)
        want = dma.positions.filter((pc.field("mmsi") == mmsi) & window_filter(dma.positions, t0, t1))
        assert_time_sorted(got)
        assert canonical(got).equals(canonical(want)), mmsi
    assert sum(loaded.track(m, t0, t1).num_rows for m in picks[:4]) > 0


def test_window_is_half_open(loaded: Store, dma: DecodedBatch) -> None:
    row = dma.positions.slice(5000, 1).to_pylist()[0]
    ts, mmsi = row["ts"], row["mmsi"]
    assert any(r["ts"] == ts for r in loaded.track(mmsi, ts, ts + timedelta(milliseconds=1)).to_pylist())
    assert all(r["ts"] != ts for r in loaded.track(mmsi, ts - timedelta(seconds=5), ts).to_pylist())


BOXES = [
    (12.4, 55.5, 12.9, 56.1, 0, 5),  # the Sound (Øresund)
    (10.5, 54.9, 11.3, 55.7, 1, 3),  # Great Belt
    (7.0, 54.0, 16.5, 58.5, 0, 1),  # the whole area, one minute
    (-10.0, 40.0, -5.0, 45.0, 0, 5),  # nothing there
]


@pytest.mark.parametrize("box", BOXES)
def test_box_equals_filter(loaded: Store, dma: DecodedBatch, box: tuple[float, ...]) -> None:
    lon0, lat0, lon1, lat1, m0, m1 = box
    t0, t1 = T2013 + timedelta(minutes=m0), T2013 + timedelta(minutes=m1)
    got = loaded.positions_in_box(lon0, lat0, lon1, lat1, t0, t1)
    inside = (pc.field("lon") >= lon0) & (pc.field("lon") <= lon1) & (pc.field("lat") >= lat0) & (pc.field("lat") <= lat1)
    want = dma.positions.filter(inside & window_filter(dma.positions, t0, t1))
    assert_time_sorted(got)
    assert canonical(got).equals(canonical(want))


def test_box_across_antimeridian_wraps(loaded: Store, dma: DecodedBatch) -> None:
    # lon_min > lon_max: everything east of 12.0 or west of 9.0 (the box wraps round the globe)
    t0, t1 = T2013, T2013 + timedelta(minutes=2)
    got = loaded.positions_in_box(12.0, 54.0, 9.0, 58.0, t0, t1)
    inside = ((pc.field("lon") >= 12.0) | (pc.field("lon") <= 9.0)) & (pc.field("lat") >= 54.0) & (pc.field("lat") <= 58.0)
    want = dma.positions.filter(inside & window_filter(dma.positions, t0, t1))
    assert want.num_rows > 0
    assert canonical(got).equals(canonical(want))


def test_iter_positions_replays_in_time_order(loaded: Store) -> None:
    t0, t1 = T2013, T2013 + timedelta(minutes=4)
    batches = list(loaded.iter_positions(t0, t1, batch_rows=3000))
    assert len(batches) > 3 and all(b.num_rows <= 3000 for b in batches)
    replay = pa.Table.from_batches(batches, schema=schema.POSITIONS)
    assert_time_sorted(replay)
    assert replay.equals(loaded.positions_between(t0, t1))


def reference_static_latest(static: pa.Table) -> dict[int, dict[str, object]]:
    """Per field, the value of the latest report of a message kind that carries it (plain Python)."""
    carriers = {
        "imo": {(5, None)},
        "callsign": {(5, None), (24, 1)},
        "name": {(5, None), (19, None), (24, 0)},
        **{f: {(5, None), (19, None), (24, 1)} for f in ("ship_type", "to_bow", "to_stern", "to_port", "to_starboard")},
        **{f: {(5, None)} for f in ("draught", "destination", "eta")},
    }
    out: dict[int, dict[str, object]] = {}
    for row in sorted(static.to_pylist(), key=lambda r: r["ts"]):
        vessel = out.setdefault(row["mmsi"], {"mmsi": row["mmsi"], "n_reports": 0, **{f: None for f in carriers}})
        vessel["ts"], vessel["n_reports"] = row["ts"], vessel["n_reports"] + 1
        kind = (row["msg_type"], row["part"] if row["msg_type"] == 24 else None)
        for name, kinds in carriers.items():
            if kind in kinds:
                vessel[name] = row[name]
    return out


def test_static_latest_equals_reference(loaded: Store, dma: DecodedBatch) -> None:
    got = loaded.static_latest()
    assert got.schema == STATIC_LATEST
    want = reference_static_latest(dma.static)
    assert {r["mmsi"]: r for r in got.to_pylist()} == want
    some = sorted(want)[:3]
    assert loaded.static_latest(some)["mmsi"].to_pylist() == some


def test_static_latest_merges_24a_24b_and_newer_reports(dma: DecodedBatch, open_store: StoreFactory) -> None:
    """Scenario from real rows of a class-B vessel: a later rename (24A) and a later 24B saying 'no call sign'."""
    static = dma.static
    is_a = (pc.field("msg_type") == 24) & (pc.field("part") == 0)
    is_b = (pc.field("msg_type") == 24) & (pc.field("part") == 1)
    mmsi = sorted(set(static.filter(is_a)["mmsi"].to_pylist()) & set(static.filter(is_b)["mmsi"].to_pylist()))[0]
    part_a = static.filter(is_a & (pc.field("mmsi") == mmsi)).slice(0, 1).to_pylist()[0]
    part_b = static.filter(is_b & (pc.field("mmsi") == mmsi)).slice(0, 1).to_pylist()[0]
    later = max(part_a["ts"], part_b["ts"])
    renamed = {**part_a, "ts": later + timedelta(hours=1), "name": "RENAMED"}
    no_call = {**part_b, "ts": later + timedelta(hours=2), "callsign": None}
    rows = pa.Table.from_pylist([part_a, part_b, renamed, no_call], schema=schema.STATIC)
    with open_store() as store:
        store.append(DecodedBatch(static=rows))
        (got,) = store.static_latest([mmsi]).to_pylist()
    assert got["name"] == "RENAMED"
    assert got["callsign"] is None  # the latest carrier said "not available"
    assert got["ship_type"] == part_b["ship_type"] and got["to_bow"] == part_b["to_bow"]
    assert got["ts"] == no_call["ts"] and got["n_reports"] == 4


def test_vessel_summary_equals_group_by(loaded: Store, dma: DecodedBatch) -> None:
    t0, t1 = T2013, T2013 + timedelta(minutes=3)
    got = loaded.vessel_summary(t0, t1)
    assert got.schema == VESSEL_SUMMARY
    window = dma.positions.filter(window_filter(dma.positions, t0, t1))
    want = window.group_by("mmsi").aggregate([("mmsi", "count"), ("ts", "min"), ("ts", "max")]).sort_by("mmsi")
    assert got["mmsi"].to_pylist() == want["mmsi"].to_pylist()
    assert got["n_positions"].to_pylist() == want["mmsi_count"].to_pylist()
    assert got["first_seen"].to_pylist() == want["ts_min"].to_pylist()
    assert got["last_seen"].to_pylist() == want["ts_max"].to_pylist()
    # last fix of the busiest vessel = its latest row with a position
    mmsi = busiest_mmsis(window, 1)[0]
    fixes = window.filter((pc.field("mmsi") == mmsi) & pc.field("lat").is_valid() & pc.field("lon").is_valid()).sort_by("ts")
    row = got.filter(pc.field("mmsi") == mmsi).to_pylist()[0]
    assert (row["last_lat"], row["last_lon"]) == (fixes["lat"][-1].as_py(), fixes["lon"][-1].as_py())
    names = {r["mmsi"]: r["name"] for r in loaded.static_latest().to_pylist()}
    assert all(r["name"] == names.get(r["mmsi"]) for r in got.to_pylist())
    assert loaded.vessel_summary(mmsis=[mmsi])["mmsi"].to_pylist() == [mmsi]


def test_stats(loaded: Store, dma: DecodedBatch) -> None:
    stats = loaded.stats()
    assert stats["rows"] == {"positions": dma.positions.num_rows, "static_reports": dma.static.num_rows, "other_messages": dma.other.num_rows}
    assert stats["first_ts"] == pc.min(dma.positions["ts"]).as_py()
    assert stats["last_ts"] == pc.max(dma.positions["ts"]).as_py()
    assert stats["vessels"] == len(pc.unique(dma.positions["mmsi"]))
    assert stats["schema_version"] >= 1


def test_box_edges_are_inclusive(loaded: Store, dma: DecodedBatch) -> None:
    fixes = dma.positions.filter(pc.field("lat").is_valid() & pc.field("lon").is_valid())
    for row in fixes.slice(1000, 5).to_pylist():
        lon, lat, ts = row["lon"], row["lat"], row["ts"]
        window = (ts, ts + timedelta(seconds=1))
        for box in ((lon, lat, lon + 0.2, lat + 0.2), (lon - 0.2, lat - 0.2, lon, lat)):
            got = loaded.positions_in_box(*box, *window).to_pylist()
            assert row in got, box


def test_tracks_equal_the_union_of_single_tracks(loaded: Store, dma: DecodedBatch) -> None:
    rng = np.random.default_rng(11)
    mmsis = busiest_mmsis(dma.positions, 6) + [int(m) for m in rng.choice(dma.positions["mmsi"].unique().to_pylist(), 20, replace=False)]
    starts = [T2013 + timedelta(seconds=int(s)) for s in rng.integers(0, 240, len(mmsis))]
    ends = [s + timedelta(seconds=int(d)) for s, d in zip(starts, rng.integers(0, 180, len(mmsis)))]
    # overlapping and touching windows of one vessel, a window with no rows, an empty window
    m0 = mmsis[0]
    mmsis += [m0, m0, m0, 999_999_999, m0]
    starts += [starts[0] + timedelta(seconds=30), ends[0], starts[0] - timedelta(minutes=1), T2013, T2013]
    ends += [ends[0] + timedelta(minutes=2), ends[0] + timedelta(minutes=3), starts[0], T2013 + timedelta(hours=1), T2013]
    got = loaded.tracks(mmsis, starts, ends)
    assert got.schema == schema.POSITIONS
    key = np.column_stack([got["mmsi"].to_numpy(), got["ts"].cast(pa.int64()).to_numpy()])
    assert np.all(np.diff(key[:, 0].astype(np.int64)) >= 0)
    same = np.diff(key[:, 0].astype(np.int64)) == 0
    assert np.all(np.diff(key[:, 1])[same] >= 0), "sorted by (mmsi, ts)"
    in_any = pc.scalar(False)
    for m, s, e in zip(mmsis, starts, ends):
        in_any = in_any | ((pc.field("mmsi") == m) & window_filter(dma.positions, s, e))
    assert canonical(got).equals(canonical(dma.positions.filter(in_any))), "each row of the union of the windows, once"
    assert got.num_rows > 50
    assert loaded.tracks([], [], []).num_rows == 0
