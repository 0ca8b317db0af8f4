"""Live transports on loopback only: TCP reconnect with back-off, UDP datagrams. Bounded in time."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea.decoder import NmeaDecoder
from seawarden.ingest.sources import Backoff, TcpNmeaSource, UdpNmeaSource

STREAM = "ais_nmea_dma/aislib_stream_example_2010-06-11.txt"
FAST = Backoff(initial=0.05, factor=2.0, maximum=0.2, jitter=0.1)


@pytest.fixture(scope="module")
def lines(shared_data: Path) -> list[bytes]:
    return (shared_data / STREAM).read_bytes().splitlines(keepends=True)[:2000]


class RecordingDecoder:
    """Stands in for the NMEA decoder: keeps exactly the bytes the transport delivered."""

    def __init__(self) -> None:
        self.data = bytearray()

    def feed(self, data: bytes, received_at: float | None = None) -> DecodedBatch:
        assert received_at is not None and abs(received_at - time.time()) < 60
        self.data += data
        return DecodedBatch()

    def flush(self) -> DecodedBatch:
        return DecodedBatch()


def serve_in_sessions(sessions: list[bytes], refuse_first: int = 0) -> tuple[int, threading.Thread]:
    """A loopback server sending each session's bytes on one connection, then dropping it."""
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]

    def run() -> None:
        srv.settimeout(10)
        with srv:
            for data in sessions:
                conn, _ = srv.accept()
                with conn:
                    conn.sendall(data)
                    time.sleep(0.1)  # let the client drain before the drop

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, thread


def test_tcp_reconnects_and_loses_no_complete_line(lines: list[bytes]) -> None:
    first, second = b"".join(lines[:1000]), b"".join(lines[1000:])
    cut = lines[1000][:17]  # the server drops the connection in the middle of line 1001
    port, thread = serve_in_sessions([first + cut, second])
    recorder = RecordingDecoder()
    src = TcpNmeaSource("127.0.0.1", port, backoff=FAST, read_timeout=5, decoder=recorder)
    got = b""

    def stop_when_done() -> None:
        deadline = time.monotonic() + 20
        while len(recorder.data) < len(first) + len(cut) + 1 + len(second) and time.monotonic() < deadline:
            time.sleep(0.02)
        src.close()

    threading.Thread(target=stop_when_done, daemon=True).start()
    for _ in src.batches():
        pass
    got = bytes(recorder.data)
    thread.join(5)
    # every complete line arrived in order; the half line was terminated, never glued to the next one
    assert got == first + cut + b"\n" + second
    assert src.counters.connection_attempts >= 2
    assert src.counters.disconnects >= 1
    assert src.counters.delays and src.counters.delays[0] <= FAST.maximum


def test_tcp_decodes_real_sentences_across_a_drop(lines: list[bytes]) -> None:
    first, second = b"".join(lines[:1000]), b"".join(lines[1000:])
    port, thread = serve_in_sessions([first + lines[1000][:17], second])
    src = TcpNmeaSource("127.0.0.1", port, backoff=FAST, read_timeout=5)
    batches: list[DecodedBatch] = []

    def stopper() -> None:
        thread.join(10)
        time.sleep(0.5)
        src.close()

    threading.Thread(target=stopper, daemon=True).start()
    for b in src.batches():
        batches.append(b)
    got = DecodedBatch.concat(batches)
    whole = NmeaDecoder(origin="oracle", clock="receive")
    expected = DecodedBatch.concat([whole.feed(first + second, received_at=time.time()), whole.flush()])
    # the cut line was re-sent complete in the second session, so the same reports decode
    assert got.positions.num_rows == expected.positions.num_rows > 500
    assert got.static.num_rows == expected.static.num_rows
    assert sum(got.stats.rejected.values()) == sum(expected.stats.rejected.values()) + 1  # the half line, counted


def test_tcp_backs_off_while_nobody_listens() -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens here now
    src = TcpNmeaSource("127.0.0.1", port, backoff=Backoff(initial=0.01, factor=2.0, maximum=0.08, jitter=0.0))
    timer = threading.Timer(0.6, src.close)
    timer.start()
    assert list(src.chunks()) == []
    timer.cancel()
    c = src.counters
    assert c.connection_attempts == c.connection_failures >= 4
    assert c.delays[:4] == [0.01, 0.02, 0.04, 0.08] and max(c.delays) == 0.08


def test_tcp_without_reconnect_raises_clearly() -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(ConnectionError, match=f"tcp://127.0.0.1:{port}"):
        list(TcpNmeaSource("127.0.0.1", port, reconnect=False).chunks())


def test_backoff_grows_caps_and_jitters() -> None:
    b = Backoff()
    delays = [b.delay(n) for n in range(10)]
    assert 0.8 <= delays[0] <= 1.2 and 1.6 <= delays[1] <= 2.4
    assert max(delays) <= 60 and delays[-1] >= 48


def test_udp_datagrams_with_many_sentences(lines: list[bytes]) -> None:
    src = UdpNmeaSource("127.0.0.1", 0)
    host, port = src.bind()
    payload = lines[:1200]
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    datagrams = []
    for i in range(0, len(payload), 40):  # 40 lines per datagram; strip the last newline of each
        datagrams.append(b"".join(payload[i : i + 40]).rstrip(b"\r\n"))

    def send() -> None:
        time.sleep(0.1)
        for d in datagrams:
            sender.sendto(d, (host, port))
            time.sleep(0.002)
        time.sleep(0.5)
        src.close()

    threading.Thread(target=send, daemon=True).start()
    got = DecodedBatch.concat(list(src.batches()))
    sender.close()
    oracle = NmeaDecoder(origin="oracle", clock="receive")
    expected = DecodedBatch.concat([oracle.feed(b"".join(payload), received_at=time.time()), oracle.flush()])
    assert src.counters.datagrams == len(datagrams)
    assert got.positions.num_rows == expected.positions.num_rows > 300
    assert got.stats.sentences == expected.stats.sentences
    assert got.stats.rejected == expected.stats.rejected
