"""Real DMA data mapped into the contract schemas, for store tests and bench/store.py.

The DERIVED Parquet in ``ais_dma_decoded/`` is pyais output with the AIS "not available"
sentinels kept as numbers; the contracts want nulls, so they are turned into nulls here
(the mapping is whole-column pyarrow, no per-row Python). Type-4 base-station reports, which
the derived tables leave out, are read from the raw NMEA with pyais for the OTHER table.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch

DMA_2013 = "aisabnormal_2013-11-12"
DMA_2010 = "aislib_2010-06-11"


def _null_where(values: pa.ChunkedArray, is_sentinel: pa.ChunkedArray) -> pa.ChunkedArray:
    """Replace sentinel values (and NaN) by null."""
    if pa.types.is_floating(values.type):
        is_sentinel = pc.or_kleene(is_sentinel, pc.is_nan(values))
    return pc.if_else(pc.fill_null(is_sentinel, False), pa.scalar(None, values.type), values)


def _utc(ts: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.cast(pc.assume_timezone(ts, "UTC"), schema.TS)


def dma_positions(shared_data: Path, name: str = DMA_2013) -> pa.Table:
    """The derived DMA positions as a POSITIONS table (sentinels -> null)."""
    raw = pq.read_table(shared_data / "ais_dma_decoded" / f"{name}_positions.parquet")
    lat, lon, sog, cog = (raw[c] for c in ("lat", "lon", "sog", "cog"))
    heading, second, rot = raw["heading"], raw["second"], raw["rot"]
    cols = {
        "mmsi": pc.cast(raw["mmsi"], pa.uint32()),
        "ts": _utc(raw["rx_time_utc"]),
        "lat": _null_where(lat, pc.greater(pc.abs(lat), 90)),
        "lon": _null_where(lon, pc.greater(pc.abs(lon), 180)),
        "sog": pc.cast(_null_where(sog, pc.greater_equal(sog, 102.25)), pa.float32()),
        "cog": pc.cast(_null_where(cog, pc.greater_equal(cog, 360)), pa.float32()),
        "heading": pc.cast(_null_where(heading, pc.greater(heading, 359)), pa.uint16()),
        "nav_status": pc.cast(raw["nav_status"], pa.uint8()),
        "rot": pc.cast(_null_where(rot, pc.greater(pc.abs(rot), 720)), pa.float32()),
        "msg_type": pc.cast(raw["msg_type"], pa.uint8()),
        "accuracy": raw["accuracy"],
        "second": pc.cast(_null_where(second, pc.greater(second, 59)), pa.uint8()),
        "own_ship": pc.ends_with(raw["talker"], "VDO"),
        "source": pc.cast(raw["pghp_source_id"], pa.string()),
        "n_rx": pa.chunked_array([pa.array([1] * raw.num_rows, pa.uint16())]),
    }
    return pa.table(cols, schema=schema.POSITIONS)


def _as(col: pa.ChunkedArray, typ: pa.DataType) -> pa.ChunkedArray:
    """Float column with NaN for missing -> integer/float column with nulls."""
    return pc.cast(_null_where(col, pc.is_nan(col)) if pa.types.is_floating(col.type) else col, typ)


def dma_static(shared_data: Path, name: str = DMA_2013) -> pa.Table:
    """The derived DMA static reports as a STATIC table."""
    raw = pq.read_table(shared_data / "ais_dma_decoded" / f"{name}_static.parquet")
    imo = raw["imo"]
    cols = {
        "mmsi": pc.cast(raw["mmsi"], pa.uint32()),
        "ts": _utc(raw["rx_time_utc"]),
        "imo": _as(_null_where(imo, pc.equal(imo, 0)), pa.uint32()),
        "callsign": pc.cast(raw["callsign"], pa.string()),
        "name": pc.cast(raw["shipname"], pa.string()),
        "ship_type": _as(raw["ship_type"], pa.uint8()),
        "to_bow": _as(raw["to_bow"], pa.uint16()),
        "to_stern": _as(raw["to_stern"], pa.uint16()),
        "to_port": _as(raw["to_port"], pa.uint8()),
        "to_starboard": _as(raw["to_starboard"], pa.uint8()),
        "draught": _as(raw["draught"], pa.float32()),
        "destination": pc.cast(raw["destination"], pa.string()),
        "eta": pa.chunked_array([pa.nulls(raw.num_rows, schema.TS)]),
        "msg_type": pc.cast(raw["msg_type"], pa.uint8()),
        "part": _as(raw["partno"], pa.uint8()),
        "source": pc.cast(raw["pghp_source_id"], pa.string()),
        "n_rx": pa.chunked_array([pa.array([1] * raw.num_rows, pa.uint16())]),
    }
    return pa.table(cols, schema=schema.STATIC)


def dma_base_stations(shared_data: Path, limit: int = 400) -> pa.Table:
    """Type-4 base-station reports of the raw 2013 DMA NMEA as an OTHER table (pyais decodes)."""
    import pyais

    rows: dict[str, list] = {f.name: [] for f in schema.OTHER}
    path = shared_data / "ais_nmea_dma" / "aisabnormal_ais-sample_2013-11-12.txt.gz"
    ts = source = None
    with gzip.open(path, "rt", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("$PGHP"):
                f = line.split(",")
                ts = datetime(*map(int, f[2:8]), int(f[8]) * 1000, tzinfo=timezone.utc)
                source = f[11]
                continue
            parts = line.strip().split(",")
            if len(parts) < 7 or parts[1] != "1" or not parts[5].startswith("4"):
                continue
            msg = pyais.decode(line.strip())
            rows["mmsi"].append(msg.mmsi)
            rows["ts"].append(ts)
            rows["msg_type"].append(4)
            rows["lat"].append(msg.lat if abs(msg.lat) <= 90 else None)
            rows["lon"].append(msg.lon if abs(msg.lon) <= 180 else None)
            rows["source"].append(source)
            rows["payload"].append(parts[5])
            rows["fill"].append(int(parts[6].split("*")[0]))
            rows["n_rx"].append(1)
            if len(rows["mmsi"]) >= limit:
                break
    return pa.table(rows, schema=schema.OTHER)


def dma_batch(shared_data: Path) -> DecodedBatch:
    """Both DMA files (2010 and 2013) as one decoded batch in the contract schemas."""
    return DecodedBatch(
        positions=pa.concat_tables([dma_positions(shared_data, DMA_2010), dma_positions(shared_data, DMA_2013)]),
        static=pa.concat_tables([dma_static(shared_data, DMA_2010), dma_static(shared_data, DMA_2013)]),
        other=dma_base_stations(shared_data),
    )


EVER = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))


def canonical(table: pa.Table) -> pa.Table:
    """Rows in one deterministic order (every column a sort key), to compare as multisets."""
    keys = [(name, "ascending") for name in table.column_names]
    return table.take(pc.sort_indices(table, sort_keys=keys))
