"""The live positions feed: the latest fix per vessel, coalesced between pushes.

The ingest loop calls :meth:`PositionFeed.update` with every positions table (a vectorised
"last row per MMSI", so the cost is per vessel, not per fix); the console's broadcaster calls
:meth:`drain` about twice a second and fans the result out. A vessel reported fifty times
between two drains is sent once, at its newest fix.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawarden.detect.event import iso

_COLUMNS = ("mmsi", "lat", "lon", "sog", "cog", "heading")


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


def _rows(t: pa.Table) -> list[dict[str, Any]]:
    ts = t["ts"].cast(pa.int64()).to_pylist()
    rows = t.drop_columns(["ts"]).to_pylist()
    for r, ms in zip(rows, ts):
        r["ts"] = iso(ms)
        for k in ("lat", "lon"):
            r[k] = round(r[k], 6)
        for k in ("sog", "cog"):
            if r[k] is not None:
                r[k] = round(r[k], 1)
    return rows


class PositionFeed:
    """Thread-safe: written by the ingest loop, drained by the API's event loop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, dict[str, Any]] = {}
        self._latest: dict[int, dict[str, Any]] = {}
        self.stream_ms: int | None = None  # newest fix time seen (the stream's "now")
        self.updates = 0
        self.fixes = 0

    def update(self, positions: pa.Table) -> None:
        if positions.num_rows == 0:
            return
        newest = pc.max(positions["ts"]).cast(pa.int64()).as_py()
        rows = _rows(latest_per_vessel(positions))
        with self._lock:
            for r in rows:
                prev = self._latest.get(r["mmsi"])
                if prev is not None and prev["ts"] > r["ts"]:
                    continue  # an older fix arriving late never moves a vessel back
                self._latest[r["mmsi"]] = r
                self._pending[r["mmsi"]] = r
            self.updates += 1
            self.fixes += positions.num_rows
            if newest is not None and (self.stream_ms is None or newest > self.stream_ms):
                self.stream_ms = int(newest)

    def drain(self) -> list[dict[str, Any]]:
        """Vessels that moved since the last drain (newest fix each)."""
        with self._lock:
            out, self._pending = list(self._pending.values()), {}
        return out

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._latest.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._latest)
