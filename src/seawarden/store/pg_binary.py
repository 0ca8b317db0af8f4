"""Arrow columns -> PostgreSQL ``COPY ... FROM STDIN (FORMAT binary)`` bytes, whole columns at a time.

Why binary and not CSV: the server parses no text (no float or timestamp parsing, no quoting rules),
and we format none, so the load is bound by index upkeep, not by conversions (see bench/store.py
``--postgis-load``). The layout (PostgreSQL docs, "COPY: Binary Format"): a 19-byte header, then per
row an int16 field count and per field an int32 byte length (-1 = NULL) and the value in network
order; an int16 -1 ends the stream.

A row's size depends on its NULLs and text lengths, so the writer first computes every row's start
(one cumulative sum), then writes column after column into one buffer: NumPy makes the big-endian
values of a column, a compiled loop places them (``pos`` advances each row's cursor). No Python
object is made per row.

The PostgreSQL types are those of pg_migrations: each Arrow integer goes to the next wider signed
type (uint32 -> bigint, uint16 -> integer, uint8 -> smallint), timestamps to timestamptz. A column
whose table type differs is refused by the server ("incorrect binary data format"), never mis-stored.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
#: microseconds between the Unix epoch and PostgreSQL's (2000-01-01)
_PG_EPOCH_US = 946_684_800_000_000
_US_PER_UNIT = {"s": 1_000_000, "ms": 1000, "us": 1, "ns": None}


def _wire_dtype(t: pa.DataType) -> np.dtype | None:
    """Big-endian NumPy dtype of the PostgreSQL value for a fixed-width Arrow type (None: text)."""
    if pa.types.is_boolean(t):
        return np.dtype("u1")
    if pa.types.is_timestamp(t):
        return np.dtype(">i8")
    if pa.types.is_floating(t):
        return np.dtype(f">f{t.bit_width // 8}")
    if pa.types.is_integer(t):
        signed_bytes = {8: 2, 16: 4, 32: 8, 64: 8}[t.bit_width] if pa.types.is_unsigned_integer(t) else max(2, t.bit_width // 8)
        return np.dtype(f">i{signed_bytes}")
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return None
    raise TypeError(f"no binary COPY mapping for Arrow type {t}")


def _wire_values(col: pa.Array, dtype: np.dtype) -> np.ndarray:
    """The column's values in network order (nulls hold any value; they are never written)."""
    t = col.type
    if pa.types.is_boolean(t):
        return np.asarray(pc.fill_null(col, False).to_numpy(zero_copy_only=False), dtype="u1")
    if pa.types.is_timestamp(t):
        if t.unit == "ns":
            raw = col.cast(pa.timestamp("us", tz=t.tz), safe=False)
            return (pc.fill_null(raw.cast(pa.int64()), 0).to_numpy() - _PG_EPOCH_US).astype(dtype)
        raw = pc.fill_null(col.cast(pa.int64()), 0).to_numpy()
        return (raw * _US_PER_UNIT[t.unit] - _PG_EPOCH_US).astype(dtype)
    zero = pa.scalar(0, t) if not pa.types.is_floating(t) else pa.scalar(0.0, t)
    return pc.fill_null(col, zero).to_numpy(zero_copy_only=False).astype(dtype)


def _valid(col: pa.Array) -> np.ndarray:
    if col.null_count == 0:
        return np.ones(len(col), dtype=np.bool_)
    return col.is_valid().to_numpy(zero_copy_only=False)


def _text_parts(col: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets int64, one per row + 1, into the UTF-8 bytes) of a string column, Arrow's buffers as they are."""
    if pa.types.is_string(col.type):
        col = col.cast(pa.large_string())
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int64, count=col.offset + len(col) + 1)[col.offset:]
    data_buf = col.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets, data


@nb.njit(cache=True, nogil=True)
def _put_fixed(buf, pos, values, valid, width):  # pragma: no cover -- compiled
    for i in range(pos.shape[0]):
        p = pos[i]
        if valid[i]:
            buf[p] = 0
            buf[p + 1] = 0
            buf[p + 2] = 0
            buf[p + 3] = width
            for k in range(width):
                buf[p + 4 + k] = values[i, k]
            pos[i] = p + 4 + width
        else:
            buf[p] = 255
            buf[p + 1] = 255
            buf[p + 2] = 255
            buf[p + 3] = 255
            pos[i] = p + 4


@nb.njit(cache=True, nogil=True)
def _put_text(buf, pos, offsets, data, valid):  # pragma: no cover -- compiled
    for i in range(pos.shape[0]):
        p = pos[i]
        if valid[i]:
            a, b = offsets[i], offsets[i + 1]
            n = b - a
            buf[p] = (n >> 24) & 255
            buf[p + 1] = (n >> 16) & 255
            buf[p + 2] = (n >> 8) & 255
            buf[p + 3] = n & 255
            for k in range(n):
                buf[p + 4 + k] = data[a + k]
            pos[i] = p + 4 + n
        else:
            buf[p] = 255
            buf[p + 1] = 255
            buf[p + 2] = 255
            buf[p + 3] = 255
            pos[i] = p + 4


def encode(table: pa.Table | pa.RecordBatch, *, header: bool = True, trailer: bool = True) -> np.ndarray:
    """The binary COPY bytes of ``table`` (all its columns, in order) as one uint8 array."""
    if isinstance(table, pa.Table):
        table = table.combine_chunks()
        cols = [c.chunk(0) if c.num_chunks == 1 else pa.concat_arrays(c.chunks) for c in table.columns]
    else:
        cols = list(table.columns)
    n = table.num_rows
    fields: list[tuple] = []
    row_bytes = np.full(n, 2, dtype=np.int64)  # the int16 field count
    for col in cols:
        valid = _valid(col)
        dtype = _wire_dtype(col.type)
        if dtype is None:
            offsets, data = _text_parts(col)
            row_bytes += 4 + np.where(valid, np.diff(offsets), 0)
            fields.append(("text", offsets, data, valid))
        else:
            values = _wire_values(col, dtype).view(np.uint8).reshape(n, dtype.itemsize)
            row_bytes += 4 + np.where(valid, dtype.itemsize, 0)
            fields.append(("fixed", values, dtype.itemsize, valid))
    lead = len(HEADER) if header else 0
    starts = lead + np.concatenate(([0], np.cumsum(row_bytes)[:-1])) if n else np.zeros(0, np.int64)
    total = lead + int(row_bytes.sum()) + (len(TRAILER) if trailer else 0)
    buf = np.empty(total, dtype=np.uint8)
    if header:
        buf[:lead] = np.frombuffer(HEADER, np.uint8)
    count = len(cols).to_bytes(2, "big")
    buf[starts] = count[0]
    buf[starts + 1] = count[1]
    pos = starts + 2
    for kind, a, b, valid in fields:
        if kind == "text":
            _put_text(buf, pos, a, b, valid)
        else:
            _put_fixed(buf, pos, a, valid, b)
    if trailer:
        buf[-len(TRAILER):] = np.frombuffer(TRAILER, np.uint8)
    return buf
