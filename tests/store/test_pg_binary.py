"""Binary COPY bytes from Arrow columns: what PostgreSQL stores equals what went in, edge cases included."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pytest
from store_backends import pg_dsn

from seawarden.store.pg_binary import HEADER, TRAILER, encode

_PG_TYPES = {"u32": "bigint", "ts": "timestamptz", "f64": "double precision", "f32": "real", "u16": "integer",
             "u8": "smallint", "i64": "bigint", "flag": "boolean", "text": "text"}


def edge_table() -> pa.Table:
    return pa.table({
        "u32": pa.array([0, 4_294_967_295, None, 219_000_001, 7], pa.uint32()),
        "ts": pa.array([0, -1_000_000_000_123, 946_684_800_000, None, 1_700_000_000_999], pa.timestamp("ms", tz="UTC")),
        "f64": pa.array([0.1, -180.0, math.inf, None, 5e-324], pa.float64()),
        "f32": pa.array([102.3, None, -0.0, 3.4e38, 1.1754944e-38], pa.float32()),
        "u16": pa.array([511, 65_535, None, 0, 1], pa.uint16()),
        "u8": pa.array([255, 0, 15, None, 1], pa.uint8()),
        "i64": pa.array([-(2**63), 2**63 - 1, None, 0, -1], pa.int64()),
        "flag": pa.array([True, False, None, True, None], pa.bool_()),
        "text": pa.array(["", None, "ÆRØSKØBING ✓", "x" * 70_000, "tab\tquote\"comma,\nnewline"], pa.string()),
    })


def round_trip(table: pa.Table) -> list[tuple]:
    import psycopg

    with psycopg.connect(pg_dsn(), autocommit=True) as con:
        con.execute("SET TimeZone = 'UTC'")
        cols = ", ".join(f"{n} {_PG_TYPES[n]}" for n in table.column_names)
        con.execute(f"CREATE TEMP TABLE t (i serial, {cols})")
        with con.cursor() as cur, cur.copy(f"COPY t ({', '.join(table.column_names)}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(memoryview(encode(table)))
        return con.execute(f"SELECT {', '.join(table.column_names)} FROM t ORDER BY i").fetchall()


def expected_rows(table: pa.Table) -> list[tuple]:
    cols = []
    for name in table.column_names:
        values = table[name].to_pylist()
        if name == "f32":  # real comes back as the shortest decimal of the float32 value
            values = [None if v is None else float(str(np.float32(v))) for v in values]
        cols.append(values)
    return list(zip(*cols))


def test_every_type_nulls_and_extremes_survive() -> None:
    table = edge_table()
    assert round_trip(table) == expected_rows(table)


def test_sliced_and_chunked_columns() -> None:
    table = edge_table()
    chunked = pa.concat_tables([table.slice(0, 2), table.slice(2)])  # two chunks per column
    assert round_trip(chunked.slice(1, 3)) == expected_rows(table.slice(1, 3))


def test_empty_table_and_layout() -> None:
    empty = edge_table().slice(0, 0)
    assert bytes(encode(empty)) == HEADER + TRAILER
    assert round_trip(empty) == []
    one = pa.table({"u8": pa.array([None], pa.uint8()), "text": pa.array(["ab"])})
    # header, field count 2, NULL (-1), length 2 + "ab", trailer
    assert bytes(encode(one)) == HEADER + b"\x00\x02" + b"\xff\xff\xff\xff" + b"\x00\x00\x00\x02ab" + TRAILER
    assert bytes(encode(one, header=False, trailer=False)) == bytes(encode(one))[len(HEADER):-len(TRAILER)]


def test_nanosecond_times_and_unsupported_types() -> None:
    ns = pa.table({"ts": pa.array([1_700_000_000_123_456_789], pa.timestamp("ns", tz="UTC"))})
    assert round_trip(ns) == [(datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=timezone.utc),)]
    with pytest.raises(TypeError, match="no binary COPY mapping"):
        encode(pa.table({"x": pa.array([[1]], pa.list_(pa.int8()))}))


def test_a_column_of_the_wrong_width_is_refused_by_the_server() -> None:
    import psycopg

    wrong = pa.table({"u8": pa.array([1, 2], pa.int64())})  # int64 -> 8 bytes into a smallint column
    with pytest.raises(psycopg.Error, match="(?i)binary|insufficient|format"):
        round_trip(wrong)
