"""Contract tables -> NMEA 0183 AIS sentences: the decoder's inverse, driven by the same layouts.

Scenarios built from real traffic (with injected behaviours) must be replayable as a live feed,
and the decoder deserves an oracle-independent round trip. So POSITIONS (types 1/2/3/18/27) and
STATIC (types 5 and 24 A/B) rows are turned into raw field integers with NumPy, packed into 6-bit
payloads by one numba kernel that walks the layout rows of :mod:`.layouts` (the decoder's own
tables), and written out as complete sentences (multi-part where needed, checksums, optional
NMEA 4.10 ``c:``/``s:`` tag blocks) by a second kernel. No Python runs per row.

Values are quantised to AIS resolution (1/10000 minute, 0.1 kn, 0.1 deg ...); nulls become the
AIS "not available" codes the decoder turns back into nulls. Rows that AIS cannot carry are
counted in :attr:`EncodedNmea.skipped` with the reason, never dropped silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawarden.ingest.nmea.layouts import KEY_24B, LAYOUT_ARRAYS, N_INT_COLS, N_KEYS, TEXT_CHARS, TEXT_OFFSET, TEXT_TOTAL, Col, Text

#: full message lengths in bits (ITU-R M.1371-5); the layouts list only the fields we read, the
#: rest (spare, radio status, flags) is sent as zeros
MESSAGE_BITS = {1: 168, 2: 168, 3: 168, 5: 424, 18: 168, 24: 160, KEY_24B: 168, 27: 96}
_BITS_BY_KEY = np.zeros(N_KEYS, np.int64)
for _k, _b in MESSAGE_BITS.items():
    _BITS_BY_KEY[_k] = _b
MAX_CHARS = max(-(-b // 6) for b in MESSAGE_BITS.values())
#: payload characters per sentence before a message is split (82-character NMEA line limit)
PART_CHARS = 60

POSITION_KEYS = {1: 1, 2: 2, 3: 3, 18: 18, 19: 18, 27: 27}  # type 19's position goes out as an 18


@nb.njit(cache=True, nogil=True, inline="always")
def _put(six: np.ndarray, m: int, start: int, width: int, value: int) -> None:
    for b in range(width):
        if (value >> (width - 1 - b)) & 1:
            p = start + b
            six[m, p // 6] |= np.uint8(1 << (5 - p % 6))


@nb.njit(cache=True, nogil=True)
def pack_payloads(keys, ints, texts, f_col, f_start, f_width, f_kind, offsets, bits_by_key, max_chars):
    """Armoured payload characters [n, max_chars], their count and fill bits, per message."""
    n = keys.shape[0]
    six = np.zeros((n, max_chars), np.uint8)
    nchars = np.zeros(n, np.int64)
    fill = np.zeros(n, np.int64)
    for m in range(n):
        key = keys[m]
        nbits = bits_by_key[key]
        _put(six, m, 0, 6, key if key < 64 else 24)
        for r in range(offsets[key], offsets[key + 1]):
            col = f_col[r]
            st = f_start[r]
            w = f_width[r]
            if f_kind[r] == 2:
                for q in range(w // 6):
                    c = texts[m, col + q]
                    _put(six, m, st + 6 * q, 6, c - 64 if c >= 64 else c)
            else:
                _put(six, m, st, w, ints[m, col] & ((1 << w) - 1))
        k = (nbits + 5) // 6
        nchars[m] = k
        fill[m] = k * 6 - nbits
        for q in range(k):
            v = six[m, q]
            six[m, q] = v + 48 if v < 40 else v + 56
    return six, nchars, fill


@nb.njit(cache=True, nogil=True, inline="always")
def _hexdigit(v: int) -> int:
    return v + 48 if v < 10 else v + 55


@nb.njit(cache=True, nogil=True, inline="always")
def _digits(out: np.ndarray, p: int, v: int) -> int:
    """Write non-negative v in decimal at out[p:]; returns the new position."""
    if v == 0:
        out[p] = 48
        return p + 1
    k = 0
    t = v
    while t > 0:
        k += 1
        t //= 10
    for i in range(k - 1, -1, -1):
        out[p + i] = 48 + v % 10
        v //= 10
    return p + k


@nb.njit(cache=True, nogil=True, inline="always")
def _checksum_into(out: np.ndarray, a: int, p: int) -> int:
    """'*hh' for out[a:p] at out[p:]; returns the new position."""
    x = 0
    for i in range(a, p):
        x ^= out[i]
    out[p] = 42
    out[p + 1] = _hexdigit(x >> 4)
    out[p + 2] = _hexdigit(x & 15)
    return p + 3


@nb.njit(cache=True, nogil=True)
def write_sentences(chars, nchars, fill, vdo, seq, ts, src_idx, src_bytes, src_off, tag_time, talker, channel,
                    part_chars):
    """NMEA lines for every message; returns (bytes, start offset of each message's first line).

    tag_time: 0 = no tag block, 1 = ``c:`` in seconds, 2 = ``c:`` in milliseconds; a source index
    >= 0 adds ``s:<name>``.
    """
    n = chars.shape[0]
    longest_src = 0
    for i in range(src_off.shape[0] - 1):
        longest_src = max(longest_src, src_off[i + 1] - src_off[i])
    per_part = 40 + longest_src + 24 + part_chars
    max_parts = (chars.shape[1] + part_chars - 1) // part_chars
    out = np.empty(n * max_parts * per_part + 1, np.uint8)
    starts = np.empty(n + 1, np.int64)
    p = 0
    for m in range(n):
        starts[m] = p
        k = nchars[m]
        parts = (k + part_chars - 1) // part_chars
        for part in range(parts):
            if tag_time > 0 or src_idx[m] >= 0:
                out[p] = 92  # '\'
                p += 1
                a = p
                if tag_time > 0:
                    out[p] = 99  # c
                    out[p + 1] = 58
                    p = _digits(out, p + 2, ts[m] // 1000 if tag_time == 1 else ts[m])
                s = src_idx[m]
                if s >= 0:
                    if tag_time > 0:
                        out[p] = 44
                        p += 1
                    out[p] = 115  # s
                    out[p + 1] = 58
                    p += 2
                    for q in range(src_off[s], src_off[s + 1]):
                        out[p] = src_bytes[q]
                        p += 1
                p = _checksum_into(out, a, p)
                out[p] = 92
                p += 1
            out[p] = 33  # '!'
            a = p + 1
            out[p + 1] = talker[0]
            out[p + 2] = talker[1]
            out[p + 3] = 86  # V
            out[p + 4] = 68  # D
            out[p + 5] = 79 if vdo[m] else 77  # O / M
            out[p + 6] = 44
            out[p + 7] = 48 + parts
            out[p + 8] = 44
            out[p + 9] = 49 + part
            out[p + 10] = 44
            p += 11
            if parts > 1:
                out[p] = 48 + seq[m]
                p += 1
            out[p] = 44
            out[p + 1] = channel
            out[p + 2] = 44
            p += 3
            for q in range(part * part_chars, min(k, (part + 1) * part_chars)):
                out[p] = chars[m, q]
                p += 1
            out[p] = 44
            out[p + 1] = 48 + (fill[m] if part == parts - 1 else 0)
            p = _checksum_into(out, a, p + 2)
            out[p] = 13
            out[p + 1] = 10
            p += 2
    starts[n] = p
    return out[:p], starts


@dataclass
class _Rows:
    """Raw AIS field values for some messages, before packing."""

    keys: np.ndarray
    ints: np.ndarray
    texts: np.ndarray
    ts: np.ndarray
    vdo: np.ndarray
    source: pa.Array
    row: np.ndarray
    table: np.ndarray  # 0 = positions, 1 = static

    @staticmethod
    def concat(parts: list["_Rows"]) -> "_Rows":
        return _Rows(*(np.concatenate([getattr(p, f) for p in parts]) if f != "source"
                       else pa.concat_arrays([p.source for p in parts]) for f in _Rows.__dataclass_fields__))

    def take(self, idx: np.ndarray) -> "_Rows":
        return _Rows(*(getattr(self, f).take(idx) if f == "source" else getattr(self, f)[idx]
                       for f in _Rows.__dataclass_fields__))


@dataclass
class EncodedNmea:
    """Encoded sentences; message i is ``data[offsets[i]:offsets[i+1]]`` (one or more lines)."""

    data: bytes
    offsets: np.ndarray
    row: np.ndarray  # input row of each message
    table: np.ndarray  # 0: from the positions table, 1: from the static table
    skipped: Counter = field(default_factory=Counter)  # reason -> rows not encoded

    def __len__(self) -> int:
        return len(self.row)

    def message(self, i: int) -> bytes:
        return self.data[self.offsets[i] : self.offsets[i + 1]]


def _np(col: pa.ChunkedArray | pa.Array, fill: float | int, dtype: type) -> np.ndarray:
    """A column as NumPy with nulls replaced by an AIS code (which may not fit the column's own type)."""
    if pa.types.is_integer(col.type):
        col = col.cast(pa.int64())
    return pc.fill_null(col, fill).to_numpy(zero_copy_only=False).astype(dtype)


def _valid(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return pc.is_valid(col).to_numpy(zero_copy_only=False)


def six_bit_text(col: pa.ChunkedArray | pa.Array, width: int) -> np.ndarray:
    """Strings -> [n, width] ASCII codes in AIS 6-bit text: upper case, '?' for what it cannot carry,
    cut to width and padded with '@' (vectorised with Arrow kernels)."""
    s = pc.utf8_upper(pc.fill_null(col, ""))
    s = pc.replace_substring_regex(s, r"[^\x20-\x5f]", "?")
    s = pc.utf8_rpad(pc.utf8_slice_codeunits(s, 0, width), width, "@")
    arr = s.combine_chunks() if isinstance(s, pa.ChunkedArray) else s
    arr = arr.cast(pa.binary())
    offsets = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], np.uint8) if len(arr) else np.zeros(0, np.uint8)
    return data[offsets[0] : offsets[-1]].reshape(len(arr), width)


def _ts_ms(table: pa.Table) -> np.ndarray:
    return table["ts"].cast(pa.int64()).to_numpy()


def _empty_texts(n: int) -> np.ndarray:
    return np.zeros((n, TEXT_TOTAL), np.uint8)


def position_rows(table: pa.Table, skipped: Counter) -> _Rows:
    """POSITIONS rows -> raw fields of types 1/2/3/18/27 (19 goes out as 18)."""
    mtype = table["msg_type"].to_numpy(zero_copy_only=False).astype(np.int64)
    keys = np.zeros(len(mtype), np.int64)
    for t, k in POSITION_KEYS.items():
        keys[mtype == t] = k
    lat = _np(table["lat"], np.nan, np.float64)
    lon = _np(table["lon"], np.nan, np.float64)
    has_pos = np.isfinite(lat) & np.isfinite(lon)
    off_globe = has_pos & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    unsupported = keys == 0
    for t, c in Counter(mtype[unsupported].tolist()).items():
        skipped[f"positions: message type {t} cannot be encoded"] += c
    if off_globe.any():
        skipped["positions: position off the globe"] += int(np.count_nonzero(off_globe & ~unsupported))
    keep = np.flatnonzero(~unsupported & ~off_globe)
    keys, lat, lon, has_pos = keys[keep], lat[keep], lon[keep], has_pos[keep]
    t = table.take(pa.array(keep))
    coarse = keys == 27
    n = len(keep)
    ints = np.zeros((n, N_INT_COLS), np.int64)
    ints[:, Col.MMSI] = t["mmsi"].to_numpy(zero_copy_only=False)
    scale = np.where(coarse, 600.0, 600000.0)
    ints[:, Col.LAT] = np.where(has_pos, np.rint(np.nan_to_num(lat) * scale), 91 * scale)
    ints[:, Col.LON] = np.where(has_pos, np.rint(np.nan_to_num(lon) * scale), 181 * scale)
    sog = _np(t["sog"], np.nan, np.float64)
    ints[:, Col.SOG] = np.where(coarse, np.where(np.isnan(sog), 63, np.clip(np.rint(np.nan_to_num(sog)), 0, 62)),
                                np.where(np.isnan(sog), 1023, np.clip(np.rint(np.nan_to_num(sog) * 10), 0, 1022)))
    cog = _np(t["cog"], np.nan, np.float64)
    ints[:, Col.COG] = np.where(coarse, np.where(np.isnan(cog), 511, np.rint(np.nan_to_num(cog)) % 360),
                                np.where(np.isnan(cog), 3600, np.rint(np.nan_to_num(cog) * 10) % 3600))
    ints[:, Col.HEADING] = _np(t["heading"], 511, np.int64)
    ints[:, Col.NAV_STATUS] = _np(t["nav_status"], 15, np.int64)
    rot = _np(t["rot"], np.nan, np.float64)
    raw_rot = np.clip(np.rint(4.733 * np.sqrt(np.abs(np.nan_to_num(rot)))), 0, 126) * np.sign(np.nan_to_num(rot))
    ints[:, Col.ROT] = np.where(np.isnan(rot), -128, raw_rot)
    ints[:, Col.ACCURACY] = _np(t["accuracy"], False, np.int64)
    ints[:, Col.SECOND] = _np(t["second"], 60, np.int64)
    own = _np(t["own_ship"], False, np.bool_)
    return _Rows(keys, ints, _empty_texts(n), _ts_ms(t), own, t["source"].combine_chunks(), keep,
                 np.zeros(n, np.int8))


def _eta_fields(eta: pa.ChunkedArray, ints: np.ndarray) -> None:
    valid = _valid(eta)
    ms = _np(eta.cast(pa.int64()), 0, np.int64).astype("datetime64[ms]")
    month = ms.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (ms.astype("datetime64[D]") - ms.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    minutes = (ms - ms.astype("datetime64[D]")).astype("timedelta64[m]").astype(np.int64)
    ints[:, Col.ETA_MONTH] = np.where(valid, month, 0)
    ints[:, Col.ETA_DAY] = np.where(valid, day, 0)
    ints[:, Col.ETA_HOUR] = np.where(valid, minutes // 60, 24)
    ints[:, Col.ETA_MINUTE] = np.where(valid, minutes % 60, 60)


def static_rows(table: pa.Table, skipped: Counter) -> _Rows:
    """STATIC rows -> raw fields of type 5 and type 24 part A (name) / part B (type, call sign, size)."""
    mtype = table["msg_type"].to_numpy(zero_copy_only=False).astype(np.int64)
    part = _np(table["part"], -1, np.int64)
    keys = np.select([mtype == 5, (mtype == 24) & (part == 0), (mtype == 24) & (part == 1)], [5, 24, KEY_24B], 0)
    for t, c in Counter(mtype[keys == 0].tolist()).items():
        why = "type 24 without part A/B" if t == 24 else f"message type {t} cannot be encoded"
        skipped[f"static: {why}"] += c
    keep = np.flatnonzero(keys != 0)
    keys = keys[keep]
    t = table.take(pa.array(keep))
    n = len(keep)
    ints = np.zeros((n, N_INT_COLS), np.int64)
    ints[:, Col.MMSI] = t["mmsi"].to_numpy(zero_copy_only=False)
    ints[:, Col.PART_NO] = np.where(keys == KEY_24B, 1, 0)
    ints[:, Col.IMO] = _np(t["imo"], 0, np.int64)
    ints[:, Col.SHIP_TYPE] = _np(t["ship_type"], 0, np.int64)
    for c, top in ((Col.TO_BOW, 511), (Col.TO_STERN, 511), (Col.TO_PORT, 63), (Col.TO_STARBOARD, 63)):
        ints[:, c] = np.clip(_np(t[c.name.lower()], 0, np.int64), 0, top)
    ints[:, Col.DRAUGHT] = np.clip(np.rint(_np(t["draught"], 0.0, np.float64) * 10), 0, 255)
    _eta_fields(t["eta"], ints)
    texts = _empty_texts(n)
    for which in Text:
        off, width = TEXT_OFFSET[which], TEXT_CHARS[which]
        texts[:, off : off + width] = six_bit_text(t[which.name.lower()], width)
    return _Rows(keys, ints, texts, _ts_ms(t), np.zeros(n, np.bool_), t["source"].combine_chunks(), keep,
                 np.ones(n, np.int8))


def _encode(rows: _Rows, skipped: Counter, *, talker: str, channel: str, tag_time: str | None,
            tag_source: bool) -> EncodedNmea:
    if len(talker) != 2 or not talker.isascii() or len(channel) != 1:
        raise ValueError(f"talker must be two ASCII characters and channel one, got {talker!r}, {channel!r}")
    if tag_time not in (None, "s", "ms"):
        raise ValueError(f"tag_time must be None, 's' or 'ms', got {tag_time!r}")
    f_col, f_start, f_width, f_kind, offsets, _ = LAYOUT_ARRAYS
    chars, nchars, fill = pack_payloads(rows.keys, rows.ints, rows.texts, f_col, f_start, f_width, f_kind, offsets,
                                        _BITS_BY_KEY, MAX_CHARS)
    multi = nchars > PART_CHARS
    seq = (np.cumsum(multi) - 1) % 10
    if tag_source and len(rows.source):
        enc = pc.dictionary_encode(rows.source)
        src_idx = _np(enc.indices, -1, np.int64)
        names = enc.dictionary.cast(pa.binary())
        src_bytes = np.frombuffer(b"".join(names.to_pylist()) or b"\0", np.uint8)  # one entry per station
        src_off = np.concatenate([[0], np.cumsum([len(b) for b in names.to_pylist()])]).astype(np.int64)
    else:
        src_idx = np.full(len(rows.keys), -1, np.int64)
        src_bytes, src_off = np.zeros(1, np.uint8), np.zeros(1, np.int64)
    data, starts = write_sentences(chars, nchars, fill, rows.vdo, seq.astype(np.int64), rows.ts, src_idx, src_bytes,
                                   src_off, {None: 0, "s": 1, "ms": 2}[tag_time], np.frombuffer(talker.encode(), np.uint8),
                                   ord(channel), PART_CHARS)
    return EncodedNmea(data.tobytes(), starts, rows.row, rows.table, skipped)


def encode(positions: pa.Table | None = None, static: pa.Table | None = None, *, talker: str = "AI",
           channel: str = "A", tag_time: str | None = "ms", tag_source: bool = True) -> EncodedNmea:
    """Encode POSITIONS and/or STATIC rows as NMEA sentences, interleaved in time order (stable).

    ``tag_time`` puts each row's time in a ``c:`` tag block ("ms" keeps millisecond times, "s" is
    the common receiver form, None sends bare sentences); ``tag_source`` adds the row's station
    as ``s:``. Own-ship rows become VDO sentences.
    """
    skipped: Counter = Counter()
    parts = []
    if positions is not None:
        parts.append(position_rows(positions, skipped))
    if static is not None:
        parts.append(static_rows(static, skipped))
    if not parts:
        raise ValueError("nothing to encode: give positions and/or static")
    rows = _Rows.concat(parts) if len(parts) > 1 else parts[0]
    order = np.argsort(rows.ts, kind="stable")
    if not np.array_equal(order, np.arange(len(order))):
        rows = rows.take(order)
    return _encode(rows, skipped, talker=talker, channel=channel, tag_time=tag_time, tag_source=tag_source)
