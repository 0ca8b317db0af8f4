"""SQL the console needs beyond the Store protocol (latest fix per vessel, event payloads), on a DuckDB reader.

Kept here, not in the store, because only the console asks them; the lead may move them into
``Store`` when the PostGIS store needs the same answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from seawarden.alert.model import Alert
from seawarden.store.duckdb_store import DuckDBStore, _rel_to_table

_LATEST_SQL = """
SELECT * FROM (
    SELECT mmsi, epoch_ms(max(ts)) AS ts_ms, arg_max(lat, ts) AS lat, arg_max(lon, ts) AS lon,
        arg_max_null(sog, ts) AS sog, arg_max_null(cog, ts) AS cog, arg_max_null(heading, ts) AS heading,
        arg_max_null(nav_status, ts) AS nav_status
    FROM positions WHERE ts >= $t0 {mmsi} AND lat IS NOT NULL AND lon IS NOT NULL GROUP BY mmsi
) WHERE TRUE {box} ORDER BY mmsi
"""


def latest_fixes(db: DuckDBStore, t0: datetime, bbox: tuple[float, float, float, float] | None = None,
                 mmsi: int | None = None) -> pa.Table:
    """Newest located fix of every vessel seen since ``t0`` (optionally inside a lon/lat box)."""
    params: dict[str, Any] = {"t0": t0}
    box = ""
    if bbox is not None:
        lon0, lat0, lon1, lat1 = bbox
        lon_test = "lon BETWEEN $lon0 AND $lon1" if lon0 <= lon1 else "(lon >= $lon0 OR lon <= $lon1)"
        box = f"AND lat BETWEEN $lat0 AND $lat1 AND {lon_test}"
        params.update(lon0=lon0, lat0=lat0, lon1=lon1, lat1=lat1)
    one = ""
    if mmsi is not None:
        one, params["mmsi"] = "AND mmsi = $mmsi", int(mmsi)
    return _rel_to_table(db._con.sql(_LATEST_SQL.format(box=box, mmsi=one), params=params))


def last_seen_ms(db: DuckDBStore, mmsi: int) -> int | None:
    return db._one("SELECT epoch_ms(max(ts)) FROM positions WHERE mmsi = ?", [int(mmsi)])[0]


def event_payloads(db: DuckDBStore, *, mmsi: int | None = None, asset_id: str | None = None, type_: str | None = None,
                   since_ms: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Stored events as `seawarden detect` writes them (full JSON), newest first."""
    cond, params = ["TRUE"], []
    for col, val in (("mmsi", mmsi), ("asset_id", asset_id), ("type", type_)):
        if val is not None:
            cond.append(f"{col} = ?")
            params.append(val)
    if since_ms is not None:
        cond.append("coalesce(end_ms, detected_ms) >= ?")
        params.append(int(since_ms))
    rows = db._con.execute(f"SELECT payload, alert_id FROM events WHERE {' AND '.join(cond)} "
                           f"ORDER BY start_ms DESC, event_id LIMIT {int(limit)}", params).fetchall()
    out = []
    for payload, alert_id in rows:
        d = orjson.loads(payload)
        d["alert_id"] = alert_id
        out.append(d)
    return out


def alert_json(a: Alert, **extra: Any) -> dict[str, Any]:
    """The contract's alert object: the stored alert plus id, key, opened, updated and n_events."""
    d = a.to_dict()
    d.update(id=a.alert_id, key={"mmsi": a.mmsi, "asset_id": a.asset_id, "kind": a.kind}, opened=d["created_at"],
             updated=d["updated_at"], n_events=len(a.event_ids))
    d.update(extra)
    return d
