"""Live NMEA feeds: a TCP client with reconnect/back-off and a UDP listener.

Both read as much as the socket has, and hand the decoder one chunk per 64 KiB or per 20 ms
(whichever comes first): one decoder call per sentence would cost more than the decoding itself,
while the 20 ms ceiling is most of what a sentence waits before detection (bench/live.py: 50 ms
made the sentence -> alert p99 ~30 ms longer; a detector call on a few rows costs ~0.3 ms, so a
quiet feed pays little for it, and a busy one is merged into fewer calls by the watch's backlog). The time a chunk's first byte arrived is its
``received_at`` (the clock of sentences that carry no time of their own when ``clock="receive"``).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea.decoder import Clock, NmeaDecoder
from seawarden.ingest.rejects import Quarantine

_POLL_S = 0.25  # how often an idle reader looks at the stop event


class Decoder(Protocol):
    def feed(self, data: bytes, received_at: float | None = None) -> DecodedBatch: ...
    def flush(self) -> DecodedBatch: ...


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off between reconnects: initial * factor**n, capped, with +-jitter (a fraction).

    Jitter keeps many clients that lost the same server from reconnecting in lock-step.
    """

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    jitter: float = 0.2

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        base = min(self.maximum, self.initial * self.factor ** max(failures, 0))
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, min(self.maximum, base * (1.0 + spread)))


@dataclass
class LinkCounters:
    """What a live source went through; read them at any time from another thread."""

    connection_attempts: int = 0
    connection_failures: int = 0  # attempts that never connected
    disconnects: int = 0  # established connections that ended (closed by peer, error, read timeout)
    read_timeouts: int = 0
    bytes_received: int = 0
    datagrams: int = 0
    chunks: int = 0
    last_error: str = ""
    delays: list[float] = field(default_factory=list)  # back-off waits actually taken, for operators/tests


class _Batcher:
    """Collects received bytes until the chunk is big enough or old enough to decode."""

    def __init__(self, max_bytes: int, max_delay: float) -> None:
        self.max_bytes = max_bytes
        self.max_delay = max_delay
        self.buf = bytearray()
        self.first_mono = 0.0
        self.first_wall = 0.0

    def add(self, data: bytes) -> None:
        if not self.buf:
            self.first_mono, self.first_wall = time.monotonic(), time.time()
        self.buf += data

    def due(self) -> bool:
        return bool(self.buf) and (
            len(self.buf) >= self.max_bytes or time.monotonic() - self.first_mono >= self.max_delay
        )

    def wait_budget(self) -> float:
        """How long the next socket read may block."""
        if not self.buf:
            return _POLL_S
        return max(0.001, self.first_mono + self.max_delay - time.monotonic())

    def take(self) -> tuple[bytes, float]:
        out = (bytes(self.buf), self.first_wall)
        self.buf.clear()
        return out


class _LiveSource:
    """Shared decoding loop and stop handling of the TCP and UDP sources."""

    name: str

    def __init__(
        self,
        clock: Clock,
        quarantine: Quarantine | None,
        decoder: Decoder | None,
        stop: threading.Event | None,
        max_batch_bytes: int,
        max_batch_delay: float,
    ) -> None:
        self.stop_event = stop or threading.Event()
        self.counters = LinkCounters()
        self._decoder = decoder
        self._clock = clock
        self._quarantine = quarantine
        self._max_batch_bytes = max_batch_bytes
        self._max_batch_delay = max_batch_delay
        self._sock: socket.socket | None = None

    def decoder(self) -> Decoder:
        if self._decoder is None:
            self._decoder = NmeaDecoder(origin=self.name, clock=self._clock, quarantine=self._quarantine)
        return self._decoder

    def chunks(self) -> Iterator[tuple[bytes, float]]:
        raise NotImplementedError

    def batches(self) -> Iterator[DecodedBatch]:
        """Decoded batches until :meth:`close` (or the stop event); empty chunks are not yielded."""
        decoder = self.decoder()
        for data, received_at in self.chunks():
            batch = decoder.feed(data, received_at=received_at)
            if batch.n_rows or batch.stats.lines:
                yield batch
        yield decoder.flush()

    def close(self) -> None:
        """Stop reading (from any thread); the batch iterator ends after its current chunk."""
        self.stop_event.set()
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _batcher(self) -> _Batcher:
        return _Batcher(self._max_batch_bytes, self._max_batch_delay)


class TcpNmeaSource(_LiveSource):
    """Reads NMEA from a TCP server (e.g. Kystverket's open feed, 153.44.253.27:5631), reconnecting forever.

    A connection that drops mid-line ends that line (the decoder then rejects it as truncated and
    counts it) so it never glues onto the first line of the next connection; complete lines are never
    lost. Silence longer than ``read_timeout`` counts as a dead connection and triggers a reconnect.
    """

    def __init__(
        self,
        host: str,
        port: int,
        clock: Clock = "receive",
        quarantine: Quarantine | None = None,
        *,
        reconnect: bool = True,
        backoff: Backoff = Backoff(),
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_batch_bytes: int = 64 << 10,
        max_batch_delay: float = 0.02,
        stop: threading.Event | None = None,
        decoder: Decoder | None = None,
    ) -> None:
        self.host, self.port = host, int(port)
        self.name = f"tcp://{host}:{port}"
        super().__init__(clock, quarantine, decoder, stop, max_batch_bytes, max_batch_delay)
        self.reconnect = reconnect
        self.backoff = backoff
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout

    def chunks(self) -> Iterator[tuple[bytes, float]]:
        failures = 0
        while not self.stop_event.is_set():
            self.counters.connection_attempts += 1
            try:
                sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
            except OSError as exc:
                self.counters.connection_failures += 1
                self.counters.last_error = f"connect {self.name}: {exc}"
                if not self.reconnect:
                    raise ConnectionError(f"cannot connect to {self.name}: {exc}") from exc
                self._pause(failures)
                failures += 1
                continue
            self._sock = sock
            received = 0
            ends_in_newline = True
            try:
                for data, at in self._read(sock):
                    received += len(data)
                    ends_in_newline = data.endswith(b"\n")
                    yield data, at
            finally:
                self._sock = None
                sock.close()
            if not ends_in_newline:  # the peer cut a line in half: terminate it, never join it to the next
                yield b"\n", time.time()
            if self.stop_event.is_set():
                break
            self.counters.disconnects += 1
            if not self.reconnect:
                break
            if received:
                failures = 0  # a working session resets the back-off
            self._pause(failures)
            failures += 1

    def _pause(self, failures: int) -> None:
        delay = self.backoff.delay(failures)
        self.counters.delays.append(delay)
        self.stop_event.wait(delay)

    def _read(self, sock: socket.socket) -> Iterator[tuple[bytes, float]]:
        batcher = self._batcher()
        last_rx = time.monotonic()
        while not self.stop_event.is_set():
            sock.settimeout(batcher.wait_budget())
            try:
                data = sock.recv(self._max_batch_bytes)
            except TimeoutError:
                data = None
            except OSError as exc:
                self.counters.last_error = f"read {self.name}: {exc}"
                break
            if data == b"":
                self.counters.last_error = f"read {self.name}: closed by peer"
                break
            now = time.monotonic()
            if data:
                self.counters.bytes_received += len(data)
                last_rx = now
                batcher.add(data)
            if batcher.due():
                self.counters.chunks += 1
                yield batcher.take()
            if now - last_rx > self.read_timeout:
                self.counters.read_timeouts += 1
                self.counters.last_error = f"read {self.name}: no data for {self.read_timeout:g} s"
                break
        if batcher.buf:
            self.counters.chunks += 1
            yield batcher.take()


class UdpNmeaSource(_LiveSource):
    """Listens for NMEA datagrams (AIS-catcher, rtl-ais, OpenCPN forwarders); one datagram may hold many lines.

    Every datagram is line-terminated before it joins the chunk, so a sender that omits the final
    CR/LF never merges two sentences.
    """

    def __init__(
        self,
        host: str = "0.0.0.0",
        port: int = 10110,
        clock: Clock = "receive",
        quarantine: Quarantine | None = None,
        *,
        max_batch_bytes: int = 64 << 10,
        max_batch_delay: float = 0.02,
        receive_buffer: int = 4 << 20,
        stop: threading.Event | None = None,
        decoder: Decoder | None = None,
    ) -> None:
        self.host, self.port = host, int(port)
        self.name = f"udp://{host}:{port}"
        super().__init__(clock, quarantine, decoder, stop, max_batch_bytes, max_batch_delay)
        self.receive_buffer = receive_buffer

    def bind(self) -> tuple[str, int]:
        """Open the socket now (port 0 picks a free port); returns the bound address."""
        if self._sock is None:
            sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
                sock.bind((self.host, self.port))
            except OSError as exc:
                sock.close()
                raise OSError(f"cannot listen on {self.name}: {exc}") from exc
            self._sock = sock
        return self._sock.getsockname()[:2]

    def chunks(self) -> Iterator[tuple[bytes, float]]:
        self.bind()
        sock = self._sock
        assert sock is not None
        batcher = self._batcher()
        try:
            while not self.stop_event.is_set():
                sock.settimeout(batcher.wait_budget())
                try:
                    data = sock.recv(65535)
                except TimeoutError:
                    data = b""
                except OSError as exc:
                    if self.stop_event.is_set():
                        break
                    self.counters.last_error = f"receive {self.name}: {exc}"
                    continue
                if data:
                    self.counters.datagrams += 1
                    self.counters.bytes_received += len(data)
                    batcher.add(data if data.endswith(b"\n") else data + b"\n")
                if batcher.due():
                    self.counters.chunks += 1
                    yield batcher.take()
            if batcher.buf:
                yield batcher.take()
        finally:
            self._sock = None
            sock.close()
