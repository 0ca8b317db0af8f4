"""Arrow building blocks of the NMEA decoder: packed booleans, gathered strings from two buffers."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pytest

from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.nmea.columns import arrow_column
from seawarden.ingest.nmea.decoder import ragged_strings


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 1001])
def test_boolean_columns_are_packed_to_arrow_bits_with_their_nulls(n: int) -> None:
    rng = np.random.default_rng(n)
    values, valid = rng.random(n) > 0.5, rng.random(n) > 0.3
    col = arrow_column(values, valid, pa.bool_())
    col.validate(full=True)
    assert col.to_pylist() == [bool(v) if ok else None for v, ok in zip(values, valid)]
    assert arrow_column(values, np.ones(n, np.bool_), pa.bool_()).equals(pa.array(values, pa.bool_()))


def test_strings_gather_across_the_chunk_and_the_reassembled_payloads() -> None:
    chunk, joined = np.frombuffer(b"hello world", np.uint8), np.frombuffer(b"ABCDEF", np.uint8)
    got = ragged_strings(chunk, np.array([0, 11, 6, 13, 3]), np.array([5, 13, 11, 17, 3]), joined)
    got.validate(full=True)
    assert got.to_pylist() == ["hello", "AB", "world", "CDEF", ""]


def test_a_reassembled_binary_message_keeps_its_whole_payload_beside_single_ones() -> None:
    def sentence(body: bytes) -> bytes:
        x = 0
        for c in body:
            x ^= c
        return b"!" + body + b"*%02X\n" % x

    head, tail = b"85Mwp`1Kk0FGK0B@5Mwp`1Kk0FGK0B@", b"1Kk0FGK0B@"
    single = b"85Mwp`1Kk0FGK0B@0000"
    data = (sentence(b"AIVDM,1,1,,A," + single + b",0") + sentence(b"AIVDM,2,1,3,A," + head + b",0")
            + sentence(b"AIVDM,2,2,3,A," + tail + b",2"))
    batch = NmeaDecoder(origin="t", clock=datetime(2021, 3, 4, tzinfo=timezone.utc)).feed(data)
    assert sorted(batch.other["payload"].to_pylist()) == sorted([single.decode(), (head + tail).decode()])
    assert batch.other["fill"].to_pylist() == [0, 2]
