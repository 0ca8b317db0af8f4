"""The live positions feed: the latest fix per vessel, coalesced between pushes.

The ingest loop calls :meth:`PositionFeed.update` with every positions table (a vectorised
"last row per MMSI", so the cost is per vessel, not per fix); the console's broadcaster calls
:meth:`drain` about twice a second and fans the result out. A vessel reported fifty times
between two drains is sent once, at its newest fix.

Why raw tuples until a drain: update() runs on the ingest thread for every micro-batch (tens a
second) while drain() runs twice a second; formatting (ISO time, rounding) at drain time costs
once per moved vessel per push instead of once per vessel per batch, and keeps it off ingest.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_COLUMNS = ("mmsi", "lat", "lon", "sog", "cog", "heading")

#: one vessel's newest fix, unformatted: (ts_ms, lat, lon, sog, cog, heading)
Fix = tuple[int, float, float, float | None, float | None, int | None]


def latest_per_vessel(positions: pa.Table) -> pa.Table:
    """Rows with a position, one per MMSI: the newest (ties: the later row)."""
    t = positions.filter(pc.and_(pc.is_valid(positions["lat"]), pc.is_valid(positions["lon"])))
    if t.num_rows == 0:
        return t.select(["mmsi", "ts", *_COLUMNS[1:]])
    mmsi = t["mmsi"].to_numpy()
    ts = t["ts"].cast(pa.int64()).to_numpy()
    order = np.lexsort((np.arange(len(ts)), ts, mmsi))
    last = order[np.r_[mmsi[order][1:] != mmsi[order][:-1], True]]
    return t.take(pa.array(last)).select(["mmsi", "ts", *_COLUMNS[1:]])


def _iso_ms(ts_ms: list[int]) -> list[str]:
    """ISO 8601 UTC with milliseconds and 'Z' (as detect.event.iso), for many times in one NumPy call."""
    text = np.datetime_as_string(np.asarray(ts_ms, dtype="datetime64[ms]"), unit="ms")
    return [s + "Z" for s in text.tolist()]


def format_fixes(items: list[tuple[int, Fix]]) -> list[dict[str, Any]]:
    """(mmsi, fix) pairs -> the JSON rows the console draws (rounded to what a map shows)."""
    if not items:
        return []
    stamps = _iso_ms([f[0] for _, f in items])
    out = []
    for (mmsi, (_, lat, lon, sog, cog, heading)), when in zip(items, stamps):
        out.append({"mmsi": mmsi, "lat": round(lat, 6), "lon": round(lon, 6),
                    "sog": None if sog is None else round(sog, 1), "cog": None if cog is None else round(cog, 1),
                    "heading": heading, "ts": when})
    return out


class PositionFeed:
    """Thread-safe: written by the ingest loop, drained by the API's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, Fix] = {}
        self._latest: dict[int, Fix] = {}
        self.stream_ms: int | None = None  # newest fix time seen (the stream's "now")
        self.updates = 0
        self.fixes = 0

    def update(self, positions: pa.Table) -> None:
        if positions.num_rows == 0:
            return
        t = latest_per_vessel(positions)
        cols = [t[c].to_pylist() for c in ("mmsi", "lat", "lon", "sog", "cog", "heading")]
        ts = t["ts"].cast(pa.int64()).to_numpy()
        newest = int(pc.max(positions["ts"]).cast(pa.int64()).as_py())
        with self._lock:
            latest, pending = self._latest, self._pending
            for mmsi, when, lat, lon, sog, cog, heading in zip(cols[0], ts.tolist(), *cols[1:]):
                prev = latest.get(mmsi)
                if prev is not None and prev[0] > when:
                    continue  # an older fix arriving late never moves a vessel back
                latest[mmsi] = pending[mmsi] = (when, lat, lon, sog, cog, heading)
            self.updates += 1
            self.fixes += positions.num_rows
            if self.stream_ms is None or newest > self.stream_ms:
                self.stream_ms = newest

    def drain(self) -> list[dict[str, Any]]:
        """Vessels that moved since the last drain (newest fix each)."""
        with self._lock:
            moved, self._pending = self._pending, {}
        return format_fixes(list(moved.items()))

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            items = list(self._latest.items())
        return format_fixes(items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._latest)
