"""End-to-end detection throughput: raw NMEA -> decode -> spatial -> all detectors.

Input (generated here, from real data): DMA's raw NMEA sample (Danish waters / W. Baltic,
2013-11-12, 5 min, $PGHP-timestamped) replicated back to back with every $PGHP time shifted by
k x 5 min (checksums recomputed), so the vessels keep sailing their real tracks for hours;
>= 2 M messages. Assets: the built-in North Sea/Baltic set from ../shared/data.

Measured twice: one thread, and with decoding of the next chunk overlapped in a second thread
(seawarden.detect.pipeline.prefetched; identical events).

Peer, same run, same tracks: MovingPandas' TrajectoryStopDetector (get_stop_points) on a
subsample of the decoded positions, scaled to positions/s. Prints both rates and the ratio.

    python bench/detect.py [--min-messages 2000000] [--peer-n 50000] [--chunk-mb 8]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta

import pyarrow as pa

from seawarden.assets.adapters import load_default_assets
from seawarden.assets.spatial import AssetIndex
from seawarden.detect import DetectionEngine
from seawarden.detect.pipeline import detect_batches
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea.decoder import NmeaDecoder

from realdata import NMEA, SHARED, replicated_nmea  # noqa: E402 - bench/ helper shared by the benchmarks


def run_chain(data: bytes, index: AssetIndex, chunk: int, overlap: bool = True
              ) -> tuple[float, dict[str, int], int, int, int, float]:
    """Decode -> spatial -> detect; with `overlap` the next chunk is decoded and located (nearest
    asset, corridor, profile: DetectionEngine.prepare) in a worker thread while the engine works on
    the current one (seawarden.detect.pipeline.detect_batches).
    Returns wall s, engine stats, positions, messages, events, CPU s of this process."""
    dec = NmeaDecoder(origin="bench")
    eng = DetectionEngine(index=index)
    n_events = 0
    t0, c0 = time.perf_counter(), time.process_time()
    batches = (dec.feed(data[a:a + chunk]) if a < len(data) else dec.flush()
               for a in range(0, len(data) + chunk, chunk))
    counted = _counting(batches, counts := [0, 0])
    for events in (detect_batches(eng, counted) if overlap else map(eng.process, counted)):
        n_events += len(events)
    n_pos, n_all = counts
    n_events += len(eng.flush())
    return time.perf_counter() - t0, dict(eng.stats), n_pos, n_all, n_events, time.process_time() - c0


def _counting(batches: Iterable[DecodedBatch], counts: list[int]) -> Iterator[DecodedBatch]:
    for b in batches:
        counts[0] += b.positions.num_rows
        counts[1] += b.n_rows
        yield b


def decode_only(data: bytes, chunk: int) -> tuple[float, DecodedBatch]:
    dec = NmeaDecoder(origin="bench")
    t0 = time.perf_counter()
    parts = [dec.feed(data[a:a + chunk]) for a in range(0, len(data), chunk)] + [dec.flush()]
    return time.perf_counter() - t0, DecodedBatch.concat(parts)


def peer_movingpandas(pos: pa.Table, n: int) -> tuple[float, int, int]:
    import geopandas as gpd
    import movingpandas as mpd
    import pandas as pd

    df = pos.select(["mmsi", "ts", "lat", "lon"]).slice(0, n).to_pandas()
    df = df.dropna()
    df["ts"] = pd.to_datetime(df["ts"]).dt.tz_localize(None)
    t0 = time.perf_counter()
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326)
    tc = mpd.TrajectoryCollection(gdf, "mmsi", t="ts", min_length=0)
    stops = mpd.TrajectoryStopDetector(tc).get_stop_points(min_duration=timedelta(minutes=2), max_diameter=100)
    return time.perf_counter() - t0, len(df), len(stops)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-messages", type=int, default=2_000_000)
    ap.add_argument("--peer-n", type=int, default=50_000)
    ap.add_argument("--chunk-mb", type=float, default=8.0)
    args = ap.parse_args()
    chunk = int(args.chunk_mb * 1024 * 1024)

    t = time.perf_counter()
    data, n_sentences = replicated_nmea(args.min_messages)
    print(f"input: {n_sentences:,} AIS sentences ({len(data) / 1e6:.0f} MB NMEA) from {NMEA.name}, "
          f"prepared in {time.perf_counter() - t:.1f} s")
    assets = load_default_assets(SHARED)
    index = AssetIndex.build(assets)
    print(f"assets: {len(assets)} (North Sea / Baltic built-in set)")

    # warm up the JIT caches on a small slice (not timed)
    run_chain(data[: 2_000_000], index, chunk)

    t_dec, decoded = decode_only(data, chunk)
    seq, stats, n_pos, n_all, n_events, seq_cpu = run_chain(data, index, chunk, overlap=False)
    wall, _, _, _, n_events2, cpu = run_chain(data, index, chunk, overlap=True)
    assert n_events2 == n_events, "overlapped decoding changed the events"
    print(f"decode only          : {n_all / t_dec:>12,.0f} msgs/s ({n_all:,} messages, {t_dec:.2f} s)")
    print(f"decode+spatial+detect: {n_all / seq:>12,.0f} msgs/s one thread ({n_all:,} messages, {n_pos:,} positions, "
          f"{seq:.2f} s wall, {seq_cpu:.2f} s CPU, {n_events:,} events)")
    print(f"  same, decode overlapped in a 2nd thread: {n_all / wall:>12,.0f} msgs/s ({wall:.2f} s wall, "
          f"{cpu:.2f} s CPU, {os.cpu_count()} cores)")
    print(f"  detect share       : {n_pos / max(seq - t_dec, 1e-9):>12,.0f} positions/s through spatial+detectors")
    print(f"  engine stats       : {stats}")

    peer_s, peer_n, n_stops = peer_movingpandas(decoded.positions, args.peer_n)
    peer_rate = peer_n / peer_s
    print(f"peer MovingPandas TrajectoryStopDetector: {peer_rate:>12,.0f} positions/s "
          f"({peer_n:,} positions of the same tracks, {peer_s:.2f} s, {n_stops} stops)")
    print(f"ratio (seawarden full chain msgs/s, overlapped / MovingPandas stop detector positions/s): "
          f"{n_all / wall / peer_rate:,.1f}x")


if __name__ == "__main__":
    main()
