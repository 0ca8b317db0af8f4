"""Compile the NMEA decoder's kernels for a live feed before the feed needs them.

numba compiles a kernel on its first call with new argument types, and caches the result on disk.
A live feed's chunks arrive as ``bytes`` (read-only buffers: other signatures than a file's), and
its tables grow on their own schedule: on the first ``watch`` of a live feed after an install, the
socket thread compiled for ~3.6 s during the first seconds of the stream and again at the first
table growth (bench/live.py with an empty cache: the first alerts 1.8-2.7 s late, p99 1021 ms).
:func:`warm_up` makes those calls once, on a few sentences encoded here, before the console
serves; with the cache filled it takes milliseconds.
"""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa

from seawarden import schema
from seawarden.ingest.nmea.decoder import NmeaDecoder
from seawarden.ingest.nmea.encode import encode
from seawarden.ingest.nmea.tables import RecentPayloads, StationCodes

_T0_MS = 1_700_000_000_000


def _rows(contract: pa.Schema, n: int, **columns: list) -> pa.Table:
    """``n`` rows of a contract table: the given columns, nulls elsewhere."""
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * n), f.type) for f in contract}, schema=contract)


def _sample() -> bytes:
    """Class A and B positions and two-part static/voyage reports of two vessels, with tag blocks."""
    n = 6
    ts = [_T0_MS + 10_000 * i for i in range(n)]
    positions = _rows(
        schema.POSITIONS, n, mmsi=[230_990_001, 230_990_002] * 3, ts=ts, lat=[59.9 + 0.001 * i for i in range(n)],
        lon=[24.9] * n, sog=[9.5] * n, cog=[90.0] * n, heading=[90] * n, nav_status=[0, None] * 3, rot=[0.0, None] * 3,
        msg_type=[1, 18] * 3, accuracy=[False] * n, second=[(t // 1000) % 60 for t in ts], own_ship=[False] * n,
        source=["warm-up"] * n, n_rx=[1] * n)
    static = _rows(  # two reports: a kernel reading columns of a one-row matrix gets other (contiguous) types
        schema.STATIC, 2, mmsi=[230_990_001, 230_990_002], ts=[_T0_MS, _T0_MS + 1], imo=[9_000_001, 9_000_002],
        callsign=["WARMUP", "WARMUP2"], name=["WARM UP", "WARM UP 2"], ship_type=[70, 80], to_bow=[100, 90],
        to_stern=[20, 20], to_port=[10, 8], to_starboard=[10, 8], draught=[7.5, 6.0], destination=["HELSINKI"] * 2,
        eta=[_T0_MS + 86_400_000] * 2, msg_type=[5, 5], part=[None, None], source=["warm-up"] * 2, n_rx=[1, 1])
    return bytes(encode(positions, static).data)


def warm_up() -> float:
    """Compile (or load from the cache) what a live feed's decoding calls; returns the seconds it took."""
    start = time.perf_counter()
    data = _sample()
    decoder = NmeaDecoder(origin="warm-up")
    half = len(data) // 2
    decoder.feed(data[:half])  # as a socket hands them over: bytes, cut anywhere
    decoder.feed(data[half:])
    decoder.flush()
    # the stream's tables grow when half full: make small ones grow once
    StationCodes(capacity=2).code(np.arange(1, 4, dtype=np.uint64))
    recent = RecentPayloads(window_ms=10_000, capacity=4)
    for k in range(2):
        recent.collapse(np.arange(1 + 3 * k, 4 + 3 * k, dtype=np.uint64), np.full(3, _T0_MS + k, np.int64), np.ones(3, bool))
    return time.perf_counter() - start
