"""Event log and alerts in the PostGIS store, for several processes and operators at once.

Same contract as :class:`~seawarden.store.alerts_duckdb.DuckDBAlertStore` (the pipeline tests run
against both). What a shared server adds:

* every write to an alert holds a transaction-scoped advisory lock on its id (also for alerts
  not yet inserted, which a row lock could not cover), taken in id order so writers never deadlock;
* history sequence numbers are assigned under that lock (the Transition objects are updated in
  place), so two processes never claim the same step;
* a pipeline update (no operator in the transitions) never overwrites the operator fields
  (status, by, at, reason) another process may have set meanwhile, and severity / event span only
  grow (GREATEST / LEAST), so concurrent growth loses nothing;
* :meth:`PostGISAlertStore.commit_transition` is the operator's compare-and-set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from seawarden.alert.model import Alert, Transition, utc_now
from seawarden.detect.event import Event
from seawarden.store.alerts_duckdb import _ALERT_COLS, SqlAlertReads, check_expected_status, event_rows
from seawarden.store.postgis import PostGISStore, copy_out

_EVENT_COLS = ("event_id", "type", "subtype", "mmsi", "related_mmsi", "asset_id", "asset_name", "start_ms", "end_ms",
               "detected_ms", "lat", "lon", "severity", "status", "alert_id", "recorded_at", "payload")
_HISTORY_COLS = ("alert_id", "seq", "happened_at", "action", "from_status", "to_status", "by_whom", "reason", "severity", "event_id")
_OPERATOR_COLS = ("status", "status_by", "status_at", "status_reason")
_MERGED = {"severity": "GREATEST(alerts.severity, EXCLUDED.severity)",
           "first_event_ms": "LEAST(alerts.first_event_ms, EXCLUDED.first_event_ms)",
           "last_event_ms": "GREATEST(alerts.last_event_ms, EXCLUDED.last_event_ms)"}


def _placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


def _alert_upsert(with_operator_fields: bool) -> str:
    cols = [c for c in _ALERT_COLS if c not in ("alert_id", "created_at") and (with_operator_fields or c not in _OPERATOR_COLS)]
    sets = ", ".join(f"{c} = {_MERGED.get(c, f'EXCLUDED.{c}')}" for c in cols)
    return (f"INSERT INTO alerts ({', '.join(_ALERT_COLS)}) VALUES ({_placeholders(len(_ALERT_COLS))}) "
            f"ON CONFLICT (alert_id) DO UPDATE SET {sets}")


_EVENT_UPSERT = (f"INSERT INTO events ({', '.join(_EVENT_COLS)}) VALUES ({_placeholders(len(_EVENT_COLS))}) "
                 f"ON CONFLICT (event_id) DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in _EVENT_COLS[1:]))
_HISTORY_INSERT = f"INSERT INTO alert_history ({', '.join(_HISTORY_COLS)}) VALUES ({_placeholders(len(_HISTORY_COLS))})"


class PostGISAlertStore(SqlAlertReads):
    """AlertStore on a PostGISStore's connection (``PostGISAlertStore(store)``) or its own (``.open(dsn)``)."""

    _MARK = "%s"
    _IN = "{col} = ANY(%s)"
    _BY_ID = 'event_id COLLATE "C"'

    def __init__(self, store: PostGISStore) -> None:
        self.store = store
        self._con = store._con

    @classmethod
    def open(cls, dsn: str, *, schema: str = "public", read_only: bool = False) -> "PostGISAlertStore":
        return cls(PostGISStore(dsn, schema=schema, read_only=read_only))

    def close(self) -> None:
        self.store.close()

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return self._con.execute(sql, params).fetchall()

    def _table(self, sql: str, params: list[Any], schema: pa.Schema) -> pa.Table:
        return copy_out(self._con, sql, params, schema)

    # -- writing ------------------------------------------------------------------------------
    def _lock(self, alert_ids: Sequence[str]) -> None:
        """Transaction-scoped advisory locks on these alert ids, in a fixed order (no deadlock between writers)."""
        keys = [f"{self.store.schema}|alert|{a}" for a in sorted(set(alert_ids))]
        if keys:
            self._con.execute("SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(%s::text[]) AS k", [keys])

    def _renumber(self, transitions: Sequence[Transition]) -> None:
        """Give each alert's new transitions the next free sequence numbers (called under the alert locks)."""
        ids = sorted({t.alert_id for t in transitions})
        if not ids:
            return
        base = dict(self._rows("SELECT a, coalesce((SELECT max(seq) FROM alert_history h WHERE h.alert_id = a), 0) "
                               "FROM unnest(%s::text[]) AS a", [ids]))
        for t in transitions:
            base[t.alert_id] += 1
            t.seq = base[t.alert_id]

    def commit(self, events: Sequence[tuple[Event, str | None]], alerts: Sequence[Alert],
               transitions: Sequence[Transition]) -> None:
        if not (events or alerts or transitions):
            return
        self.store._require_writable()
        operator_set = {t.alert_id for t in transitions if t.by is not None}
        ev_rows = event_rows(events, utc_now())
        with self._con.transaction(), self._con.cursor() as cur:
            self._lock([a.alert_id for a in alerts] + [t.alert_id for t in transitions])
            self._renumber(transitions)
            if ev_rows:
                cur.executemany(_EVENT_UPSERT, ev_rows)
            for operator in (True, False):
                rows = [tuple(getattr(a, c) for c in _ALERT_COLS) for a in alerts if (a.alert_id in operator_set) == operator]
                if rows:
                    cur.executemany(_alert_upsert(with_operator_fields=operator), rows)
            if transitions:
                cur.executemany(_HISTORY_INSERT, [(t.alert_id, t.seq, t.at, t.action, t.from_status, t.to_status, t.by, t.reason,
                                                   t.severity, t.event_id) for t in transitions])

    def commit_transition(self, alert: Alert, transition: Transition) -> Transition:
        """Compare-and-set: under the alert's lock, write only if its stored status is still ``transition.from_status``."""
        self.store._require_writable()
        with self._con.transaction():
            self._lock([alert.alert_id])
            rows = self._rows("SELECT status FROM alerts WHERE alert_id = %s", [alert.alert_id])
            check_expected_status(alert.alert_id, rows[0][0] if rows else None, transition)
            self.commit([], [alert], [transition])
        return transition
