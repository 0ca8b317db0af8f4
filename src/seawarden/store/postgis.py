"""The team store: PostgreSQL + PostGIS, for several processes writing and reading at once.

Same questions, same answers, same Arrow schemas as :class:`~seawarden.store.duckdb_store.DuckDBStore`
(the store tests run against both). What differs is underneath:

* rows move as Arrow columns both ways, no Python object per row: in through ``COPY ... (FORMAT
  binary)`` built column-wise by :mod:`seawarden.store.pg_binary` (1.6x the former CSV path on
  real-derived rows, bench/store.py ``--postgis-load``; index upkeep, GiST above all, is now most of
  the load time); out through ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` parsed by pyarrow's CSV
  reader straight into typed columns (PostgreSQL's shortest-exact float output and ISO times make
  the round trip exact; quoted "" vs unquoted empty keeps '' apart from NULL);
* positions carry a generated PostGIS point with a GiST index for box queries, a B-tree on
  (mmsi, ts) for tracks and BRIN on ts for time windows (schema: ``pg_migrations``, Alembic);
* concurrency is PostgreSQL's: any number of processes append and read at once; ``ingest`` of
  one fingerprint is serialised by an advisory lock so two processes never both load a file.

One store object holds one connection and is not for sharing between threads; :meth:`reader`
opens another connection. ``schema`` picks a PostgreSQL schema (default ``public``) so that
several independent stores can share one database (the tests use one per test).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from seawarden import schema as contracts
from seawarden.ingest.batch import DecodedBatch
from seawarden.store import pg_binary, pg_migrations
from seawarden.store.base import (LATEST_FIX, LATEST_FIX_ORDER, STATIC_LATEST, VESSEL_SUMMARY, PositionTotals, StoreInputError,
                                  track_windows)
from seawarden.store.files import redact_dsn as _redact
from seawarden.store.duckdb_store import _TABLES, _mmsi, append_all, _utc, _window, check_box, conform, latest_fix_filters

#: rows per COPY chunk written (bounds the CSV text held in memory at once)
_COPY_ROWS = 262_144

_CARRIES_NAME = "msg_type IN (5, 19) OR (msg_type = 24 AND part = 0)"
_CARRIES_SHIP = "msg_type IN (5, 19) OR (msg_type = 24 AND part = 1)"
_CARRIES_CALLSIGN = "msg_type = 5 OR (msg_type = 24 AND part = 1)"
_CARRIES_VOYAGE = "msg_type = 5"


def _latest(column: str, carriers: str) -> str:
    """The value of the latest carrier report, even when that value is NULL (DuckDB's arg_max_null)."""
    return f"(array_agg({column} ORDER BY ts DESC) FILTER (WHERE {carriers}))[1] AS {column}"


_STATIC_LATEST_SQL = f"""
SELECT mmsi, max(ts) AS ts,
    {_latest("imo", _CARRIES_VOYAGE)}, {_latest("callsign", _CARRIES_CALLSIGN)}, {_latest("name", _CARRIES_NAME)},
    {", ".join(_latest(c, _CARRIES_SHIP) for c in ("ship_type", "to_bow", "to_stern", "to_port", "to_starboard"))},
    {", ".join(_latest(c, _CARRIES_VOYAGE) for c in ("draught", "destination", "eta"))},
    count(*) AS n_reports
FROM static_reports {{where}}
GROUP BY mmsi
"""


#: The distinct vessels of positions by a loose index scan: one (mmsi, ts) index probe per vessel
#: (thousands) instead of reading every row (millions) as count(DISTINCT) and max(ts) would.
_VESSELS_SQL = """
WITH RECURSIVE v(mmsi) AS (
    (SELECT mmsi FROM positions ORDER BY mmsi LIMIT 1)
    UNION ALL
    SELECT (SELECT p.mmsi FROM positions p WHERE p.mmsi > v.mmsi ORDER BY p.mmsi LIMIT 1) FROM v WHERE v.mmsi IS NOT NULL
) SELECT mmsi FROM v WHERE mmsi IS NOT NULL
"""


# -- Arrow <-> COPY csv --------------------------------------------------------------------------
def copy_in(cur: psycopg.Cursor, table: str, data: pa.Table) -> None:
    """Append an Arrow table (columns named as in ``table``) with binary COPY, in chunks (bounded memory)."""
    statement = f"COPY {table} ({', '.join(data.column_names)}) FROM STDIN (FORMAT binary)"
    with cur.copy(statement) as copy:
        last = max(data.num_rows - 1, 0) // _COPY_ROWS * _COPY_ROWS
        for start in range(0, max(data.num_rows, 1), _COPY_ROWS):
            copy.write(memoryview(pg_binary.encode(data.slice(start, _COPY_ROWS), header=start == 0, trailer=start == last)))


def _csv_options(schema: pa.Schema) -> dict[str, Any]:
    return {
        "read_options": pacsv.ReadOptions(column_names=schema.names, block_size=1 << 24),
        "convert_options": pacsv.ConvertOptions(
            column_types={f.name: f.type for f in schema},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,  # "" is an empty string, an unquoted empty field is NULL
            true_values=["t"],
            false_values=["f"],
        ),
    }


def copy_out(con: psycopg.Connection, query: str, params: Sequence[Any] | dict[str, Any] | None, schema: pa.Schema) -> pa.Table:
    """Run ``query`` (its columns in ``schema`` order) through COPY TO STDOUT and parse it as Arrow columns."""
    with con.cursor() as cur:
        with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)", params) as copy:
            text = b"".join(copy)
    if not text:
        return schema.empty_table()
    return pacsv.read_csv(io.BytesIO(text), **_csv_options(schema)).cast(schema)


class _CopyStream(io.RawIOBase):
    """A COPY TO STDOUT as a file, for pyarrow's streaming CSV reader."""

    def __init__(self, chunks: Iterator[memoryview]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        out = memoryview(buffer).cast("B")
        pieces, size = [self._left] if self._left else [], len(self._left)
        while size < len(out):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            pieces.append(chunk)
            size += len(chunk)
        data = b"".join(pieces)
        n = min(len(out), len(data))
        out[:n] = data[:n]
        self._left = data[n:]
        return n


def _rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Record batches of exactly ``rows`` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    have = 0
    for batch in batches:
        pending.append(batch)
        have += batch.num_rows
        while have >= rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, rows).combine_chunks().to_batches()[0]
            rest = table.slice(rows)
            pending, have = rest.to_batches(), rest.num_rows
    if have:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


class PostGISStore:
    """Decoded AIS in PostgreSQL + PostGIS, implementing :class:`~seawarden.store.base.Store`."""

    def __init__(self, dsn: str, *, schema: str = "public", read_only: bool = False, _migrate: bool = True) -> None:
        self.dsn, self.read_only = dsn, read_only
        self.schema = pg_migrations.check_schema_name(schema)
        self.where = f"store {_redact(dsn)} (schema {schema})"
        try:
            self._con = psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            raise ConnectionError(f"{self.where}: cannot connect: {str(exc).strip()}") from exc
        try:
            if _migrate:
                pg_migrations.ensure_current(self._con, dsn, schema, where=self.where, read_only=read_only)
            self._con.execute(f'SET search_path TO "{schema}", public')
            for setting, value in (("TimeZone", "UTC"), ("DateStyle", "ISO"), ("extra_float_digits", "1")):
                self._con.execute(f"SET {setting} = '{value}'")
            if read_only:
                self._con.execute("SET default_transaction_read_only = on")
        except BaseException:
            self._con.close()
            raise

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> "PostGISStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def reader(self) -> "PostGISStore":
        """Another connection to the same store (for another thread; sees committed rows)."""
        return PostGISStore(self.dsn, schema=self.schema, read_only=self.read_only, _migrate=False)

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple[Any, ...]:
        row = self._con.execute(sql, params).fetchone()
        assert row is not None
        return tuple(row)

    # -- writing ----------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreInputError(f"{self.where} was opened read_only; open it without read_only=True to write")

    def append(self, batch: DecodedBatch) -> None:
        self._require_writable()
        tables = [(name, conform(getattr(batch, attr), contract, attr)) for attr, name, contract in _TABLES]
        with self._con.transaction(), self._con.cursor() as cur:
            for name, table in tables:
                if table.num_rows:
                    try:
                        copy_in(cur, name, table)
                    except psycopg.DataError as exc:
                        raise StoreInputError(f"{self.where}: {name} rows refused by PostgreSQL: {str(exc).strip()}") from exc

    def ingest(self, batches: Iterable[DecodedBatch], *, fingerprint: str, origin: str) -> bool:
        self._require_writable()
        with self._con.transaction():
            # two processes loading the same input: the second waits here, then finds it ingested
            self._con.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{self.schema}|{fingerprint}"])
            if self.has_ingested(fingerprint):
                return False
            self.mark_ingested(fingerprint, origin, append_all(self, batches))
        return True

    def has_ingested(self, fingerprint: str) -> bool:
        return bool(self._one("SELECT count(*) FROM ingested WHERE fingerprint = %s", [fingerprint])[0])

    def mark_ingested(self, fingerprint: str, origin: str, stats: dict[str, Any]) -> None:
        self._require_writable()
        self._con.execute(
            "INSERT INTO ingested VALUES (%s, %s, now(), %s) ON CONFLICT DO NOTHING",
            [fingerprint, origin, json.dumps(stats, default=str, sort_keys=True)],
        )

    def ingested_files(self) -> pa.Table:
        """Every input recorded as ingested: fingerprint, origin, ingested_at, stats (JSON)."""
        schema = pa.schema([("fingerprint", pa.string()), ("origin", pa.string()), ("ingested_at", pa.timestamp("us", tz="UTC")),
                            ("stats", pa.string())])
        return copy_out(self._con, "SELECT * FROM ingested ORDER BY ingested_at", None, schema)

    # -- positions --------------------------------------------------------------------------
    def _positions(self, where: str, params: dict[str, Any], order: str = "ts, mmsi") -> pa.Table:
        cols = ", ".join(contracts.POSITIONS.names)
        return copy_out(self._con, f"SELECT {cols} FROM positions WHERE {where} ORDER BY {order}", params, contracts.POSITIONS)

    def track(self, mmsi: int, t0: datetime, t1: datetime) -> pa.Table:
        return self._positions("mmsi = %(mmsi)s AND ts >= %(t0)s AND ts < %(t1)s", {"mmsi": _mmsi(mmsi), **_window(t0, t1)})

    def tracks(self, mmsis: Sequence[int], starts: Sequence[datetime], ends: Sequence[datetime]) -> pa.Table:
        """Many tracks in one query: one (mmsi, ts) index range scan per window, via LATERAL over the unnested windows.

        (A plain join lets the planner pick a hash join over all positions, slower than the per-vessel queries.)
        """
        w = track_windows(mmsis, starts, ends)
        if not w.num_rows:
            return contracts.POSITIONS.empty_table()
        cols = ", ".join(f"p.{c}" for c in contracts.POSITIONS.names)
        query = (f"SELECT {cols} FROM unnest(%(m)s::bigint[], %(t0)s::timestamptz[], %(t1)s::timestamptz[]) AS w(mmsi, t0, t1) "
                 "CROSS JOIN LATERAL (SELECT * FROM positions WHERE mmsi = w.mmsi AND ts >= w.t0 AND ts < w.t1 "
                 "ORDER BY ts OFFSET 0) AS p ORDER BY w.mmsi, w.t0, p.ts")
        params = {"m": w["mmsi"].to_pylist(), "t0": w["t0"].to_pylist(), "t1": w["t1"].to_pylist()}
        return copy_out(self._con, query, params, contracts.POSITIONS)

    def positions_in_box(
        self, lon_min: float, lat_min: float, lon_max: float, lat_max: float, t0: datetime, t1: datetime
    ) -> pa.Table:
        check_box(lon_min, lat_min, lon_max, lat_max)
        params = {"x0": float(lon_min), "x1": float(lon_max), "y0": float(lat_min), "y1": float(lat_max), **_window(t0, t1)}
        # && on the GiST index finds candidates (its float4 boxes round outwards); the exact lon/lat tests decide
        if lon_min <= lon_max:
            spatial = "geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326) AND lon BETWEEN %(x0)s AND %(x1)s"
        else:
            spatial = ("(geom && ST_MakeEnvelope(%(x0)s, %(y0)s, 180, %(y1)s, 4326) OR geom && ST_MakeEnvelope(-180, %(y0)s, %(x1)s, %(y1)s, 4326))"
                       " AND (lon >= %(x0)s OR lon <= %(x1)s)")
        return self._positions(f"ts >= %(t0)s AND ts < %(t1)s AND lat BETWEEN %(y0)s AND %(y1)s AND {spatial}", params)

    def positions_between(self, t0: datetime, t1: datetime) -> pa.Table:
        return self._positions("ts >= %(t0)s AND ts < %(t1)s", _window(t0, t1))

    def iter_positions(self, t0: datetime, t1: datetime, batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
        """Streams one COPY on its own connection (the caller may query the store between batches)."""
        if batch_rows < 1:
            raise StoreInputError(f"batch_rows must be positive, got {batch_rows}")
        window = _window(t0, t1)
        cols = ", ".join(contracts.POSITIONS.names)
        query = f"COPY (SELECT {cols} FROM positions WHERE ts >= %(t0)s AND ts < %(t1)s ORDER BY ts, mmsi) TO STDOUT (FORMAT csv)"
        with self.reader() as own, own._con.cursor() as cur, cur.copy(query, window) as copy:
            stream = io.BufferedReader(_CopyStream(iter(copy)), buffer_size=1 << 20)
            try:
                reader = pacsv.open_csv(stream, **_csv_options(contracts.POSITIONS))
            except pa.ArrowInvalid:  # no rows at all: "Empty CSV file"
                return
            yield from _rebatch((b.cast(contracts.POSITIONS) for b in reader), batch_rows)

    def latest_fixes(self, t0: datetime, bbox: tuple[float, float, float, float] | None = None,
                     mmsi: int | None = None) -> pa.Table:
        """DISTINCT ON over the window's rows (one vessel: a backward scan of the (mmsi, ts) index)."""
        inner, outer, params = latest_fix_filters(t0, bbox, mmsi, mark="%")
        query = (f"SELECT * FROM (SELECT DISTINCT ON (mmsi) mmsi, (extract(epoch FROM ts) * 1000)::bigint AS ts_ms, lat, lon, "
                 f"sog, cog, heading, nav_status FROM positions WHERE {inner} ORDER BY {LATEST_FIX_ORDER}) AS f "
                 f"WHERE {outer} ORDER BY mmsi")
        return copy_out(self._con, query, params, LATEST_FIX)

    def last_seen(self, mmsi: int | None = None) -> datetime | None:
        if mmsi is not None:
            return self._one("SELECT max(ts) FROM positions WHERE mmsi = %s", [_mmsi(mmsi)])[0]
        return self._one(f"SELECT max(last.ts) FROM ({_VESSELS_SQL}) AS v CROSS JOIN LATERAL "
                         "(SELECT max(ts) AS ts FROM positions p WHERE p.mmsi = v.mmsi) AS last")[0]

    def position_totals(self) -> PositionTotals:
        (n,) = self._one("SELECT count(*) FROM positions")
        (vessels,) = self._one(f"SELECT count(*) FROM ({_VESSELS_SQL}) AS v")
        return PositionTotals(n, vessels, self.last_seen())

    # -- static and other -------------------------------------------------------------------
    def static_latest(self, mmsis: list[int] | None = None) -> pa.Table:
        where, params = "", None
        if mmsis is not None:
            where, params = "WHERE mmsi = ANY(%s)", [[_mmsi(m) for m in mmsis]]
        return copy_out(self._con, _STATIC_LATEST_SQL.format(where=where) + " ORDER BY mmsi", params, STATIC_LATEST)

    def static_history(self, mmsi: int) -> pa.Table:
        cols = ", ".join(contracts.STATIC.names)
        return copy_out(self._con, f"SELECT {cols} FROM static_reports WHERE mmsi = %s ORDER BY ts", [_mmsi(mmsi)], contracts.STATIC)

    def other_between(self, t0: datetime, t1: datetime, msg_types: list[int] | None = None) -> pa.Table:
        where, params = "ts >= %(t0)s AND ts < %(t1)s", dict(_window(t0, t1))
        if msg_types is not None:
            where, params["types"] = where + " AND msg_type = ANY(%(types)s)", [int(t) for t in msg_types]
        cols = ", ".join(contracts.OTHER.names)
        return copy_out(self._con, f"SELECT {cols} FROM other_messages WHERE {where} ORDER BY ts, mmsi", params, contracts.OTHER)

    # -- summaries --------------------------------------------------------------------------
    def vessel_summary(
        self, t0: datetime | None = None, t1: datetime | None = None, mmsis: list[int] | None = None
    ) -> pa.Table:
        conditions, params = ["TRUE"], {}
        if t0 is not None:
            conditions.append("ts >= %(t0)s")
            params["t0"] = _utc(t0, "t0")
        if t1 is not None:
            conditions.append("ts < %(t1)s")
            params["t1"] = _utc(t1, "t1")
        if mmsis is not None:
            conditions.append("mmsi = ANY(%(mmsis)s)")
            params["mmsis"] = [_mmsi(m) for m in mmsis]
        cond = " AND ".join(conditions)
        sql = f"""
            WITH seen AS (
                SELECT mmsi, count(*) AS n_positions, min(ts) AS first_seen, max(ts) AS last_seen
                FROM positions WHERE {cond} GROUP BY mmsi
            ), last_fix AS (
                SELECT DISTINCT ON (mmsi) mmsi, lat AS last_lat, lon AS last_lon, sog AS last_sog
                FROM positions WHERE {cond} AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY mmsi, ts DESC
            ), latest AS ({_STATIC_LATEST_SQL.format(where="WHERE mmsi IN (SELECT mmsi FROM seen)")})
            SELECT seen.mmsi, n_positions, first_seen, last_seen, last_lat, last_lon, last_sog, latest.name, latest.ship_type
            FROM seen LEFT JOIN last_fix USING (mmsi) LEFT JOIN latest USING (mmsi) ORDER BY mmsi
        """
        return copy_out(self._con, sql, params, VESSEL_SUMMARY)

    def stats(self) -> dict[str, Any]:
        """Row counts, time span, vessel count, bytes on disk and schema revision, for ``seawarden status``."""
        counts = {name: self._one(f"SELECT count(*) FROM {name}")[0] for _, name, _ in _TABLES}
        first, last, vessels = self._one("SELECT min(ts), max(ts), count(DISTINCT mmsi) FROM positions")
        (files,) = self._one("SELECT count(*) FROM ingested")
        (size,) = self._one("SELECT coalesce(sum(pg_total_relation_size(format('%%I.%%I', schemaname, tablename))), 0) "
                            "FROM pg_tables WHERE schemaname = %s", [self.schema])
        return {
            "path": f"{_redact(self.dsn)}#{self.schema}",
            "schema_version": int(pg_migrations.current(self._con, self.schema) or 0),  # revisions are numbered like DuckDB's steps
            "rows": counts,
            "vessels": vessels,
            "first_ts": first,
            "last_ts": last,
            "ingested_files": files,
            "file_bytes": int(size),
        }
