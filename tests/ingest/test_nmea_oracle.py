"""Every decoded field equals what pyais decodes from the same sentence(s), on every real corpus."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pytest
from pyais.constants import ShipType

from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.nmea.layouts import KEY_24B, REQUIRED_BITS

from nmea_oracle import OracleMessage, oracle_messages

CORPORA = [
    "ais_nmea_test_corpora/aisdb/test_data_20211101.nm4",
    "ais_nmea_test_corpora/gpsd/ais-18-27.log",
    "ais_nmea_test_corpora/gpsd/ais-nmea-type6-fid55.log",
    "ais_nmea_test_corpora/gpsd/ais-nmea.log",
    "ais_nmea_test_corpora/gpsd/ais-raw-messages.log",
    "ais_nmea_test_corpora/gpsd/ais_unpack_sixbit.log",
    "ais_nmea_test_corpora/gpsd/sample.aivdm",
    "ais_nmea_test_corpora/libais/tagblock.nmea",
    "ais_nmea_test_corpora/libais/test.aivdm",
    "ais_nmea_test_corpora/libais/typeexamples.nmea",
    "ais_nmea_test_corpora/pyais/ais_test_messages",
    "ais_nmea_test_corpora/pyais/gatehouse.nmea",
    "ais_nmea_test_corpora/pyais/messages.ais",
    "ais_nmea_test_corpora/pyais/mixed.txt",
    "ais_nmea_test_corpora/pyais/nmea_data_sample.txt",
    "ais_nmea_test_corpora/pyais/sample.ais",
    "ais_nmea_test_corpora/pyais/timestamped.ais",
    "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz",
    "ais_nmea_dma/aislib_stream_example_2010-06-11.txt",
]
POSITION = {1, 2, 3, 18, 19, 27}
STATIC = {5, 19, 24}
CLOCK = datetime(2020, 1, 1, tzinfo=timezone.utc)


def expected_rejection(m: OracleMessage) -> bool:
    """What seawarden rejects by design although pyais decodes it."""
    f = m.fields
    t = f["msg_type"]
    key = KEY_24B if t == 24 and f.get("partno") == 1 else t
    if m.nbits < REQUIRED_BITS[min(key, KEY_24B)]:
        return True  # too short for every field we read: bad payload length
    if t in POSITION | STATIC and f["mmsi"] == 0:
        return True
    if t in POSITION:
        lat, lon = f["lat"], f["lon"]
        if (lat is not None and lat != 91 and abs(lat) > 90) or (lon is not None and lon != 181 and abs(lon) > 180):
            return True
    return False


def decode_groups(groups: list[OracleMessage]) -> tuple[dict[str, pa.Table], dict]:
    dec = NmeaDecoder(origin="test", clock=CLOCK, dedup_window_s=None)
    batch = dec.feed(b"\n".join(s for g in groups for s in g.sentences) + b"\n")
    tail = dec.flush()
    stats = batch.stats.as_dict()
    assert tail.n_rows == 0
    return {"positions": batch.positions, "static": batch.static, "other": batch.other}, stats


def none_if(value, *na):
    return None if value in na else value


def check_position(ours: dict, f: dict) -> None:
    t = f["msg_type"]
    assert ours["mmsi"] == f["mmsi"] and ours["msg_type"] == t
    if f["lat"] == 91 or f["lon"] == 181:
        assert ours["lat"] is None and ours["lon"] is None
    else:
        assert abs(ours["lat"] - f["lat"]) <= 1.1e-6 and abs(ours["lon"] - f["lon"]) <= 1.1e-6
    if t == 27:
        assert ours["sog"] == none_if(f["speed"], 63)
        assert ours["cog"] == (None if f["course"] >= 360 else f["course"])
        assert ours["heading"] is None and ours["rot"] is None and ours["second"] is None
    else:
        sog = none_if(f["speed"], 102.3)
        assert (ours["sog"] is None) == (sog is None) and (sog is None or math.isclose(ours["sog"], sog, abs_tol=1e-4))
        cog = None if f["course"] >= 360 else f["course"]
        assert (ours["cog"] is None) == (cog is None) and (cog is None or math.isclose(ours["cog"], cog, abs_tol=1e-4))
        assert ours["heading"] == (None if f["heading"] >= 360 else f["heading"])
        assert ours["second"] == (None if f["second"] >= 60 else f["second"])
    if t in (1, 2, 3):
        assert ours["nav_status"] == f["status"]
        turn = f["turn"]
        if abs(turn) in (127, 128):
            assert ours["rot"] is None
        else:
            assert abs(ours["rot"] - turn) <= 0.5  # pyais rounds to whole degrees per minute
    elif t == 27:
        assert ours["nav_status"] == f["status"]
    else:
        assert ours["nav_status"] is None and ours["rot"] is None
    assert ours["accuracy"] == bool(f["accuracy"])


def check_static(ours: dict, f: dict) -> None:
    t = f["msg_type"]
    assert ours["mmsi"] == f["mmsi"] and ours["msg_type"] == t
    if t == 5:
        assert ours["imo"] == none_if(f["imo"], 0)
        assert ours["callsign"] == none_if(f["callsign"], "")
        assert ours["destination"] == none_if(f["destination"], "")
        assert ours["draught"] == pytest.approx(none_if(f["draught"], 0), abs=1e-4) if f["draught"] else ours["draught"] is None
        if 1 <= f["month"] <= 12 and 1 <= f["day"] <= 31 and f["hour"] < 24 and f["minute"] < 60 and ours["eta"] is not None:
            eta = ours["eta"]
            assert (eta.month, eta.day, eta.hour, eta.minute) == (f["month"], f["day"], f["hour"], f["minute"])
    if t in (5, 19) or (t == 24 and f["partno"] == 0):
        assert ours["name"] == none_if(f["shipname"], "")
    if t in (5, 19) or (t == 24 and f["partno"] == 1):
        # pyais folds reserved codes into its enum (66 -> 65, 9 -> 0); we keep the transmitted code
        assert (0 if ours["ship_type"] is None else int(ShipType(ours["ship_type"]))) == f["ship_type"]
        aux = t == 24 and f["mmsi"] // 10_000_000 == 98
        for dim in ("to_bow", "to_stern", "to_port", "to_starboard"):
            assert ours[dim] == (None if aux else none_if(f[dim], 0))
    if t == 24:
        assert ours["part"] == f["partno"]
        if f["partno"] == 1:
            assert ours["callsign"] == none_if(f["callsign"], "")


@pytest.mark.parametrize("corpus", CORPORA)
def test_every_field_matches_pyais(shared_data: Path, corpus: str) -> None:
    messages = oracle_messages(shared_data / corpus)
    assert messages, f"pyais found no message in {corpus}"
    singles = [m for m in messages if len(m.sentences) == 1]
    multis = [m for m in messages if len(m.sentences) > 1]
    compared = 0
    for groups in (singles, multis):
        if not groups:
            continue
        tables, stats = decode_groups(groups)
        kept = [m for m in groups if not expected_rejection(m)]
        rejected = len(groups) - len(kept)
        assert sum(stats["rejected"].values()) == rejected, (corpus, stats["rejected"])
        rows = {name: iter(t.to_pylist()) for name, t in tables.items()}
        for m in kept:
            t = m.fields["msg_type"]
            if t in POSITION:
                check_position(next(rows["positions"]), m.fields)
            if t in STATIC:
                check_static(next(rows["static"]), m.fields)
            if t not in POSITION | STATIC:
                row = next(rows["other"])
                assert (row["mmsi"], row["msg_type"]) == (m.fields["mmsi"], t)
                assert row["payload"] == b"".join(s.split(b",")[5] for s in m.sentences).decode()
            compared += 1
        for name, it in rows.items():
            assert next(it, None) is None, f"{corpus}: more {name} rows than pyais messages"
    assert compared > 0
