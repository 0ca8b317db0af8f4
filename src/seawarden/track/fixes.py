"""Position reports as plain NumPy columns: what the tracker and the detectors work on.

Arrow nulls become NaN (floats) or -1 (nav_status) so compiled kernels need no masks. Values
that are impossible or AIS "not available" sentinels which slipped through a source are nulled
here too, and rows that cannot be placed at all (no position) are counted, never used silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NO_TS = np.iinfo(np.int64).min


@dataclass
class Fixes:
    """Columns of N position reports (row i across all arrays is one report)."""

    mmsi: np.ndarray  # uint32
    ts: np.ndarray  # int64 ms since epoch UTC
    lat: np.ndarray  # float64
    lon: np.ndarray
    sog: np.ndarray  # float64 knots, NaN = unknown
    cog: np.ndarray  # float64 degrees, NaN = unknown
    heading: np.ndarray  # float64 degrees, NaN = unknown
    nav_status: np.ndarray  # int16, -1 = unknown

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: np.ndarray) -> "Fixes":
        return Fixes(*(getattr(self, f.name)[idx] for f in fields(self)))

    @staticmethod
    def concat(parts: list["Fixes"]) -> "Fixes":
        if len(parts) == 1:
            return parts[0]
        return Fixes(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Fixes)))

    @staticmethod
    def empty() -> "Fixes":
        return Fixes(
            np.empty(0, np.uint32), np.empty(0, np.int64), *(np.empty(0) for _ in range(5)), np.empty(0, np.int16)
        )


def _float(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    col = pc.cast(table.column(name), pa.float64())
    return np.array(col.to_numpy(zero_copy_only=False), dtype=np.float64)  # writable copy


def fixes_from_arrow(table: pa.Table, counts: Counter[str] | None = None) -> Fixes:
    """Convert a POSITIONS-schema table; rows without a usable position are dropped and counted.

    `counts` receives `no_position` (lat/lon null) and `bad_position` (outside the globe) so a
    caller can report what was not used and why.
    """
    n = table.num_rows
    if n == 0:
        return Fixes.empty()
    mmsi = np.asarray(pc.cast(table.column("mmsi"), pa.uint32()).to_numpy(zero_copy_only=False), dtype=np.uint32)
    ts_col = table.column("ts")
    if pa.types.is_timestamp(ts_col.type):
        ts_col = pc.cast(ts_col, pa.timestamp("ms", tz="UTC"))
    ts = np.asarray(pc.cast(ts_col, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    lat, lon = _float(table, "lat"), _float(table, "lon")
    sog, cog, heading = _float(table, "sog"), _float(table, "cog"), _float(table, "heading")
    nav = _float(table, "nav_status")
    # sentinels / impossible values -> unknown
    sog[(sog < 0) | (sog >= 102.25)] = np.nan
    cog[(cog < 0) | (cog >= 360)] = np.nan
    heading[(heading < 0) | (heading >= 360)] = np.nan
    nav_status = np.where(np.isnan(nav) | (nav > 15), -1, nav).astype(np.int16)
    no_pos = np.isnan(lat) | np.isnan(lon)
    bad_pos = ~no_pos & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    keep = ~(no_pos | bad_pos)
    if counts is not None:
        if no_pos.any():
            counts["no_position"] += int(no_pos.sum())
        if bad_pos.any():
            counts["bad_position"] += int(bad_pos.sum())
    out = Fixes(mmsi, ts, lat, lon, sog, cog, heading, nav_status)
    return out if keep.all() else out.take(np.flatnonzero(keep))


class ReorderBuffer:
    """Turns arrival-ordered rows into one time-ordered stream, whatever the batch sizes.

    A row is *late* when it is older than (newest time seen before it arrived) - window; late rows
    are dropped and counted. Because lateness is judged against rows that arrived earlier (not
    against the batch it came in), and rows are released strictly below the watermark in
    (time, arrival) order, the released stream is identical for any split of the same input --
    the property every detector's batch-size invariance rests on.
    """

    def __init__(self, window_ms: int, kind: type = Fixes) -> None:
        self.window_ms = int(window_ms)
        self._kind = kind  # any row container with .ts, take(), concat(), empty()
        self._max_ts = _NO_TS
        self._held = kind.empty()
        self.late_dropped = 0

    @property
    def watermark(self) -> int:
        return _NO_TS if self._max_ts == _NO_TS else self._max_ts - self.window_ms

    def push(self, fixes):
        if len(fixes):
            ts = fixes.ts
            cummax = np.maximum.accumulate(ts)
            prev = np.empty_like(ts)
            prev[0] = self._max_ts
            prev[1:] = np.maximum(cummax[:-1], self._max_ts)
            late = (prev != _NO_TS) & (ts < prev - self.window_ms)
            self._max_ts = max(self._max_ts, int(cummax[-1]))
            if late.any():
                self.late_dropped += int(late.sum())
                fixes = fixes.take(np.flatnonzero(~late))
            pending = self._kind.concat([self._held, fixes]) if len(self._held) else fixes
        else:
            pending = self._held
        if not len(pending):
            return self._kind.empty()
        ready = pending.ts < self.watermark
        if not ready.any():
            self._held = pending
            return self._kind.empty()
        self._held = pending.take(np.flatnonzero(~ready))
        return _in_time_order(pending, np.flatnonzero(ready))

    def flush(self):
        out, self._held = self._held, self._kind.empty()
        return _in_time_order(out, np.arange(len(out)))


def _in_time_order(rows, idx: np.ndarray):
    """rows.take(idx) stably sorted by time, in one gather (a copy: callers own what they get)."""
    ts = rows.ts[idx]
    if ts.size > 1 and not (ts[1:] >= ts[:-1]).all():
        idx = idx[np.argsort(ts, kind="stable")]
    return rows.take(idx)
