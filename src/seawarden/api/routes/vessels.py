"""Vessels: latest state with risk (GeoJSON for the map), one vessel's full picture, its track."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request

from seawarden.api.http import Viewer, console_of, json_response, ms_to_dt, parse_bbox, parse_time
from seawarden.api.queries import alert_json
from seawarden.detect.event import iso
from seawarden.store.base import to_ms

router = APIRouter(prefix="/api/vessels", tags=["vessels"])

_STATIC_PROPS = ("name", "callsign", "ship_type")
_DAY_MS = 86_400_000


def _risk(console, db, mmsis: list[int], now_ms: int):
    scorer = console.scorer()
    since = now_ms - int(float(scorer.r["horizon_days"]) * _DAY_MS)
    events = console.alert_store().events(mmsis=mmsis, since_ms=since)
    static = db.static_latest(mmsis) if mmsis else None
    return scorer.score_vessels(mmsis, events, now_ms, static), static


@router.get("", summary="Latest fix of every vessel (GeoJSON points) with static data and risk 0-100")
def vessels(request: Request, bbox: str | None = Query(None, description="lon0,lat0,lon1,lat1"),
            since_s: float = Query(3600, gt=0, le=30 * 86400, description="seen within this many seconds of the stream's present"),
            _=Viewer):
    console = console_of(request)
    db = console.readers()
    now = console.now_ms()
    fixes = db.latest_fixes(ms_to_dt(now - int(since_s * 1000)), parse_bbox(bbox))
    mmsi = fixes["mmsi"].to_numpy().astype(np.int64)
    table, static = _risk(console, db, mmsi.tolist(), now)
    risk = table.totals[np.searchsorted(table.keys, mmsi)] if len(mmsi) else np.empty(0)
    ident: dict[int, dict] = {}
    if static is not None:
        cols = {k: static[k].to_pylist() for k in ("mmsi", *_STATIC_PROPS)}
        ident = {m: {k: cols[k][i] for k in _STATIC_PROPS} for i, m in enumerate(cols["mmsi"])}
    cols = {k: fixes[k].to_pylist() for k in ("ts_ms", "lat", "lon", "sog", "cog", "heading", "nav_status")}
    none = dict.fromkeys(_STATIC_PROPS)
    features = []
    for i, m in enumerate(mmsi.tolist()):
        props = {"mmsi": m, "ts": iso(cols["ts_ms"][i]), "sog": cols["sog"][i], "cog": cols["cog"][i],
                 "heading": cols["heading"][i], "nav_status": cols["nav_status"][i], **ident.get(m, none),
                 "risk": round(float(risk[i]), 2)}
        features.append({"type": "Feature", "id": m, "geometry": {"type": "Point", "coordinates": [cols["lon"][i], cols["lat"][i]]},
                         "properties": props})
    return json_response({"type": "FeatureCollection", "features": features, "at": iso(now)}, media_type="application/geo+json")


@router.get("/{mmsi}", summary="One vessel: static data and history, latest fix, explained risk, events, alerts")
def vessel(request: Request, mmsi: int, _=Viewer):
    console = console_of(request)
    db = console.readers()
    _mmsi(mmsi)
    now = console.now_ms()
    last = db.latest_fixes(ms_to_dt(0), mmsi=mmsi).to_pylist()
    history = db.static_history(mmsi).to_pylist()
    if not last and not history:
        raise HTTPException(404, f"MMSI {mmsi}: no positions or static reports in the store")
    table, static = _risk(console, db, [mmsi], now)
    alerts = console.alert_store()
    score = table.explain(mmsi)
    static_rows = static.to_pylist() if static is not None else []
    fix = None
    if last:
        fix = {k: v for k, v in last[0].items() if k != "ts_ms"} | {"ts": iso(last[0]["ts_ms"])}
    return json_response({
        "mmsi": mmsi,
        "static": static_rows[0] if static_rows else None,
        "static_history": history[-200:],
        "last": fix,
        "risk": {"total": round(score.total, 2), "at": iso(score.at_ms), "entries": [e.to_dict() for e in score.breakdown]},
        "events": alerts.event_payloads(mmsi=mmsi, limit=100),
        "alerts": [alert_json(a) for a in alerts.list_alerts(mmsi=mmsi, limit=100)],
    })


def _mmsi(mmsi: int) -> None:
    if not 0 <= mmsi < 2**32:
        raise HTTPException(422, f"MMSI {mmsi} is outside 0..4294967295")


@router.get("/{mmsi}/track", summary="A vessel's track as a GeoJSON LineString with per-fix time, speed, course, heading")
def track(request: Request, mmsi: int, t_from: str | None = Query(None, alias="from"), t_to: str | None = Query(None, alias="to"),
          _=Viewer):
    console = console_of(request)
    db = console.readers()
    _mmsi(mmsi)
    t0, t1 = parse_time(t_from, "from"), parse_time(t_to, "to")
    if t1 is None:
        last = db.last_seen(mmsi)
        if last is None:
            raise HTTPException(404, f"MMSI {mmsi}: no positions in the store")
        t1 = ms_to_dt(to_ms(last) + 1)
    if t0 is None:
        t0 = t1 - timedelta(hours=6)
    if t1 <= t0:
        raise HTTPException(422, f"empty window: to {t1.isoformat()} is not after from {t0.isoformat()}")
    t = db.track(mmsi, t0, t1)
    t = t.filter(t["lat"].is_valid()).filter(t["lon"].is_valid()) if t.num_rows else t
    coords = np.column_stack([t["lon"].to_numpy(zero_copy_only=False), t["lat"].to_numpy(zero_copy_only=False)]).round(6)
    ts = [iso(v) for v in t["ts"].cast("int64").to_pylist()]
    return json_response({"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
                          "properties": {"mmsi": mmsi, "from": t0, "to": t1, "ts": ts, "sog": t["sog"].to_pylist(),
                                         "cog": t["cog"].to_pylist(), "heading": t["heading"].to_pylist()}},
                         media_type="application/geo+json")
