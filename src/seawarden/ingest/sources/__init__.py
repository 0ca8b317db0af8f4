"""Every way AIS arrives, behind one call: ``open_source(spec)`` -> a :class:`~seawarden.ingest.batch.Source`.

Specs: ``tcp://host:port``, ``udp://host:port``, ``*.parquet``, ``*.csv`` / ``*.csv.gz`` (layout sniffed
from the header: DMA aisdk, NOAA MarineCadastre, Kystverket), anything else an NMEA file (plain/.gz).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from seawarden.ingest.batch import Source
from seawarden.ingest.nmea.decoder import Clock
from seawarden.ingest.rejects import Quarantine
from seawarden.ingest.sources._csv import ProgressCallback, read_header_line, split_header
from seawarden.ingest.sources.csv_base import CsvArchiveSource
from seawarden.ingest.sources.dma_csv import DmaCsvSource, write_dma_csv
from seawarden.ingest.sources.kystverket_csv import KystverketCsvSource
from seawarden.ingest.sources.net import Backoff, LinkCounters, TcpNmeaSource, UdpNmeaSource
from seawarden.ingest.sources.nmea_file import MissingTimestampError, NmeaFileSource
from seawarden.ingest.sources.noaa_csv import NoaaCsvSource
from seawarden.ingest.sources.parquet import ParquetSource

CSV_LAYOUTS: tuple[type[CsvArchiveSource], ...] = (DmaCsvSource, NoaaCsvSource, KystverketCsvSource)

__all__ = [
    "CSV_LAYOUTS",
    "Backoff",
    "DmaCsvSource",
    "KystverketCsvSource",
    "LinkCounters",
    "MissingTimestampError",
    "NmeaFileSource",
    "NoaaCsvSource",
    "ParquetSource",
    "TcpNmeaSource",
    "UdpNmeaSource",
    "csv_layout",
    "open_source",
    "write_dma_csv",
]


def open_source(
    spec: str | Path,
    *,
    clock: Clock = None,
    quarantine: Quarantine | None = None,
    progress: ProgressCallback | None = None,
) -> Source:
    """Pick the reader for ``spec``. Live feeds default to the receive clock when ``clock`` is None."""
    text = str(spec)
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in ("tcp", "udp"):
        host, port = _host_port(text)
        live_clock: Clock = clock if clock is not None else "receive"
        if scheme == "tcp":
            return TcpNmeaSource(host, port, clock=live_clock, quarantine=quarantine)
        return UdpNmeaSource(host, port, clock=live_clock, quarantine=quarantine)
    if scheme:
        raise ValueError(f"unsupported source {text!r}: use tcp://host:port, udp://host:port or a file path")
    path = Path(text)
    if not path.exists():
        raise FileNotFoundError(f"input not found: {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory: name the files (a shell glob such as {path}/*.nmea works)")
    name = path.name.lower()
    if name.endswith(".parquet"):
        return ParquetSource(path, quarantine=quarantine, progress=progress)
    if name.endswith((".csv", ".csv.gz")):
        return csv_layout(path)(path, quarantine=quarantine, progress=progress)
    return NmeaFileSource(path, clock=clock, quarantine=quarantine, progress=progress)


def csv_layout(path: Path) -> type[CsvArchiveSource]:
    """The CSV reader whose signature columns all appear in the file's header."""
    line = read_header_line(path)
    for layout in CSV_LAYOUTS:
        if layout.matches(split_header(line, layout.delimiter)):
            return layout
    supported = "; ".join(f"{cls.layout} ({cls.delimiter!r}-separated: {', '.join(cls.signature)})" for cls in CSV_LAYOUTS)
    raise ValueError(f"{path}: unrecognised CSV header {line[:200]!r}. Supported layouts: {supported}")


def _host_port(spec: str) -> tuple[str, int]:
    parts = urlsplit(spec)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{spec!r}: bad port ({exc})") from exc
    if port is None or not parts.hostname:
        raise ValueError(f"{spec!r}: expected {parts.scheme}://host:port, e.g. tcp://153.44.253.27:5631")
    return parts.hostname, port
