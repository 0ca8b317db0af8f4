"""Columnar contracts shared by every stage.

Every source yields Arrow record batches in exactly these schemas, so the tracker, the
detectors and the stores never care whether a row came from NMEA, a CSV archive or Parquet.
AIS "not available" sentinels (lat 91, lon 181, sog 102.3, cog 360, heading 511, ...) are
nulls here, never numbers.
"""

from __future__ import annotations

import pyarrow as pa

TS = pa.timestamp("ms", tz="UTC")

#: One row per received position report (AIS types 1, 2, 3, 18, 19, 27), after the
#: same transmission heard by several stations has been collapsed into one row.
POSITIONS = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("sog", pa.float32()),  # knots
        pa.field("cog", pa.float32()),  # degrees true
        pa.field("heading", pa.uint16()),  # degrees true
        pa.field("nav_status", pa.uint8()),
        pa.field("rot", pa.float32()),  # degrees per minute, signed; +-720 = "turning fast"
        pa.field("msg_type", pa.uint8(), nullable=False),
        pa.field("accuracy", pa.bool_()),
        pa.field("second", pa.uint8()),  # UTC second of the report (60..63 = n/a etc. -> null)
        pa.field("own_ship", pa.bool_()),  # VDO sentence
        pa.field("source", pa.string()),  # first receiving station / feed that heard it
        pa.field("n_rx", pa.uint16(), nullable=False),  # receptions collapsed into this row
    ]
)

#: One row per static/voyage report (AIS types 5, 19, 24 A/B). Fields a message type does
#: not carry are null (24A carries only the name, 24B no name).
STATIC = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("imo", pa.uint32()),
        pa.field("callsign", pa.string()),
        pa.field("name", pa.string()),
        pa.field("ship_type", pa.uint8()),
        pa.field("to_bow", pa.uint16()),
        pa.field("to_stern", pa.uint16()),
        pa.field("to_port", pa.uint8()),
        pa.field("to_starboard", pa.uint8()),
        pa.field("draught", pa.float32()),  # metres
        pa.field("destination", pa.string()),
        pa.field("eta", TS),  # next occurrence of the month/day/hour/minute after ts
        pa.field("msg_type", pa.uint8(), nullable=False),
        pa.field("part", pa.uint8()),  # type 24: 0 = A, 1 = B
        pa.field("source", pa.string()),
        pa.field("n_rx", pa.uint16(), nullable=False),
    ]
)

#: Every other message type (base stations 4/11, AtoN 21, SAR aircraft 9, binary 6/8, ...)
#: kept with its raw payload so receiver-coverage and later decoders can use it.
OTHER = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("msg_type", pa.uint8(), nullable=False),
        pa.field("lat", pa.float64()),  # for types that carry a position (4, 9, 11, 21)
        pa.field("lon", pa.float64()),
        pa.field("source", pa.string()),
        pa.field("payload", pa.string(), nullable=False),  # 6-bit armoured, parts joined
        pa.field("fill", pa.uint8(), nullable=False),
        pa.field("n_rx", pa.uint16(), nullable=False),
    ]
)


def empty(schema: pa.Schema) -> pa.Table:
    """An empty table of a contract schema (for sources that produced nothing)."""
    return schema.empty_table()
