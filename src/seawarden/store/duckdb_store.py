"""The embedded default store: one DuckDB file (chosen over day-partitioned Parquet, see bench/store.py).

Batches go in as Arrow tables scanned by DuckDB in place (no per-row Python); queries come
back as Arrow tables cast to the contract schemas, so what is read equals what was written.

Concurrency (a DuckDB rule, not ours): one process may open a file for writing; while it
does, no other process can open the file at all. Several processes may open it together
``read_only=True`` when no writer is open. Inside the writing process, readers on other
threads use :meth:`DuckDBStore.reader` (a cursor on the same database, which sees committed
rows). A store object itself is not safe to share between threads.

The events and alerts live in a second file beside the archive, the alert log (``x.duckdb`` ->
``x.alerts.duckdb``, see :mod:`~seawarden.store.migrations` for why), attached to the same
connection and written through a cursor of its own (:meth:`DuckDBStore.alert_log`), so alert
commits are transactions apart from the AIS appends: DuckDB writes one file per transaction.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from seawarden.timeutil import utc
from seawarden import schema
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.rejects import IngestStats
from seawarden.store import migrations
from seawarden.store.base import (LATEST_FIX, LATEST_FIX_ORDER, STATIC_LATEST, VESSEL_SUMMARY, PositionTotals, StoreInputError,
                                  track_windows)

MEMORY = ":memory:"

log = logging.getLogger(__name__)


def alert_log_path(path: Path) -> Path:
    """The alert log beside an archive file: ``x.duckdb`` -> ``x.alerts.duckdb`` (any other name gains ``.alerts.duckdb``)."""
    stem = path.name[: -len(".duckdb")] if path.name.endswith(".duckdb") else path.name
    return path.with_name(f"{stem}.alerts.duckdb")

#: contract schema -> table holding it
_TABLES: tuple[tuple[str, str, pa.Schema], ...] = (
    ("positions", "positions", schema.POSITIONS),
    ("static", "static_reports", schema.STATIC),
    ("other", "other_messages", schema.OTHER),
)


def append_all(store: Any, batches: Iterable[DecodedBatch]) -> dict[str, Any]:
    """Append every batch of one input to ``store``; the record ``mark_ingested`` keeps (rows per table, outcomes).

    Both stores call it inside their own all-or-nothing transaction.
    """
    stats = IngestStats()
    rows = {name: 0 for _, name, _ in _TABLES}
    for batch in batches:
        store.append(batch)
        stats.merge(batch.stats)
        for attr, name, _ in _TABLES:
            rows[name] += getattr(batch, attr).num_rows
    return {"rows": rows, **stats.as_dict()}


# Which message kinds carry a static field (24 part A = name only, 24 part B = the rest):
# the latest report of a carrier decides the field, even when it says "not available".
_CARRIES_NAME = "msg_type IN (5, 19) OR (msg_type = 24 AND part = 0)"
_CARRIES_SHIP = "msg_type IN (5, 19) OR (msg_type = 24 AND part = 1)"
_CARRIES_CALLSIGN = "msg_type = 5 OR (msg_type = 24 AND part = 1)"
_CARRIES_VOYAGE = "msg_type = 5"
_HAS_FIX = "lat IS NOT NULL AND lon IS NOT NULL"  # last_lat/last_lon come from one and the same report
_STATIC_LATEST_SQL = f"""
SELECT mmsi, max(ts) AS ts,
    arg_max_null(imo, ts)          FILTER (WHERE {_CARRIES_VOYAGE})   AS imo,
    arg_max_null(callsign, ts)     FILTER (WHERE {_CARRIES_CALLSIGN}) AS callsign,
    arg_max_null(name, ts)         FILTER (WHERE {_CARRIES_NAME})     AS name,
    arg_max_null(ship_type, ts)    FILTER (WHERE {_CARRIES_SHIP})     AS ship_type,
    arg_max_null(to_bow, ts)       FILTER (WHERE {_CARRIES_SHIP})     AS to_bow,
    arg_max_null(to_stern, ts)     FILTER (WHERE {_CARRIES_SHIP})     AS to_stern,
    arg_max_null(to_port, ts)      FILTER (WHERE {_CARRIES_SHIP})     AS to_port,
    arg_max_null(to_starboard, ts) FILTER (WHERE {_CARRIES_SHIP})     AS to_starboard,
    arg_max_null(draught, ts)      FILTER (WHERE {_CARRIES_VOYAGE})   AS draught,
    arg_max_null(destination, ts)  FILTER (WHERE {_CARRIES_VOYAGE})   AS destination,
    arg_max_null(eta, ts)          FILTER (WHERE {_CARRIES_VOYAGE})   AS eta,
    count(*) AS n_reports
FROM static_reports {{where}}
GROUP BY mmsi
"""


def _utc(value: datetime, what: str) -> datetime:
    return utc(value, what, StoreInputError)


def _window(t0: datetime, t1: datetime) -> dict[str, datetime]:
    start, end = _utc(t0, "t0"), _utc(t1, "t1")
    if end < start:
        raise StoreInputError(f"empty window: t1 {end.isoformat()} is before t0 {start.isoformat()}")
    return {"t0": start, "t1": end}


def _mmsi(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= int(value) < 2**32:
        raise StoreInputError(f"MMSI must be an integer in 0..4294967295, got {value!r}")
    return int(value)


def check_box(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> None:
    """Refuse a box outside the globe or upside down (``lon_min > lon_max`` is a box across the antimeridian)."""
    for name, value, limit in (("lon_min", lon_min, 180), ("lon_max", lon_max, 180), ("lat_min", lat_min, 90), ("lat_max", lat_max, 90)):
        if not -limit <= float(value) <= limit:
            raise StoreInputError(f"{name}={value} is outside -{limit}..{limit}")
    if lat_min > lat_max:
        raise StoreInputError(f"lat_min {lat_min} is north of lat_max {lat_max}")


def latest_fix_filters(t0: datetime, bbox: tuple[float, float, float, float] | None, mmsi: int | None,
                       mark: str = "$") -> tuple[str, str, dict[str, Any]]:
    """(inner WHERE, outer box test, parameters) of the latest-fix query, for either store's parameter style.

    The box is tested on the newest fix (outer), not on the rows searched (inner), so a vessel that has
    left the box is not shown at an older place inside it.
    """
    p = (lambda n: f"${n}") if mark == "$" else (lambda n: f"%({n})s")
    params: dict[str, Any] = {"t0": _utc(t0, "t0")}
    inner = f"ts >= {p('t0')} AND lat IS NOT NULL AND lon IS NOT NULL"
    if mmsi is not None:
        inner, params["mmsi"] = inner + f" AND mmsi = {p('mmsi')}", _mmsi(mmsi)
    outer = "TRUE"
    if bbox is not None:
        lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
        check_box(lon0, lat0, lon1, lat1)
        lon_test = (f"lon BETWEEN {p('lon0')} AND {p('lon1')}" if lon0 <= lon1
                    else f"(lon >= {p('lon0')} OR lon <= {p('lon1')})")
        outer = f"lat BETWEEN {p('lat0')} AND {p('lat1')} AND {lon_test}"
        params.update(lon0=lon0, lat0=lat0, lon1=lon1, lat1=lat1)
    return inner, outer, params


def conform(table: pa.Table | pa.RecordBatch, contract: pa.Schema, what: str) -> pa.Table:
    """Check a table against its contract schema; raise one message listing every difference."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    if not isinstance(table, pa.Table):
        raise StoreInputError(f"{what}: expected a pyarrow Table in the {what} schema, got {type(table).__name__}")
    have = {f.name: f.type for f in table.schema}
    want = {f.name: f.type for f in contract}
    problems = [f"missing column {n!r} ({t})" for n, t in want.items() if n not in have]
    problems += [f"unexpected column {n!r}" for n in have if n not in want]
    problems += [f"column {n!r} is {have[n]}, the contract says {t}" for n, t in want.items() if n in have and have[n] != t]
    if not problems:
        problems = [
            f"column {f.name!r} is required but has {table[f.name].null_count} null(s)"
            for f in contract
            if not f.nullable and table[f.name].null_count
        ]
    if problems:
        raise StoreInputError(f"{what} table does not match the seawarden.schema contract: " + "; ".join(problems))
    return table.select(contract.names)


def _rel_to_table(rel: duckdb.DuckDBPyRelation) -> pa.Table:
    # DuckDB >= 1.4 names it to_arrow_table(); before that arrow() returned a Table.
    to_table = getattr(rel, "to_arrow_table", None)
    return to_table() if to_table is not None else rel.arrow()


class DuckDBStore:
    """Decoded AIS in one DuckDB file (or ``":memory:"``), implementing :class:`~seawarden.store.base.Store`."""

    def __init__(self, path: str | Path = MEMORY, *, read_only: bool = False, _con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.path = path if str(path) == MEMORY else Path(path).expanduser()
        self.read_only = read_only
        self._in_transaction = False
        self._alert_con: duckdb.DuckDBPyConnection | None = None
        self._alert_in_transaction = False
        if _con is not None:
            self._con = _con
            return
        where = f"store {self.path}"
        if self.path != MEMORY:
            if read_only and not self.path.exists():
                raise FileNotFoundError(f"{where}: no such store file (a read-only open cannot create it)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise RuntimeError(
                    f"{where} is open for writing by another process; DuckDB allows one writer, or several "
                    "read_only readers when no writer is open"
                ) from exc
            raise StoreInputError(f"{where}: {exc}") from exc  # not a DuckDB file, unreadable, ...
        self._con.execute("SET TimeZone = 'UTC'")  # date_trunc/time_bucket work on UTC days
        try:
            self._open_alert_log(where)
        except BaseException:
            self._con.close()
            raise

    def _open_alert_log(self, where: str) -> None:
        """Attach the alert log file and bring both files to the latest schema (read-only: check they are)."""
        log_path = MEMORY if self.path == MEMORY else alert_log_path(self.path)
        log_where = f"alert log {log_path} of {where}"
        if self.read_only:
            migrations.require_current(self._con, where=where)
            if not Path(log_path).exists():
                raise FileNotFoundError(f"{log_where}: no such file; the events and alerts of this store were kept there "
                                        "(restore it beside the store file)")
        elif log_path != MEMORY and not Path(log_path).exists() and migrations.current_version(self._con) >= migrations.ALERT_LOG_SINCE:
            log.warning("%s: no such file; a new, empty alert log is created (the store's earlier events and alerts "
                        "were kept there: restore it beside the store file to see them)", log_where)
        quoted = str(log_path).replace("'", "''")
        mode = " (READ_ONLY)" if self.read_only else ""
        try:
            self._con.execute(f"ATTACH IF NOT EXISTS '{quoted}' AS {migrations.ALERT_LOG}{mode}")
        except duckdb.IOException as exc:  # not a DuckDB file, unreadable, ...
            raise StoreInputError(f"{log_where}: {exc}") from exc
        alerts = self.alert_log()
        if self.read_only:
            migrations.require_current(alerts, where=log_where, steps=migrations.ALERT_LOG_MIGRATIONS)
        else:
            migrations.migrate(alerts, where=log_where, steps=migrations.ALERT_LOG_MIGRATIONS)
            migrations.migrate(self._con, where=where)
        migrations.pair(self._con, alerts, where=log_where, write=not self.read_only)

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> "DuckDBStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._alert_con is not None:
            self._alert_con.close()
        self._con.close()

    def reader(self) -> "DuckDBStore":
        """Another handle on the same database (archive and alert log) for a different thread of this process."""
        return DuckDBStore(self.path, read_only=self.read_only, _con=self._con.cursor())

    def alert_log(self) -> duckdb.DuckDBPyConnection:
        """This handle's cursor on the alert log: unqualified names are its tables, its transactions its own."""
        if self._alert_con is None:
            self._alert_con = self._con.cursor()
            self._alert_con.execute(f"USE {migrations.ALERT_LOG}")
            self._alert_con.execute("SET TimeZone = 'UTC'")
        return self._alert_con

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
        """The single row of a small query (fetched completely: DuckDB 2 refuses work beside an unfinished result)."""
        return tuple(self._con.execute(sql, params or []).fetchall()[0])

    # -- writing ----------------------------------------------------------------------------
    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreInputError(f"store {self.path} was opened read_only; open it without read_only=True to write")

    def append(self, batch: DecodedBatch) -> None:
        self._require_writable()
        tables = [(name, conform(getattr(batch, attr), contract, attr)) for attr, name, contract in _TABLES]
        with self._transaction():
            for name, table in tables:
                if table.num_rows:
                    self._insert(name, table)

    def _insert(self, name: str, table: pa.Table) -> None:
        self._con.register("_incoming", table)  # DuckDB scans the Arrow buffers in place
        try:
            self._con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _incoming")
        finally:
            self._con.unregister("_incoming")

    def ingest(self, batches: Iterable[DecodedBatch], *, fingerprint: str, origin: str) -> bool:
        if self.has_ingested(fingerprint):
            return False
        with self._transaction():
            self.mark_ingested(fingerprint, origin, append_all(self, batches))
        return True

    def has_ingested(self, fingerprint: str) -> bool:
        return bool(self._one("SELECT count(*) FROM ingested WHERE fingerprint = ?", [fingerprint])[0])

    def mark_ingested(self, fingerprint: str, origin: str, stats: dict[str, Any]) -> None:
        self._require_writable()
        self._con.execute(
            "INSERT INTO ingested VALUES (?, ?, now(), ?) ON CONFLICT DO NOTHING",
            [fingerprint, origin, json.dumps(stats, default=str, sort_keys=True)],
        )

    def ingested_files(self) -> pa.Table:
        """Every input recorded as ingested: fingerprint, origin, ingested_at, stats (JSON)."""
        return _rel_to_table(self._con.sql("SELECT * FROM ingested ORDER BY ingested_at"))

    @contextmanager
    def _transaction(self, alert_log: bool = False) -> Iterator[None]:
        """A transaction on the archive (or the alert log), or a no-op inside one already open there (ingest wraps
        many appends in one)."""
        flag = "_alert_in_transaction" if alert_log else "_in_transaction"
        if getattr(self, flag):
            yield
            return
        con = self.alert_log() if alert_log else self._con
        con.execute("BEGIN TRANSACTION")
        setattr(self, flag, True)
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")
        finally:
            setattr(self, flag, False)

    # -- positions --------------------------------------------------------------------------
    def _positions(self, where: str, params: dict[str, Any]) -> pa.Table:
        rel = self._con.sql(f"SELECT * FROM positions WHERE {where} ORDER BY ts, mmsi", params=params)
        return _rel_to_table(rel).cast(schema.POSITIONS)

    def track(self, mmsi: int, t0: datetime, t1: datetime) -> pa.Table:
        return self._positions("mmsi = $mmsi AND ts >= $t0 AND ts < $t1", {"mmsi": _mmsi(mmsi), **_window(t0, t1)})

    def tracks(self, mmsis: Sequence[int], starts: Sequence[datetime], ends: Sequence[datetime]) -> pa.Table:
        """Many tracks in one hash join of positions against the window list (one scan, not one per vessel)."""
        self._con.register("_windows", track_windows(mmsis, starts, ends))
        try:
            rel = self._con.sql("SELECT p.* FROM positions p JOIN _windows w ON p.mmsi = w.mmsi AND p.ts >= w.t0 AND p.ts < w.t1 "
                                "ORDER BY p.mmsi, p.ts")
            return _rel_to_table(rel).cast(schema.POSITIONS)
        finally:
            self._con.unregister("_windows")

    def positions_in_box(
        self, lon_min: float, lat_min: float, lon_max: float, lat_max: float, t0: datetime, t1: datetime
    ) -> pa.Table:
        check_box(lon_min, lat_min, lon_max, lat_max)
        lon_test = "lon BETWEEN $lon_min AND $lon_max" if lon_min <= lon_max else "(lon >= $lon_min OR lon <= $lon_max)"
        params = {"lon_min": float(lon_min), "lon_max": float(lon_max), "lat_min": float(lat_min), "lat_max": float(lat_max)}
        return self._positions(f"ts >= $t0 AND ts < $t1 AND lat BETWEEN $lat_min AND $lat_max AND {lon_test}", {**params, **_window(t0, t1)})

    def positions_between(self, t0: datetime, t1: datetime) -> pa.Table:
        return self._positions("ts >= $t0 AND ts < $t1", _window(t0, t1))

    def iter_positions(self, t0: datetime, t1: datetime, batch_rows: int = 131_072) -> Iterator[pa.RecordBatch]:
        if batch_rows < 1:
            raise StoreInputError(f"batch_rows must be positive, got {batch_rows}")
        cursor = self._con.cursor()  # own cursor: the caller may query the store between batches
        try:
            rel = cursor.sql("SELECT * FROM positions WHERE ts >= $t0 AND ts < $t1 ORDER BY ts, mmsi", params=_window(t0, t1))
            for batch in rel.to_arrow_reader(batch_rows) if hasattr(rel, "to_arrow_reader") else rel.fetch_record_batch(batch_rows):
                yield batch.cast(schema.POSITIONS)
        finally:
            cursor.close()

    def latest_fixes(self, t0: datetime, bbox: tuple[float, float, float, float] | None = None,
                     mmsi: int | None = None) -> pa.Table:
        inner, outer, params = latest_fix_filters(t0, bbox, mmsi)
        rel = self._con.sql(f"SELECT * FROM (SELECT DISTINCT ON (mmsi) mmsi, epoch_ms(ts) AS ts_ms, lat, lon, sog, cog, heading, "
                            f"nav_status FROM positions WHERE {inner} ORDER BY {LATEST_FIX_ORDER}) WHERE {outer} ORDER BY mmsi",
                            params=params)
        return _rel_to_table(rel).cast(LATEST_FIX)

    def last_seen(self, mmsi: int | None = None) -> datetime | None:
        if mmsi is None:
            return self._one("SELECT max(ts) FROM positions")[0]
        return self._one("SELECT max(ts) FROM positions WHERE mmsi = ?", [_mmsi(mmsi)])[0]

    def position_totals(self) -> PositionTotals:
        return PositionTotals(*self._one("SELECT count(*), count(DISTINCT mmsi), max(ts) FROM positions"))

    # -- static -----------------------------------------------------------------------------
    def static_latest(self, mmsis: list[int] | None = None) -> pa.Table:
        where, params = "", {}
        if mmsis is not None:
            where, params = "WHERE list_contains($mmsis, mmsi)", {"mmsis": [_mmsi(m) for m in mmsis]}
        rel = self._con.sql(_STATIC_LATEST_SQL.format(where=where) + " ORDER BY mmsi", params=params)
        return _rel_to_table(rel).cast(STATIC_LATEST)

    def static_history(self, mmsi: int) -> pa.Table:
        rel = self._con.sql("SELECT * FROM static_reports WHERE mmsi = $mmsi ORDER BY ts", params={"mmsi": _mmsi(mmsi)})
        return _rel_to_table(rel).cast(schema.STATIC)

    def other_between(self, t0: datetime, t1: datetime, msg_types: list[int] | None = None) -> pa.Table:
        """OTHER rows (base stations, AtoN, binary...) in ``[t0, t1)``, for receiver coverage."""
        where, params = "ts >= $t0 AND ts < $t1", dict(_window(t0, t1))
        if msg_types is not None:
            where, params["types"] = where + " AND list_contains($types, msg_type)", [int(t) for t in msg_types]
        rel = self._con.sql(f"SELECT * FROM other_messages WHERE {where} ORDER BY ts, mmsi", params=params)
        return _rel_to_table(rel).cast(schema.OTHER)

    # -- summaries --------------------------------------------------------------------------
    def vessel_summary(
        self, t0: datetime | None = None, t1: datetime | None = None, mmsis: list[int] | None = None
    ) -> pa.Table:
        conditions, params = ["TRUE"], {}
        if t0 is not None:
            conditions.append("ts >= $t0")
            params["t0"] = _utc(t0, "t0")
        if t1 is not None:
            conditions.append("ts < $t1")
            params["t1"] = _utc(t1, "t1")
        if mmsis is not None:
            conditions.append("list_contains($mmsis, mmsi)")
            params["mmsis"] = [_mmsi(m) for m in mmsis]
        sql = f"""
            WITH seen AS (
                SELECT mmsi, count(*) AS n_positions, min(ts) AS first_seen, max(ts) AS last_seen,
                    arg_max(lat, ts) FILTER (WHERE {_HAS_FIX}) AS last_lat,
                    arg_max(lon, ts) FILTER (WHERE {_HAS_FIX}) AS last_lon,
                    arg_max_null(sog, ts) FILTER (WHERE {_HAS_FIX}) AS last_sog
                FROM positions WHERE {" AND ".join(conditions)} GROUP BY mmsi
            ), latest AS ({_STATIC_LATEST_SQL.format(where="WHERE mmsi IN (SELECT mmsi FROM seen)")})
            SELECT seen.*, latest.name, latest.ship_type
            FROM seen LEFT JOIN latest USING (mmsi) ORDER BY mmsi
        """
        return _rel_to_table(self._con.sql(sql, params=params)).cast(VESSEL_SUMMARY)

    def stats(self) -> dict[str, Any]:
        """Row counts, time span, vessel count, file size and schema version, for ``seawarden status``."""
        counts = {name: self._one(f"SELECT count(*) FROM {name}")[0] for _, name, _ in _TABLES}
        first, last, vessels = self._one("SELECT min(ts), max(ts), count(DISTINCT mmsi) FROM positions")
        (files,) = self._one("SELECT count(*) FROM ingested")
        size = 0
        if self.path != MEMORY:
            both = (self.path, alert_log_path(self.path))
            size = sum(os.path.getsize(p) for f in both for p in (f, Path(f"{f}.wal")) if os.path.exists(p))
        return {
            "path": str(self.path),
            "alert_log": str(alert_log_path(self.path)) if self.path != MEMORY else MEMORY,
            "schema_version": migrations.current_version(self._con),
            "rows": counts,
            "vessels": vessels,
            "first_ts": first,
            "last_ts": last,
            "ingested_files": files,
            "file_bytes": size,
        }
