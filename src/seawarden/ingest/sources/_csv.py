"""Shared machinery of the CSV archive readers: streaming, vectorised field checks, static de-duplication.

Every column is read as raw bytes and converted here, column by column, with whole-array kernels. That
way one bad value (a letter in a latitude, invalid UTF-8, a shifted row) rejects its row with a counted
reason instead of aborting the whole block, which is what a typed ``pyarrow.csv`` read would do.
"""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from seawarden import schema
from seawarden.ingest.rejects import Quarantine, Reason

ProgressCallback = Callable[[int, int], None]

#: Decimal numbers as archives write them ("55.668072", "-0.0", "1e-3", "511").
_NUMBER_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_MS_PER_S = 1000


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_header_line(path: Path, limit: int = 64 * 1024) -> str:
    """The first line of a (possibly gzipped) text file, BOM and line end stripped."""
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        raw = fh.readline(limit)
    return raw.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r\n")


def split_header(line: str, delimiter: str) -> list[str]:
    return [name.strip().strip('"') for name in line.split(delimiter)]


class CsvRowRejections:
    """Counts and quarantines bad archive rows; one instance per source.

    pyarrow may call the invalid-row handler from its read-ahead thread while an earlier batch is being
    converted, so counts accumulate here and each batch reports only what is new (``take_new``).
    """

    def __init__(self, origin: str, quarantine: Quarantine | None) -> None:
        self.origin = origin
        self.quarantine = quarantine
        self._counts: Counter[Reason] = Counter()
        self._reported: Counter[Reason] = Counter()

    def reject_line(self, reason: Reason, text: str, where: str = "") -> None:
        self._counts[reason] += 1
        if self.quarantine is not None:
            self.quarantine.write(reason, text, f"{self.origin}{where}")

    def take_new(self) -> Counter[Reason]:
        snapshot = Counter(self._counts)
        new = snapshot - self._reported
        self._reported = snapshot
        return new


def stream_raw_batches(
    path: Path,
    delimiter: str,
    rejections: CsvRowRejections,
    *,
    block_bytes: int = 4 << 20,
    progress: ProgressCallback | None = None,
) -> Iterator[tuple[list[str], pa.RecordBatch]]:
    """Yield (header, batch of binary columns) from a plain or gzipped CSV, ``block_bytes`` at a time.

    Rows with the wrong number of fields are counted as BAD_CSV_ROW (pyarrow calls the handler only for
    those rows, so the good path stays vectorised).
    """
    header = split_header(read_header_line(path), delimiter)
    names = [f"_{i}" if not n else n for i, n in enumerate(header)]
    total = path.stat().st_size
    raw = pa.OSFile(str(path))
    stream: pa.NativeFile = pa.CompressedInputStream(raw, "gzip") if is_gzip(path) else raw

    def on_invalid(row: pacsv.InvalidRow) -> str:
        line = f":{row.number}" if row.number is not None else ""
        rejections.reject_line(Reason.BAD_CSV_ROW, row.text, line)
        return "skip"

    reader = pacsv.open_csv(
        _Utf8Lines(stream, rejections, block_bytes),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=block_bytes),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.binary() for n in names}, strings_can_be_null=True, null_values=[""]
        ),
    )
    try:
        for batch in reader:
            if progress is not None:
                progress(raw.tell(), total)
            if batch.num_rows:
                yield header, batch
    finally:
        reader.close()
        raw.close()
    if progress is not None:
        progress(total, total)


class _Utf8Lines(io.RawIOBase):
    """Passes the byte stream on, minus lines that are not valid UTF-8 (counted BAD_CSV_ROW).

    pyarrow's CSV parser cannot report such a line (its invalid-row hook fails to decode it and the
    read aborts), so they are taken out first. The check is one C-speed decode per block; only a
    block that fails it is split into lines.
    """

    def __init__(self, stream: pa.NativeFile, rejections: CsvRowRejections, block_bytes: int) -> None:
        self._stream = stream
        self._rejections = rejections
        self._block = max(block_bytes, 1 << 16)
        self._out = bytearray()
        self._carry = b""
        self._eof = False
        self._line = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._out) < size):
            self._fill()
        n = len(self._out) if size < 0 else min(size, len(self._out))
        out = bytes(self._out[:n])
        del self._out[:n]
        return out

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _fill(self) -> None:
        data = self._stream.read(self._block)
        if not data:
            self._eof = True
            data, self._carry = self._carry, b""
        else:
            data = self._carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0 and len(data) < 64 * self._block:
                self._carry = data
                return
            data, self._carry = (data[:cut], data[cut:]) if cut else (data, b"")
        n_lines = data.count(b"\n")
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = self._drop_bad_lines(data)
        self._line += n_lines
        self._out += data

    def _drop_bad_lines(self, data: bytes) -> bytes:
        kept = []
        for i, line in enumerate(data.splitlines(keepends=True)):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                text = line.decode("utf-8", "backslashreplace").rstrip("\r\n")
                self._rejections.reject_line(Reason.BAD_CSV_ROW, text, f":line{self._line + i + 1}")
                continue
            kept.append(line)
        return b"".join(kept)


class RowChecker:
    """Converts raw columns of one batch and remembers, per row, the first reason to reject it."""

    def __init__(self, batch: pa.RecordBatch, delimiter: str) -> None:
        self.batch = batch
        self.delimiter = delimiter
        self.n = batch.num_rows
        self.reason = np.zeros(self.n, dtype=np.uint8)
        self._text: dict[str, pa.Array] = {}

    # -- marking
    def flag(self, mask: pa.Array | np.ndarray, reason: Reason) -> None:
        if isinstance(mask, (pa.Array, pa.ChunkedArray)):
            mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        mask = np.asarray(mask, dtype=bool)
        self.reason[mask & (self.reason == 0)] = reason.value

    @property
    def ok(self) -> np.ndarray:
        return self.reason == 0

    # -- conversions
    def text(self, name: str) -> pa.Array:
        """The column as UTF-8 text; rows with invalid UTF-8 are flagged BAD_CSV_ROW and read as null."""
        if name not in self._text:
            raw = self.batch.column(name)
            try:
                out = pc.cast(raw, pa.string())
            except pa.ArrowInvalid:  # rare: only batches that hold broken bytes take this path
                valid = np.fromiter((_is_utf8(v) for v in raw.to_pylist()), dtype=bool, count=len(raw))
                self.flag(~valid, Reason.BAD_CSV_ROW)
                out = pc.cast(pc.if_else(pa.array(valid), raw, pa.scalar(None, pa.binary())), pa.string())
            self._text[name] = pc.utf8_trim_whitespace(out)
        return self._text[name]

    def number(self, name: str, missing: Sequence[str] = ()) -> pa.Array:
        """The column as float64; ``missing`` words (e.g. "Unknown") are null, other non-numbers flag the row."""
        return self.parse_number(self.text(name), missing)

    def parse_number(self, col: pa.Array, missing: Sequence[str] = ()) -> pa.Array:
        """Text as float64 (see :meth:`number`), for columns that need cleaning first."""
        if missing:
            col = pc.if_else(pc.is_in(col, pa.array(list(missing), pa.string())), pa.scalar(None, pa.string()), col)
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        try:
            out = pc.cast(col, pa.float64())
        except pa.ArrowInvalid:
            good = pc.match_substring_regex(col, _NUMBER_RE)
            self.flag(pc.invert(good), Reason.BAD_CSV_ROW)
            out = pc.cast(pc.if_else(good, col, pa.scalar(None, pa.string())), pa.float64())
        self.flag(pc.invert(pc.is_finite(out)), Reason.BAD_CSV_ROW)  # "nan", "inf"
        return pc.if_else(pc.is_finite(out), out, pa.scalar(None, pa.float64()))

    def timestamp(self, name: str, fmt: str, *, required: bool) -> pa.Array:
        """The column parsed with ``fmt`` as UTC milliseconds; unparseable (or missing, if required) flags the row."""
        col = self.text(name)
        parsed = pc.strptime(col, format=fmt, unit="ms", error_is_null=True)
        bad = pc.and_(pc.is_valid(col), pc.is_null(parsed))
        if required:
            bad = pc.or_(bad, pc.is_null(col))
        self.flag(bad, Reason.BAD_CSV_ROW)
        return pc.cast(parsed, schema.TS)

    def category(self, name: str, codes: Mapping[str, int | None]) -> pa.Array:
        """Map labels to codes (uint8, null where the label means 'not available'); unknown labels flag the row."""
        col = self.text(name)
        labels = pa.array(list(codes), pa.string())
        values = pa.array(list(codes.values()), pa.uint8())
        idx = pc.index_in(col, value_set=labels)
        self.flag(pc.and_(pc.is_valid(col), pc.is_null(idx)), Reason.BAD_CSV_ROW)
        return pc.take(values, idx)

    def line_text(self, row: int) -> str:
        """The row re-joined from its fields (for the quarantine)."""
        fields = []
        for col in self.batch.columns:
            value = col[row].as_py()
            fields.append("" if value is None else value.decode("utf-8", "backslashreplace"))
        return self.delimiter.join(fields)


def _is_utf8(value: bytes | None) -> bool:
    if value is None:
        return True
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def finish_rejections(checker: RowChecker, rejections: CsvRowRejections, first_row: int) -> np.ndarray:
    """Count/quarantine flagged rows of a batch; return the mask of rows to keep."""
    bad_rows = np.flatnonzero(checker.reason)
    for row in bad_rows:
        rejections.reject_line(Reason(int(checker.reason[row])), checker.line_text(int(row)), f":row{first_row + row + 1}")
    return checker.ok


def null_where(values: pa.Array, mask: pa.Array) -> pa.Array:
    """``values`` with nulls where ``mask`` is true (the AIS 'not available' sentinels)."""
    return pc.if_else(pc.fill_null(mask, False), pa.scalar(None, values.type), values)


def in_range(values: pa.Array, lo: float, hi: float) -> pa.Array:
    return pc.and_(pc.greater_equal(values, lo), pc.less_equal(values, hi))


def flag_outside(checker: RowChecker, values: pa.Array, lo: float, hi: float) -> None:
    """Non-null values outside [lo, hi] are impossible: reject the row."""
    checker.flag(pc.invert(in_range(values, lo, hi)), Reason.IMPOSSIBLE_VALUE)


def checked_mmsi(checker: RowChecker, name: str) -> pa.Array:
    mmsi = checker.number(name)
    checker.flag(pc.is_null(mmsi), Reason.BAD_CSV_ROW)
    checker.flag(pc.invert(in_range(mmsi, 1, 999_999_999)), Reason.IMPOSSIBLE_VALUE)
    checker.flag(pc.not_equal(pc.floor(mmsi), mmsi), Reason.BAD_CSV_ROW)
    return mmsi


def ais_lat_lon(checker: RowChecker, lat_name: str, lon_name: str) -> tuple[pa.Array, pa.Array]:
    """Latitude/longitude with 91/181 ('not available') as null; anything else out of range rejects the row."""
    lat = checker.number(lat_name)
    lon = checker.number(lon_name)
    lat = null_where(lat, pc.equal(lat, 91.0))
    lon = null_where(lon, pc.equal(lon, 181.0))
    flag_outside(checker, lat, -90.0, 90.0)
    flag_outside(checker, lon, -180.0, 180.0)
    return lat, lon


def ais_motion(checker: RowChecker, sog: pa.Array, cog: pa.Array, heading: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """SOG 102.3, COG 360, heading 511 are 'not available' (null); other out-of-range values reject the row."""
    sog = null_where(sog, pc.greater_equal(sog, 102.25))
    cog = null_where(cog, pc.greater_equal(cog, 360.0))  # 360.0 = n/a; 360.1..409.5 are undefined too
    heading = null_where(heading, pc.equal(heading, 511.0))
    flag_outside(checker, sog, 0.0, 102.2)
    flag_outside(checker, cog, 0.0, 360.0)
    flag_outside(checker, heading, 0.0, 359.0)
    return sog, cog, heading


def cast_checked(checker: RowChecker, values: pa.Array, type_: pa.DataType, lo: float, hi: float) -> pa.Array:
    """Integer-valued column into ``type_``; fractions or out-of-range values reject the row."""
    flag_outside(checker, values, lo, hi)
    checker.flag(pc.not_equal(pc.floor(values), values), Reason.BAD_CSV_ROW)
    safe = null_where(values, pc.invert(pc.and_(in_range(values, lo, hi), pc.equal(pc.floor(values), values))))
    return pc.cast(safe, type_)


def constant(value: object, type_: pa.DataType, n: int) -> pa.Array:
    return pa.array(np.full(n, value), type_) if value is not None else pa.nulls(n, type_)


# --------------------------------------------------------------------------- static de-duplication

STATIC_FIELDS = (
    "imo",
    "callsign",
    "name",
    "ship_type",
    "to_bow",
    "to_stern",
    "to_port",
    "to_starboard",
    "draught",
    "destination",
    "eta",
)


class StaticChangeFilter:
    """Archives repeat a vessel's static data on every row; keep a row only when it changes.

    State (the last static row of each vessel seen) spans batches, so a change is detected once per
    stream whatever the batch boundaries. Rows with every static field null carry no static report.
    """

    def __init__(self) -> None:
        self._last = schema.empty(schema.STATIC)

    def __call__(self, static: pa.Table) -> pa.Table:
        informative = np.zeros(static.num_rows, dtype=bool)
        for name in STATIC_FIELDS:
            informative |= static.column(name).is_valid().to_numpy(zero_copy_only=False)
        static = static.filter(pa.array(informative))
        if static.num_rows == 0:
            return static
        carried = self._last.filter(pc.is_in(self._last.column("mmsi"), value_set=pc.unique(static.column("mmsi"))))
        combined = pa.concat_tables([carried, static])
        n_carried = carried.num_rows
        arrival = np.arange(combined.num_rows)
        mmsi = combined.column("mmsi").to_numpy()
        order = np.lexsort((arrival, mmsi))  # by vessel, then arrival (carried rows first)
        ordered = combined.take(pa.array(order))
        mmsi_sorted = mmsi[order]
        changed = np.ones(len(order), dtype=bool)
        same_vessel = mmsi_sorted[1:] == mmsi_sorted[:-1]
        differs = np.zeros(len(order) - 1, dtype=bool)
        for name in STATIC_FIELDS:
            col = ordered.column(name)
            a, b = col.slice(1), col.slice(0, len(col) - 1)
            ne = pc.fill_null(pc.not_equal(a, b), False)
            one_null = pc.xor(pc.is_null(a), pc.is_null(b))
            differs |= pc.or_(ne, one_null).to_numpy(zero_copy_only=False)
        changed[1:] = ~same_vessel | differs
        keep = changed & (order >= n_carried)
        last_of_vessel = np.ones(len(order), dtype=bool)
        last_of_vessel[:-1] = ~same_vessel
        self._last = pa.concat_tables(
            [
                self._last.filter(pc.invert(pc.is_in(self._last.column("mmsi"), value_set=pc.unique(static.column("mmsi"))))),
                ordered.filter(pa.array(last_of_vessel)),
            ]
        )
        kept_arrival = order[keep]
        return combined.take(pa.array(np.sort(kept_arrival)))


def table(columns: Mapping[str, pa.Array], contract: pa.Schema) -> pa.Table:
    """Build a contract table from named arrays (cast to the contract types)."""
    arrays = [pc.cast(columns[f.name], f.type) for f in contract]
    return pa.Table.from_arrays(arrays, schema=contract)


def split_overall_dimension(checker: RowChecker, overall: pa.Array, hi: float) -> tuple[pa.Array, pa.Array]:
    """Archives that give only overall length (or width) lose where the AIS antenna sits.

    We place the reference point amidships: bow = L - L//2, stern = L//2 (likewise port/starboard), so
    to_bow + to_stern is exactly the reported length and each part stays inside the AIS field's range.
    A length of 0 means 'not available'.
    """
    overall = null_where(overall, pc.equal(overall, 0))
    whole = cast_checked(checker, overall, pa.int64(), 0, hi)
    half = pc.divide(whole, 2)  # integer division for int64
    return pc.subtract(whole, half), half


def static_msg_type(position_msg_type: pa.Array) -> pa.Array:
    """Static data of Class B units come in type 24, of Class A units in type 5."""
    class_b = pc.is_in(position_msg_type, value_set=pa.array([18, 19], pa.uint8()))
    return pc.if_else(pc.fill_null(class_b, False), pa.scalar(24, pa.uint8()), pa.scalar(5, pa.uint8()))


def class_a_nav_status(nav_status: pa.Array, msg_type: pa.Array) -> pa.Array:
    """Only Class A reports (types 1-3, 27) carry a navigational status; elsewhere it is null.

    Matches the NMEA decoder: 15 ("not defined") stays 15 for Class A, as transmitted.
    """
    class_b = pc.is_in(msg_type, value_set=pa.array([18, 19], pa.uint8()))
    return null_where(nav_status, class_b)
