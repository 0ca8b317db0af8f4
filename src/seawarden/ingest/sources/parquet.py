"""Parquet: our own decoded files (contract schemas) and generic trajectory tables with column aliases.

``seawarden decode -o OUT.parquet`` writes positions to OUT.parquet and static/other data beside it
(OUT.static.parquet, OUT.other.parquet); reading OUT.parquet reads all three. Any other Parquet with
an MMSI, a time and a position (e.g. MarineCadastre trajectories ``traj_id, mmsi, timestamp_utc, lon,
lat``) is read as positions through :data:`ALIASES`. Files are read in record batches, never whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.rejects import Quarantine, Reason
from seawarden.ingest.sources._csv import ProgressCallback, in_range, null_where

#: contract column -> accepted spellings in foreign files (compared case-insensitively)
ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "mmsi_number", "userid", "user_id"),
    "ts": ("ts", "timestamp_utc", "timestamp", "basedatetime", "time", "datetime", "date_time_utc",
           "collected_utc", "rx_time_utc", "t"),
    "lat": ("lat", "latitude", "y"),
    "lon": ("lon", "lng", "long", "longitude", "x"),
    "sog": ("sog", "speed", "speed_over_ground"),
    "cog": ("cog", "course", "course_over_ground"),
    "heading": ("heading", "true_heading", "hdg"),
    "nav_status": ("nav_status", "nav_stat", "navstat", "status", "navigational_status"),
    "rot": ("rot", "rate_of_turn"),
    "msg_type": ("msg_type", "message_nr", "message_type", "msgtype", "type"),
}  # fmt: skip
REQUIRED = ("mmsi", "ts", "lat", "lon")
SIBLINGS = {"static": schema.STATIC, "other": schema.OTHER}


class ParquetSource:
    """Reads a Parquet file (ours or a generic trajectory table) in record batches."""

    def __init__(
        self,
        path: str | Path,
        *,
        batch_rows: int = 1 << 20,
        aliases: Mapping[str, Sequence[str]] | None = None,
        quarantine: Quarantine | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.path = Path(path)
        self.name = f"parquet:{self.path}"
        self.batch_rows = batch_rows
        self.aliases = {**ALIASES, **(aliases or {})}
        self.quarantine = quarantine
        self.progress = progress

    def batches(self) -> Iterator[DecodedBatch]:
        files = [self.path, *self._siblings()]
        total = sum(f.stat().st_size for f in files)
        done = 0
        for file in files:
            pf = pq.ParquetFile(file)
            kind = contract_kind(pf.schema_arrow)
            rows_total = max(pf.metadata.num_rows, 1)
            rows_done = 0
            if kind is not None:
                columns = [f.name for f in kind]
                for batch in pf.iter_batches(batch_size=self.batch_rows, columns=columns):
                    yield _own_batch(pa.Table.from_batches([batch]), kind)
                    rows_done += batch.num_rows
                    self._report(done + file.stat().st_size * rows_done // rows_total, total)
            else:
                mapping = resolve_aliases(pf.schema_arrow.names, self.aliases, file)
                for batch in pf.iter_batches(batch_size=self.batch_rows, columns=sorted(set(mapping.values()))):
                    yield self._generic_batch(batch, mapping, file)
                    rows_done += batch.num_rows
                    self._report(done + file.stat().st_size * rows_done // rows_total, total)
            done += file.stat().st_size
        self._report(total, total)

    def _report(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(done, total)

    def _siblings(self) -> list[Path]:
        """OUT.static.parquet / OUT.other.parquet beside OUT.parquet (not when reading a sibling itself)."""
        stem = self.path.name.removesuffix(".parquet")
        if any(stem.endswith(f".{k}") for k in SIBLINGS):
            return []
        return [p for k in SIBLINGS if (p := self.path.with_name(f"{stem}.{k}.parquet")).exists()]

    def _generic_batch(self, batch: pa.RecordBatch, mapping: dict[str, str], file: Path) -> DecodedBatch:
        n = batch.num_rows
        col = {target: batch.column(source) for target, source in mapping.items()}
        reason = np.zeros(n, dtype=np.uint8)

        def flag(mask: pa.Array, why: Reason) -> None:
            m = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
            reason[m & (reason == 0)] = why.value

        def number(name: str) -> pa.Array:
            if name not in col:
                return pa.nulls(n, pa.float64())
            values = pc.cast(col[name], pa.float64())
            return null_where(values, pc.invert(pc.is_finite(values)))

        mmsi = number("mmsi")
        flag(pc.is_null(mmsi), Reason.MALFORMED)
        flag(pc.invert(in_range(mmsi, 1, 999_999_999)), Reason.IMPOSSIBLE_VALUE)
        ts = to_utc_ms(col["ts"], file)
        flag(pc.is_null(ts), Reason.MALFORMED)
        lat, lon = number("lat"), number("lon")
        lat, lon = null_where(lat, pc.equal(lat, 91.0)), null_where(lon, pc.equal(lon, 181.0))
        flag(pc.invert(in_range(lat, -90, 90)), Reason.IMPOSSIBLE_VALUE)
        flag(pc.invert(in_range(lon, -180, 180)), Reason.IMPOSSIBLE_VALUE)
        sog, cog, heading = number("sog"), number("cog"), number("heading")
        sog = null_where(sog, pc.greater_equal(sog, 102.25))
        cog = null_where(cog, pc.greater_equal(cog, 360.0))
        heading = null_where(heading, pc.greater(heading, 359))  # 511 = n/a
        nav = number("nav_status")
        nav = null_where(nav, pc.invert(in_range(nav, 0, 15)))
        rot = number("rot")
        rot = null_where(rot, pc.greater(pc.abs(rot), 720.0))  # e.g. pyais -731.4 = "no turn information"
        msg_type = pc.fill_null(number("msg_type"), 0)
        flag(pc.invert(in_range(msg_type, 0, 27)), Reason.IMPOSSIBLE_VALUE)
        flag(pc.less(sog, 0), Reason.IMPOSSIBLE_VALUE)
        flag(pc.less(cog, 0), Reason.IMPOSSIBLE_VALUE)
        flag(pc.less(heading, 0), Reason.IMPOSSIBLE_VALUE)
        ok = reason == 0
        out = DecodedBatch()
        if not ok.all():
            self._quarantine(batch, reason, file)
            keep = pa.array(ok)
            mmsi, ts, lat, lon, sog, cog, heading, nav, msg_type = (
                a.filter(keep) for a in (mmsi, ts, lat, lon, sog, cog, heading, nav, msg_type)
            )
        m = int(ok.sum())
        out.positions = pa.Table.from_arrays(
            [
                pc.cast(mmsi, pa.uint32()), ts, lat, lon, pc.cast(sog, pa.float32()), pc.cast(cog, pa.float32()),
                pc.cast(heading, pa.uint16()), pc.cast(nav, pa.uint8()),
                pc.cast(rot.filter(pa.array(ok)), pa.float32()), pc.cast(msg_type, pa.uint8()),
                pa.nulls(m, pa.bool_()), pa.nulls(m, pa.uint8()), pa.nulls(m, pa.bool_()),
                pa.array(np.full(m, file.name), pa.string()), pa.array(np.ones(m, np.uint16)),
            ],
            schema=schema.POSITIONS,
        )  # fmt: skip
        out.stats.lines = n
        out.stats.outcomes[Reason.ACCEPTED] = m
        for code, count in zip(*np.unique(reason[~ok], return_counts=True)):
            out.stats.outcomes[Reason(int(code))] += int(count)
        for t, k in zip(*np.unique(msg_type.to_numpy(zero_copy_only=False), return_counts=True)):
            out.stats.messages_by_type[int(t)] += int(k)
        return out

    def _quarantine(self, batch: pa.RecordBatch, reason: np.ndarray, file: Path) -> None:
        if self.quarantine is None:
            return
        bad = np.flatnonzero(reason)
        for row, values in zip(bad.tolist(), batch.take(pa.array(bad)).to_pylist()):
            self.quarantine.write(Reason(int(reason[row])), repr(values), f"{file}:row{row}")


def contract_kind(file_schema: pa.Schema) -> pa.Schema | None:
    """Which contract a file is written in (all contract columns present), or None for foreign files."""
    names = set(file_schema.names)
    for contract in (schema.OTHER, schema.STATIC, schema.POSITIONS):  # most specific first
        if set(contract.names) <= names:
            return contract
    return None


def _own_batch(tbl: pa.Table, contract: pa.Schema) -> DecodedBatch:
    out = DecodedBatch()
    tbl = tbl.select(contract.names).cast(contract)
    if contract is schema.POSITIONS:
        out.positions = tbl
    elif contract is schema.STATIC:
        out.static = tbl
    else:
        out.other = tbl
    out.stats.lines = tbl.num_rows
    out.stats.outcomes[Reason.ACCEPTED] = tbl.num_rows
    types, counts = np.unique(tbl.column("msg_type").to_numpy(), return_counts=True)
    out.stats.messages_by_type.update(dict(zip(types.tolist(), counts.tolist())))
    return out


def resolve_aliases(names: Sequence[str], aliases: Mapping[str, Sequence[str]], file: Path) -> dict[str, str]:
    """Map contract columns to the file's columns; a clear error if a required one is missing."""
    lower = {n.lower(): n for n in names}
    mapping = {}
    for target, spellings in aliases.items():
        found = next((lower[s.lower()] for s in spellings if s.lower() in lower), None)
        if found is not None:
            mapping[target] = found
    missing = [r for r in REQUIRED if r not in mapping]
    if missing:
        wanted = "; ".join(f"{r}: one of {', '.join(aliases[r])}" for r in missing)
        raise ValueError(
            f"{file}: not a seawarden Parquet file and no column for {', '.join(missing)} ({wanted}); "
            f"columns found: {', '.join(names)}"
        )
    return mapping


def to_utc_ms(values: pa.Array, file: Path) -> pa.Array:
    """Timestamps as UTC milliseconds. Naive timestamps are taken as UTC (how AIS archives store them)."""
    t = values.type
    if pa.types.is_timestamp(t):
        if t.tz is None:
            values = pc.assume_timezone(values, "UTC")
        return pc.cast(values, schema.TS, safe=False)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        parsed = pc.strptime(pc.utf8_slice_codeunits(values, 0, 19), format="%Y-%m-%dT%H:%M:%S", unit="ms", error_is_null=True)
        spaced = pc.strptime(pc.utf8_slice_codeunits(values, 0, 19), format="%Y-%m-%d %H:%M:%S", unit="ms", error_is_null=True)
        return pc.cast(pc.coalesce(parsed, spaced), schema.TS)
    if pa.types.is_date(t):
        return pc.cast(pc.cast(values, pa.timestamp("ms")), schema.TS)
    raise ValueError(f"{file}: time column of type {t} is ambiguous; store it as a timestamp or ISO text")
