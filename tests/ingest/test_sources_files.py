"""NMEA files, Parquet (own + aliased trajectories) and open_source dispatch, on the real data."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea.decoder import NmeaDecoder
from seawarden.ingest.rejects import Reason
from seawarden.ingest.sources import (
    DmaCsvSource,
    KystverketCsvSource,
    MissingTimestampError,
    NmeaFileSource,
    NoaaCsvSource,
    ParquetSource,
    TcpNmeaSource,
    UdpNmeaSource,
    open_source,
)

AISLIB = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"
ABNORMAL = "ais_nmea_dma/aisabnormal_ais-sample_2013-11-12.txt.gz"
NY_TRAJ = "ais_noaa_marinecadastre/NYHarbor_2020-12-01_to_07_trajectories.parquet"
US_TRAJ = "ais_noaa_marinecadastre/US_coastal_2020-06-30_trajectories.parquet"


def read_all(source) -> DecodedBatch:  # noqa: ANN001
    return DecodedBatch.concat(source.batches())


def test_nmea_file_chunked_equals_one_shot(shared_data: Path) -> None:
    """Small chunks (lines and multi-part messages cut everywhere) decode like the whole file at once."""
    path = shared_data / AISLIB
    dec = NmeaDecoder(origin=str(path))
    whole = DecodedBatch.concat([dec.feed(path.read_bytes()), dec.flush()])
    seen: list[tuple[int, int]] = []
    chunked = read_all(NmeaFileSource(path, chunk_bytes=4093, progress=lambda d, t: seen.append((d, t))))
    assert chunked.positions.drop(["source"]).equals(whole.positions.drop(["source"]))
    # reassembled multi-part messages come out when their last part arrives: same rows, chunk-dependent order
    keys = [(k, "ascending") for k in ("mmsi", "ts", "msg_type", "part", "name", "callsign")]
    assert chunked.static.drop(["source"]).sort_by(keys).equals(whole.static.drop(["source"]).sort_by(keys))
    assert chunked.stats.as_dict() == whole.stats.as_dict()
    size = path.stat().st_size
    assert len(seen) > 100 and seen[-1] == (size, size) and [d for d, _ in seen] == sorted(d for d, _ in seen)



def test_nmea_file_chunked_keeps_station_sources(shared_data: Path) -> None:
    path = shared_data / AISLIB
    dec = NmeaDecoder(origin=str(path))
    whole = DecodedBatch.concat([dec.feed(path.read_bytes()), dec.flush()])
    chunked = read_all(NmeaFileSource(path, chunk_bytes=4093))
    assert chunked.positions["source"].equals(whole.positions["source"])


def test_nmea_gz_file_streams(shared_data: Path) -> None:
    path = shared_data / ABNORMAL
    raw = gzip.decompress(path.read_bytes())
    dec = NmeaDecoder(origin=str(path))
    whole = DecodedBatch.concat([dec.feed(raw), dec.flush()])
    batches = list(NmeaFileSource(path, chunk_bytes=256 << 10).batches())
    assert len(batches) >= 12  # 3.1 MB raw in 256 KiB chunks: streamed, not read whole
    got = DecodedBatch.concat(batches)
    assert got.positions.num_rows == whole.positions.num_rows > 10000
    assert got.positions.equals(whole.positions)
    assert got.stats.sentences == 26146  # SOURCE.md


def test_nmea_file_without_timestamps_needs_a_clock(shared_data: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.nmea"
    lines = (shared_data / AISLIB).read_bytes().splitlines(True)
    # only the sentences, minus the two that end in a unix time of their own (",1276256770")
    bare.write_bytes(b"".join(l for l in lines if l.startswith(b"!") and l.count(b",") == 6))
    with pytest.raises(MissingTimestampError, match=r"bare\.nmea.*--clock"):
        read_all(NmeaFileSource(bare))
    assumed = datetime(2010, 6, 11, 12, 0, tzinfo=timezone.utc)
    got = read_all(NmeaFileSource(bare, clock=assumed))
    assert got.positions.num_rows > 1000 and got.stats.outcomes[Reason.NO_TIMESTAMP] == 0
    assert set(got.positions["ts"].to_pylist()) == {assumed}


def test_generic_trajectory_parquet(shared_data: Path) -> None:
    b = read_all(ParquetSource(shared_data / NY_TRAJ, batch_rows=50_000))
    assert b.positions.schema == schema.POSITIONS
    assert b.positions.num_rows == 172679  # SOURCE.md
    assert pc.count_distinct(b.positions["mmsi"]).as_py() == 140
    ts = b.positions["ts"]
    assert pc.min(ts).as_py() == datetime(2020, 12, 1, 4, 49, 45, tzinfo=timezone.utc)
    assert pc.max(ts).as_py() == datetime(2020, 12, 7, 23, 29, 51, tzinfo=timezone.utc)
    first = pq.read_table(shared_data / NY_TRAJ).slice(0, 1).to_pylist()[0]
    row = b.positions.slice(0, 1).to_pylist()[0]
    assert (row["mmsi"], row["lat"], row["lon"]) == (first["mmsi"], first["lat"], first["lon"])
    assert row["msg_type"] == 0 and row["sog"] is None  # not in the file: unknown, never invented
    us = read_all(ParquetSource(shared_data / US_TRAJ))
    assert us.positions.num_rows == 235967 and pc.count_distinct(us.positions["mmsi"]).as_py() == 1185


def test_own_parquet_with_siblings(shared_data: Path, tmp_path: Path) -> None:
    """What `seawarden decode -o OUT.parquet` writes reads back equal, static and other included."""
    decoded = read_all(NmeaFileSource(shared_data / AISLIB))
    out = tmp_path / "OUT.parquet"
    pq.write_table(decoded.positions, out, row_group_size=1000)
    pq.write_table(decoded.static, tmp_path / "OUT.static.parquet")
    pq.write_table(decoded.other, tmp_path / "OUT.other.parquet")
    again = read_all(ParquetSource(out, batch_rows=700))
    assert again.positions.equals(decoded.positions)
    assert again.static.equals(decoded.static)
    assert again.other.equals(decoded.other)
    only_static = read_all(ParquetSource(tmp_path / "OUT.static.parquet"))
    assert only_static.static.equals(decoded.static) and only_static.positions.num_rows == 0


def test_parquet_bad_rows_counted_and_missing_columns_named(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(
        pa.table({"MMSI": [219000001, 0, 219000003, None], "Timestamp": ["2024-01-01T00:00:00"] * 4,
                  "Latitude": [55.0, 55.0, 95.0, 55.0], "Longitude": [12.0, 12.0, 12.0, 181.0]}),  # fmt: skip
        path,
    )
    b = read_all(ParquetSource(path))
    assert b.positions["mmsi"].to_pylist() == [219000001]
    assert b.stats.rejected == {"impossible_value": 2, "malformed": 1}
    nolat = tmp_path / "nolat.parquet"
    pq.write_table(pa.table({"mmsi": [1], "ts": [1]}), nolat)
    with pytest.raises(ValueError, match=r"nolat\.parquet.*lat.*lon"):
        read_all(ParquetSource(nolat))


def test_open_source_dispatch(shared_data: Path, tmp_path: Path) -> None:
    assert isinstance(open_source(shared_data / "ais_csv_dma_2022-09-17_sample/aisdk_2022-09-17_10k_rows.csv.gz"), DmaCsvSource)
    assert isinstance(open_source(shared_data / "ais_noaa_marinecadastre/noaa_2023-01-11_1000_rows.csv.gz"), NoaaCsvSource)
    assert isinstance(open_source(shared_data / "ais_noaa_marinecadastre/NYHarbor_2020-06-30_first_hour.csv.gz"), NoaaCsvSource)
    kyst = shared_data / "ais_csv_kystverket_2022-09-01_vestland/kystverket_vestland_2022-09-01_10k_rows.csv.gz"
    assert isinstance(open_source(kyst), KystverketCsvSource)
    assert isinstance(open_source(shared_data / NY_TRAJ), ParquetSource)
    assert isinstance(open_source(shared_data / AISLIB), NmeaFileSource)
    assert isinstance(open_source(shared_data / ABNORMAL), NmeaFileSource)
    tcp = open_source("tcp://153.44.253.27:5631")  # constructed only: no connection is made
    assert isinstance(tcp, TcpNmeaSource) and (tcp.host, tcp.port, tcp.name) == ("153.44.253.27", 5631, "tcp://153.44.253.27:5631")
    assert isinstance(open_source("udp://127.0.0.1:10110"), UdpNmeaSource)
    unknown = tmp_path / "x.csv"
    unknown.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match=r"x\.csv.*Supported layouts: dma.*noaa.*kystverket"):
        open_source(unknown)
    with pytest.raises(FileNotFoundError, match="nope.nmea"):
        open_source(tmp_path / "nope.nmea")
    with pytest.raises(ValueError, match="tcp://host:port"):
        open_source("tcp://nohost")
    with pytest.raises(ValueError, match="unsupported source"):
        open_source("http://example.org/feed")
