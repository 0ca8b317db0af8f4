"""What every store answers, whatever holds the rows (embedded DuckDB now, PostGIS later).

Readers (detectors, alerts, the HTTP API, forensics) depend on this Protocol only, so a
deployment can swap the embedded file for a server database without touching them.

Time windows are half-open, ``t0 <= ts < t1``, so consecutive windows tile without
counting a row twice; times must be timezone-aware (naive datetimes are refused instead of
being guessed as local time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch


class StoreInputError(ValueError):
    """A batch or a query argument the store cannot accept; the message names what is wrong."""


#: One row per vessel: the latest value of every static field, each taken from the latest
#: report of a message kind that carries it (type 5; 19; 24 part A = name; 24 part B = the rest).
STATIC_LATEST = pa.schema(
    [f for f in schema.STATIC if f.name not in ("msg_type", "part", "source", "n_rx")]  # ts: latest report of any kind
    + [pa.field("n_reports", pa.int64(), nullable=False)]
)

#: One row per vessel seen in a window: how often, when, and where it was last.
VESSEL_SUMMARY = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("n_positions", pa.int64(), nullable=False),
        pa.field("first_seen", schema.TS, nullable=False),
        pa.field("last_seen", schema.TS, nullable=False),
        pa.field("last_lat", pa.float64()),
        pa.field("last_lon", pa.float64()),
        pa.field("last_sog", pa.float32()),
        pa.field("name", pa.string()),
        pa.field("ship_type", pa.uint8()),
    ]
)


#: One row per vessel: its newest located fix (the console's map). ts_ms is epoch milliseconds, since the
#: console speaks JSON; ties on ts are broken by the other columns, so every store returns the same row.
LATEST_FIX = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts_ms", pa.int64(), nullable=False),
        pa.field("lat", pa.float64(), nullable=False),
        pa.field("lon", pa.float64(), nullable=False),
        pa.field("sog", pa.float32()),
        pa.field("cog", pa.float32()),
        pa.field("heading", pa.uint16()),
        pa.field("nav_status", pa.uint8()),
    ]
)

#: ORDER BY of "the newest fix first" shared by the stores (NULLS LAST spelled out: PostgreSQL's default
#: for DESC differs from DuckDB's)
LATEST_FIX_ORDER = ("mmsi, ts DESC, lat, lon, sog NULLS LAST, cog NULLS LAST, heading NULLS LAST, nav_status NULLS LAST")


@dataclass(frozen=True)
class PositionTotals:
    """How much the store holds, for the console's health answer."""

    positions: int
    vessels: int
    last_ts: datetime | None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _ceil_ms(value: datetime) -> int:
    """Stored times are whole milliseconds, so ``ts >= t`` is ``ts >= ceil_ms(t)`` (same for ``<``)."""
    return -(-((value - _EPOCH) // timedelta(microseconds=1)) // 1000)


def to_ms(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime, exactly (no float rounding)."""
    return (value - _EPOCH) // timedelta(milliseconds=1)


def track_windows(mmsis: Sequence[int], starts: Sequence[datetime], ends: Sequence[datetime]) -> pa.Table:
    """The windows of :meth:`Store.tracks` as one Arrow table (mmsi uint32, t0, t1), overlaps merged.

    Overlapping or touching windows of one vessel become one, so a row is returned once whatever
    the windows; empty windows are dropped. Checked like the single-track arguments (aware
    datetimes, MMSI range, t1 >= t0) and whole-array, since suspects asks for hundreds at once.
    """
    from seawarden.timeutil import utc

    if not len(mmsis) == len(starts) == len(ends):
        raise StoreInputError(f"tracks: {len(mmsis)} mmsis, {len(starts)} starts and {len(ends)} ends; one of each per window")
    m = np.asarray([int(x) for x in mmsis], dtype=np.int64)
    if len(m) and (m.min() < 0 or m.max() >= 2**32):
        raise StoreInputError(f"MMSI must be an integer in 0..4294967295, got {int(m.min() if m.min() < 0 else m.max())}")
    t0 = np.asarray([_ceil_ms(utc(x, "start", StoreInputError)) for x in starts], dtype=np.int64)
    t1 = np.asarray([_ceil_ms(utc(x, "end", StoreInputError)) for x in ends], dtype=np.int64)
    if np.any(t1 < t0):
        i = int(np.flatnonzero(t1 < t0)[0])
        raise StoreInputError(f"tracks: window {i} of MMSI {m[i]} ends before it starts")
    keep = t1 > t0
    m, t0, t1 = m[keep], t0[keep], t1[keep]
    order = np.lexsort((t0, m))
    m, t0, t1 = m[order], t0[order], t1[order]
    if len(m):
        # a window opens a new run where it starts after every earlier window of its vessel has ended:
        # running maximum of the ends, kept inside each vessel by lifting each vessel above the previous one
        vessel_start = np.r_[True, m[1:] != m[:-1]]
        lift = (np.cumsum(vessel_start) - 1) * (t1.max() - t0.min() + 1)
        ended = np.maximum.accumulate(t1 + lift) - lift
        first = np.flatnonzero(vessel_start | np.r_[True, t0[1:] > ended[:-1]])
        m, t0, t1 = m[first], t0[first], np.maximum.reduceat(t1, first)
    return pa.table({"mmsi": pa.array(m, pa.uint32()), "t0": pa.array(t0, pa.timestamp("ms", tz="UTC")),
                     "t1": pa.array(t1, pa.timestamp("ms", tz="UTC"))})


@runtime_checkable
class Store(Protocol):
    """Append decoded AIS and answer the questions every later stage asks."""

    def append(self, batch: DecodedBatch) -> None:
        """Add positions, static and other rows of one batch (atomically)."""
        ...

    def ingest(self, batches: Iterable[DecodedBatch], *, fingerprint: str, origin: str) -> bool:
        """Append every batch of one input and mark it ingested, all or nothing; False if already ingested."""
        ...

    def has_ingested(self, fingerprint: str) -> bool: ...

    def mark_ingested(self, fingerprint: str, origin: str, stats: dict[str, Any]) -> None: ...

    def track(self, mmsi: int, t0: datetime, t1: datetime) -> pa.Table:
        """POSITIONS rows of one vessel in ``[t0, t1)``, sorted by time."""
        ...

    def tracks(self, mmsis: Sequence[int], starts: Sequence[datetime], ends: Sequence[datetime]) -> pa.Table:
        """POSITIONS rows of many vessels, each in its own ``[start, end)``, in one query; sorted by (mmsi, ts).

        A row inside overlapping windows of one vessel is returned once (see :func:`track_windows`).
        """
        ...

    def positions_in_box(
        self, lon_min: float, lat_min: float, lon_max: float, lat_max: float, t0: datetime, t1: datetime
    ) -> pa.Table:
        """POSITIONS rows inside a lon/lat box in ``[t0, t1)``; ``lon_min > lon_max`` wraps the antimeridian."""
        ...

    def positions_between(self, t0: datetime, t1: datetime) -> pa.Table: ...

    def iter_positions(self, t0: datetime, t1: datetime, batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
        """Time-ordered POSITIONS batches for replays, without materialising the window."""
        ...

    def other_between(self, t0: datetime, t1: datetime, msg_types: list[int] | None = None) -> pa.Table:
        """OTHER rows (base stations, AtoN, binary...) in ``[t0, t1)``, for receiver coverage."""
        ...

    def static_latest(self, mmsis: list[int] | None = None) -> pa.Table:
        """STATIC_LATEST rows (all vessels, or those listed)."""
        ...

    def static_history(self, mmsi: int) -> pa.Table:
        """Every STATIC row of one vessel, sorted by time."""
        ...

    def vessel_summary(
        self, t0: datetime | None = None, t1: datetime | None = None, mmsis: list[int] | None = None
    ) -> pa.Table:
        """VESSEL_SUMMARY rows of the vessels with positions in the window."""
        ...

    def latest_fixes(self, t0: datetime, bbox: tuple[float, float, float, float] | None = None,
                     mmsi: int | None = None) -> pa.Table:
        """LATEST_FIX rows: the newest located fix of every vessel (or of ``mmsi``) at or after ``t0``, by mmsi.

        ``bbox`` (lon0, lat0, lon1, lat1; lon0 > lon1 wraps the antimeridian) keeps the vessels whose
        newest fix lies inside it -- a vessel that has left the box is not shown at an older place.
        """
        ...

    def last_seen(self, mmsi: int | None = None) -> datetime | None:
        """Time of the newest position of one vessel (None: of any vessel); None when there is none."""
        ...

    def position_totals(self) -> PositionTotals:
        """Positions, distinct vessels and the newest position time (cheaper than :meth:`stats`)."""
        ...

    def reader(self) -> "Store":
        """Another handle on the same store for another thread of this process (sees committed rows)."""
        ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
