"""Risk scoring of many vessels: seawarden's columnar RiskScorer vs a per-vessel Python loop (same formula).

Input is derived from the real DMA 2013 static reports (MMSI, IMO, name, ship type of every
vessel heard), tiled with fresh MMSIs up to --vessels, plus synthetic events (types, severities,
ages) for a share of them. The peer is the straightforward per-vessel loop a first version would
write; both score the same vessels and must agree to 1e-9.

    python bench/risk.py [--vessels 50000] [--events 100000] [--peer-vessels 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from seawarden.alert.base import EVENT_LOG
from seawarden.alert.config import AlertSettings
from seawarden.alert.profile import imo_check_valid
from seawarden.alert.risk import DAY_MS, RiskScorer
from seawarden.store import STATIC_LATEST

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def static_table(n: int) -> pa.Table:
    df = pl.read_parquet(SHARED / "ais_dma_decoded/aisabnormal_2013-11-12_static.parquet").unique("mmsi")
    reps = -(-n // df.height)
    mmsi = (np.tile(df["mmsi"].to_numpy().astype(np.int64), reps) + np.repeat(np.arange(reps), df.height) * 1_000)[:n]
    imo = np.tile(np.nan_to_num(df["imo"].to_numpy(), nan=0).astype(np.int64), reps)[:n]
    st = np.tile(np.nan_to_num(df["ship_type"].to_numpy(), nan=255).astype(np.int64), reps)[:n]
    names = np.tile(np.asarray(df["shipname"].to_list(), dtype=object), reps)[:n]
    _, first = np.unique(mmsi, return_index=True)  # tiling may collide with a real MMSI: keep one row per vessel
    mmsi, imo, st, names = mmsi[first], imo[first], st[first], names[first]
    n = len(mmsi)
    cols = {"mmsi": pa.array(mmsi, pa.uint32()), "ts": pa.array(np.zeros(n, np.int64)).cast(STATIC_LATEST.field("ts").type),
            "imo": pa.array(np.where(imo > 0, imo, 0), pa.uint32(), mask=imo <= 0),
            "ship_type": pa.array(st, pa.uint8(), mask=st == 255), "name": pa.array(names.tolist(), pa.string()),
            "n_reports": pa.array(np.ones(n, np.int64))}
    return pa.table({f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in STATIC_LATEST}, schema=STATIC_LATEST)


def events_table(mmsi: np.ndarray, n: int, now: int, rng: np.random.Generator) -> pa.Table:
    types = np.array(["anchor_drag", "cable_crossing", "approach", "ais_gap", "loitering", "identity_change"], dtype=object)
    t = rng.choice(types, n)
    end = now - rng.integers(0, 120 * DAY_MS, n)
    cols = {"event_id": pa.array([f"e{i}" for i in range(n)]), "type": pa.array(t.tolist()), "subtype": pa.array([""] * n),
            "mmsi": pa.array(rng.choice(mmsi, n), pa.uint32()), "asset_id": pa.array(rng.choice(["a1", "a2", None], n).tolist()),
            "start_ms": pa.array(end - 3_600_000), "end_ms": pa.array(end), "detected_ms": pa.array(end),
            "severity": pa.array(rng.integers(1, 6, n), pa.uint8()), "status": pa.array(["closed"] * n)}
    return pa.table({f.name: cols.get(f.name, pa.nulls(n, f.type)) for f in EVENT_LOG}, schema=EVENT_LOG)


def per_vessel_loop(scorer: RiskScorer, mmsis, static: pa.Table, events: pa.Table, now: int) -> dict[int, float]:
    """The peer: one vessel at a time, one event at a time, in Python."""
    r = scorer.r
    st = {row["mmsi"]: row for row in static.to_pylist()}
    evs: dict[int, list[dict]] = {}
    for e in events.to_pylist():
        evs.setdefault(e["mmsi"], []).append(e)
    out = {}
    for m in mmsis:
        pts = 0.0
        if scorer.flags.by_mid.get(m // 1_000_000) and 200_000_000 <= m < 800_000_000:
            pts += r["facts"]["flag_of_convenience"]
        row = st.get(m)
        imo = row["imo"] if row else None
        if imo and not imo_check_valid(np.array([imo]))[0]:
            pts += r["facts"]["imo_invalid"]
        if not imo and row and row["ship_type"] is not None and 70 <= row["ship_type"] <= 89:
            pts += r["facts"]["imo_missing"]
        per_type: dict[str, float] = {}
        for e in evs.get(m, []):
            w = r["events"].get(e["type"], 0.0)
            age = max(now - (e["end_ms"] if e["end_ms"] is not None else e["detected_ms"]), 0)
            if w <= 0 or e["start_ms"] > now or age > scorer.horizon_ms:
                continue
            crit = scorer.criticality.get(e["asset_id"], 3) if e["asset_id"] else 0
            cf = r["criticality"]["factors"][crit - 1] if crit else r["criticality"]["none"]
            per_type[e["type"]] = per_type.get(e["type"], 0.0) + w * e["severity"] / 5 * cf * 0.5 ** (age / scorer.half_life_ms)
        for t, v in per_type.items():
            pts += min(v, r["max_per_type"] * r["events"][t])
        out[m] = min(pts, 100.0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessels", type=int, default=50_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--peer-vessels", type=int, default=2_000)
    a = ap.parse_args(argv)
    rng = np.random.default_rng(7)
    static = static_table(a.vessels)
    mmsi = np.unique(static["mmsi"].to_numpy().astype(np.int64))
    now = 1_700_000_000_000
    events = events_table(mmsi, a.events, now, rng)
    scorer = RiskScorer(AlertSettings.load(), criticality={"a1": 5, "a2": 2})
    t0 = time.perf_counter()
    table = scorer.score_vessels(mmsi, events, now, static)
    ours = time.perf_counter() - t0
    sub = mmsi[:: max(len(mmsi) // a.peer_vessels, 1)][: a.peer_vessels]
    sub_events = events.filter(pa.compute.is_in(events["mmsi"], pa.array(sub, pa.uint32())))
    t0 = time.perf_counter()
    ref = per_vessel_loop(scorer, sub.tolist(), static, sub_events, now)
    peer = time.perf_counter() - t0
    err = max(abs(ref[m] - table.total(m)) for m in sub.tolist())
    ours_rate, peer_rate = len(mmsi) / ours, len(sub) / peer
    print(f"seawarden RiskScorer.score_vessels: {len(mmsi):,} vessels, {events.num_rows:,} events in {ours:.2f} s "
          f"= {ours_rate:,.0f} vessels/s")
    print(f"per-vessel Python loop (peer): {len(sub):,} vessels in {peer:.2f} s = {peer_rate:,.0f} vessels/s "
          f"(max |difference| {err:.1e})")
    print(f"ratio: {ours_rate / peer_rate:.1f}x")
    return 0 if err < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
