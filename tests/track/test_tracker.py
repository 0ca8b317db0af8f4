"""Reorder buffer and tracker on real tracks."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa

from seawarden.track.fixes import Fixes, ReorderBuffer, fixes_from_arrow
from seawarden.track.tracker import BRK_ALTERNATE, BRK_GAP, BRK_JUMP, Tracker

from detect.realdata import kystverket, ny_harbour, solent  # tests/ is on sys.path (rootdir packages)


def _release_all(fixes: Fixes, size: int, window_ms: int = 10_000) -> tuple[np.ndarray, int]:
    rb = ReorderBuffer(window_ms)
    parts = [rb.push(fixes.take(np.arange(i, min(i + size, len(fixes))))) for i in range(0, len(fixes), size)]
    parts.append(rb.flush())
    out = Fixes.concat([p for p in parts if len(p)] or [Fixes.empty()])
    return np.column_stack([out.ts, out.mmsi, out.lat.view(np.int64)]), rb.late_dropped


def test_reorder_release_is_batch_invariant_and_counts_late_rows(shared_data):
    fx = fixes_from_arrow(solent(shared_data))
    rng = np.random.default_rng(1)
    order = np.argsort(fx.ts + rng.integers(0, 8000, len(fx)), kind="stable")  # disorder < window
    fx = fx.take(order)
    late = fx.take(np.array([len(fx) - 1]))
    late.ts = late.ts - 3_600_000  # an hour older than everything around it
    fx = Fixes.concat([fx, late])
    ref, n_late = _release_all(fx, len(fx))
    assert n_late == 1
    assert np.all(np.diff(ref[:, 0]) >= 0)
    for size in (1, 13, 4096):
        got, n = _release_all(fx, size)
        assert n == 1 and np.array_equal(got, ref)


def test_nulls_and_sentinels_are_counted_not_used(shared_data):
    t = solent(shared_data).slice(0, 100)
    lat = t.column("lat").to_numpy().copy()
    lat[:3] = np.nan
    t = t.set_column(t.schema.get_field_index("lat"), "lat", pa.array(lat, mask=np.isnan(lat)))
    counts: Counter[str] = Counter()
    fx = fixes_from_arrow(t, counts)
    assert len(fx) == 97 and counts["no_position"] == 3


def test_derived_speed_matches_reported_sog(shared_data):
    """Implied speed from positions agrees with the reported SOG on dense real tracks."""
    fx = fixes_from_arrow(solent(shared_data))
    ch = Tracker().advance(fx)
    ok = (ch.dt_s >= 10) & (ch.dt_s <= 120) & (fx.sog > 5) & (ch.brk == 0)  # shorter steps: ~10 m position noise
    rel = np.abs(ch.implied_kn[ok] - fx.sog[ok]) / fx.sog[ok]
    assert ok.sum() > 1000 and np.median(rel) < 0.06


def test_sog_cog_derived_when_missing(shared_data):
    fx = fixes_from_arrow(ny_harbour(shared_data))
    ch = Tracker().advance(fx)
    assert np.isnan(fx.sog).all() and np.isfinite(ch.sog).mean() > 0.8 and np.isfinite(ch.cog).mean() > 0.5


def test_two_transmitters_on_one_mmsi_stay_apart(shared_data):
    """Interleave a real track with the same track shifted 30 km north under the same MMSI."""
    fx = fixes_from_arrow(kystverket(shared_data))
    fx = fx.take(np.flatnonzero(fx.mmsi == 257725000)[:2000])
    twin = fx.take(np.arange(0, len(fx), 2))
    twin.lat = twin.lat + 0.27
    twin.ts = twin.ts + 500
    both = Fixes.concat([fx, twin])
    both = both.take(np.argsort(both.ts, kind="stable"))
    ch = Tracker().advance(both)
    primary = ch.sub == 0
    assert (ch.brk == BRK_JUMP).sum() <= 2 and (ch.brk == BRK_ALTERNATE).sum() > 900
    # the primary track keeps the real ship's speeds: no 30 km teleports inside it
    assert np.nanmax(ch.implied_kn[primary & (ch.dt_s > 5)]) < 40
    assert (ch.brk == BRK_GAP).sum() == 0


def _reference_track(fx: Fixes, sog: np.ndarray, cog: np.ndarray, primary: np.ndarray, slot_rows: np.ndarray,
                     upto: int, t0: int, t1: int, K: int, max_points: int) -> list[tuple]:
    """Independent reading of the evidence rule: the vessel's last K primary fixes delivered before
    the event, those within [t0, t1], evenly thinned to max_points."""
    rows = slot_rows[(slot_rows < upto) & primary[slot_rows]][-K:]
    rows = rows[(fx.ts[rows] >= t0) & (fx.ts[rows] <= t1)]
    if rows.size > max_points:
        rows = rows[np.linspace(0, rows.size - 1, max_points).round().astype(int)]
    out = []
    for r in rows:
        iso = str(np.datetime64(int(fx.ts[r]), "ms")) + "Z"
        vals = [round(float(v), nd) for v, nd in ((fx.lat[r], 6), (fx.lon[r], 6), (sog[r], 2), (cog[r], 1))]
        out.append((iso, *(v if np.isfinite(v) else None for v in vals)))
    return out


def test_evidence_tracks_match_the_stream_however_it_was_chunked(shared_data):
    """Many events at once (ring of earlier chunks + rows of the current one) give each vessel's
    own recent primary fixes, as an independent per-event reading of the whole stream does."""
    fx = fixes_from_arrow(kystverket(shared_data))
    fx = fx.take(np.argsort(fx.ts, kind="stable")[:6000])
    whole = Tracker().advance(fx)
    primary = whole.sub == 0
    rng = np.random.default_rng(4)
    tr = Tracker()
    K, max_points = tr.params.ring_size, 9
    cuts = [0, 1700, 1701, 4200, len(fx)]
    checked = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        chunk = tr.advance(fx.take(np.arange(a, b)))
        if b > a:
            uptos = rng.integers(0, b - a + 1, 40)
            slots = chunk.slot[np.minimum(uptos, b - a - 1)]
            t1 = fx.ts[a + np.maximum(uptos - 1, 0)]
            t0 = t1 - rng.integers(0, 3_600_000, 40)
            got = tr.evidence_tracks(chunk, slots, uptos, t0, t1, max_points)
            for j in range(40):
                rows = np.flatnonzero(whole.slot == slots[j])
                ref = _reference_track(fx, whole.sog, whole.cog, primary, rows, a + int(uptos[j]), int(t0[j]),
                                       int(t1[j]), K, max_points)
                assert got[j] == ref
                checked += len(ref) > 0
            assert got[0] == tr.evidence_points(chunk, int(slots[0]), int(uptos[0]), int(t0[0]), int(t1[0]), max_points)
        tr.commit(chunk)
    assert checked > 60
