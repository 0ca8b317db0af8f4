"""Serve NMEA as a live TCP feed at a chosen rate: for testing a watch set-up and for bench/live.py.

A "sentence" here is one AIS sentence together with the metadata lines before it ($PGHP, lone
tag blocks), so the rate counts what a decoder counts. Sentences are located once with one
regular-expression pass over the whole file; sending paces whole slices of the buffer every
few milliseconds, never a Python call per sentence (except when restamping, which joins
prebuilt lines in C). The send time of every slice is logged so a benchmark can tell when any
sentence left.
"""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seawarden.ingest.fetch.record import tag_block

_SENTENCE = re.compile(rb"[!$][A-Za-z0-9-]{2}VD[MO],")  # any talker, even "--" and "B2"


@dataclass
class Sentences:
    """An NMEA buffer and where each sentence unit starts (offsets[-1] = end of the last unit)."""

    buf: bytes
    offsets: np.ndarray
    _bare: list[bytes] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def chunk(self, a: int, b: int) -> bytes:
        return self.buf[self.offsets[a] : self.offsets[b]]

    def bare(self) -> list[bytes]:
        """Each unit's AIS sentence(s) without $PGHP lines and tag blocks (for restamping)."""
        if self._bare is None:
            self._bare = [
                b"\r\n".join(_strip_meta(ln) for ln in self.chunk(i, i + 1).splitlines() if b"VD" in ln)
                for i in range(len(self))
            ]
        return self._bare


def _strip_meta(line: bytes) -> bytes:
    line = line.strip()
    if line.startswith(b"\\"):
        end = line.find(b"\\", 1)
        line = line[end + 1 :] if end > 0 else line
    return line


def sentences_from_bytes(buf: bytes) -> Sentences:
    """Frame `buf` into sentence units: each ends with the line that holds an AIS sentence."""
    if not buf.endswith(b"\n"):
        buf += b"\n"
    starts = np.fromiter((m.start() for m in _SENTENCE.finditer(buf)), dtype=np.int64)
    if len(starts) == 0:
        raise ValueError("no AIS sentences (!xxVDM/!xxVDO) found")
    arr = np.frombuffer(buf, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    ends = newlines[np.searchsorted(newlines, starts)] + 1  # end of the line holding each sentence
    ends = np.unique(ends)  # two sentences on one line count once
    offsets = np.concatenate([[0], ends]).astype(np.int64)
    return Sentences(buf, offsets)


def load_sentences(path: Path) -> Sentences:
    """The sentence units of an NMEA file (plain or .gz); a file without AIS sentences is an error."""
    data = gzip.open(path).read() if path.suffix == ".gz" else Path(path).read_bytes()
    try:
        return sentences_from_bytes(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


class FeedServer:
    """A loopback (or any-interface) TCP server that replays `sentences` to each client at `rate`/s."""

    def __init__(self, sentences: Sentences, *, host: str = "127.0.0.1", port: int = 0, rate: float = 1000.0,
                 loop: bool = False, restamp: bool = False, tick: float = 0.002,
                 gate: threading.Event | None = None, hold_open: bool = False) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.sentences = sentences
        self.host, self.port = host, port
        self.rate = rate
        self.loop = loop
        self.restamp = restamp
        self.tick = tick
        self.hold_open = hold_open  # keep a served connection open until stop(): no reconnect, no second replay
        self.finished = threading.Event()  # a client has been sent everything
        self.gate = gate  # when given, a connected client gets nothing until it is set (e.g. a benchmark is ready)
        self.sent = 0
        self.clients_served = 0
        self.max_lag_s = 0.0  # how far sending fell behind the schedule (a slow reader blocks sendall)
        #: per send of the first client: (units sent so far, wall time after the send)
        self.send_log: list[tuple[int, float]] = []
        self._srv: socket.socket | None = None
        self.address: tuple[str, int] = (host, port)
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._threads: list[threading.Thread] = []
        if restamp:
            sentences.bare()

    def start(self) -> tuple[str, int]:
        try:
            self._srv = socket.create_server((self.host, self.port))
        except OSError as exc:
            raise OSError(f"cannot listen on tcp://{self.host}:{self.port}: {exc}") from exc
        self._srv.settimeout(0.2)
        self.address = self._srv.getsockname()[:2]
        t = threading.Thread(target=self._accept, name="nmea-feed-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self.address

    def _accept(self) -> None:
        assert self._srv is not None
        first = True
        while not self._stop.is_set():
            try:
                conn, _ = self._srv.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            t = threading.Thread(target=self._serve, args=(conn, first), name="nmea-feed-client", daemon=True)
            first = False
            t.start()
            self._threads.append(t)

    def _payload(self, a: int, b: int, now: float) -> bytes:
        if not self.restamp:
            return self.sentences.chunk(a, b)
        bare = self.sentences.bare()
        prefix = tag_block(b"c:%d" % int(now * 1000))
        return prefix + (b"\r\n" + prefix).join(bare[a:b]) + b"\r\n"

    def _serve(self, conn: socket.socket, log: bool) -> None:
        n = len(self.sentences)
        with conn:
            while self.gate is not None and not self.gate.wait(0.1):
                if self._stop.is_set():
                    return
            t0 = time.monotonic()
            done = 0  # units sent in total (may exceed n when looping)
            try:
                while not self._stop.is_set():
                    due = int((time.monotonic() - t0) * self.rate)
                    if due <= done:
                        time.sleep(self.tick)
                        continue
                    self.max_lag_s = max(self.max_lag_s, (due - done) / self.rate)
                    a = done % n
                    b = min(n, a + (due - done))
                    conn.sendall(self._payload(a, b, time.time()))
                    done += b - a
                    self.sent += b - a
                    if log:
                        self.send_log.append((done, time.time()))
                    if done >= n and not self.loop:
                        break
                self.finished.set()
                while self.hold_open and not self._stop.wait(0.2):
                    pass
            except OSError:
                pass  # the client went away
        with self._done:
            self.clients_served += 1
            self._done.notify_all()

    def sent_at(self, unit: np.ndarray) -> np.ndarray:
        """Wall time at which unit indices (of the first client's replay) had been sent."""
        done = np.array([d for d, _ in self.send_log], dtype=np.int64)
        at = np.array([t for _, t in self.send_log])
        return at[np.searchsorted(done, np.asarray(unit) + 1)]

    def wait(self, clients: int | None = None, timeout: float | None = None) -> bool:
        """Block until `clients` clients were served (None: until stopped); False on timeout."""
        with self._done:
            return self._done.wait_for(
                lambda: self._stop.is_set() or (clients is not None and self.clients_served >= clients), timeout)

    def stop(self) -> None:
        self._stop.set()
        if self._srv is not None:
            self._srv.close()
        with self._done:
            self._done.notify_all()
        for t in self._threads:
            t.join(timeout=2.0)

    def __enter__(self) -> "FeedServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
