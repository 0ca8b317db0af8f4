"""Event log and alerts in the embedded DuckDB store (the alert log file, :data:`~seawarden.store.migrations.ALERT_LOG_MIGRATIONS`).

Implements :class:`seawarden.alert.base.AlertStore` on the alert log cursor of a
:class:`~seawarden.store.duckdb_store.DuckDBStore`: the alert log is a file of its own beside the
AIS (so its commits never wait for the archive's checkpoint), opened, attached and locked with it
(one writing process). Its transactions are its own: alerts raised while an ingest transaction
of the archive is open are committed at once, and stay if that ingest later fails (a re-run
recognises every event by its id). Upserts on the primary keys (event_id, alert_id): re-running
the same input rewrites identical rows, never adds any.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from seawarden.alert.base import EVENT_LOG, AlertConflictError, KnownEvent
from seawarden.alert.model import ACTIVE, Alert, AlertKey, Transition, utc_now
from seawarden.detect.event import Event
from seawarden.store.duckdb_store import MEMORY, DuckDBStore, _rel_to_table

_ALERT_COLS = ("alert_id", "kind", "mmsi", "asset_id", "asset_name", "status", "severity", "title", "first_event_ms",
               "last_event_ms", "lat", "lon", "created_at", "updated_at", "status_by", "status_at", "status_reason")
_ACTIVE_SQL = ", ".join(f"'{s}'" for s in ACTIVE)

_TSTZ = pa.timestamp("us", tz="UTC")
#: up to this many rows a commit writes a table with one VALUES statement; above, through Arrow. An insert from an
#: Arrow table costs ~1.8 ms whatever its size (VALUES: 2.2 ms for 8 rows, 8 ms for 56), and most live commits write
#: one to three rows per table.
_VALUES_MAX_ROWS = 8
#: up to this many stored rows a commit updates one statement each; above, one INSERT OR REPLACE through Arrow
_UPDATE_MAX_ROWS = 3
#: Arrow layouts of the rows one commit writes (columns in table order), so a commit is one set-based
#: INSERT per table: DuckDB's executemany costs ~2 ms a row, which held live alerts back by seconds.
_EVENT_ROWS = pa.schema([
    ("event_id", pa.string()), ("type", pa.string()), ("subtype", pa.string()), ("mmsi", pa.uint32()),
    ("related_mmsi", pa.uint32()), ("asset_id", pa.string()), ("asset_name", pa.string()), ("start_ms", pa.int64()),
    ("end_ms", pa.int64()), ("detected_ms", pa.int64()), ("lat", pa.float64()), ("lon", pa.float64()),
    ("severity", pa.uint8()), ("status", pa.string()), ("alert_id", pa.string()), ("recorded_at", _TSTZ),
    ("payload", pa.string()),
])
_ALERT_ROWS = pa.schema([
    ("alert_id", pa.string()), ("kind", pa.string()), ("mmsi", pa.uint32()), ("asset_id", pa.string()),
    ("asset_name", pa.string()), ("status", pa.string()), ("severity", pa.uint8()), ("title", pa.string()),
    ("first_event_ms", pa.int64()), ("last_event_ms", pa.int64()), ("lat", pa.float64()), ("lon", pa.float64()),
    ("created_at", _TSTZ), ("updated_at", _TSTZ), ("status_by", pa.string()), ("status_at", _TSTZ),
    ("status_reason", pa.string()),
])
_HISTORY_ROWS = pa.schema([
    ("alert_id", pa.string()), ("seq", pa.int32()), ("happened_at", _TSTZ), ("action", pa.string()),
    ("from_status", pa.string()), ("to_status", pa.string()), ("by_whom", pa.string()), ("reason", pa.string()),
    ("severity", pa.uint8()), ("event_id", pa.string()),
])


def event_rows(events: Sequence[tuple[Event, str | None]], recorded_at: datetime) -> list[tuple[Any, ...]]:
    """Rows of the events table (``_EVENT_ROWS`` order) for (event, alert id) pairs; both stores write these."""
    return [(e.event_id, e.type, e.subtype, e.mmsi, e.related_mmsi, e.asset_id, e.asset_name, e.start, e.end,
             e.detected_at, e.lat, e.lon, e.severity, e.status, aid, recorded_at, e.to_json()) for e, aid in events]


def _rows_table(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    """Rows (tuples in ``schema`` order) as an Arrow table."""
    return pa.Table.from_arrays([pa.array(col, type=f.type) for col, f in zip(zip(*rows), schema)], schema=schema)


def _utc(v: datetime | None) -> datetime | None:
    if v is None:
        return None
    return v.replace(tzinfo=timezone.utc) if v.tzinfo is None else v.astimezone(timezone.utc)


def alerts_from_rows(rows: Sequence[Sequence[Any]], event_ids: dict[str, list[str]]) -> list[Alert]:
    """Alert objects from rows of the alerts table (columns in ``_ALERT_COLS`` order) and their events."""
    out = []
    for r in rows:
        d = dict(zip(_ALERT_COLS, r))
        for k in ("created_at", "updated_at", "status_at"):
            d[k] = _utc(d[k])
        d["mmsi"], d["severity"] = int(d["mmsi"]), int(d["severity"])
        out.append(Alert(**d, event_ids=event_ids[d["alert_id"]]))
    return out


def event_payload_filter(mmsi: int | None, asset_id: str | None, type_: str | None, since_ms: int | None,
                         mark: str = "?") -> tuple[str, list[Any]]:
    """WHERE clause and parameters of :meth:`event_payloads` (``mark``: the driver's placeholder)."""
    cond, params = ["TRUE"], []
    for col, val in (("mmsi", mmsi), ("asset_id", asset_id), ("type", type_)):
        if val is not None:
            cond.append(f"{col} = {mark}")
            params.append(int(val) if col == "mmsi" else str(val))
    if since_ms is not None:
        cond.append(f"coalesce(end_ms, detected_ms) >= {mark}")
        params.append(int(since_ms))
    return " AND ".join(cond), params


def payloads_with_alert(rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """(payload JSON, alert_id) rows as Event dicts with the alert they belong to."""
    out = []
    for payload, alert_id in rows:
        d = orjson.loads(payload)
        d["alert_id"] = alert_id
        out.append(d)
    return out


def check_expected_status(alert_id: str, stored: str | None, transition: Transition) -> None:
    """The compare of compare-and-set: refuse when the alert is gone or no longer in the status it was read in."""
    if stored is None:
        raise AlertConflictError(f"no alert with id {alert_id!r}")
    if stored != transition.from_status:
        raise AlertConflictError(f"alert {alert_id} is {stored} now (it was {transition.from_status} when read, "
                                 f"someone else changed it); {transition.action} not applied")


class SqlAlertReads:
    """Every read of events and alerts, one SQL text for both stores.

    Subclasses say how a query binds a value (``_MARK``), how "column in this list" is written
    (``_IN``), how to run a query (``_rows``) and how to fetch an Arrow table (``_table``).
    """

    _MARK = "?"
    _IN = "list_contains(?, {col})"
    _BY_ID = "event_id"  # PostgreSQL: byte order, as DuckDB, whatever the database's collation

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _table(self, sql: str, params: list[Any], schema: pa.Schema) -> pa.Table:
        raise NotImplementedError

    def _in(self, col: str) -> str:
        return self._IN.format(col=col)

    def known_events(self, event_ids: Sequence[str]) -> dict[str, KnownEvent]:
        if not event_ids:
            return {}
        rows = self._rows("SELECT event_id, alert_id, status, severity, end_ms, detected_ms FROM events "
                          f"WHERE {self._in('event_id')}", [list(event_ids)])
        return {r[0]: KnownEvent(r[1], r[2], int(r[3]), r[4], int(r[5])) for r in rows}

    def _alerts(self, where: str, params: list[Any], tail: str = "") -> list[Alert]:
        rows = self._rows(f"SELECT {', '.join(_ALERT_COLS)} FROM alerts WHERE {where} {tail}", params)
        if not rows:
            return []
        ids = [r[0] for r in rows]
        evs: dict[str, list[str]] = {i: [] for i in ids}
        for aid, eid in self._rows(f"SELECT alert_id, event_id FROM events WHERE {self._in('alert_id')} "
                                   "ORDER BY start_ms, detected_ms, event_id", [ids]):
            evs[aid].append(eid)
        return alerts_from_rows(rows, evs)

    def active_alerts(self, keys: Sequence[AlertKey]) -> dict[AlertKey, Alert]:
        if not keys:
            return {}
        found: dict[AlertKey, Alert] = {}
        mmsis = sorted({int(k.mmsi) for k in keys})
        wanted = set(keys)
        for a in self._alerts(f"{self._in('status')} AND {self._in('mmsi')}", [list(ACTIVE), mmsis],
                              "ORDER BY last_event_ms"):
            if a.key in wanted:
                found[a.key] = a  # newest wins (ordered by last event)
        return found

    def get(self, alert_id: str) -> Alert | None:
        hits = self._alerts(f"alert_id = {self._MARK}", [alert_id])
        return hits[0] if hits else None

    def alerts_by_id(self, alert_ids: Sequence[str]) -> dict[str, Alert]:
        """Several alerts in one query (the pipeline's batched :meth:`get`); absent ids are left out."""
        if not alert_ids:
            return {}
        return {a.alert_id: a for a in self._alerts(self._in("alert_id"), [sorted(set(alert_ids))])}

    def list_alerts(self, status: str | None = None, mmsi: int | None = None, asset_id: str | None = None,
                    limit: int | None = None) -> list[Alert]:
        cond, params = ["TRUE"], []
        for col, val in (("status", status), ("mmsi", mmsi), ("asset_id", asset_id)):
            if val is not None:
                cond.append(f"{col} = {self._MARK}")
                params.append(val)
        tail = "ORDER BY updated_at DESC, alert_id" + (f" LIMIT {int(limit)}" if limit else "")
        return self._alerts(" AND ".join(cond), params, tail)

    def history(self, alert_id: str) -> list[Transition]:
        rows = self._rows("SELECT alert_id, seq, happened_at, action, from_status, to_status, severity, by_whom, reason, "
                          f"event_id FROM alert_history WHERE alert_id = {self._MARK} ORDER BY seq", [alert_id])
        return [Transition(r[0], int(r[1]), _utc(r[2]), r[3], r[4], r[5], int(r[6]), r[7], r[8], r[9]) for r in rows]

    def next_seq(self, alert_id: str) -> int:
        return int(self._rows(f"SELECT coalesce(max(seq), 0) + 1 FROM alert_history WHERE alert_id = {self._MARK}",
                              [alert_id])[0][0])

    def next_seqs(self, alert_ids: Sequence[str]) -> dict[str, int]:
        """:meth:`next_seq` of several alerts in one query (1 for an alert without history)."""
        if not alert_ids:
            return {}
        ids = sorted(set(alert_ids))
        rows = self._rows(f"SELECT alert_id, max(seq) FROM alert_history WHERE {self._in('alert_id')} GROUP BY alert_id",
                          [ids])
        out = dict.fromkeys(ids, 1)
        out.update({aid: int(top) + 1 for aid, top in rows})
        return out

    def events(self, mmsis: Sequence[int] | None = None, asset_ids: Sequence[str] | None = None,
               since_ms: int | None = None) -> pa.Table:
        cond, params = ["TRUE"], []
        if mmsis is not None:
            cond.append(self._in("mmsi"))
            params.append([int(m) for m in mmsis])
        if asset_ids is not None:
            cond.append(self._in("asset_id"))
            params.append(list(asset_ids))
        if since_ms is not None:
            cond.append(f"coalesce(end_ms, detected_ms) >= {self._MARK}")
            params.append(int(since_ms))
        return self._table(f"SELECT {', '.join(EVENT_LOG.names)} FROM events WHERE {' AND '.join(cond)} "
                           "ORDER BY start_ms, event_id", params, EVENT_LOG)

    def event_payload(self, event_id: str) -> dict[str, Any] | None:
        """The full stored Event JSON (evidence and config) of one event."""
        rows = self._rows(f"SELECT payload FROM events WHERE event_id = {self._MARK}", [event_id])
        return json.loads(rows[0][0]) if rows else None

    def event_payloads(self, *, mmsi: int | None = None, asset_id: str | None = None, type_: str | None = None,
                       since_ms: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Stored events as `seawarden detect` writes them (full JSON plus alert_id), newest first."""
        where, params = event_payload_filter(mmsi, asset_id, type_, since_ms, self._MARK)
        return payloads_with_alert(self._rows(f"SELECT payload, alert_id FROM events WHERE {where} "
                                              f"ORDER BY start_ms DESC, {self._BY_ID} LIMIT {int(limit)}", params))

    def alert_counts(self) -> dict[str, int]:
        """Number of alerts in each status (statuses without alerts are absent)."""
        return {status: int(n) for status, n in self._rows("SELECT status, count(*) FROM alerts GROUP BY status ORDER BY status")}


class DuckDBAlertStore(SqlAlertReads):
    """AlertStore on a DuckDBStore's database (``DuckDBAlertStore(store)``) or its own file (``.open(path)``)."""

    def __init__(self, store: DuckDBStore) -> None:
        self.store = store
        self._con: duckdb.DuckDBPyConnection = store.alert_log()  # the store's cursor on the alert log file

    @classmethod
    def open(cls, path: str | Path = MEMORY, *, read_only: bool = False) -> "DuckDBAlertStore":
        return cls(DuckDBStore(path, read_only=read_only))

    def close(self) -> None:
        self.store.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, params or []).fetchall()

    def _table(self, sql: str, params: list[Any], schema: pa.Schema) -> pa.Table:
        return _rel_to_table(self._con.sql(sql, params=params)).cast(schema)

    # -- writing ------------------------------------------------------------------------------
    def commit(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert],
               transitions: Sequence[Transition], *, new_events: Collection[str] = ()) -> None:
        """:meth:`AlertStore.commit`; ``new_events``: ids the caller knows are not stored (the store said so, and
        nothing wrote them since), so they are inserted without asking. Alerts opened in this commit are new too."""
        if not (events or alerts or transitions):
            return
        self.store._require_writable()
        ev_rows = event_rows(events, utc_now())
        al_rows = [tuple(getattr(a, c) for c in _ALERT_COLS) for a in alerts]
        tr_rows = [(t.alert_id, t.seq, t.at, t.action, t.from_status, t.to_status, t.by, t.reason, t.severity, t.event_id)
                   for t in transitions]
        opened = {t.alert_id for t in transitions if t.action == "opened"}  # see AlertPipeline._number
        with self.store._transaction(alert_log=True):
            self._upsert("events", "event_id", ev_rows, _EVENT_ROWS, new_events)
            self._upsert("alerts", "alert_id", al_rows, _ALERT_ROWS, opened)
            self._insert("alert_history", tr_rows, _HISTORY_ROWS)

    def _upsert(self, table: str, key: str, rows: list[tuple[Any, ...]], schema: pa.Schema, new: Collection[str]) -> None:
        """Rows keyed on their first column: new keys inserted, stored ones updated in place.

        Not ``INSERT OR REPLACE`` for all: DuckDB's conflict path costs about three times an insert or an
        in-place update (one event re-report: ~4 ms against ~1.2; 50 new alerts: ~8 ms against ~4), and
        asking which keys are stored costs ~0.6-1.5 ms (index-free, also at a million events): not asked for
        keys known to be ``new``.
        """
        rows = list({r[0]: r for r in rows}.values())  # what row-by-row upserts would leave
        if not rows:
            return
        ask = [r[0] for r in rows if r[0] not in new]
        stored = {r[0] for r in self._rows(f"SELECT {key} FROM {table} WHERE list_contains(?, {key})", [ask])} if ask else set()
        self._insert(table, [r for r in rows if r[0] not in stored], schema)
        old = [r for r in rows if r[0] in stored]
        if len(old) > _UPDATE_MAX_ROWS:
            self._insert_rows(table, _rows_table(old, schema), "INSERT OR REPLACE")
            return
        sets = ", ".join(f"{c} = ?" for c in schema.names[1:])
        for r in old:
            self._con.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*r[1:], r[0]])

    def _insert(self, table: str, rows: list[tuple[Any, ...]], schema: pa.Schema) -> None:
        if len(rows) > _VALUES_MAX_ROWS:
            self._insert_rows(table, _rows_table(rows, schema), "INSERT")
        elif rows:
            marks = ", ".join(["(" + ", ".join("?" * len(schema)) + ")"] * len(rows))
            self._con.execute(f"INSERT INTO {table} ({', '.join(schema.names)}) VALUES {marks}", [v for r in rows for v in r])

    def _insert_rows(self, table: str, rows: pa.Table, verb: str) -> None:
        # DuckDB scans the Arrow table in place by this local name (a replacement scan): registering and unregistering
        # it instead cost ~0.8 ms more a statement, three statements in a round that opens many alerts
        _seawarden_commit_rows = rows  # noqa: F841 -- read by name in the SQL below
        cols = ", ".join(rows.schema.names)
        self._con.execute(f"{verb} INTO {table} ({cols}) SELECT {cols} FROM _seawarden_commit_rows")

    def commit_transition(self, alert: Alert, transition: Transition) -> Transition:
        """Compare-and-set inside one DuckDB transaction (DuckDB's single writer makes the check-then-write safe)."""
        self.store._require_writable()
        with self.store._transaction(alert_log=True):
            rows = self._rows("SELECT status FROM alerts WHERE alert_id = ?", [alert.alert_id])
            check_expected_status(alert.alert_id, rows[0][0] if rows else None, transition)
            transition.seq = self.next_seq(alert.alert_id)
            self.commit([], [alert], [transition])
        return transition
