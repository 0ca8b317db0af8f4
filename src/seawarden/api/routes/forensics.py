"""Forensics for the console: suspects of an asset, evidence packs (zip) and the speed/course series at a crossing."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from seawarden.alert.forensics.config import ForensicsInputError
from seawarden.alert.forensics.evidence import PackSubject, subject_for_event, subject_for_suspect, write_evidence_pack
from seawarden.alert.forensics.suspects import rank_suspects
from seawarden.api.console import Console
from seawarden.api.http import Viewer, console_of, json_response, ms_to_dt, parse_time
from seawarden.detect.event import iso

router = APIRouter(prefix="/api", tags=["forensics"])


def _index(console: Console):
    if console.assets.index is None:
        raise HTTPException(409, "no assets are loaded: load some (POST /api/assets or seawarden assets load)")
    return console.assets.index


def _window(console: Console, t_from: str | None, t_to: str | None, default_h: float = 24.0) -> tuple[datetime, datetime]:
    t1 = parse_time(t_to, "to") or ms_to_dt(console.now_ms() + 1)
    t0 = parse_time(t_from, "from") or t1 - timedelta(hours=default_h)
    if t1 <= t0:
        raise HTTPException(422, f"empty window: to {t1.isoformat()} is not after from {t0.isoformat()}")
    return t0, t1


def _near(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    try:
        lat, lon = (float(x) for x in value.split(","))
    except ValueError:
        raise HTTPException(422, f"near={value!r}: expected LAT,LON, e.g. 59.93,26.05") from None
    return lat, lon


def _suspects(console: Console, asset: str, t_from, t_to, near=None, radius_km=None):
    t0, t1 = _window(console, t_from, t_to)
    try:
        return rank_suspects(console.readers(), _index(console), asset, t0, t1, _near(near), radius_km)
    except ForensicsInputError as exc:
        raise HTTPException(422, str(exc)) from None
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None


@router.get("/suspects", summary="Rank the vessels that crossed or lingered over an asset in a window (default: the last 24 h)")
def suspects(request: Request, asset: str = Query(..., description="asset name or id"), t_from: str | None = Query(None, alias="from"),
             t_to: str | None = Query(None, alias="to"), near: str | None = Query(None, description="LAT,LON"),
             radius_km: float | None = Query(None, gt=0, le=500), _=Viewer):
    report = _suspects(console_of(request), asset, t_from, t_to, near, radius_km)
    return json_response(report.as_dict())


def _zip(console: Console, subject: PackSubject, name: str) -> Response:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = write_evidence_pack(Path(tmp) / name, console.readers(), _index(console), subject,
                                       ais_attribution=console.ais_attribution, as_zip=True)
        except ForensicsInputError as exc:
            raise HTTPException(404, str(exc)) from None
        data = path.read_bytes()
    return Response(data, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}.zip"'})


@router.get("/evidence/alerts/{alert_id}", summary="Evidence pack of an alert (zip: HTML report, GeoJSON, CSV, manifest)",
            response_class=Response)
def alert_evidence(request: Request, alert_id: str, _=Viewer):
    console = console_of(request)
    store = console.alert_store()
    alert = store.get(alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert with id {alert_id!r}")
    payloads = [p for p in (store.event_payload(e) for e in alert.event_ids) if p is not None]
    if not payloads:
        raise HTTPException(404, f"alert {alert_id}: its events are not in the store")
    worst = max(payloads, key=lambda p: (p["severity"], p["start"]))
    subject = subject_for_event(worst)
    others = [subject_for_event(p).events[0] for p in payloads if p is not worst]
    subject.events = [*subject.events, *others]
    subject.t0 = min(subject.t0, ms_to_dt(alert.first_event_ms) - timedelta(hours=2))
    subject.t1 = max(subject.t1, ms_to_dt(alert.last_event_ms) + timedelta(hours=2))
    subject.title = f"Alert {alert_id}: {alert.title}"
    return _zip(console, subject, f"alert_{alert_id}")


@router.get("/evidence/suspects", summary="Evidence pack of one vessel among an asset's suspects (zip)", response_class=Response)
def suspect_evidence(request: Request, asset: str = Query(...), mmsi: int = Query(...), t_from: str | None = Query(None, alias="from"),
                     t_to: str | None = Query(None, alias="to"), _=Viewer):
    console = console_of(request)
    report = _suspects(console, asset, t_from, t_to)
    hit = next((s for s in report.suspects if s.mmsi == mmsi), None)
    if hit is None:
        raise HTTPException(404, f"MMSI {mmsi} is not among the suspects of {report.asset_name} in that window")
    return _zip(console, subject_for_suspect(report, hit), f"suspect_{report.asset_id}_{mmsi}")


@router.get("/crossing", summary="Speed and course of a vessel around a time, with its crossings of an asset (for the plot)")
def crossing(request: Request, mmsi: int = Query(...), asset_id: str = Query(...), at: str = Query(..., description="ISO time"),
             minutes: float = Query(60, gt=0, le=24 * 60, description="this many minutes either side"), _=Viewer):
    console = console_of(request)
    index = _index(console)
    try:
        a = index.assets.find(asset_id)
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0])) from None
    when = parse_time(at, "at")
    span = timedelta(minutes=minutes)
    t = console.readers().track(mmsi, when - span, when + span)
    t = t.filter(t["lat"].is_valid()).filter(t["lon"].is_valid()) if t.num_rows else t
    lon, lat = t["lon"].to_numpy(zero_copy_only=False), t["lat"].to_numpy(zero_copy_only=False)
    ts_ms = t["ts"].cast("int64").to_numpy()
    out = []
    if len(lon) >= 2:
        x = index.crossings(lon[:-1], lat[:-1], lon[1:], lat[1:])
        for k in np.flatnonzero(x.asset_idx == a):
            p = int(x.pair_idx[k])
            ms = int(ts_ms[p] + x.frac[k] * (ts_ms[p + 1] - ts_ms[p]))
            out.append({"ts": iso(ms), "km_point": round(float(x.km_point[k]), 3), "angle_deg": round(float(x.angle_deg[k]), 1),
                        "lat": round(float(x.lat[k]), 6), "lon": round(float(x.lon[k]), 6)})
    return json_response({"mmsi": mmsi, "asset_id": str(index.assets.id[a]), "asset_name": str(index.assets.name[a]),
                          "ts": [iso(int(v)) for v in ts_ms], "sog": t["sog"].to_pylist(), "cog": t["cog"].to_pylist(),
                          "crossings": out})
