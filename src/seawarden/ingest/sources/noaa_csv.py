"""NOAA / BOEM MarineCadastre AIS CSV (US Coast Guard terrestrial AIS), both header layouts.

Quirk handled here: files up to about 2020 store COG as a *signed* 12-bit value, so courses above
204.7 degrees appear as negative numbers (-60.6 means 349.0). Adding 409.6 restores them; this matches
the reported heading of moving vessels in the NY-harbour sample.
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
    flag_outside,
    null_where,
    split_overall_dimension,
    static_msg_type,
    table,
)
from seawarden.ingest.sources.csv_base import Converted, CsvArchiveSource

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
SOURCE = "marinecadastre"
#: 12-bit signed COG wrap (tenths of a degree): 4096 / 10
COG_WRAP = 409.6
CLASS_TO_MSG_TYPE = {"A": 1, "B": 18}


class NoaaCsvSource(CsvArchiveSource):
    """Reads MarineCadastre CSV (``BaseDateTime, LON, LAT, MMSI, ...`` or ``MMSI, BaseDateTime, LAT, ...``)."""

    layout = "noaa"
    delimiter = ","
    signature = ("MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG")

    def convert(self, checker: RowChecker, header: list[str]) -> Converted:
        n = checker.n
        ts = checker.timestamp("BaseDateTime", TIME_FORMAT, required=True)
        mmsi = checked_mmsi(checker, "MMSI")
        lat, lon = ais_lat_lon(checker, "LAT", "LON")
        cog = checker.number("COG")
        cog = pc.if_else(pc.and_(pc.less(cog, 0.0), pc.greater_equal(cog, -204.8)), pc.add(cog, COG_WRAP), cog)
        sog, cog, heading = ais_motion(checker, checker.number("SOG"), cog, checker.number("Heading"))
        status = checker.number("Status")
        msg_type = self._msg_types(checker, header)
        source = constant(SOURCE, pa.string(), n)
        ones = constant(1, pa.uint16(), n)
        positions = table(
            {
                "mmsi": mmsi, "ts": ts, "lat": lat, "lon": lon, "sog": sog, "cog": cog,
                "heading": cast_checked(checker, heading, pa.uint16(), 0, 359),
                "nav_status": class_a_nav_status(cast_checked(checker, status, pa.uint8(), 0, 15), msg_type), "rot": pa.nulls(n, pa.float32()),
                "msg_type": msg_type, "accuracy": pa.nulls(n, pa.bool_()), "second": pa.nulls(n, pa.uint8()),
                "own_ship": pa.nulls(n, pa.bool_()), "source": source, "n_rx": ones,
            },
            schema.POSITIONS,
        )  # fmt: skip
        imo = checker.parse_number(pc.replace_substring_regex(checker.text("IMO"), r"^IMO", ""))  # "IMO9307839"
        ship_type = checker.number("VesselType")
        ship_type = null_where(ship_type, pc.equal(ship_type, 0))
        bow, stern = split_overall_dimension(checker, checker.number("Length"), 1022)
        port, starboard = split_overall_dimension(checker, checker.number("Width"), 126)
        draught = checker.number("Draft")
        draught = null_where(draught, pc.equal(draught, 0))
        flag_outside(checker, draught, 0.0, 25.5)
        eta = (
            checker.timestamp("ETA", TIME_FORMAT, required=False) if "ETA" in header else pa.nulls(n, schema.TS)
        )
        static = table(
            {
                "mmsi": mmsi, "ts": ts,
                "imo": cast_checked(checker, null_where(imo, pc.equal(imo, 0)), pa.uint32(), 1, 2**30 - 1),
                "callsign": checker.text("CallSign"), "name": checker.text("VesselName"),
                "ship_type": cast_checked(checker, ship_type, pa.uint8(), 1, 255),
                "to_bow": bow, "to_stern": stern, "to_port": port, "to_starboard": starboard,
                "draught": draught, "destination": pa.nulls(n, pa.string()), "eta": eta,
                "msg_type": static_msg_type(msg_type), "part": pa.nulls(n, pa.uint8()), "source": source, "n_rx": ones,
            },
            schema.STATIC,
        )  # fmt: skip
        return Converted(positions, static)

    @staticmethod
    def _msg_types(checker: RowChecker, header: list[str]) -> pa.Array:
        """Transceiver class A -> type 1, B -> 18; without a class column the type is unknown (0)."""
        column = next((c for c in ("TransceiverClass", "TranscieverClass") if c in header), None)
        if column is None:
            return constant(0, pa.uint8(), checker.n)
        cls = checker.text(column)
        idx = pc.index_in(cls, value_set=pa.array(list(CLASS_TO_MSG_TYPE)))
        checker.flag(pc.and_(pc.is_valid(cls), pc.is_null(idx)), Reason.BAD_CSV_ROW)
        return pc.fill_null(pc.take(pa.array(list(CLASS_TO_MSG_TYPE.values()), pa.uint8()), idx), 0)
