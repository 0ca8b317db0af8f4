"""Every detector gives identical events whether fed message by message, in micro-batches,
as one archive, or with arrival disorder inside the reorder window."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from seawarden.detect import DETECTORS, DetectConfig, DetectionEngine

from .realdata import static_table
from .scenarios import asset_index, batches, cable_across, merge, slow_down, table, vessel

SHIP, T0 = 257725000, 1662008400000


@pytest.fixture(scope="module")
def stream(kyst):
    """Real Kystverket day (5 vessels) + injections that make every detector fire (a 5 km corridor:
    the approaching copy must be outside it half an hour before it enters)."""
    real = vessel(kyst, SHIP, T0, T0 + 5 * 3600_000)
    drag = slow_down(real, T0 + 90 * 60_000, 35 * 60, 6.3 / 8.5)
    onset = T0 + 90 * 60_000
    cable = cable_across(drag, onset + 60 * 60_000, half_len_m=5_000)
    # an approach: a copy under another MMSI slowing (the cue) towards a second cable ahead of it
    appr = slow_down(vessel(kyst, SHIP, T0, T0 + 4 * 3600_000), T0 + 60 * 60_000, 20 * 60, 0.5)
    appr["mmsi"][:] = 257000004
    idx = asset_index({"C1": cable, "C2": cable_across(appr, T0 + 100 * 60_000, half_len_m=5_000)},
                      corridor_m=5_000)
    # sudden stop + drift (heading 70 deg off course at 2 kn) on a copy under another MMSI
    stop = {k: v.copy() for k, v in vessel(kyst, SHIP, T0 + 3600_000, T0 + 2 * 3600_000).items()}
    stop["mmsi"][:] = 257000001
    k = stop["ts"] >= T0 + 5400_000
    stop["sog"][k] = 0.4
    drift = stop["ts"] >= T0 + 6000_000
    stop["sog"][drift] = 2.0
    stop["heading"][drift] = (stop["cog"][drift] + 70) % 360
    # impossible jump + a second transmitter on the same MMSI (offset 30 km, alternating)
    twin = {k2: v.copy() for k2, v in vessel(kyst, SHIP, T0 + 2 * 3600_000, T0 + 2.5 * 3600_000).items()}
    twin["lat"] += 0.3
    twin["ts"] += 1000
    twin = {k2: v[::3] for k2, v in twin.items()}
    # a rendezvous partner: a copy of a moored vessel 150 m away, and a silent vessel (gap)
    moored = vessel(kyst, 257733000)
    partner = {k2: v.copy() for k2, v in moored.items()}
    partner["mmsi"][:] = 257000002
    partner["lat"] += 0.00135
    gap = {k2: v.copy() for k2, v in real.items()}
    gap["mmsi"][:] = 257000003
    g = (gap["ts"] > T0 + 2 * 3600_000) & (gap["ts"] < T0 + 2.5 * 3600_000)
    gap = {k2: v[~g] for k2, v in gap.items()}
    others = {k2: v for k2, v in vessel(kyst, 257744000).items()}
    pos = table(merge(drag, stop, twin, moored, partner, gap, others, appr))
    static = static_table([
        {"mmsi": SHIP, "ts": T0, "imo": 9436161, "callsign": "LAXY", "name": "SHIP A"},
        {"mmsi": SHIP, "ts": T0 + 3600_000, "imo": 9436161, "callsign": "LAXY", "name": "SHIP B"},
        {"mmsi": 273000001, "ts": T0 + 7200_000, "imo": 9436161, "callsign": "UAXY", "name": "SHIP B"},
    ])
    # the rendezvous partner is a copy of a ship moored at a quay: harbour exclusion by ports off here
    # (test_detectors checks that the World Port Index exclusion removes exactly this pair)
    cfg = DetectConfig.from_dict({"detectors": {"loitering": {"scope": "anywhere"}, "ais_gap": {"min_other_msgs": 1},
                                                "rendezvous": {"port_context": False}}})
    return pos, static, idx, cfg


def _events(pos: pa.Table, static: pa.Table, idx, cfg, size: int | None, jitter: bool = False):
    e = DetectionEngine(cfg, idx)
    out = []
    if jitter:  # arrival disorder within 5 s (reorder window is 10 s)
        rng = np.random.default_rng(7)
        key = pos.column("ts").cast(pa.int64()).to_numpy() + rng.integers(0, 5000, pos.num_rows)
        pos = pos.take(np.argsort(key, kind="stable"))
    parts = [pos] if size is None else batches(pos, size)
    for i, p in enumerate(parts):
        out += e.process(p, static if i == 0 else None)
    out += e.flush()
    # canonical order: which call returned an event depends on batching, its content must not
    out.sort(key=lambda ev: (ev.detected_at, ev.type, ev.mmsi, ev.status, ev.event_id))
    return [ev.to_json() for ev in out], e


def test_every_detector_fires_in_the_stream(stream):
    evs, e = _events(*stream, size=None)
    types = {__import__("json").loads(x)["type"] for x in evs}
    assert types == set(DETECTORS), set(DETECTORS) - types
    assert e.stats["late_dropped"] == 0


@pytest.mark.parametrize("size", [1, 7, 500])
def test_batch_size_does_not_change_events(stream, size):
    whole, _ = _events(*stream, size=None)
    pos = stream[0]
    if size == 1:  # message by message over the first 4 h keeps the test fast
        pos = pos.slice(0, 4000)
        whole, _ = _events(pos, *stream[1:], size=None)
    split, _ = _events(pos, *stream[1:], size=size)
    assert split == whole


def test_arrival_disorder_within_window_does_not_change_events(stream):
    whole, _ = _events(*stream, size=None)
    shuffled, e = _events(*stream, size=300, jitter=True)
    assert shuffled == whole and e.stats["late_dropped"] == 0


def test_prepared_in_a_worker_thread_gives_the_same_events(stream):
    """detect_batches: engine.prepare (Arrow -> columns, spatial context) one batch ahead in a
    worker thread, the stateful half in order here -- the events and counts of plain process()."""
    from seawarden.detect.pipeline import detect_batches

    pos, static, idx, cfg = stream
    whole, e_whole = _events(pos, static, idx, cfg, size=300)
    e = DetectionEngine(cfg, idx)
    parts = batches(pos, 300)
    pairs = (SimpleNamespace(positions=p, static=static if i == 0 else None) for i, p in enumerate(parts))
    out = [ev for evs in detect_batches(e, pairs) for ev in evs]
    out += e.flush()
    out.sort(key=lambda ev: (ev.detected_at, ev.type, ev.mmsi, ev.status, ev.event_id))
    assert [ev.to_json() for ev in out] == whole
    assert e.stats == e_whole.stats


def test_detectors_on_two_threads_give_the_same_events(stream, monkeypatch):
    """parallel_detectors: the detectors of a chunk share out over two threads; events and counts
    are those of the sequential engine (also with decoding-side prepare in a third thread)."""
    import seawarden.detect.engine as engine_mod
    from seawarden.detect.pipeline import detect_batches

    monkeypatch.setattr(engine_mod, "PARALLEL_MIN_ROWS", 1)  # every chunk, however small, goes parallel
    pos, static, idx, cfg = stream
    whole, e_whole = _events(pos, static, idx, cfg, size=300)
    e = DetectionEngine(cfg, idx, parallel_detectors=True)
    pairs = (SimpleNamespace(positions=p, static=static if i == 0 else None) for i, p in enumerate(batches(pos, 300)))
    out = [ev for evs in detect_batches(e, pairs) for ev in evs] + e.flush()
    e.close()
    out.sort(key=lambda ev: (ev.detected_at, ev.type, ev.mmsi, ev.status, ev.event_id))
    assert [ev.to_json() for ev in out] == whole
    assert e.stats == e_whole.stats
