"""The NMEA encoder: exact round trips through our decoder on real DMA traffic, pyais as an oracle
for our sentences, the pyais-decoded Parquet re-encoded within AIS resolution, and bad input."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from pyais.constants import ShipType

from seawarden import schema
from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.nmea.encode import encode, six_bit_text
from seawarden.ingest.rejects import Reason

from nmea_oracle import oracle_messages

NMEA_2013 = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"
NMEA_2010 = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"
ORDER = [("ts", "ascending"), ("mmsi", "ascending"), ("msg_type", "ascending"), ("part", "ascending")]


def sort(t: pa.Table) -> pa.Table:
    return t.take(pc.sort_indices(t, [k for k in ORDER if k[0] in t.column_names]))


def decode(data: bytes, **kw) -> tuple[pa.Table, pa.Table, dict]:
    dec = NmeaDecoder(dedup_window_s=None, **kw)
    first = dec.feed(data)
    last = dec.flush()
    first.stats.merge(last.stats)
    return (pa.concat_tables([first.positions, last.positions]), pa.concat_tables([first.static, last.static]),
            first.stats.outcomes)


@pytest.fixture(scope="module", params=[NMEA_2013, NMEA_2010])
def real(request, shared_data: Path) -> tuple[pa.Table, pa.Table]:
    path = shared_data / request.param
    data = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    dec = NmeaDecoder()  # as ingest decodes it, with receptions collapsed
    b = dec.feed(data)
    b.static = pa.concat_tables([b.static, dec.flush().static])
    return sort(b.positions), sort(b.static)


def test_real_traffic_round_trips_exactly_through_our_decoder(real) -> None:
    positions, static = real
    enc = encode(positions, static)
    pos2, st2, outcomes = decode(enc.data)
    n_lines = enc.data.count(b"\n")
    assert outcomes[Reason.ACCEPTED] + outcomes[Reason.FRAGMENT] == n_lines  # every sentence taken
    assert outcomes.get(Reason.BAD_CHECKSUM, 0) == 0 and outcomes.get(Reason.ORPHAN_FRAGMENT, 0) == 0
    encodable_static = static.filter(pc.not_equal(static["msg_type"], 19))
    assert enc.skipped == ({"static: message type 19 cannot be encoded": static.num_rows - encodable_static.num_rows}
                           if static.num_rows > encodable_static.num_rows else {})
    assert pos2.num_rows == positions.num_rows and st2.num_rows == encodable_static.num_rows
    # every value, time (ms, from the c: tag) and station (s: tag) comes back; n_rx is 1 per sentence now
    assert sort(pos2).drop_columns(["n_rx"]).equals(positions.drop_columns(["n_rx"]))
    assert sort(st2).drop_columns(["n_rx"]).equals(encodable_static.drop_columns(["n_rx"]))


def test_pyais_decodes_our_sentences_to_the_same_values(real, tmp_path: Path) -> None:
    positions, static = real
    pos = positions.take(np.arange(0, positions.num_rows, max(1, positions.num_rows // 1500)))
    enc = encode(pos, static.filter(pc.not_equal(static["msg_type"], 19)), tag_time=None, tag_source=False)
    path = tmp_path / "ours.nmea"
    path.write_bytes(enc.data)
    oracle = oracle_messages(path)
    assert len(oracle) == len(enc)
    p, s = pos.to_pylist(), static.filter(pc.not_equal(static["msg_type"], 19)).to_pylist()
    for msg, row, table in zip(oracle, enc.row, enc.table):
        f = msg.fields
        if table == 0:
            r = p[row]
            assert f["mmsi"] == r["mmsi"] and f["msg_type"] in (r["msg_type"], 18)
            if r["lat"] is None:
                assert (f["lat"], f["lon"]) == (91.0, 181.0)
            else:
                assert f["lat"] == pytest.approx(r["lat"], abs=1e-6) and f["lon"] == pytest.approx(r["lon"], abs=1e-6)
            assert f["speed"] == pytest.approx(102.3 if r["sog"] is None else r["sog"], abs=1e-4)
            assert f["course"] == pytest.approx(360.0 if r["cog"] is None else r["cog"], abs=1e-4)
            assert f["heading"] == (511 if r["heading"] is None else r["heading"])
            assert f["second"] == (60 if r["second"] is None else r["second"])
            assert bool(f["accuracy"]) == bool(r["accuracy"])
            if r["msg_type"] in (1, 2, 3):
                assert f["status"] == r["nav_status"]
        else:
            r = s[row]
            assert f["mmsi"] == r["mmsi"] and f["msg_type"] == r["msg_type"]
            assert (f.get("shipname") or None) == r["name"]
            assert (f.get("callsign") or None) == r["callsign"]
            if r["msg_type"] == 5:
                assert (f["imo"] or None) == r["imo"] and (f["destination"] or None) == r["destination"]
                assert f["draught"] == pytest.approx(r["draught"] or 0.0, abs=1e-4)
                if r["eta"] is not None:
                    assert (f["month"], f["day"], f["hour"], f["minute"]) == (
                        r["eta"].month, r["eta"].day, r["eta"].hour, r["eta"].minute)
            if r["msg_type"] == 5 or r["part"] == 1:
                # pyais maps ship types it has no name for (e.g. 39, reserved) to 0, as in test_nmea_oracle
                assert f["ship_type"] == (0 if r["ship_type"] is None else int(ShipType(r["ship_type"])))
                assert (f["to_bow"] or None) == r["to_bow"]


def test_pyais_decoded_parquet_re_encodes_within_ais_resolution(shared_data: Path) -> None:
    """An independent path: pyais' decoding of the real file, re-encoded by us, decoded by us."""
    src = pq.read_table(shared_data / "ais_dma_decoded/aisabnormal_2013-11-12_positions.parquet")
    lat, lon = src["lat"].to_numpy(), src["lon"].to_numpy()
    ok = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & (src["mmsi"].to_numpy() > 0)
    ok |= (lat == 91) | (lon == 181)
    src = src.filter(pa.array(ok))
    n = src.num_rows
    na = lambda col, bad: pa.array(src[col].to_numpy(), mask=np.isin(src[col].to_numpy(), bad))  # noqa: E731
    no_pos = (src["lat"].to_numpy() == 91) | (src["lon"].to_numpy() == 181)
    table = pa.table({
        "mmsi": src["mmsi"].cast(pa.uint32()),
        "ts": src["rx_time_utc"].cast(pa.timestamp("ms")).cast(schema.TS),
        "lat": pa.array(src["lat"].to_numpy(), mask=no_pos), "lon": pa.array(src["lon"].to_numpy(), mask=no_pos),
        "sog": na("sog", [102.3]).cast(pa.float32()), "cog": na("cog", [360.0]).cast(pa.float32()),
        "heading": na("heading", [511]).cast(pa.uint16()), "nav_status": src["nav_status"].cast(pa.uint8()),
        "rot": pa.array(src["rot"].to_numpy(), mask=np.isnan(src["rot"].to_numpy()) | (np.abs(src["rot"].to_numpy()) > 708),
                        type=pa.float64()).cast(pa.float32()),
        "msg_type": src["msg_type"].cast(pa.uint8()), "accuracy": src["accuracy"],
        "second": na("second", [60, 61, 62, 63]).cast(pa.uint8()), "own_ship": pc.equal(src["talker"], "BSVDO"),
        "source": src["pghp_source_id"].cast(pa.string()), "n_rx": pa.array(np.ones(n, np.uint16)),
    }, schema=schema.POSITIONS)
    table = sort(table)
    enc = encode(table)
    back = sort(decode(enc.data)[0])
    assert back.num_rows == n
    for col, tol in (("lat", 0.5 / 600000), ("lon", 0.5 / 600000), ("sog", 0.05), ("cog", 0.05)):
        a, b = table[col].to_numpy(zero_copy_only=False), back[col].to_numpy(zero_copy_only=False)
        assert np.array_equal(np.isnan(a.astype(float)), np.isnan(b.astype(float))), col
        assert np.nanmax(np.abs(a.astype(float) - b.astype(float))) <= tol + 1e-6, col
    for col in ("mmsi", "ts", "heading", "second", "accuracy", "own_ship", "source"):
        assert back[col].equals(table[col]), col
    classes_a = pc.is_in(table["msg_type"], pa.array([1, 2, 3], pa.uint8()))
    assert back.filter(classes_a)["nav_status"].equals(table.filter(classes_a)["nav_status"])
    rot_a, rot_b = table["rot"].to_numpy(zero_copy_only=False), back["rot"].to_numpy(zero_copy_only=False)
    both = ~np.isnan(rot_a) & ~np.isnan(rot_b.astype(float))
    step = 2 * np.sqrt(np.abs(rot_a[both])) / 4.733 + 0.05  # one raw ROT step at that rate
    assert np.all(np.abs(rot_a[both] - rot_b[both]) <= step)


def _positions(**cols) -> pa.Table:
    n = len(cols["mmsi"])
    base = {"ts": [datetime(2024, 12, 25, 10, 0, s % 60, tzinfo=timezone.utc) for s in range(n)],
            "msg_type": [1] * n, "n_rx": [1] * n}
    base.update(cols)
    return pa.Table.from_pydict({f.name: pa.array(base.get(f.name, [None] * n), f.type) for f in schema.POSITIONS},
                                schema=schema.POSITIONS)


def test_nulls_become_not_available_codes_and_come_back_as_nulls() -> None:
    t = _positions(mmsi=[230000001, 230000002], lat=[None, 59.9], lon=[None, 26.0], sog=[None, 102.2],
                   cog=[None, 359.96], heading=[None, 359], rot=[None, -800.0], msg_type=[1, 18])
    back, _, _ = decode(encode(t).data)
    row0, row1 = back.to_pylist()
    assert [row0[k] for k in ("lat", "lon", "sog", "cog", "heading", "rot", "second")] == [None] * 7
    assert row1["cog"] == 0.0  # 359.96 rounds to 360.0, i.e. north, never "not available"
    assert row1["sog"] == pytest.approx(102.2) and row1["nav_status"] is None  # class B carries no status
    assert row1["msg_type"] == 18


def test_unencodable_rows_are_counted_with_the_reason() -> None:
    t = _positions(mmsi=[1, 2, 3], lat=[59.0, 95.0, 59.0], lon=[25.0, 25.0, 25.0], msg_type=[1, 1, 9])
    enc = encode(t)
    assert len(enc) == 1 and enc.row.tolist() == [0]
    assert enc.skipped == {"positions: position off the globe": 1, "positions: message type 9 cannot be encoded": 1}
    with pytest.raises(ValueError, match="nothing to encode"):
        encode()
    with pytest.raises(ValueError, match="talker"):
        encode(t, talker="AIS")


def test_text_is_upper_cased_cut_and_unsendable_characters_replaced() -> None:
    codes = six_bit_text(pa.array(["Eagle s", "ÅLAND ☃ FERRY WITH A VERY LONG NAME", None, ""]), 20)
    as_text = [bytes(r).decode() for r in codes]
    assert as_text == ["EAGLE S@@@@@@@@@@@@@", "?LAND ? FERRY WITH A", "@" * 20, "@" * 20]


def test_tag_block_options_and_multi_part_sequence_ids(shared_data: Path) -> None:
    t = _positions(mmsi=[230000001], lat=[59.9], lon=[26.0])
    t = t.set_column(1, "ts", pa.array([1735120800123], pa.int64()).cast(schema.TS))
    assert encode(t, tag_time="s", tag_source=False).data.startswith(b"\\c:1735120800*")
    bare = encode(t, tag_time=None, tag_source=False).data
    assert bare.startswith(b"!AIVDM,1,1,,A,") and bare.endswith(b"\r\n")
    _, _, outcomes = decode(bare)
    assert outcomes[Reason.NO_TIMESTAMP] == 1  # no time in the sentence: the decoder needs a clock
    static = pa.Table.from_pylist(
        [{"mmsi": 230000000 + i, "ts": datetime(2024, 12, 25, tzinfo=timezone.utc), "msg_type": 5, "n_rx": 1,
          "name": f"SHIP {i}"} for i in range(12)], schema=schema.STATIC)
    enc = encode(static=static, talker="BS", channel="B")
    lines = enc.data.splitlines()
    assert len(lines) == 24 and all(b"!BSVDM,2," in ln and b",B," in ln for ln in lines)
    seq = [int(ln.rsplit(b"\\", 1)[1].split(b",")[3]) for ln in lines[::2]]
    assert seq == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    _, st, _ = decode(enc.data)
    assert st["name"].to_pylist() == [f"SHIP {i}" for i in range(12)]
