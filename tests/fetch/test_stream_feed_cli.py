"""Live stream recording (Kystverket-style, loopback TCP), the NMEA feed server and the `data` CLI."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seawarden.ingest.fetch import FetchError, fetch
from seawarden.ingest.fetch import store
from seawarden.ingest.fetch.catalog import parse_catalog
from seawarden.ingest.fetch.cli import app
from seawarden.ingest.fetch.feed import FeedServer, load_sentences, sentences_from_bytes
from seawarden.ingest.fetch.record import stamp_line, tag_block
from seawarden.ingest.nmea import NmeaDecoder
from seawarden.ingest.rejects import Reason

STREAM_2010 = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"

# Kystverket's own format (tag block with station and time), plus lines a receiver might send without one
KYSTVERKET_LINES = [
    b"\\s:2573555,c:1707873398*05\\!BSVDM,1,1,,A,13mB7d001E1dDH0`KlKBjB?<0490,0*34",
    b"\\s:2573105,c:1707873398*04\\!B2VDM,2,1,4,B,53oHa402;QilhU1D00085=@v0TT000000000000t6`p>440Ht:j3lU1CcCCl,0*7A",
    b"\\s:2573105,c:1707873398*04\\!B2VDM,2,2,4,B,lh000000000,2*5F",
    b"!BSVDM,1,1,,B,13m9ERPP00Pp5opUivG8P?w:0<12,0*6F",
    b"\\s:2573210*1B\\!BSVDM,1,1,,B,13oQg60000PJMu`QhUB6D26v0D18,0*40",
]


def stream_catalog(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    sets = parse_catalog({"kystverket-live": {
        "title": "t", "kind": "stream", "host": "127.0.0.1", "port": port, "minutes": 1, "folder": "live",
        "licence": "NLOD 2.0", "attribution": "Kystverket"}})
    monkeypatch.setattr(store, "dataset", lambda name: sets[name])


def test_stamp_keeps_source_times_and_adds_receive_times() -> None:
    assert stamp_line(KYSTVERKET_LINES[0], 1_700_000_000_123) == (KYSTVERKET_LINES[0], False)
    line, stamped = stamp_line(KYSTVERKET_LINES[3], 1_700_000_000_123)
    assert stamped and line == tag_block(b"c:1700000000123") + KYSTVERKET_LINES[3]
    line, stamped = stamp_line(KYSTVERKET_LINES[4], 5)
    assert stamped and line.startswith(b"\\c:5,s:2573210*")


def test_records_a_kystverket_style_stream_into_a_timestamped_file(home, monkeypatch) -> None:
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    probes = []

    def serve() -> None:
        with srv:
            conn, _ = srv.accept()  # fetch's connection probe
            probes.append(conn.recv(1))
            conn.close()
            conn, _ = srv.accept()
            with conn:
                conn.sendall(b"\r\n".join(KYSTVERKET_LINES[:2]) + b"\r\n" + KYSTVERKET_LINES[2][:20])
                time.sleep(0.2)
                conn.sendall(KYSTVERKET_LINES[2][20:] + b"\r\n" + b"\r\n".join(KYSTVERKET_LINES[3:]) + b"\r\n")
                time.sleep(2.0)

    threading.Thread(target=serve, daemon=True).start()
    stream_catalog(monkeypatch, port)
    path = fetch("kystverket-live", minutes=0.02)
    assert path.parent == home / "data" / "live" and path.name.startswith("kystverket-live_") and path.suffix == ".nmea"
    lines = path.read_bytes().splitlines()
    assert lines[:3] == KYSTVERKET_LINES[:3]  # source-stamped lines kept verbatim, the split line rejoined
    assert all(b"c:" in ln.split(b"\\")[1] for ln in lines)
    decoder = NmeaDecoder(dedup_window_s=None)  # no clock: every sentence must carry its own time now
    batch = decoder.feed(path.read_bytes())
    batch.stats.merge(decoder.flush().stats)
    assert batch.stats.outcomes[Reason.NO_TIMESTAMP] == 0
    # every sentence got a time; the two "!B2VDM" parts (talker B2, Kystverket's stream) are reassembled
    out = batch.stats.outcomes
    assert out[Reason.UNKNOWN_TALKER] == 0
    assert out[Reason.ACCEPTED] == 4 and out[Reason.FRAGMENT] == 1 and batch.positions.num_rows == 3
    assert batch.static.num_rows == 1
    # the mirror then serves the newest recording
    assert fetch("kystverket-live", mirror=home / "data") == path


def test_unreachable_stream_fails_fast_with_the_mirror_hint(home, monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens here
    stream_catalog(monkeypatch, port)
    with pytest.raises(FetchError, match=f"tcp://127.0.0.1:{port}: cannot connect.*SEAWARDEN_MIRROR"):
        fetch("kystverket-live", minutes=0.01)


def read_all(port: int, until: bytes | None = None, idle: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=idle) as c:
        data = bytearray()
        while True:
            try:
                block = c.recv(65536)
            except TimeoutError:
                break
            if not block:
                break
            data += block
    return bytes(data)


def test_feed_serves_every_sentence_unit_and_logs_send_times(shared_data: Path) -> None:
    sentences = load_sentences(shared_data / STREAM_2010)
    raw = (shared_data / STREAM_2010).read_bytes()
    assert len(sentences) == 4500  # one unit per !..VDx line, its $PGHP travelling with it
    with FeedServer(sentences, rate=50_000) as server:
        got = read_all(server.address[1])
        assert server.wait(1, timeout=5)
    assert got == raw
    assert server.sent == 4500 and server.send_log[-1][0] == 4500
    at = server.sent_at([0, 2000, 4499])
    assert at[0] <= at[1] <= at[2]
    decoded = NmeaDecoder(dedup_window_s=None).feed(got)
    assert decoded.stats.outcomes[Reason.ACCEPTED] > 4000


def test_feed_restamps_with_send_time_and_loops(shared_data: Path) -> None:
    sentences = sentences_from_bytes(b"\n".join((shared_data / STREAM_2010).read_bytes().splitlines()[:200]) + b"\n")
    server = FeedServer(sentences, rate=20_000, restamp=True, loop=True)
    port = server.start()[1]
    t0 = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=2) as c:
        data = bytearray()
        while data.count(b"\n") < 450:
            data += c.recv(65536)
    server.stop()
    lines = bytes(data).splitlines()[:450]
    assert all(ln.startswith(b"\\c:") and b"$PGHP" not in ln for ln in lines)
    stamps = [int(ln[3:ln.index(b"*")]) for ln in lines]
    assert t0 * 1000 - 1 <= stamps[0] <= stamps[-1] <= time.time() * 1000
    batch = NmeaDecoder(dedup_window_s=None).feed(b"\n".join(lines) + b"\n")
    assert batch.stats.outcomes[Reason.NO_TIMESTAMP] == 0 and batch.positions.num_rows > 300


def test_feed_rejects_files_without_sentences(tmp_path: Path) -> None:
    p = tmp_path / "x.nmea"
    p.write_bytes(b"$GPGGA,1,2,3*00\n")
    with pytest.raises(ValueError, match="x.nmea: no AIS sentences"):
        load_sentences(p)


runner = CliRunner()


def test_cli_list_fetch_and_path_with_a_mirror(home, shared_data: Path, monkeypatch) -> None:
    monkeypatch.setenv("SEAWARDEN_MIRROR", str(shared_data))
    out = runner.invoke(app, ["list"])
    assert out.exit_code == 0 and "dma-aisdk" in out.stdout and "CC BY-NC-SA" in out.stdout
    out = runner.invoke(app, ["fetch", "dma-nmea-2010"])
    assert out.exit_code == 0 and out.stdout.strip() == str(shared_data / STREAM_2010)
    out = runner.invoke(app, ["path", "dma-aisdk", "--date", "2024-03-01"])
    assert out.exit_code == 1 and "ais_dma_aisdk/aisdk-2024-03-01.zip" in out.stdout
    out = runner.invoke(app, ["fetch", "emodnet-pipelines"])
    assert out.exit_code == 2 and "emodnet_human_activities/pipelines.geojson" in out.output


def test_cli_feed_serves_one_client(shared_data: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    got: list[bytes] = []

    def client() -> None:
        for _ in range(100):
            try:
                got.append(read_all(port))
                return
            except OSError:
                time.sleep(0.05)

    t = threading.Thread(target=client)
    t.start()
    out = runner.invoke(app, ["feed", str(shared_data / STREAM_2010), "--port", str(port), "--rate", "100000",
                              "--clients", "1"])
    t.join()
    assert out.exit_code == 0, out.output
    assert got and got[0] == (shared_data / STREAM_2010).read_bytes()
    assert "sent 4500 sentences to 1 client" in out.output
