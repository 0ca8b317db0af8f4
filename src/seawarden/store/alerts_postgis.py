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

import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from seawarden.alert.base import EVENT_LOG, KnownEvent
from seawarden.alert.model import ACTIVE, Alert, AlertKey, Transition, utc_now
from seawarden.detect.event import Event
from seawarden.store.alerts_duckdb import _ALERT_COLS, EventReads, _utc, alerts_from_rows, check_expected_status
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


class PostGISAlertStore(EventReads):
    """AlertStore on a PostGISStore's connection (``PostGISAlertStore(store)``) or its own (``.open(dsn)``)."""

    _MARK = "%s"
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

    # -- reading ------------------------------------------------------------------------------
    def known_events(self, event_ids: Sequence[str]) -> dict[str, KnownEvent]:
        if not event_ids:
            return {}
        rows = self._rows("SELECT event_id, alert_id, status, severity, end_ms, detected_ms FROM events WHERE event_id = ANY(%s)",
                          [list(event_ids)])
        return {r[0]: KnownEvent(r[1], r[2], int(r[3]), r[4], int(r[5])) for r in rows}

    def _alerts(self, where: str, params: list[Any], tail: str = "") -> list[Alert]:
        rows = self._rows(f"SELECT {', '.join(_ALERT_COLS)} FROM alerts WHERE {where} {tail}", params)
        if not rows:
            return []
        ids = [r[0] for r in rows]
        evs: dict[str, list[str]] = {i: [] for i in ids}
        for aid, eid in self._rows("SELECT alert_id, event_id FROM events WHERE alert_id = ANY(%s) "
                                   "ORDER BY start_ms, detected_ms, event_id", [ids]):
            evs[aid].append(eid)
        return alerts_from_rows(rows, evs)

    def active_alerts(self, keys: Sequence[AlertKey]) -> dict[AlertKey, Alert]:
        if not keys:
            return {}
        wanted = set(keys)
        found: dict[AlertKey, Alert] = {}
        mmsis = sorted({int(k.mmsi) for k in keys})
        for a in self._alerts("status = ANY(%s) AND mmsi = ANY(%s)", [list(ACTIVE), mmsis], "ORDER BY last_event_ms"):
            if a.key in wanted:
                found[a.key] = a  # newest wins (ordered by last event)
        return found

    def get(self, alert_id: str) -> Alert | None:
        hits = self._alerts("alert_id = %s", [alert_id])
        return hits[0] if hits else None

    def list_alerts(self, status: str | None = None, mmsi: int | None = None, asset_id: str | None = None,
                    limit: int | None = None) -> list[Alert]:
        cond, params = ["TRUE"], []
        for col, val in (("status", status), ("mmsi", mmsi), ("asset_id", asset_id)):
            if val is not None:
                cond.append(f"{col} = %s")
                params.append(val)
        tail = "ORDER BY updated_at DESC, alert_id" + (f" LIMIT {int(limit)}" if limit else "")
        return self._alerts(" AND ".join(cond), params, tail)

    def history(self, alert_id: str) -> list[Transition]:
        rows = self._rows("SELECT alert_id, seq, happened_at, action, from_status, to_status, severity, by_whom, reason, "
                          "event_id FROM alert_history WHERE alert_id = %s ORDER BY seq", [alert_id])
        return [Transition(r[0], int(r[1]), _utc(r[2]), r[3], r[4], r[5], int(r[6]), r[7], r[8], r[9]) for r in rows]

    def next_seq(self, alert_id: str) -> int:
        return int(self._rows("SELECT coalesce(max(seq), 0) + 1 FROM alert_history WHERE alert_id = %s", [alert_id])[0][0])

    def events(self, mmsis: Sequence[int] | None = None, asset_ids: Sequence[str] | None = None,
               since_ms: int | None = None) -> pa.Table:
        cond, params = ["TRUE"], []
        if mmsis is not None:
            cond.append("mmsi = ANY(%s)")
            params.append([int(m) for m in mmsis])
        if asset_ids is not None:
            cond.append("asset_id = ANY(%s)")
            params.append(list(asset_ids))
        if since_ms is not None:
            cond.append("coalesce(end_ms, detected_ms) >= %s")
            params.append(int(since_ms))
        query = f"SELECT {', '.join(EVENT_LOG.names)} FROM events WHERE {' AND '.join(cond)} ORDER BY start_ms, event_id"
        return copy_out(self._con, query, params, EVENT_LOG)

    def event_payload(self, event_id: str) -> dict[str, Any] | None:
        """The full stored Event JSON (evidence and config) of one event."""
        rows = self._rows("SELECT payload FROM events WHERE event_id = %s", [event_id])
        return json.loads(rows[0][0]) if rows else None

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
        now = utc_now()
        operator_set = {t.alert_id for t in transitions if t.by is not None}
        ev_rows = [(e.event_id, e.type, e.subtype, e.mmsi, e.related_mmsi, e.asset_id, e.asset_name, e.start, e.end,
                    e.detected_at, e.lat, e.lon, e.severity, e.status, aid, now, e.to_json()) for e, aid in events]
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
