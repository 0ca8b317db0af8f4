"""Suspects query time over a month of regional traffic on both stores (DuckDB, PostGIS), vs a naive full scan.

Data (real-derived, scaled up by code): every vessel of the real NOAA MarineCadastre US-coastal day
(236 k fixes, 1,185 vessels, SOG/COG derived) is moved rigidly once per day for --days days, with the
day's time shift and a fresh MMSI block, to where the real Gulf of Finland shows such behaviour
(seawarden.alert.forensics.demo.regional_days: through traffic onto real lanes and courses of the
Fintraffic snapshots, port-bound days onto real berths near World Port Index ports, tracks end at the
coast). The first version placed vessels uniformly at random without a land mask: harbour life then
lay on mid-Gulf Estlink 2 and on its onshore part (74 % of the "crossings" were on land) and the
injected dragger ranked 151st; the run prints that plausibility check against the real snapshots.
Into the middle day the proof scenario (seawarden.alert.forensics.demo: 12 real-derived crossers +
one injected Eagle S dragger over Estlink 2) is added; the run prints the top 20 with their reasons
and exits non-zero unless the dragger ranks first out of the month.

Measured in one run, same store, same candidate analysis:
  seawarden   rank_suspects: store box pre-filter along the asset + compiled corridor/crossing
              kernels, then candidate tracks only (timed cold and warm: first run loads numba caches)
  naive peer  "full scan + shapely": read every position of the month (store.positions_between),
              project to UTM 35N (pyproj), shapely.dwithin of every fix to the cable and
              shapely.intersects of every fix-to-fix segment, to find the same candidates
The candidate sets agree except (a) within ~20 m of the corridor edge (GridKit segments are straight in lon/lat
for us, straight in UTM for the peer) and (b) vessels that cross between two fixes of which one lies outside
the search boxes (silent > ~10 min across the cable, no fix in the corridor): the pre-filter cannot see those;
widen search.prefilter_margin_m to reach them. The ratio printed is naive candidate search / seawarden candidate
search, and naive end-to-end (its search + the same candidate analysis) / seawarden end-to-end.

Both stores are loaded with the same month (load rate in rows/s) and answer the same rank_suspects
(cold and warm, side by side, ratio PostGIS / DuckDB); on each, the candidate tracks are also read
one query per vessel (``store.track`` in a loop, the way fetch_tracks worked before) and in one batched
``store.tracks`` query, and that speed-up is printed. PostGIS needs --dsn or SEAWARDEN_TEST_PG_DSN
(``source scripts/postgres.sh``); it works in a scratch schema ``bench_suspects`` that it drops after.

    python bench/suspects.py [--days 30] [--seed 7] [--dsn postgresql://...] [--no-postgis]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely
from pyproj import Transformer

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
GULF = (22.5, 59.3, 29.5, 60.6)  # lon/lat box of the Gulf of Finland traffic
M_PER_DEG = 111_320.0


def month_of_traffic(days: int, seed: int):
    """Yield (day, POSITIONS): the US coastal day placed by the real Gulf picture (seawarden.alert.forensics.demo.regional_days)."""
    from seawarden.alert.forensics.demo import regional_days

    yield from regional_days(SHARED, days, seed)


def plausibility(index, days: int, seed: int) -> None:
    """Share of still (< 1 kn) and under-way (>= 3 kn) fixes of the Gulf that lie in the Estlink 2 corridor:
    the real Digitraffic snapshots vs this bench's background (a few days) vs uniform random placement."""
    import pyarrow.parquet as pq

    from seawarden.alert.forensics.demo import DIGITRAFFIC_SNAPSHOTS, GULF_OF_FINLAND as G, uniform_days
    from seawarden.alert.forensics.focus import AssetFocus

    focus = AssetFocus.build(index.assets, "Estlink 2", None, None, 10.0)

    def shares(name: str, tables) -> None:
        lon, lat, sog = (np.concatenate([np.asarray(t[c].to_numpy(zero_copy_only=False), dtype=float) for t in tables]) for c in ("lon", "lat", "sog"))
        ok = (lon >= G[0]) & (lon <= G[2]) & (lat >= G[1]) & (lat <= G[3]) & (sog < 102.2)
        near = focus.distance(lon, lat, focus.corridor_m)[0] <= focus.corridor_m
        still, moving = ok & (sog < 1.0), ok & (sog >= 3.0)
        print(f"  {name:34s} still fixes on the cable {100 * (near & still).sum() / max(still.sum(), 1):.2f} % of {still.sum():,}; "
              f"under way {100 * (near & moving).sum() / max(moving.sum(), 1):.2f} % of {moving.sum():,}")

    print(f"plausibility: fixes within the {focus.corridor_m:.0f} m Estlink 2 corridor")
    shares("real Digitraffic snapshots", [pq.read_table(SHARED / "ais_snapshot_digitraffic_baltic_2025-12" / f) for f in DIGITRAFFIC_SNAPSHOTS])
    shares(f"this bench ({days} days)", [t for _, t in month_of_traffic(days, seed)])
    shares(f"uniform random placement ({days} d)", [t for _, t in uniform_days(SHARED, days, seed)])


def naive_candidates(store, asset_geom, corridor_m: float, t0: datetime, t1: datetime) -> tuple[np.ndarray, float, int]:
    """Full scan + shapely per fix / per fix-to-fix segment, in metres (UTM 35N)."""
    start = time.perf_counter()
    t = store.positions_between(t0, t1)
    mmsi = t["mmsi"].to_numpy().astype(np.int64)
    lon, lat = t["lon"].to_numpy(zero_copy_only=False), t["lat"].to_numpy(zero_copy_only=False)
    order = np.lexsort((t["ts"].cast(pa.int64()).to_numpy(), mmsi))
    mmsi, lon, lat = mmsi[order], lon[order], lat[order]
    tr = Transformer.from_crs(4326, 32635, always_xy=True)
    x, y = tr.transform(lon, lat)
    line = shapely.transform(asset_geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
    shapely.prepare(line)
    near = shapely.dwithin(shapely.points(x, y), line, corridor_m)
    same = np.flatnonzero(mmsi[1:] == mmsi[:-1])
    segs = shapely.linestrings(np.stack([np.column_stack([x[same], y[same]]), np.column_stack([x[same + 1], y[same + 1]])], axis=1))
    cross = shapely.intersects(segs, line)
    cands = np.union1d(mmsi[near], mmsi[same[cross]])
    return cands, time.perf_counter() - start, len(mmsi)


def load(db, days: int, seed: int, scenario) -> tuple[int, int, float]:
    """Append the month day by day (the proof scenario moved into the middle day); rows, first day (ms), seconds."""
    from seawarden import schema
    from seawarden.ingest.batch import DecodedBatch

    empty_static, empty_other = schema.STATIC.empty_table(), schema.OTHER.empty_table()
    start = time.perf_counter()
    rows, first_day_ms = 0, None
    for d, day in month_of_traffic(days, seed):
        if first_day_ms is None:
            first_day_ms = int(day["ts"].cast(pa.int64()).to_numpy().min())
        parts = [day]
        if d == days // 2:  # the proof scenario, moved into this day
            shift = first_day_ms + d * 86_400_000 - (scenario.t_ref_ms - scenario.t_ref_ms % 86_400_000)
            ts = scenario.positions["ts"].cast(pa.int64()).to_numpy() + shift
            parts.append(scenario.positions.set_column(1, "ts", pa.array(ts).cast(schema.TS)).cast(schema.POSITIONS))
        table = pa.concat_tables(parts).sort_by([("ts", "ascending"), ("mmsi", "ascending")])
        db.append(DecodedBatch(positions=table, static=empty_static, other=empty_other))
        rows += table.num_rows
    return rows, first_day_ms, time.perf_counter() - start


class RecordingStore:
    """A store that remembers the windows rank_suspects asked ``tracks`` for (to replay them both ways)."""

    def __init__(self, store) -> None:
        self.store, self.windows = store, None

    def tracks(self, mmsis, starts, ends):
        self.windows = (list(mmsis), list(starts), list(ends))
        return self.store.tracks(mmsis, starts, ends)

    def __getattr__(self, name):
        return getattr(self.store, name)


def ranked_twice(db, index, t0: datetime, t1: datetime) -> dict:
    """rank_suspects cold then warm, and the warm run's candidate tracks read per vessel vs batched."""
    from seawarden.alert.forensics import rank_suspects
    from seawarden.alert.forensics.suspects import _concat

    rec = RecordingStore(db)
    cold = rank_suspects(rec, index, "Estlink 2", t0, t1)
    warm = rank_suspects(rec, index, "Estlink 2", t0, t1)
    mmsis, starts, ends = rec.windows
    start = time.perf_counter()
    loop = _concat([db.track(m, a, b) for m, a, b in zip(mmsis, starts, ends)])
    loop_s = time.perf_counter() - start
    start = time.perf_counter()
    batched = db.tracks(mmsis, starts, ends)
    batched_s = time.perf_counter() - start
    assert batched.num_rows == loop.num_rows, (batched.num_rows, loop.num_rows)
    return {"cold": cold, "warm": warm, "tracks": (loop_s, batched_s, batched.num_rows, len(mmsis))}


def describe(name: str, cold, warm) -> str:
    st = warm.stats
    return (f"{name:8s} rank_suspects: cold {cold.stats['seconds_total']:.2f} s, warm {st['seconds_total']:.2f} s "
            f"(pre-filter {st['seconds_prefilter']:.3f} s over {st['boxes']} boxes -> {st['rows_prefiltered']:,} fixes; "
            f"candidates {st['seconds_candidates']:.3f} s -> {st['candidates']}; tracks {st['seconds_tracks']:.2f} s "
            f"({st['rows_tracks']:,} fixes); analysis {st['seconds_analysis']:.3f} s; detectors {st['seconds_detectors']:.2f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--dsn", default=os.environ.get("SEAWARDEN_TEST_PG_DSN"), help="PostgreSQL + PostGIS (default $SEAWARDEN_TEST_PG_DSN)")
    ap.add_argument("--no-postgis", action="store_true", help="DuckDB only")
    args = ap.parse_args()

    from seawarden.alert.forensics.demo import estlink2_drag_scenario
    from seawarden.assets import AssetIndex, load_gridkit_dc
    from seawarden.store import DuckDBStore

    index = AssetIndex.build(load_gridkit_dc(SHARED / "power_links_entsoe_gridkit" / "gridkit_dc_links_europe.geojson", (-5, 50, 32, 67)))
    row = index.assets.find("Estlink 2")
    scenario = estlink2_drag_scenario(SHARED)
    plausibility(index, 3, args.seed)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-suspects-") as tmp:
        path = Path(tmp) / "month.duckdb"
        with DuckDBStore(path) as db:
            rows, first_day_ms, build_s = load(db, args.days, args.seed, scenario)
        t0 = datetime.fromtimestamp(first_day_ms / 1000, timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        t1 = t0 + timedelta(days=args.days)
        print(f"data: {rows:,} positions over {args.days} days ({t0.date()} .. {t1.date()})")
        print(f"duckdb   load {build_s:.1f} s = {rows / build_s:,.0f} rows/s, {path.stat().st_size / 1e6:.0f} MB")
        with DuckDBStore(path, read_only=True) as db:
            results["duckdb"] = ranked_twice(db, index, t0, t1)
            naive, naive_s, naive_rows = naive_candidates(db, index.assets.geometry[row], float(index.assets.corridor_m[row]), t0, t1)
    if args.dsn and not args.no_postgis:
        results["postgis"] = run_postgis(args, scenario, index, t0, t1, rows)
    elif not args.no_postgis:
        print("postgis  skipped: no --dsn and SEAWARDEN_TEST_PG_DSN unset (source scripts/postgres.sh)")

    warm = results["duckdb"]["warm"]
    st = warm.stats
    ours_search = st["seconds_prefilter"] + st["seconds_candidates"]
    downstream = st["seconds_total"] - ours_search
    for name, r in results.items():
        print(describe(name, r["cold"], r["warm"]))
    for name, r in results.items():
        loop_s, batched_s, n, n_windows = r["tracks"]
        print(f"{name:8s} candidate tracks ({n_windows} windows, {n:,} fixes): one query per vessel "
              f"{loop_s:.2f} s, batched tracks() {batched_s:.2f} s -> ratio per-vessel / batched: {loop_s / batched_s:.1f}x")
    if "postgis" in results:
        pg, dk = results["postgis"]["warm"], warm
        same = [s.mmsi for s in pg.suspects] == [s.mmsi for s in dk.suspects]
        print(f"same ranking on both stores: {same}")
        print(f"ratio rank_suspects warm, postgis / duckdb: {pg.stats['seconds_total'] / dk.stats['seconds_total']:.2f}x "
              f"(pre-filter {pg.stats['seconds_prefilter'] / dk.stats['seconds_prefilter']:.2f}x, "
              f"tracks {pg.stats['seconds_tracks'] / dk.stats['seconds_tracks']:.2f}x)")
    print(f"naive full scan + shapely (on duckdb): {naive_s:.2f} s over {naive_rows:,} fixes -> {len(naive)} candidates")
    ours = np.array(sorted(s.mmsi for s in warm.suspects))
    same = np.array_equal(np.sort(naive), ours)
    only_naive, only_ours = np.setdiff1d(naive, ours), np.setdiff1d(ours, naive)
    print(f"candidate sets equal: {same} (naive only {len(only_naive)}, seawarden only {len(only_ours)}: "
          f"{'' if same else 'corridor edge within the projections; differences listed'} {only_naive[:5].tolist()} {only_ours[:5].tolist()})")
    rank = next((s.rank for s in warm.suspects if s.mmsi == scenario.dragger), None)
    print(f"injected dragger MMSI {scenario.dragger}: rank {rank} of {len(warm.suspects)}; top 20 with their reasons:")
    for s in warm.suspects[:20]:
        print(f"  #{s.rank} MMSI {s.mmsi} score {s.score:.1f} ({len(s.crossings)} crossings, {s.time_in_corridor_s / 3600:.1f} h in corridor): "
              + "; ".join(f"{r.code} {r.points:+.1f}" for r in s.reasons if r.points))
    print(f"ratio candidate search, naive / seawarden (duckdb): {naive_s / ours_search:.1f}x")
    print(f"ratio end-to-end (same candidate analysis {downstream:.2f} s added to both), naive / seawarden (duckdb): "
          f"{(naive_s + downstream) / st['seconds_total']:.1f}x")
    if rank != 1:
        sys.exit(f"FAIL: the injected dragger ranks {rank} of {len(warm.suspects)}, not first")


def run_postgis(args, scenario, index, t0: datetime, t1: datetime, rows_expected: int) -> dict:
    """The same month in a scratch schema of the PostGIS server; dropped afterwards."""
    import psycopg

    from seawarden.store.postgis import PostGISStore

    bench_schema = "bench_suspects"
    with psycopg.connect(args.dsn, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {bench_schema} CASCADE")
    try:
        with PostGISStore(args.dsn, schema=bench_schema) as db:
            rows, _, build_s = load(db, args.days, args.seed, scenario)
            assert rows == rows_expected
            db._con.execute("VACUUM ANALYZE positions")  # what an operator's autovacuum does after a bulk load
            size = db.stats()["file_bytes"]
            print(f"postgis  load {build_s:.1f} s = {rows / build_s:,.0f} rows/s (COPY, with GiST + B-tree + BRIN), {size / 1e6:.0f} MB")
            return ranked_twice(db, index, t0, t1)
    finally:
        with psycopg.connect(args.dsn, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {bench_schema} CASCADE")


if __name__ == "__main__":
    main()
