"""NMEA 0183 files, plain or gzip, streamed in fixed-size chunks through the NMEA decoder."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea.decoder import Clock, NmeaDecoder
from seawarden.ingest.rejects import Quarantine, Reason
from seawarden.ingest.sources._csv import ProgressCallback, is_gzip


class MissingTimestampError(ValueError):
    """An NMEA file in which no sentence carries a time, read without a clock to assume."""


class NmeaFileSource:
    """Streams one or more NMEA files (``.gz`` detected by content) without holding a whole file in memory.

    Each file gets its own decoder, so a partial line or an unfinished multi-part message never
    joins the start of the next file. ``progress(bytes_done, bytes_total)`` counts on-disk
    (compressed) bytes over all files.
    """

    def __init__(
        self,
        paths: str | Path | Sequence[str | Path],
        clock: Clock = None,
        quarantine: Quarantine | None = None,
        chunk_bytes: int = 8 << 20,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
        if not self.paths:
            raise ValueError("NmeaFileSource needs at least one file")
        for path in self.paths:
            if not path.is_file():
                raise FileNotFoundError(f"NMEA input not found: {path}")
        self.name = "file:" + ",".join(str(p) for p in self.paths)
        self.clock = clock
        self.quarantine = quarantine
        self.chunk_bytes = chunk_bytes
        self.progress = progress

    def batches(self) -> Iterator[DecodedBatch]:
        total = sum(p.stat().st_size for p in self.paths)
        done_before = 0
        for path in self.paths:
            yield from self._file_batches(path, done_before, total)
            done_before += path.stat().st_size
        if self.progress is not None:
            self.progress(total, total)

    def _file_batches(self, path: Path, done_before: int, total: int) -> Iterator[DecodedBatch]:
        """One file's batches; reading, unzipping and the line scan run a chunk or two ahead in a
        worker thread (:meth:`NmeaDecoder.decode_chunks`), with the batches of sequential feeds."""
        decoder = NmeaDecoder(origin=str(path), clock=self.clock, quarantine=self.quarantine)
        no_timestamp = 0
        raw = pa.OSFile(str(path))
        stream: pa.NativeFile = pa.CompressedInputStream(raw, "gzip") if is_gzip(path) else raw
        read_to: deque[int] = deque()  # on-disk offset after each chunk, for progress as each batch comes out

        def chunks() -> Iterator[bytes]:
            while True:
                try:
                    chunk = stream.read(self.chunk_bytes)
                except OSError as exc:  # truncated or corrupt gzip: keep what decoded, say where it broke
                    raise OSError(f"{path}: cannot read further ({exc})") from exc
                if not chunk:
                    return
                read_to.append(raw.tell())
                yield chunk

        batches = decoder.decode_chunks(chunks())
        try:
            for batch in batches:
                no_timestamp += batch.stats.outcomes.get(Reason.NO_TIMESTAMP, 0)
                offset = read_to.popleft() if read_to else None  # the flush batch has no chunk of its own
                if offset is not None and self.progress is not None:
                    self.progress(done_before + offset, total)
                yield batch
        finally:
            batches.close()  # stops the worker before the file closes under it
            stream.close()
            raw.close()
        if self.clock is None and no_timestamp and decoder.timestamped_sentences == 0:
            raise MissingTimestampError(
                f"{path}: none of its {no_timestamp} AIS sentences carries a timestamp (no NMEA 4.10 tag block "
                "'c:', no $PGHP line, no trailing unix time). Say which clock to assume, e.g. "
                "--clock 2024-05-01T00:00:00Z (that time for every sentence), or --clock receive for live captures."
            )
