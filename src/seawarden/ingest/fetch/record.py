"""Record a live TCP NMEA feed (e.g. Kystverket's open stream) into a timestamped NMEA file.

A live stream cannot be "downloaded", so fetching it means listening for N minutes. Every line
is kept verbatim when it already carries an NMEA 4.10 ``c:`` time (Kystverket stamps its own);
otherwise our receive time (epoch ms) is added as a ``c:`` tag, so the file replays with real
timing later. Reconnects and back-off come from the live TCP source the watch uses.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from seawarden.ingest.fetch.download import NO_INTERNET_HINT, FetchError, Progress
from seawarden.ingest.sources.net import Backoff, TcpNmeaSource


def nmea_checksum(body: bytes) -> int:
    x = 0
    for c in body:
        x ^= c
    return x


def tag_block(fields: bytes) -> bytes:
    """``\\fields*hh\\`` with the NMEA checksum of `fields`."""
    return b"\\" + fields + b"*%02X\\" % nmea_checksum(fields)


def stamp_line(line: bytes, received_ms: int) -> tuple[bytes, bool]:
    """The line with a receive-time ``c:`` tag unless it already has one; (line, was it stamped)."""
    if line.startswith(b"\\"):
        end = line.find(b"\\", 1)
        star = line.rfind(b"*", 1, end) if end > 0 else -1
        if end < 0 or star < 0:
            return line, False  # a broken tag block: keep it verbatim, the decoder will count it
        fields = line[1:star]
        if any(f.startswith(b"c:") for f in fields.split(b",")):
            return line, False
        return tag_block(b"c:%d," % received_ms + fields) + line[end + 1 :], True
    return tag_block(b"c:%d" % received_ms) + line, True


@dataclass
class Recording:
    path: Path
    lines: int
    stamped: int  # lines that got our receive time (they had none of their own)
    bytes: int
    connections: int
    disconnects: int
    seconds: float


def _probe(host: str, port: int, timeout: float) -> None:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror as exc:
        raise FetchError(f"tcp://{host}:{port}: cannot resolve the host ({exc.strerror}); {NO_INTERNET_HINT}") from exc
    except OSError as exc:
        raise FetchError(f"tcp://{host}:{port}: cannot connect ({exc}); {NO_INTERNET_HINT}") from exc


def record_stream(
    host: str,
    port: int,
    dest_dir: Path,
    *,
    minutes: float,
    label: str = "stream",
    connect_timeout: float = 10.0,
    backoff: Backoff = Backoff(initial=1.0, maximum=10.0),
    progress: Progress | None = None,
) -> Recording:
    """Listen to tcp://host:port for `minutes` and write ``<label>_<UTC start>.nmea`` into dest_dir."""
    if minutes <= 0:
        raise FetchError(f"{label}: minutes must be positive, got {minutes}")
    _probe(host, port, connect_timeout)
    start = datetime.now(timezone.utc)
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{label}_{start:%Y-%m-%dT%H%M%SZ}.nmea"
    part = path.with_name(path.name + ".part")
    source = TcpNmeaSource(host, port, reconnect=True, backoff=backoff, connect_timeout=connect_timeout,
                           read_timeout=30.0)
    seconds = minutes * 60.0
    timer = threading.Timer(seconds, source.close)
    timer.daemon = True
    n_lines = n_stamped = n_bytes = 0
    carry = b""
    t0 = time.monotonic()
    if progress is not None:
        progress.start(f"{label}: recording {minutes:g} min", None, 0)
    timer.start()
    try:
        with open(part, "wb") as out:
            for data, received_at in source.chunks():
                ms = int(received_at * 1000)
                buf = carry + data
                cut = buf.rfind(b"\n") + 1
                carry = buf[cut:]
                for raw in buf[:cut].splitlines():
                    line = raw.strip()
                    if not line:
                        continue
                    stamped, was = stamp_line(line, ms)
                    out.write(stamped + b"\r\n")
                    n_lines += 1
                    n_stamped += was
                n_bytes += len(data)
                if progress is not None:
                    progress.advance(len(data))
    except KeyboardInterrupt:
        pass  # keep what was recorded so far
    finally:
        timer.cancel()
        source.close()
        if progress is not None:
            progress.finish()
    if n_lines == 0:
        part.unlink(missing_ok=True)
        why = source.counters.last_error or "no data"
        raise FetchError(f"{label}: nothing received from tcp://{host}:{port} in {minutes:g} min ({why})")
    os.replace(part, path)
    c = source.counters
    return Recording(path, n_lines, n_stamped, n_bytes, c.connection_attempts - c.connection_failures, c.disconnects,
                     time.monotonic() - t0)
