"""Streaming NMEA 0183 AIS decoder: bytes in, contract tables out.

The numba kernels do the per-byte work; this class keeps what must survive between
chunks (a partial last line, ``$PGHP``/tag-block metadata for the next sentence,
unfinished multi-part messages, recently emitted payloads for de-duplication) and turns
kernel output into Arrow tables with NumPy, never one Python object per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numba as nb
import numpy as np
import pyarrow as pa

from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.nmea import kernel
from seawarden.ingest.nmea.columns import (
    IS_POSITION,
    IS_STATIC,
    POSITION_COLS,
    arrow_column,
    eta_ms,
    masked,
    other_positions,
    position_values,
    screen,
    text_column,
)
from seawarden.ingest.nmea.layouts import DECODE_PLAN, Col, Text
from seawarden.ingest.prefetch import prefetched
from seawarden.ingest.nmea.scan import DEFAULT_TALKERS, Clock, LineScanner, ScannedChunk
from seawarden.ingest.nmea.tables import RecentPayloads, StationCodes
from seawarden.ingest.rejects import IngestStats, Quarantine, Reason

@dataclass
class _Fragment:
    num: int
    payload: bytes
    fill: int
    ts: int
    src: int
    own: bool
    line: bytes


@dataclass
class _PendingMessage:
    count: int
    parts: dict[int, _Fragment] = field(default_factory=dict)


@dataclass
class _Messages:
    """Decoded messages of one chunk, parallel arrays (single-part and reassembled)."""

    mtype: np.ndarray
    status: np.ndarray
    ints: np.ndarray
    texts: np.ndarray
    hashes: np.ndarray
    ts: np.ndarray
    src: np.ndarray
    own: np.ndarray
    fill: np.ndarray
    pay_buf: np.ndarray  # the chunk's bytes: single-sentence payloads
    joined: np.ndarray  # reassembled payloads; pstart/pend >= len(pay_buf) point here
    pstart: np.ndarray
    pend: np.ndarray
    line_index: np.ndarray  # line of this chunk that carries the message's outcome

    def payloads(self, rows: np.ndarray) -> pa.Array:
        """The armoured payloads of ``rows`` as strings, read from the chunk or the reassembled
        payloads (never joining the two: that copied the whole chunk for a few hundred rows)."""
        return ragged_strings(self.pay_buf, self.pstart[rows], self.pend[rows], self.joined)


@dataclass
class _Parts:
    """Where each message's payload lies, before decoding (single sentences, then joined parts)."""

    pstart: np.ndarray
    pend: np.ndarray
    fill: np.ndarray
    ts: np.ndarray
    src: np.ndarray
    own: np.ndarray
    line_index: np.ndarray


class NmeaDecoder:
    """Decode a stream of NMEA bytes, fed in chunks of any size.

    Two stages with separate state: a :class:`~seawarden.ingest.nmea.scan.LineScanner` (framing, the
    compiled line scan) and this object (payload decode, multi-part reassembly, de-duplication,
    Arrow tables, statistics, quarantine). :meth:`feed` runs both in turn; :meth:`decode_chunks` runs
    stage 1 of the next chunk in a worker thread, with the same results.
    """

    def __init__(
        self,
        origin: str = "",
        clock: Clock = None,
        quarantine: Quarantine | None = None,
        *,
        talkers: tuple[str, ...] | list[str] = DEFAULT_TALKERS,
        dedup_window_s: float | None = 10.0,
        fragment_timeout_s: float = 30.0,
        max_line: int = 4096,
    ) -> None:
        self._scanner = LineScanner(clock, talkers, max_line)
        self.origin = origin
        self.clock = clock
        self.quarantine = quarantine
        self.dedup_window_ms = None if dedup_window_s is None else int(dedup_window_s * 1000)
        self.fragment_timeout_ms = int(fragment_timeout_s * 1000)
        self.max_line = max_line
        self._fragments: dict[tuple[int, int, int, int], _PendingMessage] = {}
        self._oldest_fragment_ts = -(1 << 62)  # a lower bound on the times of pending fragments
        self._sources: dict[int, str] = {}
        self._stations = StationCodes()
        self._recent = None if self.dedup_window_ms is None else RecentPayloads(self.dedup_window_ms)
        self.timestamped_sentences = 0  # sentences whose time came from the data itself

    # ------------------------------------------------------------------ public API
    def feed(self, data: bytes, received_at: float | None = None) -> DecodedBatch:
        """Decode every complete line in ``carry + data``; keep the trailing partial line."""
        return self._finish(self._scanner.feed(data, received_at))

    def flush(self, received_at: float | None = None) -> DecodedBatch:
        """End of stream: decode a final unterminated line; unfinished multi-part messages are orphans."""
        return self._finish(self._scanner.flush(received_at))

    def decode_chunks(self, chunks: Iterable[bytes], received_at: float | None = None, *,
                      flush: bool = True) -> Iterator[DecodedBatch]:
        """``feed(c)`` for every chunk, then ``flush()`` (unless ``flush=False``), on two cores.

        Stage 1 (and the iteration of ``chunks``, e.g. reading and unzipping a file) runs up to two
        chunks ahead in a worker thread while this thread builds the batch of the current one; the
        batches, statistics and quarantine lines are exactly those of the sequential calls. Exceptions
        (from ``chunks`` or stage 1) are raised here after the batches before them; closing the
        generator stops the worker.
        """
        def scans() -> Iterator[ScannedChunk]:
            for chunk in chunks:
                yield self._scanner.feed(chunk, received_at)
            if flush:
                yield self._scanner.flush(received_at)

        for scanned in prefetched(scans(), name="seawarden-nmea-scan"):
            yield self._finish(scanned)

    @property
    def _carry(self) -> bytes:
        """The unterminated line held for the next feed."""
        return self._scanner._carry

    # ------------------------------------------------------------------ internals
    def _finish(self, scanned: ScannedChunk) -> DecodedBatch:
        """Stage 2: everything after the scan, in stream order."""
        stats = IngestStats()
        for reason, line in scanned.framing_rejects:
            self._reject_raw(stats, reason, line)
        self._sources.update(scanned.new_names)
        self.timestamped_sentences += scanned.timestamped
        batch = self._decode(scanned, stats) if scanned.chunk is not None else DecodedBatch(stats=stats)
        if scanned.end_of_stream:
            for key in list(self._fragments):
                self._orphan(batch.stats, key)
        return batch

    def _reject_raw(self, stats: IngestStats, reason: Reason, line: bytes) -> None:
        stats.lines += 1
        stats.outcomes[reason] += 1
        if self.quarantine is not None:
            self.quarantine.write(reason, line, self.origin)

    def _orphan(self, stats: IngestStats, key: tuple[int, int, int, int]) -> None:
        for frag in self._fragments.pop(key).parts.values():
            stats.outcomes[Reason.ORPHAN_FRAGMENT] += 1
            if self.quarantine is not None:
                self.quarantine.write(Reason.ORPHAN_FRAGMENT, frag.line, self.origin)

    def _decode(self, scanned: ScannedChunk, stats: IngestStats) -> DecodedBatch:
        chunk = scanned.chunk
        arr = np.frombuffer(chunk, dtype=np.uint8)
        status, line_start, line_end, n_single, msg_arrays, frags = scanned.scan
        line_index, pstart, pend, fill, own, ts, src, mtype, mstatus, ints, texts, hashes = msg_arrays
        kernel.decode_payloads_into(arr, pstart[:n_single], pend[:n_single], fill[:n_single], 0, mtype, mstatus, ints,
                                    texts, hashes, *DECODE_PLAN)
        fr_line, fr_start, fr_end, fr_fill, fr_cnt, fr_num, fr_seq, fr_chan, fr_own, fr_ts, fr_src = frags
        outcome = status.astype(np.int16)
        stats.lines += len(status)
        rejected = (status > 0) & (status < 32)
        stats.sentences += n_single + len(fr_line) + int(np.count_nonzero(rejected))

        n = n_single
        joined = np.empty(0, np.uint8)
        if len(fr_line):
            outcome[fr_line] = Reason.FRAGMENT
            joined, asm = self._reassemble(chunk, fr_line, line_start, line_end, fr_start, fr_end, fr_fill, fr_cnt,
                                           fr_num, fr_seq, fr_chan, fr_own, fr_ts, fr_src, stats)
            k = len(asm.line_index)  # at most one per fragment: the rows after the single messages have room
            if k:
                rows = slice(n, n + k)
                line_index[rows], fill[rows], own[rows], ts[rows], src[rows] = (
                    asm.line_index, asm.fill, asm.own, asm.ts, asm.src)
                pstart[rows], pend[rows] = asm.pstart + len(arr), asm.pend + len(arr)
                kernel.decode_payloads_into(joined, asm.pstart, asm.pend, asm.fill, n, mtype, mstatus, ints, texts,
                                            hashes, *DECODE_PLAN)
                n += k
        msgs = _Messages(mtype[:n], mstatus[:n], ints[:n], texts[:n], hashes[:n], ts[:n], src[:n], own[:n], fill[:n],
                         arr, joined, pstart[:n], pend[:n], line_index[:n])
        batch = self._tables(msgs, outcome, stats)

        counts = np.bincount(outcome, minlength=64)
        stats.add_outcomes({code: int(counts[code]) for code in np.flatnonzero(counts).tolist()})
        if self.quarantine is not None:
            for li in np.flatnonzero((outcome > 0) & (outcome < 32)):
                self.quarantine.write(Reason(int(outcome[li])), bytes(chunk[line_start[li] : line_end[li]]),
                                      self.origin)
        return batch

    def _reassemble(self, chunk, sent_line, line_start, line_end, pay_start, pay_end, fill, frag_cnt,
                    frag_num, seq, chan, own, ts, src, stats) -> tuple[np.ndarray, "_Parts"]:
        """Join multi-part messages keyed by (source, sequence id, channel, part count), with a timeout.

        Fragments are rare (a few per cent of traffic), so this loop is plain Python; the
        joined payloads are decoded by the same kernel as single-sentence messages.
        """
        payloads: list[bytes] = []
        fills: list[int] = []
        times: list[int] = []
        sources: list[int] = []
        owns: list[bool] = []
        lines: list[int] = []
        pair = self._two_part_pairs(frag_cnt, frag_num, seq, chan, src, ts)
        q = 0
        while q < len(sent_line):
            if pair[q] and not self._fragments:
                # parts 1 and 2 back to back, nothing pending: the loop below would store part 1 and join
                # it at part 2 with nothing else to orphan or restart, so join them straight away
                payloads.append(bytes(chunk[pay_start[q] : pay_end[q]]) + bytes(chunk[pay_start[q + 1] : pay_end[q + 1]]))
                fills.append(int(fill[q + 1]))
                times.append(int(ts[q]))
                sources.append(int(src[q]))
                owns.append(bool(own[q]))
                lines.append(int(sent_line[q + 1]))
                q += 2
                continue
            li = int(sent_line[q])
            cnt, num = int(frag_cnt[q]), int(frag_num[q])
            key = (int(src[q]), int(seq[q]), int(chan[q]), cnt)
            t = int(ts[q])
            if t - self._oldest_fragment_ts > self.fragment_timeout_ms:  # else nothing pending can be stale
                for stale in [k for k, p in self._fragments.items()
                              if t - min(f.ts for f in p.parts.values()) > self.fragment_timeout_ms]:
                    self._orphan(stats, stale)
                self._oldest_fragment_ts = min((f.ts for p in self._fragments.values() for f in p.parts.values()),
                                               default=t)
            self._oldest_fragment_ts = min(self._oldest_fragment_ts, t)
            pending = self._fragments.get(key)
            if pending is not None and num in pending.parts:
                self._orphan(stats, key)  # a restart of the same key: the old parts never completed
                pending = None
            if pending is None:
                pending = self._fragments[key] = _PendingMessage(cnt)
            pending.parts[num] = _Fragment(num, bytes(chunk[pay_start[q] : pay_end[q]]), int(fill[q]), t,
                                           int(src[q]), bool(own[q]), bytes(chunk[line_start[li] : line_end[li]]))
            if len(pending.parts) == cnt:
                del self._fragments[key]
                parts = [pending.parts[k] for k in sorted(pending.parts)]
                payloads.append(b"".join(p.payload for p in parts))
                fills.append(parts[-1].fill)
                times.append(parts[0].ts)
                sources.append(parts[0].src)
                owns.append(parts[0].own)
                lines.append(li)
            q += 1
        lengths = np.array([len(p) for p in payloads], dtype=np.int64)
        ends = np.cumsum(lengths)
        return np.frombuffer(b"".join(payloads), np.uint8), _Parts(
            ends - lengths, ends, np.array(fills, np.int8), np.array(times, np.int64),
            np.array(sources, np.uint64), np.array(owns, np.bool_), np.array(lines, np.int64),
        )

    def _two_part_pairs(self, cnt, num, seq, chan, src, ts) -> np.ndarray:
        """Fragment q is part 1 of 2 and q + 1 its part 2 (same key), within the fragment timeout."""
        pair = np.zeros(len(cnt), np.bool_)
        if len(cnt) > 1:
            a, b = slice(None, -1), slice(1, None)
            pair[:-1] = ((cnt[a] == 2) & (num[a] == 1) & (cnt[b] == 2) & (num[b] == 2) & (src[a] == src[b])
                         & (seq[a] == seq[b]) & (chan[a] == chan[b]) & (ts[b] - ts[a] <= self.fragment_timeout_ms))
        return pair

    def _tables(self, m: _Messages, outcome: np.ndarray, stats: IngestStats) -> DecodedBatch:
        mt = m.mtype
        status = screen(mt, m.status, m.ints)
        ok = status == 0
        if self._recent is None:
            keep, n_rx, duplicate = ok, np.ones(len(ok), np.uint16), np.zeros(len(ok), np.bool_)
        else:
            keep, n_rx, duplicate = self._recent.collapse(m.hashes, m.ts, ok)
        status[duplicate] = Reason.DUPLICATE
        stats.receptions_collapsed += int(np.count_nonzero(duplicate))
        outcome[m.line_index] = status
        counts = np.bincount(mt[keep], minlength=64)
        stats.messages_by_type.update({t: int(counts[t]) for t in np.flatnonzero(counts).tolist()})

        src_names = self._source_names(m.src)
        is_pos = IS_POSITION[mt]
        is_static = IS_STATIC[mt]
        return DecodedBatch(
            positions=self._positions(m, np.flatnonzero(keep & is_pos), n_rx, src_names),
            static=self._static(m, keep & is_static, n_rx, src_names),
            other=self._other(m, keep & ~is_pos & ~is_static, n_rx, src_names),
            stats=stats,
        )

    def _source_names(self, src: np.ndarray) -> "_SourceColumn":
        codes = self._stations.code(src)
        names = pa.array([self._sources.get(h, self.origin) for h in self._stations.hashes], pa.string())
        return _SourceColumn(codes, names)

    @staticmethod
    def _ts_array(ts: np.ndarray) -> pa.Array:
        """Epoch ms as the contract's timestamp type, sharing the buffer (no cast)."""
        return pa.Array.from_buffers(schema.TS, len(ts), [None, pa.py_buffer(np.ascontiguousarray(ts, np.int64))])

    def _positions(self, m: _Messages, i: np.ndarray, n_rx: np.ndarray, src_names: "_SourceColumn") -> pa.Table:
        (mmsi, lat, lon, pos_ok, sog, sog_ok, cog, cog_ok, hdg, hdg_ok, nav, nav_ok, rot, rot_ok, acc, sec,
         sec_ok) = position_values(i, m.mtype, m.ints, POSITION_COLS)
        cols = [
            arrow_column(mmsi, np.ones(len(i), np.bool_), pa.uint32()),
            self._ts_array(m.ts[i]),
            arrow_column(lat, pos_ok, pa.float64()),
            arrow_column(lon, pos_ok, pa.float64()),
            arrow_column(sog, sog_ok, pa.float32()),
            arrow_column(cog, cog_ok, pa.float32()),
            arrow_column(hdg, hdg_ok, pa.uint16()),
            arrow_column(nav, nav_ok, pa.uint8()),
            arrow_column(rot, rot_ok, pa.float32()),
            arrow_column(m.mtype[i], np.ones(len(i), np.bool_), pa.uint8()),
            arrow_column(acc, np.ones(len(i), np.bool_), pa.bool_()),
            arrow_column(sec, sec_ok, pa.uint8()),
            arrow_column(m.own[i], np.ones(len(i), np.bool_), pa.bool_()),
            src_names.take(i),
            arrow_column(n_rx[i], np.ones(len(i), np.bool_), pa.uint16()),
        ]
        return pa.Table.from_arrays(cols, schema=schema.POSITIONS)

    def _static(self, m: _Messages, rows: np.ndarray, n_rx, src_names) -> pa.Table:
        i = np.flatnonzero(rows)
        ints, mt, texts = m.ints[i], m.mtype[i], m.texts[i]
        part = ints[:, Col.PART_NO]
        t5, t19, t24 = mt == 5, mt == 19, mt == 24
        part_a, part_b = t24 & (part == 0), t24 & (part == 1)
        # 24B of an auxiliary craft (MMSI 98xxxxxxx) carries the mother ship's MMSI in the dimension bits
        auxiliary = (ints[:, Col.MMSI] // 10_000_000) == 98
        dims = t5 | t19 | (part_b & ~auxiliary)
        eta, eta_null = eta_ms(ints, m.ts[i], t5)

        def dim(col: Col, t: pa.DataType) -> pa.Array:
            return masked(ints[:, col], ~dims | (ints[:, col] == 0), t)

        cols = {
            "mmsi": pa.array(ints[:, Col.MMSI], pa.uint32()),
            "ts": self._ts_array(m.ts[i]),
            "imo": masked(ints[:, Col.IMO], ~t5 | (ints[:, Col.IMO] == 0), pa.uint32()),
            "callsign": text_column(texts, Text.CALLSIGN, t5 | part_b),
            "name": text_column(texts, Text.NAME, t5 | t19 | part_a),
            "ship_type": masked(ints[:, Col.SHIP_TYPE], ~(t5 | t19 | part_b) | (ints[:, Col.SHIP_TYPE] == 0), pa.uint8()),
            "to_bow": dim(Col.TO_BOW, pa.uint16()),
            "to_stern": dim(Col.TO_STERN, pa.uint16()),
            "to_port": dim(Col.TO_PORT, pa.uint8()),
            "to_starboard": dim(Col.TO_STARBOARD, pa.uint8()),
            "draught": masked(ints[:, Col.DRAUGHT] / 10.0, ~t5 | (ints[:, Col.DRAUGHT] == 0), pa.float32()),
            "destination": text_column(texts, Text.DESTINATION, t5),
            "eta": masked(eta, eta_null, pa.int64()).cast(schema.TS),
            "msg_type": pa.array(mt, pa.uint8()),
            "part": masked(part, ~t24, pa.uint8()),
            "source": src_names.take(i),
            "n_rx": pa.array(n_rx[i], pa.uint16()),
        }
        return pa.table(cols, schema=schema.STATIC)

    def _other(self, m: _Messages, rows: np.ndarray, n_rx, src_names) -> pa.Table:
        i = np.flatnonzero(rows)
        lat, lon, has_pos = other_positions(i, m.mtype, m.ints)
        cols = {
            "mmsi": pa.array(m.ints[i, Col.MMSI], pa.uint32()),
            "ts": self._ts_array(m.ts[i]),
            "msg_type": pa.array(m.mtype[i], pa.uint8()),
            "lat": arrow_column(lat, has_pos, pa.float64()),
            "lon": arrow_column(lon, has_pos, pa.float64()),
            "source": src_names.take(i),
            "payload": m.payloads(i),
            "fill": pa.array(m.fill[i], pa.uint8()),
            "n_rx": pa.array(n_rx[i], pa.uint16()),
        }
        return pa.table(cols, schema=schema.OTHER)


@dataclass
class _SourceColumn:
    """Station names as dictionary codes, so a batch resolves each distinct station once.
    (Arrow's dictionary-to-string cast measured ~2x faster than a compiled gather of these short names.)"""

    codes: np.ndarray
    names: pa.Array

    def take(self, rows: np.ndarray) -> pa.Array:
        return pa.DictionaryArray.from_arrays(self.codes[rows], self.names).cast(pa.string())


def ragged_strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, more: np.ndarray | None = None) -> pa.Array:
    """Arrow strings of buf[starts[k]:ends[k]], built straight into Arrow's buffers (UTF-8 input).

    Ranges at or past len(buf) lie in ``more`` (shifted by len(buf)), as if the two were one buffer.
    """
    more = np.empty(0, np.uint8) if more is None else more
    offsets, data = gather_ranges(_read_only(buf), _read_only(more), np.ascontiguousarray(starts, np.int64),
                                  np.ascontiguousarray(ends, np.int64))
    if offsets[-1] > np.iinfo(np.int32).max:  # > 2 GiB of text in one batch: Arrow's own error, not a wrap-around
        return pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())
    return pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view: buffers of bytes (a socket's chunks) are read-only, file reads and empty arrays writable, and
    numba compiles a kernel once per flag; one flag, one compilation, whichever input came first."""
    if not a.flags.writeable:
        return a
    view = a.view()
    view.flags.writeable = False
    return view


@nb.njit(cache=True, nogil=True)
def gather_ranges(buf, more, starts, ends):
    """Concatenated (buf + more)[starts[k]:ends[k]] and its offsets, without joining buf and more."""
    n = starts.shape[0]
    offsets = np.empty(n + 1, np.int64)
    total = 0
    for k in range(n):
        offsets[k] = total
        total += ends[k] - starts[k]
    offsets[n] = total
    data = np.empty(total, np.uint8)
    split = buf.shape[0]
    for k in range(n):
        o = offsets[k]
        a = starts[k]
        length = ends[k] - a
        if a >= split:
            data[o : o + length] = more[a - split : a - split + length]
        else:
            data[o : o + length] = buf[a : a + length]
    return offsets, data
