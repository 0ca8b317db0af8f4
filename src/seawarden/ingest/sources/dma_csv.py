"""Danish Maritime Authority "aisdk" daily CSV archives (web.ais.dk/aisdata): reader and writer.

DMA writes one row per received report with the vessel's latest static data repeated on every row and
categories spelled out ("Under way using engine", "Tanker" + "Category X"). The reader turns labels back
into ITU-R M.1371 codes and emits a STATIC row only when a vessel's static data change; the writer does
the reverse, so that read -> write -> read gives equal tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
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
    table,
)
from seawarden.ingest.sources.csv_base import Converted, CsvArchiveSource

TIME_FORMAT = "%d/%m/%Y %H:%M:%S"
SOURCE_PREFIX = "dma:"

#: "Type of mobile" -> (table, AIS message type). SARTs, MOBs and EPIRBs transmit type 1 reports.
MOBILE_TYPES: dict[str, tuple[str, int]] = {
    "Class A": ("positions", 1),
    "Class B": ("positions", 18),
    "Search and Rescue Transponder": ("positions", 1),
    "Man Overboard Device": ("positions", 1),
    "EPIRB": ("positions", 1),
    "Base Station": ("other", 4),
    "AtoN": ("other", 21),
    "SAR Airborne": ("other", 9),
}
#: what the writer prints for each message type
WRITER_MOBILE = {1: "Class A", 2: "Class A", 3: "Class A", 27: "Class A", 18: "Class B", 19: "Class B",
                 4: "Base Station", 11: "Base Station", 21: "AtoN", 9: "SAR Airborne"}  # fmt: skip

NAV_STATUS: dict[str, int | None] = {
    "Under way using engine": 0,
    "At anchor": 1,
    "Not under command": 2,
    "Restricted maneuverability": 3,
    "Constrained by her draught": 4,
    "Moored": 5,
    "Aground": 6,
    "Engaged in fishing": 7,
    "Under way sailing": 8,
    "Reserved for future amendment [HSC]": 9,
    "Reserved for future amendment [WIG]": 10,
    "Power-driven vessel towing astern": 11,
    "Power-driven vessel pushing ahead or towing alongside": 12,
    "Reserved for future use": 13,
    "AIS-SART is active": 14,
    "Unknown value": 15,  # "not defined"; Class B rows (no status field) become null
}

#: Ship type label -> code. Labels in GROUP_TYPES take their second digit from the "Cargo type" column.
SHIP_TYPES: dict[str, int | None] = {
    "Undefined": None,
    "Reserved": 10,
    "WIG": 20,
    "Fishing": 30,
    "Towing": 31,
    "Towing long/wide": 32,
    "Dredging": 33,
    "Diving": 34,
    "Military": 35,
    "Sailing": 36,
    "Pleasure": 37,
    "HSC": 40,
    "Pilot": 50,
    "SAR": 51,
    "Tug": 52,
    "Port tender": 53,
    "Anti-pollution": 54,
    "Law enforcement": 55,
    "Spare 1": 56,
    "Spare 2": 57,
    "Medical": 58,
    "Not party to conflict": 59,
    "Passenger": 60,
    "Cargo": 70,
    "Tanker": 80,
    "Other": 90,
}
GROUP_TYPES = ("Reserved", "WIG", "HSC", "Passenger", "Cargo", "Tanker", "Other")
#: second digit of group ship types (ITU: 1..4 = hazardous category X/Y/Z/OS, 5..8 reserved, 9 = no info)
CARGO_TYPES: dict[str, int | None] = {
    "Category X": 1,
    "Category Y": 2,
    "Category Z": 3,
    "Category OS": 4,
    "Reserved for future use": 5,
    "No additional information": 9,
}
WRITER_CARGO = {0: None, 1: "Category X", 2: "Category Y", 3: "Category Z", 4: "Category OS",
                5: "Reserved for future use", 6: "Reserved for future use", 7: "Reserved for future use",
                8: "Reserved for future use", 9: "No additional information"}  # fmt: skip

COLUMNS = [
    "# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude", "Navigational status", "ROT", "SOG", "COG",
    "Heading", "IMO", "Callsign", "Name", "Ship type", "Cargo type", "Width", "Length",
    "Type of position fixing device", "Draught", "Destination", "ETA", "Data source type", "A", "B", "C", "D",
]  # fmt: skip


class DmaCsvSource(CsvArchiveSource):
    """Reads DMA aisdk CSV (plain or .gz) in batches."""

    layout = "dma"
    delimiter = ","
    signature = ("# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude", "Navigational status")

    def convert(self, checker: RowChecker, header: list[str]) -> Converted:
        n = checker.n
        ts = checker.timestamp("# Timestamp", TIME_FORMAT, required=True)
        mobile = checker.text("Type of mobile")
        labels = pa.array(list(MOBILE_TYPES), pa.string())
        idx = pc.index_in(mobile, value_set=labels)
        checker.flag(pc.is_null(idx), Reason.BAD_CSV_ROW)
        msg_type = pc.take(pa.array([t for _, t in MOBILE_TYPES.values()], pa.uint8()), idx)
        is_other_label = pc.take(pa.array([tbl == "other" for tbl, _ in MOBILE_TYPES.values()]), idx)
        is_other = pc.fill_null(is_other_label, False).to_numpy(zero_copy_only=False)
        mmsi = checked_mmsi(checker, "MMSI")
        lat, lon = ais_lat_lon(checker, "Latitude", "Longitude")
        sog, cog, heading = ais_motion(checker, checker.number("SOG"), checker.number("COG"), checker.number("Heading"))
        rot = checker.number("ROT")
        flag_outside(checker, rot, -720.0, 720.0)
        nav = class_a_nav_status(checker.category("Navigational status", NAV_STATUS), msg_type)
        data_source = checker.text("Data source type")
        source = pc.binary_join_element_wise(pa.scalar(SOURCE_PREFIX), data_source, "")
        nulls_u8 = pa.nulls(n, pa.uint8())
        nulls_bool = pa.nulls(n, pa.bool_())
        ones = constant(1, pa.uint16(), n)
        positions = table(
            {
                "mmsi": mmsi, "ts": ts, "lat": lat, "lon": lon, "sog": sog, "cog": cog,
                "heading": cast_checked(checker, heading, pa.uint16(), 0, 359), "nav_status": nav, "rot": rot,
                "msg_type": msg_type, "accuracy": nulls_bool, "second": nulls_u8, "own_ship": nulls_bool,
                "source": source, "n_rx": ones,
            },
            schema.POSITIONS,
        )  # fmt: skip
        static = table(
            {
                "mmsi": mmsi, "ts": ts,
                "imo": cast_checked(checker, _zero_null(checker.number("IMO", missing=("Unknown",))), pa.uint32(), 1, 2**30),
                "callsign": checker.text("Callsign"), "name": checker.text("Name"),
                "ship_type": _ship_type(checker),
                "to_bow": cast_checked(checker, checker.number("A"), pa.uint16(), 0, 511),
                "to_stern": cast_checked(checker, checker.number("B"), pa.uint16(), 0, 511),
                "to_port": cast_checked(checker, checker.number("C"), pa.uint8(), 0, 63),
                "to_starboard": cast_checked(checker, checker.number("D"), pa.uint8(), 0, 63),
                "draught": _draught(checker, "Draught"),
                "destination": checker.text("Destination"),
                "eta": checker.timestamp("ETA", TIME_FORMAT, required=False),
                "msg_type": pc.if_else(pc.equal(msg_type, 18), 24, 5), "part": nulls_u8,
                "source": source, "n_rx": ones,
            },
            schema.STATIC,
        )  # fmt: skip
        other = table(
            {
                "mmsi": mmsi, "ts": ts, "msg_type": msg_type, "lat": lat, "lon": lon, "source": source,
                "payload": constant("", pa.string(), n), "fill": constant(0, pa.uint8(), n), "n_rx": ones,
            },
            schema.OTHER,
        )  # fmt: skip
        return Converted(positions, static, other, is_position=~is_other & pc.is_valid(idx).to_numpy(zero_copy_only=False), is_other=is_other)


def _zero_null(values: pa.Array) -> pa.Array:
    return null_where(values, pc.equal(values, 0))


def _draught(checker: RowChecker, name: str) -> pa.Array:
    draught = _zero_null(checker.number(name))
    flag_outside(checker, draught, 0.0, 25.5)
    return draught


def _ship_type(checker: RowChecker) -> pa.Array:
    base = checker.category("Ship type", SHIP_TYPES)
    digit = pc.fill_null(checker.category("Cargo type", CARGO_TYPES), 0)
    grouped = pc.is_in(checker.text("Ship type"), value_set=pa.array(GROUP_TYPES))
    return pc.if_else(pc.fill_null(grouped, False), pc.add(base, digit), base)


# --------------------------------------------------------------------------- writer


def write_dma_csv(batch: DecodedBatch, path: str | Path) -> int:
    """Write positions (with the static data in force at each row) and base-station/AtoN rows as DMA aisdk CSV.

    Rows are ordered by time. Each position row carries the latest STATIC row of its vessel whose ts is not
    later than the row's (the way DMA fills its rows). Message types DMA has no label for are skipped.
    Returns the number of rows written.
    """
    positions = batch.positions
    pos_types = positions.column("msg_type").to_numpy()
    positions = positions.filter(pa.array(np.isin(pos_types, [t for t in WRITER_MOBILE if t not in (4, 11, 21, 9)])))
    static_idx = _static_in_force(positions, batch.static)
    st = batch.static.take(pa.array(np.where(static_idx < 0, 0, static_idx))) if batch.static.num_rows else None
    has_static = pa.array(static_idx >= 0)

    def st_col(name: str, type_: pa.DataType) -> pa.Array:
        if st is None:
            return pa.nulls(positions.num_rows, type_)
        return null_where(pc.cast(st.column(name).combine_chunks(), type_), pc.invert(has_static))

    n = positions.num_rows
    ship_type = st_col("ship_type", pa.uint8())
    a, b = st_col("to_bow", pa.float64()), st_col("to_stern", pa.float64())
    c, d = st_col("to_port", pa.float64()), st_col("to_starboard", pa.float64())
    pos_rows = {
        "# Timestamp": positions.column("ts"),
        "Type of mobile": _labels(positions.column("msg_type"), WRITER_MOBILE),
        "MMSI": positions.column("mmsi"),
        "Latitude": pc.fill_null(positions.column("lat"), 91.0),
        "Longitude": pc.fill_null(positions.column("lon"), 181.0),
        "Navigational status": pc.fill_null(_labels(positions.column("nav_status"), _inverse(NAV_STATUS)), "Unknown value"),
        "ROT": _text(positions.column("rot")),
        "SOG": _text(positions.column("sog")),
        "COG": _text(positions.column("cog")),
        "Heading": positions.column("heading"),
        "IMO": pc.fill_null(pc.cast(st_col("imo", pa.uint32()), pa.string()), "Unknown"),
        "Callsign": st_col("callsign", pa.string()),
        "Name": st_col("name", pa.string()),
        "Ship type": _ship_type_labels(ship_type),
        "Cargo type": _cargo_labels(ship_type),
        "Width": pc.add(c, d),
        "Length": pc.add(a, b),
        "Type of position fixing device": constant("Undefined", pa.string(), n),
        "Draught": _text(st_col("draught", pa.float32())),
        "Destination": st_col("destination", pa.string()),
        "ETA": st_col("eta", schema.TS),
        "Data source type": _data_source(positions.column("source")),
        "A": a, "B": b, "C": c, "D": d,
    }  # fmt: skip
    other = batch.other.filter(pa.array(np.isin(batch.other.column("msg_type").to_numpy(), [4, 11, 21, 9])))
    m = other.num_rows
    other_rows = {col: pa.nulls(m, pa.string()) for col in COLUMNS}
    other_rows.update(
        {
            "# Timestamp": other.column("ts"),
            "Type of mobile": _labels(other.column("msg_type"), WRITER_MOBILE),
            "MMSI": other.column("mmsi"),
            "Latitude": pc.fill_null(other.column("lat"), 91.0),
            "Longitude": pc.fill_null(other.column("lon"), 181.0),
            "Navigational status": constant("Unknown value", pa.string(), m),
            "IMO": constant("Unknown", pa.string(), m),
            "Ship type": constant("Undefined", pa.string(), m),
            "Type of position fixing device": constant("Undefined", pa.string(), m),
            "Data source type": _data_source(other.column("source")),
        }
    )
    parts = [_as_text_table(pos_rows), _as_text_table(other_rows)]
    out = pa.concat_tables(parts)
    out = out.take(pc.sort_indices(out, sort_keys=[("_ts", "ascending")])).drop(["_ts"])
    pacsv.write_csv(out, str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))
    return out.num_rows


def _as_text_table(rows: dict[str, pa.Array | pa.ChunkedArray]) -> pa.Table:
    arrays = []
    for col in COLUMNS:
        values = rows[col]
        if col in ("# Timestamp", "ETA"):
            seconds = pc.cast(pc.cast(values, schema.TS), pa.timestamp("s", tz="UTC"), safe=False)  # DMA has no ms
            values = pc.strftime(seconds, format=TIME_FORMAT)
        arrays.append(_text(values))
    ts = pc.cast(rows["# Timestamp"], schema.TS)
    return pa.Table.from_arrays([*arrays, ts], names=[*COLUMNS, "_ts"])


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Numbers as the shortest text that reads back to the same value (float32 printed as float32)."""
    return pc.cast(values, pa.string())


def _labels(codes: pa.Array | pa.ChunkedArray, names: dict[int, str]) -> pa.Array:
    keys = sorted(names)
    idx = pc.index_in(pc.cast(codes, pa.int64()), value_set=pa.array(keys, pa.int64()))
    return pc.take(pa.array([names[k] for k in keys], pa.string()), idx)


def _inverse(mapping: dict[str, int | None]) -> dict[int, str]:
    return {code: label for label, code in mapping.items() if code is not None}


def _ship_type_labels(ship_type: pa.Array) -> pa.Array:
    """Code -> DMA label: group types by their first digit, the rest by exact code; missing -> 'Undefined'."""
    exact = _inverse(SHIP_TYPES)
    groups = {SHIP_TYPES[g]: g for g in GROUP_TYPES}
    codes = pc.cast(ship_type, pa.int64())
    tens = pc.multiply(pc.divide(codes, 10), 10)
    is_group = pc.is_in(tens, value_set=pa.array([k for k in groups if k is not None], pa.int64()))
    label = pc.if_else(pc.fill_null(is_group, False), _labels(tens, groups), _labels(codes, exact))  # type: ignore[arg-type]
    return pc.fill_null(label, "Undefined")


def _cargo_labels(ship_type: pa.Array) -> pa.Array:
    codes = pc.cast(ship_type, pa.int64())
    tens = pc.multiply(pc.divide(codes, 10), 10)
    is_group = pc.is_in(tens, value_set=pa.array([SHIP_TYPES[g] for g in GROUP_TYPES], pa.int64()))
    digit = pc.subtract(codes, tens)
    cargo = _labels(digit, {k: v for k, v in WRITER_CARGO.items() if v is not None})
    return null_where(cargo, pc.invert(pc.fill_null(is_group, False)))


def _data_source(source: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Our ``dma:<type>`` source back to DMA's "Data source type"; anything else was heard over AIS."""
    source = pc.fill_null(source, "")
    stripped = pc.utf8_slice_codeunits(source, len(SOURCE_PREFIX))
    return pc.if_else(pc.starts_with(source, SOURCE_PREFIX), stripped, "AIS")


def _static_in_force(positions: pa.Table, static: pa.Table) -> np.ndarray:
    """For each position row, the index of its vessel's latest static row with ts <= the row's ts (-1: none).

    One stable sort of positions and static rows together, then a running maximum carries the last
    static row forward within each vessel: no per-row Python.
    """
    n_pos, n_st = positions.num_rows, static.num_rows
    if n_st == 0:
        return np.full(n_pos, -1, dtype=np.int64)
    mmsi = np.concatenate([static.column("mmsi").to_numpy(), positions.column("mmsi").to_numpy()]).astype(np.int64)
    ts = np.concatenate(
        [pc.cast(static.column("ts"), pa.int64()).to_numpy(), pc.cast(positions.column("ts"), pa.int64()).to_numpy()]
    )
    kind = np.concatenate([np.zeros(n_st, np.int8), np.ones(n_pos, np.int8)])  # static before position at equal ts
    arrival = np.arange(n_st + n_pos)
    order = np.lexsort((arrival, kind, ts, mmsi))
    is_static = kind[order] == 0
    last_static = np.maximum.accumulate(np.where(is_static, np.arange(len(order)), -1))
    valid = last_static >= 0
    same_vessel = np.zeros(len(order), dtype=bool)
    same_vessel[valid] = mmsi[order][last_static[valid]] == mmsi[order][valid]
    result_sorted = np.where(valid & same_vessel, order[np.where(valid, last_static, 0)], -1)
    out = np.full(n_st + n_pos, -1, dtype=np.int64)
    out[order] = result_sorted
    return out[n_st:]
