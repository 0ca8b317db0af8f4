"""Static/voyage rows as columns, and the per-MMSI identity history detectors compare against."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

IDENTITY_FIELDS = ("name", "callsign", "imo")


@dataclass
class StaticRows:
    mmsi: np.ndarray  # int64
    ts: np.ndarray  # int64 ms
    imo: np.ndarray  # int64, -1 unknown
    callsign: np.ndarray  # object (str or None)
    name: np.ndarray  # object
    ship_type: np.ndarray  # int64, -1 unknown

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: np.ndarray) -> "StaticRows":
        return StaticRows(*(getattr(self, f.name)[idx] for f in fields(self)))

    @staticmethod
    def concat(parts: list["StaticRows"]) -> "StaticRows":
        return StaticRows(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(StaticRows)))

    @staticmethod
    def empty() -> "StaticRows":
        return StaticRows(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64),
                          np.empty(0, object), np.empty(0, object), np.empty(0, np.int64))


def _clean_text(col: pa.ChunkedArray) -> np.ndarray:
    """AIS text: '@' padding and blanks stripped; empty means unknown."""
    txt = pc.utf8_trim(pc.replace_substring(col, "@", ""), " ")
    txt = pc.if_else(pc.equal(txt, ""), pa.scalar(None, pa.string()), txt)
    return np.asarray(txt.to_numpy(zero_copy_only=False), dtype=object)


def static_from_arrow(table: pa.Table, counts: Counter[str] | None = None) -> StaticRows:
    if table.num_rows == 0:
        return StaticRows.empty()
    mmsi = np.asarray(table.column("mmsi").to_numpy(zero_copy_only=False), dtype=np.int64)
    ts = np.asarray(pc.cast(pc.cast(table.column("ts"), pa.timestamp("ms", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    imo = pc.cast(table.column("imo"), pa.float64()).to_numpy(zero_copy_only=False)
    bad_imo = ~np.isnan(imo) & ((imo < 1_000_000) | (imo > 9_999_999))  # IMO numbers have 7 digits
    if counts is not None and bad_imo.any():
        counts["static_invalid_imo"] += int(bad_imo.sum())
    imo = np.where(np.isnan(imo) | bad_imo, -1, imo).astype(np.int64)
    st = pc.cast(table.column("ship_type"), pa.float64()).to_numpy(zero_copy_only=False)
    st = np.where(np.isnan(st), -1, st).astype(np.int64)
    return StaticRows(mmsi, ts, imo, _clean_text(table.column("callsign")), _clean_text(table.column("name")), st)


@dataclass
class IdentityRecord:
    """Latest identity of one MMSI plus every change seen: (ts, field, old, new)."""

    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    last_ts: int = 0
    history: list[tuple[int, str, object, object]] = field(default_factory=list)

    MAX_HISTORY = 32

    def update(self, ts: int, name: str | None, callsign: str | None, imo: int | None, ship_type: int | None
               ) -> list[tuple[str, object, object]]:
        """Apply the fields a report carries; returns the changes of already-known fields."""
        changes = []
        for fname, new in (("name", name), ("callsign", callsign), ("imo", imo)):
            if new is None:
                continue
            old = getattr(self, fname)
            if old is not None and old != new:
                changes.append((fname, old, new))
                self.history.append((ts, fname, old, new))
            setattr(self, fname, new)
        if ship_type is not None:
            self.ship_type = ship_type
        self.last_ts = ts
        del self.history[: -self.MAX_HISTORY]
        return changes


def mid_country(mmsi: int) -> tuple[int, str | None]:
    """Maritime Identification Digits of a ship MMSI and the flag state's ISO code if known."""
    m = int(mmsi)
    mid = m // 1_000_000 if 200_000_000 <= m < 800_000_000 else -1
    try:  # pyais carries the ITU MID table (MIT licence)
        from pyais.constants import COUNTRY_MAPPING
    except ImportError:  # pragma: no cover - the number alone still identifies the flag
        return mid, None
    code = COUNTRY_MAPPING.get(mid)
    return mid, (code[0] if code else None)
