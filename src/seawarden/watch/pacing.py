"""Replay pacing: decoded batches cut into event-time slices, each released when its time has come.

At speed S a slice covering event time [t, t + S·step) is due ``(t + S·step - anchor) / S`` wall
seconds after the replay started, so x1 replays in real time, x60 a 10-minute file in 10 s, and
"max" (speed None) releases every batch at once. No fix is released before its event time
(a slice is due at its END). The schedule is a pure function of the timestamps
(:func:`schedule`), so tests check pacing without a clock.

Two things keep a replay watchable: time going backwards by more than ``rewind_s`` (the next file
starts earlier, or the loop restarts) re-anchors the clock at the current wall time (smaller
reorderings are released at once), and a silence longer than
``max_wait_s`` of wall time is skipped (re-anchored) instead of waited out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch

_TABLES = ("positions", "static", "other")


def parse_speed(text: str | float | None) -> float | None:
    """'1', 'x60', '60', '0.5' -> factor; 'max' / 'inf' / None -> None (as fast as possible)."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        t = text.strip().lower().lstrip("x")
        if t in ("max", "inf", "fast", "asap"):
            return None
        try:
            value = float(t)
        except ValueError:
            raise ValueError(f"speed {text!r}: use a factor such as 1, 60, x60, 0.5 or 'max'") from None
    if not np.isfinite(value):
        return None
    if value <= 0:
        raise ValueError(f"speed {text!r} must be positive")
    return value


def schedule(ts_ms: np.ndarray, speed: float | None, step_s: float = 1.0, anchor_ms: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For time-sorted ``ts_ms``: (end index of each slice, its due time in wall seconds after the anchor).

    Slice k holds the fixes with ``anchor + k·step·speed <= ts < anchor + (k+1)·step·speed``.
    """
    ts = np.asarray(ts_ms, dtype=np.int64)
    if len(ts) == 0:
        return np.empty(0, np.int64), np.empty(0)
    anchor = int(ts[0]) if anchor_ms is None else int(anchor_ms)
    if speed is None:
        return np.array([len(ts)], np.int64), np.zeros(1)
    step_ms = step_s * speed * 1000.0
    k = np.floor((ts - anchor) / step_ms).astype(np.int64)
    ends = np.r_[np.flatnonzero(np.diff(k)) + 1, len(ts)]
    due = (k[ends - 1] + 1) * step_ms / speed / 1000.0
    return ends.astype(np.int64), np.maximum(due, 0.0)


@dataclass
class Slice:
    batch: DecodedBatch
    due_s: float  # wall seconds after the replay's start
    t_end_ms: int  # event time up to which the slice speaks


def shift_time(batch: DecodedBatch, shift_ms: int) -> DecodedBatch:
    """The batch with every timestamp moved by ``shift_ms`` (loop passes continue forward in time)."""
    if not shift_ms:
        return batch
    out = DecodedBatch(stats=batch.stats)
    for name in _TABLES:
        t: pa.Table = getattr(batch, name)
        i = t.schema.get_field_index("ts")
        ts = pc.add(t["ts"].cast(pa.int64()), pa.scalar(int(shift_ms), pa.int64())).cast(schema.TS)
        setattr(out, name, t.set_column(i, t.schema.field(i), ts))
    return out


def _sorted(t: pa.Table) -> pa.Table:
    return t.take(pc.sort_indices(t["ts"], sort_keys=[("ts", "ascending")])) if t.num_rows > 1 else t


class Pacer:
    """Turns a stream of batches into paced slices; holds the replay clock across files and loop passes."""

    def __init__(self, speed: float | None, step_s: float = 1.0, max_wait_s: float = 30.0, rewind_s: float = 600.0) -> None:
        self.speed, self.step_s, self.max_wait_s = speed, step_s, max_wait_s
        self.rewind_ms = rewind_s * 1000.0  # data older than the clock by more than this restarts the clock
        self.anchor_ms: int | None = None  # event time that maps to wall offset anchor_wall_s
        self.anchor_wall_s = 0.0
        self.last_due_s = 0.0
        self.reanchored = 0
        self.skipped = 0  # silences longer than max_wait_s that were skipped

    def clock_ms(self) -> float:
        """The event time the replay has reached (end of the last released slice)."""
        if self.anchor_ms is None or self.speed is None:
            return float("-inf")
        return self.anchor_ms + (self.last_due_s - self.anchor_wall_s) * self.speed * 1000.0

    def _reanchor(self, t_ms: int, wall_s: float) -> None:
        self.anchor_ms, self.anchor_wall_s = t_ms, wall_s
        self.reanchored += 1

    def slices(self, batch: DecodedBatch) -> Iterator[Slice]:
        """Slices of one batch (rows sorted by time) with their due times on this pacer's clock."""
        tables = {n: _sorted(getattr(batch, n)) for n in _TABLES}
        pos = tables["positions"]
        stamps = [t["ts"].cast(pa.int64()).to_numpy() for t in tables.values()]
        all_ts = np.sort(np.concatenate(stamps)) if any(len(s) for s in stamps) else np.empty(0, np.int64)
        if len(all_ts) == 0:
            if batch.stats.lines:
                yield Slice(batch, self.last_due_s, self.anchor_ms or 0)
            return
        if self.anchor_ms is None:
            self.anchor_ms, self.anchor_wall_s = int(all_ts[0]), 0.0
        elif self.speed is not None and all_ts[0] < self.clock_ms() - self.rewind_ms:
            self._reanchor(int(all_ts[0]), self.last_due_s)  # time went backwards (next file, loop pass): restart here
        if self.speed is None:
            yield Slice(DecodedBatch(pos, tables["static"], tables["other"], batch.stats), self.last_due_s, int(all_ts[-1]))
            return
        ends, due = schedule(all_ts, self.speed, self.step_s, self.anchor_ms)
        bounds = self.anchor_ms + due * self.speed * 1000.0  # event time at which each slice ends (exclusive)
        cuts = {n: np.searchsorted(st, bounds, side="left") for n, st in zip(tables, stamps)}
        starts = dict.fromkeys(tables, 0)
        for j in range(len(ends)):
            parts = {}
            for n, t in tables.items():
                stop = int(cuts[n][j]) if j < len(ends) - 1 else t.num_rows
                parts[n] = t.slice(starts[n], stop - starts[n])
                starts[n] = stop
            d = float(due[j]) + self.anchor_wall_s
            if d - self.last_due_s > self.max_wait_s:  # a long silence: skip it rather than wait it out
                self.anchor_wall_s -= d - self.last_due_s - self.step_s
                self.skipped += 1
                d = self.last_due_s + self.step_s
            self.last_due_s = max(self.last_due_s, d)
            stats = batch.stats if j == 0 else DecodedBatch().stats
            yield Slice(DecodedBatch(parts["positions"], parts["static"], parts["other"], stats), self.last_due_s,
                        int(min(bounds[j], all_ts[-1] + 1)))

    def paced(self, batches: Iterable[DecodedBatch], wait_until: Callable[[float], bool]) -> Iterator[DecodedBatch]:
        """Batches released on time: ``wait_until(due_s)`` sleeps until then and returns False to stop."""
        for batch in batches:
            for s in self.slices(batch):
                if not wait_until(s.due_s):
                    return
                yield s.batch
