"""What every store answers, whatever holds the rows (embedded DuckDB now, PostGIS later).

Readers (detectors, alerts, the HTTP API, forensics) depend on this Protocol only, so a
deployment can swap the embedded file for a server database without touching them.

Time windows are half-open, ``t0 <= ts < t1``, so consecutive windows tile without
counting a row twice; times must be timezone-aware (naive datetimes are refused instead of
being guessed as local time).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

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

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...
