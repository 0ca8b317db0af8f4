"""End-to-end detection throughput: raw NMEA -> decode -> spatial -> all detectors.

Input (generated here, from real data; --input):
  mirrored (default): DMA's 5-minute sample (Danish waters / W. Baltic, 2013-11-12) decoded and
    played forwards, backwards, forwards ... (bench/live.py replicated_traffic: every vessel
    continues from where it stopped, under its own MMSI, over water it really sailed), encoded back
    to NMEA with c: tag-block times by seawarden's encoder;
  repeated: the raw $PGHP-timestamped sample repeated with shifted times (every vessel jumps back to
    its start every 5 minutes: hundreds of impossible-speed / two-ship events the real feed lacks).
>= 2 M messages either way. Assets: the built-in North Sea/Baltic set from ../shared/data.

Measured: one thread; then the shipped pipeline (seawarden.detect.pipeline.detect_batches: decoding
and DetectionEngine.prepare -- every fix's nearest asset, corridor, profile -- one chunk ahead in a
worker thread; detectors of a chunk shared over two threads, parallel_detectors). Both must give the
same events. CPU seconds and the load average are printed: a run whose load average exceeds the
cores, or whose wall time exceeds CPU time / cores by far, was measured on a shared machine.

Peer, same run, same tracks: MovingPandas' TrajectoryStopDetector (get_stop_points) on a
subsample of the decoded positions, scaled to positions/s. Prints both rates and the ratio.

    python bench/detect.py [--min-messages 2000000] [--peer-n 50000] [--chunk-mb 8] [--input mirrored]
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


def mirrored_nmea(min_messages: int) -> tuple[bytes, int]:
    """The DMA sample played forwards and backwards (no teleports), as NMEA with c: tag blocks."""
    from live import replicated_traffic  # bench/ helper: the live benchmark's mirrored feed

    from seawarden.ingest.nmea.encode import encode

    enc = encode(*replicated_traffic(min_messages))
    return enc.data, len(enc)


def run_chain(data: bytes, index: AssetIndex, chunk: int, pipelined: bool = True
              ) -> tuple[float, dict[str, int], int, int, int, float, float]:
    """Decode -> spatial -> detect. `pipelined`: detect_batches with parallel detectors (see the
    module docstring); else one thread. Returns wall s, engine stats, positions, messages, events,
    CPU s of this process, CPU s of the calling thread (the engine's stateful, serial half)."""
    dec = NmeaDecoder(origin="bench")
    eng = DetectionEngine(index=index, parallel_detectors=pipelined)
    n_events = 0
    t0, c0, m0 = time.perf_counter(), time.process_time(), time.thread_time()
    batches = (dec.feed(data[a:a + chunk]) if a < len(data) else dec.flush()
               for a in range(0, len(data) + chunk, chunk))
    counted = _counting(batches, counts := [0, 0])
    for events in (detect_batches(eng, counted) if pipelined else map(eng.process, counted)):
        n_events += len(events)
    n_pos, n_all = counts
    n_events += len(eng.flush())
    eng.close()
    wall, cpu, main_cpu = time.perf_counter() - t0, time.process_time() - c0, time.thread_time() - m0
    return wall, dict(eng.stats), n_pos, n_all, n_events, cpu, main_cpu


def _counting(batches: Iterable[DecodedBatch], counts: list[int]) -> Iterator[DecodedBatch]:
    for b in batches:
        counts[0] += b.positions.num_rows
        counts[1] += b.n_rows
        yield b


def decode_only(data: bytes, chunk: int) -> tuple[float, float, DecodedBatch]:
    dec = NmeaDecoder(origin="bench")
    t0, c0 = time.perf_counter(), time.process_time()
    parts = [dec.feed(data[a:a + chunk]) for a in range(0, len(data), chunk)] + [dec.flush()]
    return time.perf_counter() - t0, time.process_time() - c0, DecodedBatch.concat(parts)


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


def stage_profile(data: bytes, index: AssetIndex, chunk: int) -> tuple[int, dict[str, float]]:
    """CPU seconds (this thread) per stage of one single-threaded run: the decoder, the engine's
    parts and every detector, each wrapped on this engine instance only."""
    cpu: dict[str, float] = {}

    def timed(name: str, fn):
        def run(*a, **k):
            c0 = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                cpu[name] = cpu.get(name, 0.0) + time.thread_time() - c0
        return run

    dec = NmeaDecoder(origin="bench")
    eng = DetectionEngine(index=index)
    sp, tr = eng.spatial, eng.tracker
    sp.locate = timed("prepare: spatial context (nearest asset, corridor, anchorage, profile)", sp.locate)
    eng.reorder.push = timed("reorder buffer", eng.reorder.push)
    tr.advance = timed("track state / segmentation", tr.advance)
    tr.commit = timed("evidence rings", tr.commit)
    eng._build = timed("event building (evidence, Event objects)", eng._build)
    for det in eng.detectors:
        det.process = timed(f"detector {det.name}", det.process)
        det.process_static = timed(f"detector {det.name} (static)", det.process_static)
    prepare, dec_feed = eng.prepare, timed("decode", dec.feed)
    eng.prepare = timed("prepare (all)", prepare)
    n_all = 0
    c0 = time.thread_time()
    for a in range(0, len(data) + chunk, chunk):
        b = dec_feed(data[a:a + chunk]) if a < len(data) else dec.flush()
        n_all += b.n_rows
        eng.process(b)
    eng.flush()
    total = time.thread_time() - c0
    cpu["prepare: Arrow -> columns"] = cpu.pop("prepare (all)") - cpu[next(k for k in cpu if k.startswith("prepare: s"))]
    cpu["Python glue (rest)"] = total - sum(cpu.values())
    cpu["TOTAL"] = total
    return n_all, cpu


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-messages", type=int, default=2_000_000)
    ap.add_argument("--peer-n", type=int, default=50_000)
    ap.add_argument("--chunk-mb", type=float, default=8.0)
    ap.add_argument("--input", choices=("mirrored", "repeated"), default="mirrored")
    ap.add_argument("--repeat", type=int, default=1, help="pipelined runs; the best is reported")
    ap.add_argument("--stages", action="store_true", help="also print CPU s per M messages of every stage")
    args = ap.parse_args()
    chunk = int(args.chunk_mb * 1024 * 1024)

    t = time.perf_counter()
    data, n_sentences = (mirrored_nmea if args.input == "mirrored" else replicated_nmea)(args.min_messages)
    print(f"input ({args.input}): {n_sentences:,} AIS messages ({len(data) / 1e6:.0f} MB NMEA) from {NMEA.name}, "
          f"prepared in {time.perf_counter() - t:.1f} s")
    assets = load_default_assets(SHARED)
    index = AssetIndex.build(assets)
    print(f"assets: {len(assets)} (North Sea / Baltic built-in set)")

    # warm up the JIT caches on a small slice (not timed)
    run_chain(data[: 2_000_000], index, chunk)

    if args.stages:
        n, cpu = stage_profile(data, index, chunk)
        print(f"CPU seconds per 1 M messages, one thread ({n:,} messages):")
        for name, c in sorted(cpu.items(), key=lambda kv: -kv[1]):
            if c * 1e6 / n >= 0.0005:
                print(f"  {name:<72s} {c * 1e6 / n:6.3f}")

    t_dec, c_dec, decoded = decode_only(data, chunk)
    seq, stats, n_pos, n_all, n_events, seq_cpu, _ = run_chain(data, index, chunk, pipelined=False)
    print(f"decode only          : {n_all / t_dec:>12,.0f} msgs/s ({n_all:,} messages, {t_dec:.2f} s wall, "
          f"{c_dec:.2f} s CPU)")
    print(f"decode+spatial+detect: {n_all / seq:>12,.0f} msgs/s one thread ({n_pos:,} positions, {seq:.2f} s wall, "
          f"{seq_cpu:.2f} s CPU = {seq_cpu / n_all * 1e6:.2f} CPU s per M msgs, {n_events:,} events)")
    best = None
    for _ in range(max(1, args.repeat)):
        before = _load()
        wall, _, _, _, n_events2, cpu, main_cpu = run_chain(data, index, chunk, pipelined=True)
        assert n_events2 == n_events, "the pipelined chain changed the events"
        bound = max(cpu / 2, main_cpu)  # no schedule on two idle cores can beat this
        print(f"  pipelined, {os.cpu_count()} cores: {n_all / wall:>12,.0f} msgs/s ({wall:.2f} s wall, {cpu:.2f} s CPU, "
              f"{cpu / wall:.2f} cores busy, {main_cpu:.2f} s CPU in the engine's serial thread; "
              f"load average {before} before)")
        print(f"    CPU-bound limit on 2 idle cores: {n_all / bound:>12,.0f} msgs/s (max(CPU / 2, serial-thread CPU))")
        best = wall if best is None else min(best, wall)
    print(f"  engine stats       : {stats}")

    peer_s, peer_n, n_stops = peer_movingpandas(decoded.positions, args.peer_n)
    peer_rate = peer_n / peer_s
    print(f"peer MovingPandas TrajectoryStopDetector: {peer_rate:>12,.0f} positions/s "
          f"({peer_n:,} positions of the same tracks, {peer_s:.2f} s, {n_stops} stops)")
    print(f"ratio (seawarden full chain msgs/s, best pipelined run / MovingPandas stop detector positions/s): "
          f"{n_all / best / peer_rate:,.1f}x")
    print(f"load average now: {_load()}")


if __name__ == "__main__":
    main()
