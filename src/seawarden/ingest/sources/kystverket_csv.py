"""Norwegian Coastal Administration (Kystverket) historical AIS CSV (semicolon-separated).

Columns: ``mmsi;imo_nr;length;date_time_utc;lon;lat;sog;cog;true_heading;nav_status;message_nr``
(often after an unnamed index column). ``message_nr`` is the AIS message type itself.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from seawarden import schema
from seawarden.ingest.rejects import Reason
from seawarden.ingest.sources._csv import (
    RowChecker,
    ais_lat_lon,
    ais_motion,
    cast_checked,
    checked_mmsi,
    class_a_nav_status,
    constant,
    null_where,
    split_overall_dimension,
    static_msg_type,
    table,
)
from seawarden.ingest.sources.csv_base import Converted, CsvArchiveSource

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SOURCE = "kystverket"
POSITION_TYPES = (1, 2, 3, 18, 19, 27)


class KystverketCsvSource(CsvArchiveSource):
    """Reads Kystverket CSV exports in batches."""

    layout = "kystverket"
    delimiter = ";"
    signature = ("mmsi", "date_time_utc", "lon", "lat", "sog", "cog", "true_heading", "nav_status", "message_nr")

    def convert(self, checker: RowChecker, header: list[str]) -> Converted:
        n = checker.n
        ts = checker.timestamp("date_time_utc", TIME_FORMAT, required=True)
        mmsi = checked_mmsi(checker, "mmsi")
        lat, lon = ais_lat_lon(checker, "lat", "lon")
        sog, cog, heading = ais_motion(checker, checker.number("sog"), checker.number("cog"), checker.number("true_heading"))
        status = checker.number("nav_status")
        msg_type = cast_checked(checker, checker.number("message_nr"), pa.uint8(), 1, 27)
        checker.flag(pc.invert(pc.is_in(msg_type, value_set=pa.array(POSITION_TYPES, pa.uint8()))), Reason.IMPOSSIBLE_VALUE)
        source = constant(SOURCE, pa.string(), n)
        ones = constant(1, pa.uint16(), n)
        positions = table(
            {
                "mmsi": mmsi, "ts": ts, "lat": lat, "lon": lon, "sog": sog, "cog": cog,
                "heading": cast_checked(checker, heading, pa.uint16(), 0, 359),
                "nav_status": class_a_nav_status(cast_checked(checker, status, pa.uint8(), 0, 15), msg_type), "rot": pa.nulls(n, pa.float32()),
                "msg_type": pc.fill_null(msg_type, 0), "accuracy": pa.nulls(n, pa.bool_()),
                "second": pa.nulls(n, pa.uint8()), "own_ship": pa.nulls(n, pa.bool_()), "source": source, "n_rx": ones,
            },
            schema.POSITIONS,
        )  # fmt: skip
        imo = checker.number("imo_nr") if "imo_nr" in header else pa.nulls(n, pa.float64())
        length = checker.number("length") if "length" in header else pa.nulls(n, pa.float64())
        bow, stern = split_overall_dimension(checker, length, 1022)
        static = table(
            {
                "mmsi": mmsi, "ts": ts,
                "imo": cast_checked(checker, null_where(imo, pc.equal(imo, 0)), pa.uint32(), 1, 2**30 - 1),
                "callsign": pa.nulls(n, pa.string()), "name": pa.nulls(n, pa.string()), "ship_type": pa.nulls(n, pa.uint8()),
                "to_bow": bow, "to_stern": stern, "to_port": pa.nulls(n, pa.uint8()), "to_starboard": pa.nulls(n, pa.uint8()),
                "draught": pa.nulls(n, pa.float32()), "destination": pa.nulls(n, pa.string()), "eta": pa.nulls(n, schema.TS),
                "msg_type": static_msg_type(msg_type), "part": pa.nulls(n, pa.uint8()), "source": source, "n_rx": ones,
            },
            schema.STATIC,
        )  # fmt: skip
        return Converted(positions, static)
