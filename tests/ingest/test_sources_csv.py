"""CSV archive readers on the real DMA / NOAA / Kystverket samples, malformed rows, DMA round trip."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.rejects import Quarantine, Reason
from seawarden.ingest.sources import DmaCsvSource, KystverketCsvSource, NoaaCsvSource, write_dma_csv

DMA = "ais_csv_dma_2022-09-17_sample/aisdk_2022-09-17_10k_rows.csv.gz"
NOAA_NY = "ais_noaa_marinecadastre/NYHarbor_2020-06-30_first_hour.csv.gz"
NOAA_2023 = "ais_noaa_marinecadastre/noaa_2023-01-11_1000_rows.csv.gz"
KYST = "ais_csv_kystverket_2022-09-01_vestland/kystverket_vestland_2022-09-01_10k_rows.csv.gz"
UTC = timezone.utc


def read_all(source) -> DecodedBatch:  # noqa: ANN001
    return DecodedBatch.concat(source.batches())


def row_of(tbl, mmsi: int) -> dict:  # noqa: ANN001
    return tbl.filter(pc.equal(tbl["mmsi"], mmsi)).slice(0, 1).to_pylist()[0]


@pytest.fixture(scope="module")
def dma(shared_data: Path) -> DecodedBatch:
    return read_all(DmaCsvSource(shared_data / DMA))


def test_dma_counts_and_schemas(dma: DecodedBatch) -> None:
    # SOURCE.md: Class A 7,992 + Class B 1,539 positions; Base Station 408 + AtoN 62 -> OTHER
    assert dma.positions.schema == schema.POSITIONS
    assert dma.static.schema == schema.STATIC
    assert dma.other.schema == schema.OTHER
    assert dma.positions.num_rows == 7992 + 1539
    assert dma.other.num_rows == 408 + 62
    assert dma.stats.lines == 10001 and dma.stats.outcomes[Reason.ACCEPTED] == 10001
    assert dict(zip(*[x.to_pylist() for x in pc.value_counts(dma.other["msg_type"]).flatten()])) == {4: 408, 21: 62}
    assert set(dma.other["payload"].to_pylist()) == {""}


def test_dma_static_only_on_change(shared_data: Path, dma: DecodedBatch) -> None:
    """Independent count with the csv module: a vessel's static tuple differs from its previous one."""
    last: dict[str, tuple] = {}
    changes = 0
    with gzip.open(shared_data / DMA, "rt", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Type of mobile"] not in ("Class A", "Class B"):
                continue
            t = (r["IMO"].replace("Unknown", ""), r["Callsign"], r["Name"], r["Ship type"].replace("Undefined", ""),
                 r["Cargo type"], r["A"], r["B"], r["C"], r["D"], r["Draught"], r["Destination"], r["ETA"])  # fmt: skip
            if any(t) and last.get(r["MMSI"]) != t:
                changes += 1
                last[r["MMSI"]] = t
    assert dma.static.num_rows == changes == 1991


def test_dma_spot_values(dma: DecodedBatch) -> None:
    # raw row: 4,17/09/2022 13:03:21,Class A,219805000,56.677747,7.623442,Under way using engine,,11.7,33.1,27.0,
    #          9722405,OWPW2,TERNFJORD,Tanker,Reserved for future use,22.0,147.0,GPS,8.6,NO SLG,18/09/2022 06:00:00,AIS,120,27,4,18
    p = row_of(dma.positions, 219805000)
    assert p["ts"] == datetime(2022, 9, 17, 13, 3, 21, tzinfo=UTC)
    assert (p["lat"], p["lon"], p["heading"], p["nav_status"], p["msg_type"]) == (56.677747, 7.623442, 27, 0, 1)
    assert p["sog"] == pytest.approx(11.7) and p["cog"] == pytest.approx(33.1) and p["rot"] is None
    s = row_of(dma.static, 219805000)
    assert (s["imo"], s["callsign"], s["name"], s["ship_type"]) == (9722405, "OWPW2", "TERNFJORD", 85)
    assert (s["to_bow"], s["to_stern"], s["to_port"], s["to_starboard"]) == (120, 27, 4, 18)
    assert s["draught"] == pytest.approx(8.6) and s["destination"] == "NO SLG"
    assert s["eta"] == datetime(2022, 9, 18, 6, 0, tzinfo=UTC)
    # row 1: Class A 3638 at lat 91 ("not available") -> null, never 91
    assert row_of(dma.positions, 3638)["lat"] is None
    assert pc.max(dma.positions["lat"]).as_py() < 90
    # Class B (211773300 MARUIA): no nav status field -> null; "Pleasure" -> 37
    b = row_of(dma.positions, 211773300)
    assert (b["msg_type"], b["nav_status"], b["heading"]) == (18, None, None)
    assert row_of(dma.static, 211773300)["ship_type"] == 37
    # base station 2190048 reported lat 91 -> null in OTHER
    assert row_of(dma.other, 2190048)["lat"] is None


def test_dma_round_trip(dma: DecodedBatch, tmp_path: Path) -> None:
    out = tmp_path / "aisdk.csv"
    assert write_dma_csv(dma, out) == 10001
    again = read_all(DmaCsvSource(out))
    assert again.positions.equals(dma.positions)
    assert again.static.equals(dma.static)
    assert again.other.equals(dma.other)


def test_small_blocks_give_the_same_tables(shared_data: Path, dma: DecodedBatch) -> None:
    """Static de-duplication holds across batch boundaries (64 KiB blocks -> many batches)."""
    batches = list(DmaCsvSource(shared_data / DMA, block_bytes=64 << 10).batches())
    assert len(batches) > 10
    merged = DecodedBatch.concat(batches)
    assert merged.positions.equals(dma.positions)
    assert merged.static.sort_by([("mmsi", "ascending"), ("ts", "ascending")]).equals(
        dma.static.sort_by([("mmsi", "ascending"), ("ts", "ascending")])
    )


def test_noaa_ny_header_variant(shared_data: Path) -> None:
    b = read_all(NoaaCsvSource(shared_data / NOAA_NY))
    assert b.positions.num_rows == 8689 and b.stats.rejected == {}
    assert pc.count_distinct(b.positions["mmsi"]).as_py() == 295
    # 2020-06-30T00:00:00,-74.02433,40.54291,366999618,19.0,-61.8,349.0,CG SHRIKE,,NPBG,90.0,0.0,26.0,5.0,,,B,...
    p = row_of(b.positions, 366999618)
    assert (p["lat"], p["lon"], p["heading"], p["msg_type"]) == (40.54291, -74.02433, 349, 18)
    assert p["cog"] == pytest.approx(409.6 - 61.8, abs=1e-4)  # signed 12-bit COG restored: 347.8 ~ heading 349
    s = row_of(b.static, 367000140)  # SAMUEL I NEWHOUSE, IMO7702774, length 94, width 21
    assert (s["imo"], s["name"], s["ship_type"]) == (7702774, "SAMUEL I NEWHOUSE", 60)
    assert s["to_bow"] + s["to_stern"] == 94 and s["to_port"] + s["to_starboard"] == 21
    # after the fix no course is negative, and moving vessels' COG agrees with their heading
    assert pc.min(b.positions["cog"]).as_py() >= 0
    moving = b.positions.filter(pc.and_(pc.greater(b.positions["sog"], 5), pc.is_valid(b.positions["heading"])))
    diff = pc.abs(pc.subtract(pc.cast(moving["heading"], "float64"), pc.cast(moving["cog"], "float64")))
    diff = pc.min_element_wise(diff, pc.subtract(360, diff))
    assert pc.mean(pc.less(diff, 20)).as_py() > 0.9


def test_noaa_2023_header_variant(shared_data: Path) -> None:
    b = read_all(NoaaCsvSource(shared_data / NOAA_2023))
    assert b.positions.num_rows == 1000 and pc.count_distinct(b.positions["mmsi"]).as_py() == 1000
    # 367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,0.0,,,,52.0,A
    p = row_of(b.positions, 367752440)
    assert (p["cog"], p["heading"], p["nav_status"], p["msg_type"]) == (None, 95, 0, 1)  # COG 360 = n/a
    assert row_of(b.static, 367752440)["ship_type"] == 31
    assert b.positions.filter(pc.is_null(b.positions["sog"])).num_rows == 4  # the 4 rows with SOG 102.3 (awk)


def test_kystverket(shared_data: Path) -> None:
    b = read_all(KystverketCsvSource(shared_data / KYST))
    assert b.positions.num_rows == 10001
    counts = dict(zip(*[x.to_pylist() for x in pc.value_counts(b.positions["mmsi"]).flatten()]))
    assert counts[257725000] == 6392 and len(counts) == 5
    assert b.static.num_rows == 5  # IMO and length never change within the day
    # 0;257706000;9436161;48;2022-09-01 20:27:05;5.3068;60.3937;3.0;104.9;112;0;1
    p = b.positions.slice(0, 1).to_pylist()[0]
    assert p["ts"] == datetime(2022, 9, 1, 20, 27, 5, tzinfo=UTC)
    assert (p["mmsi"], p["lat"], p["lon"], p["heading"], p["nav_status"], p["msg_type"]) == (
        257706000, 60.3937, 5.3068, 112, 0, 1)  # fmt: skip
    s = row_of(b.static, 257706000)
    assert s["imo"] == 9436161 and s["to_bow"] + s["to_stern"] == 48


MALFORMED_DMA = """\
,# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D
0,17/09/2022 13:03:21,Class A,219019966,56.003917,8.123267,Engaged in fishing,0.0,0.0,81.9,241.0,Unknown,OWWA,VIBEKE BRAM,Fishing,,8.0,35.0,GPS,5.5,,,AIS,10.0,25.0,3.0,5.0
1,17/09/2022 13:03:21,Class A,219019967,95.5,8.1,Engaged in fishing,0.0,0.0,81.9,241.0,Unknown,,,Fishing,,,,GPS,,,,AIS,,,,
2,17/09/2022 13:03:21,Class A,219019968,abc,8.1,Engaged in fishing,0.0,0.0,81.9,241.0,Unknown,,,Fishing,,,,GPS,,,,AIS,,,,
3,not a time,Class A,219019969,56.0,8.1,Engaged in fishing,0.0,0.0,81.9,241.0,Unknown,,,Fishing,,,,GPS,,,,AIS,,,,
4,17/09/2022 13:03:21,Class A,219019970,56.0
5,17/09/2022 13:03:21,Hovercraft,219019971,56.0,8.1,Moored,,,,,Unknown,,,Fishing,,,,GPS,,,,AIS,,,,
6,17/09/2022 13:03:21,Class A,0,56.0,8.1,Moored,,,,,Unknown,,,Fishing,,,,GPS,,,,AIS,,,,
7,17/09/2022 13:03:22,Class A,219019966,56.003917,8.123267,Engaged in fishing,0.0,0.0,81.9,400.0,Unknown,OWWA,VIBEKE BRAM,Fishing,,8.0,35.0,GPS,5.5,,,AIS,10.0,25.0,3.0,5.0
"""


def test_malformed_rows_counted_and_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(MALFORMED_DMA)
    with Quarantine(tmp_path / "q.jsonl") as q:
        b = read_all(DmaCsvSource(path, quarantine=q))
    assert b.positions.num_rows == 1 and b.positions["mmsi"].to_pylist() == [219019966]
    # lat 95.5, MMSI 0, heading 400 are impossible; "abc", bad time, short row, unknown mobile type are bad rows
    assert b.stats.rejected == {"impossible_value": 3, "bad_csv_row": 4}
    assert b.stats.lines == 8
    lines = [json.loads(x) for x in (tmp_path / "q.jsonl").read_text().splitlines()]
    assert len(lines) == 7 and all(str(path) in x["origin"] for x in lines)
    assert any("Hovercraft" in x["line"] and x["reason"] == "bad_csv_row" for x in lines)


HEADER = MALFORMED_DMA.splitlines()[0]
GOOD = MALFORMED_DMA.splitlines()[1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=200), where=st.integers(min_value=0, max_value=len(GOOD)))
def test_arbitrary_bytes_in_a_row_never_crash(tmp_path: Path, junk: bytes, where: int) -> None:
    """Arbitrary bytes spliced into a real row: every input row ends counted (accepted or rejected)."""
    raw = GOOD.encode()
    data = HEADER.encode() + b"\n" + GOOD.encode() + b"\n" + raw[:where] + junk + raw[where:] + b"\n" + GOOD.encode() + b"\n"
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    b = read_all(DmaCsvSource(path))
    total = sum(b.stats.outcomes.values())
    assert b.stats.lines == total
    assert b.positions.num_rows == b.stats.outcomes[Reason.ACCEPTED]
    assert b.positions.num_rows >= 2 or total > b.positions.num_rows  # losses are counted, never silent
    assert all(r.is_rejection or r == Reason.ACCEPTED for r in b.stats.outcomes)
