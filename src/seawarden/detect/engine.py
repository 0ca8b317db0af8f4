"""The detection engine: columns + spatial context (prepare) -> reorder -> track -> every detector -> Events.

`DetectionEngine` is the stateful object `seawarden ingest/watch/detect` feed batch by batch;
`run_detectors` is the same over an iterable of batches. Both give identical events whatever
the batch sizes (see ReorderBuffer and Detector).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

import numpy as np
import pyarrow as pa

from seawarden.detect.base import STATUS_NAMES, Detector, RawEvents, clamp_severity
from seawarden.detect.config import DetectConfig
from seawarden.detect.event import Event
from seawarden.detect.registry import DETECTORS
from seawarden.detect.spatial import AssetLookup, Located, SpatialContext
from seawarden.track.fixes import ReorderBuffer, fixes_from_arrow
from seawarden.track.identity import StaticRows, static_from_arrow
from seawarden.track.state import NO_TIME
from seawarden.track.tracker import Tracker, TrackChunk


@dataclass(frozen=True)
class Prepared:
    """A batch after DetectionEngine.prepare: located fixes, static rows, and what was counted."""

    located: Located | None
    static: StaticRows | None
    counts: Counter[str]


#: chunks smaller than this run their detectors in one thread (a hand-over costs tens of microseconds)
PARALLEL_MIN_ROWS = 4096


class DetectionEngine:
    """Stateful detection over a stream of position (and static) batches.

    process(batch) accepts a DecodedBatch or a POSITIONS-schema Arrow table (plus an optional
    STATIC table) and returns the events the stream revealed so far; flush() ends the stream.
    `stats` counts rows used, dropped and why.

    With parallel_detectors the detectors of a large chunk run on two threads (their kernels
    release the GIL; each folds only its own state), events still built in detector order: the
    second core takes over detector work whenever the decoding thread leaves it idle.
    """

    def __init__(self, config: DetectConfig | None = None, index: AssetLookup | None = None,
                 detectors: Iterable[str] | None = None, parallel_detectors: bool = False) -> None:
        self.config = config or DetectConfig.load()
        self.tracker = Tracker(self.config.track)
        self.spatial = SpatialContext(self.config, index)
        window_ms = int(float(self.config.engine["reorder_window_s"]) * 1000)
        self.reorder = ReorderBuffer(window_ms, Located)
        self.static_reorder = ReorderBuffer(int(float(self.config.engine["static_reorder_window_s"]) * 1000), StaticRows)
        names = list(detectors) if detectors is not None else self.config.enabled()
        unknown = [n for n in names if n not in DETECTORS]
        if unknown:
            raise ValueError(f"unknown detector(s) {unknown}; known: {sorted(DETECTORS)}")
        self.stats: Counter[str] = Counter()
        self.detectors: list[Detector] = [DETECTORS[n](self.config, self) for n in names]
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="seawarden-detect") if parallel_detectors else None
        self._det_cpu = [0.0] * len(self.detectors)  # CPU s per row, smoothed: the order they are shared out
        self.max_points = int(self.config.engine["max_evidence_points"])
        self.now_ms = NO_TIME  # stream time: newest fix released to the detectors

    # -- public API ----------------------------------------------------------------------------
    def prepare(self, batch: Any = None, static: pa.Table | None = None) -> "Prepared":
        """The stateless first half of `process`: Arrow -> columns, and every fix's spatial context.

        Touches no stream state, so it may run in another thread while `process` works on the
        previous batch (see seawarden.detect.pipeline.detect_batches); process(prepare(b)) gives
        exactly the events of process(b)."""
        positions = batch
        if batch is not None and hasattr(batch, "positions") and hasattr(batch, "static"):
            positions, static = batch.positions, batch.static
        counts: Counter[str] = Counter()
        located = None
        if positions is not None and positions.num_rows:
            counts["positions_in"] += positions.num_rows
            located = self.spatial.locate(fixes_from_arrow(positions, counts))
        rows = None
        if static is not None and static.num_rows:
            counts["static_in"] += static.num_rows
            rows = static_from_arrow(static, counts)
        return Prepared(located, rows, counts)

    def process(self, batch: Any = None, static: pa.Table | None = None) -> list[Event]:
        """Events revealed by one batch (DecodedBatch, POSITIONS table + optional STATIC, or Prepared)."""
        prep = batch if isinstance(batch, Prepared) else self.prepare(batch, static)
        self.stats.update(prep.counts)
        events: list[Event] = []
        if prep.located is not None:
            before = self.reorder.late_dropped
            released = self.reorder.push(prep.located)
            self.stats["late_dropped"] += self.reorder.late_dropped - before
            events += self._run_positions(released)
        if prep.static is not None:
            before = self.static_reorder.late_dropped
            released_s = self.static_reorder.push(prep.static)
            self.stats["static_late_dropped"] += self.static_reorder.late_dropped - before
            events += self._run_static(released_s)
        return _ordered(events)

    def flush(self) -> list[Event]:
        events = self._run_positions(self.reorder.flush())
        events += self._run_static(self.static_reorder.flush())
        for det in self.detectors:
            events += self._build(det, det.finish(), None)
        return _ordered(events)

    # -- internals -----------------------------------------------------------------------------
    def _run_positions(self, located: Located) -> list[Event]:
        if not len(located):
            return []
        fixes = located.fixes
        chunk = self.tracker.advance(fixes)
        self.stats["positions_used"] += len(chunk)
        self.spatial.apply(chunk, located)
        self.now_ms = int(fixes.ts[-1])
        n_vessels = len(self.tracker.vessels)
        for det in self.detectors:
            det.grow(n_vessels)
        events: list[Event] = []
        for det, raw in zip(self.detectors, self._detect(chunk)):
            events += self._build(det, raw, chunk)
        self.tracker.commit(chunk)
        return events

    def _detect(self, chunk: TrackChunk) -> list[RawEvents]:
        """Every detector's raw events for the chunk, in detector order."""
        dets = self.detectors
        if self._pool is None or len(chunk) < PARALLEL_MIN_ROWS:
            return [det.process(chunk) for det in dets]
        raws: list[RawEvents | None] = [None] * len(dets)
        cost = self._det_cpu
        # costliest first, so the two threads finish close together; shared by both threads
        # (next() on a list iterator is atomic under the GIL)
        todo = iter(sorted(range(len(dets)), key=lambda j: -cost[j]))

        def drain() -> None:
            for j in todo:
                c0 = time.thread_time()
                raws[j] = dets[j].process(chunk)
                cost[j] = 0.8 * cost[j] + 0.2 * (time.thread_time() - c0) / len(chunk)

        helper = self._pool.submit(drain)
        try:
            drain()
        finally:
            helper.result()
        return raws  # type: ignore[return-value]

    def close(self) -> None:
        """Stop the detector thread (parallel_detectors); the engine stays usable, sequentially."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _run_static(self, rows: StaticRows) -> list[Event]:
        if not len(rows):
            return []
        events: list[Event] = []
        for det in self.detectors:
            events += det.process_static(rows)
        return events

    def _build(self, det: Detector, raw: RawEvents, chunk: TrackChunk | None) -> list[Event]:
        out: list[Event] = []
        if not raw.n:
            return out
        mmsi_of = self.tracker.vessels.mmsi_of_slot
        leads = np.array([float(p.get("evidence_lead_s", 600)) * 1000 for p in det.profiles])
        starts = raw.ei[:, 3]
        t0s = np.where(starts == NO_TIME, NO_TIME, starts - leads[raw.ei[:, 8]].astype(np.int64))
        tracks = self.tracker.evidence_tracks(chunk, raw.ei[:, 1], raw.ei[:, 0], t0s, raw.ei[:, 5], self.max_points)
        profile_names = self.config.profile_names()
        configs = [{"profile": profile_names[j], **p} for j, p in enumerate(det.profiles)]
        names = det.VALUES
        for k, (row, frow) in enumerate(zip(raw.ei.tolist(), raw.ef.tolist())):
            upto, slot, status, start, end, detected, asset, other, profile, subtype = row
            values = dict(zip(names, frow[2:]))
            params = det.profiles[profile]
            sub = det.SUBTYPES[subtype]
            asset_id, asset_name, crit = self.spatial.asset_info(asset)
            in_corr = bool(values.get("in_corridor", 0.0) > 0.5)
            evidence = det.evidence(values, params, sub)
            evidence["track"] = tracks[k]
            out.append(Event(
                type=det.name, subtype=sub, mmsi=int(mmsi_of[slot]), start=start, end=None if end == NO_TIME else end,
                lat=frow[0], lon=frow[1], severity=clamp_severity(det.severity(values, params, sub, crit, in_corr)),
                status=STATUS_NAMES[status], detected_at=detected, evidence=evidence, config=dict(configs[profile]),
                asset_id=asset_id, asset_name=asset_name, related_mmsi=int(mmsi_of[other]) if other >= 0 else None,
            ))
        return out


def _ordered(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.detected_at, e.type, e.mmsi, e.status != "open", e.event_id))


def run_detectors(positions_batches: Iterable[Any], static_batches: Iterable[pa.Table] | None = None,
                  assets_index: AssetLookup | None = None, config: DetectConfig | None = None,
                  detectors: Iterable[str] | None = None) -> Iterator[Event]:
    """Run every enabled detector over batches (Arrow POSITIONS tables or DecodedBatch objects).

    Static batches, if given, are consumed alongside (pairwise) the position batches.
    """
    engine = DetectionEngine(config, assets_index, detectors)
    for pos, st in zip_longest(positions_batches, static_batches or [], fillvalue=None):
        yield from engine.process(pos, st)
    yield from engine.flush()


def positions_table(rows: dict[str, np.ndarray | list]) -> pa.Table:
    """Build a POSITIONS table from columns (missing optional columns are null) -- for tests and tools."""
    from seawarden import schema

    n = len(rows["mmsi"])
    cols = []
    for f in schema.POSITIONS:
        if f.name in rows:
            v = rows[f.name]
            if f.name == "ts" and np.asarray(v).dtype.kind in "iu":
                cols.append(pa.array(np.asarray(v, dtype=np.int64), pa.int64()).cast(f.type))
            else:
                arr = np.asarray(v)
                mask = None
                if arr.dtype.kind == "f" and not pa.types.is_floating(f.type):
                    mask = np.isnan(arr)
                    arr = np.where(mask, 0, arr)
                elif arr.dtype.kind == "f":
                    mask = np.isnan(arr)
                if arr.dtype.kind == "f" and pa.types.is_integer(f.type):
                    arr = np.round(arr)
                cols.append(pa.array(arr, mask=mask).cast(f.type))
        elif f.name == "msg_type":
            cols.append(pa.array(np.ones(n, np.uint8)))
        elif f.name == "n_rx":
            cols.append(pa.array(np.ones(n, np.uint16)))
        else:
            cols.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(cols, schema=schema.POSITIONS)
