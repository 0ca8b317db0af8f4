"""Arrow building blocks of the NMEA decoder: packed booleans, gathered strings from two buffers."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pyarrow as pa
import pytest

from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.nmea.columns import arrow_column, eta_ms, text_column
from seawarden.ingest.nmea.decoder import ragged_strings
from seawarden.ingest.nmea.layouts import N_INT_COLS, TEXT_CHARS, TEXT_OFFSET, TEXT_TOTAL, Col, Text


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


def _texts(rows: list[bytes]) -> np.ndarray:
    block = np.zeros((len(rows), TEXT_TOTAL), np.uint8)
    off, width = TEXT_OFFSET[Text.NAME], TEXT_CHARS[Text.NAME]
    for r, text in enumerate(rows):
        block[r, off : off + width] = np.frombuffer(text.ljust(width, b"@"), np.uint8)
    return block


def test_text_is_trimmed_like_pyais_and_empty_or_absent_text_is_null() -> None:
    rows = [b"MAERSK KOLKATA", b"AB @@", b"AB@ ", b"  AB", b"@@@", b"   ", b"NOT THIS ONE"]
    applies = np.array([True, True, True, True, True, True, False])
    got = text_column(_texts(rows), Text.NAME, applies)
    got.validate(full=True)
    assert got.to_pylist() == ["MAERSK KOLKATA", "AB", "AB@", "AB", None, None, None]


def _eta(report: datetime, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime | None:
    ints = np.zeros((1, N_INT_COLS), np.int32)
    ints[0, [Col.ETA_MONTH, Col.ETA_DAY, Col.ETA_HOUR, Col.ETA_MINUTE]] = month, day, hour, minute
    ms, null = eta_ms(ints, np.array([int(report.timestamp() * 1000)]), np.array([True]))
    return None if null[0] else datetime.fromtimestamp(ms[0] / 1000, timezone.utc)


def test_eta_is_the_next_occurrence_around_the_report_and_impossible_dates_are_null() -> None:
    utc = timezone.utc
    assert _eta(datetime(2021, 1, 5, tzinfo=utc), 12, 30, 10, 30) == datetime(2021, 12, 30, 10, 30, tzinfo=utc)
    assert _eta(datetime(2021, 12, 20, tzinfo=utc), 1, 3) == datetime(2022, 1, 3, 12, tzinfo=utc)
    assert _eta(datetime(2023, 6, 1, tzinfo=utc), 2, 29) == datetime(2024, 2, 29, 12, tzinfo=utc)  # leap year next
    assert _eta(datetime(2021, 3, 1, tzinfo=utc), 2, 29) is None  # neither 2021 nor 2022 has one
    assert _eta(datetime(2021, 3, 1, tzinfo=utc), 4, 31) is None
    assert _eta(datetime(2021, 3, 1, tzinfo=utc), 0, 0, 24, 60) is None  # AIS "not available"


def test_other_types_keep_their_position_and_not_available_is_null() -> None:
    from pyais import encode_dict

    msgs = [
        {"msg_type": 4, "mmsi": 2190047, "lon": 12.6155, "lat": 55.7163},  # base station
        {"msg_type": 21, "mmsi": 992191000, "lon": -5.25, "lat": -33.5, "name": "BUOY"},  # aid to navigation
        {"msg_type": 9, "mmsi": 111219501, "lon": 181, "lat": 91},  # SAR aircraft, position not available
        {"msg_type": 8, "mmsi": 2190047, "data": b"\x01\x02"},  # binary broadcast: no position at all
    ]
    data = b"".join(s.encode() + b"\n" for m in msgs for s in encode_dict(m))
    other = NmeaDecoder(origin="t", clock=datetime(2021, 3, 4, tzinfo=timezone.utc)).feed(data).other
    got = {r["msg_type"]: (r["lat"], r["lon"]) for r in other.to_pylist()}
    assert got[4] == pytest.approx((55.7163, 12.6155), abs=1e-6)
    assert got[21] == pytest.approx((-33.5, -5.25), abs=1e-6)
    assert got[9] == (None, None) and got[8] == (None, None)
