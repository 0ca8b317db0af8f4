"""Detector events as stored (the JSON `seawarden detect` writes), newest first."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from seawarden.api.http import Limit, Viewer, console_of, json_response, parse_time

router = APIRouter(prefix="/api", tags=["events"])


@router.get("/events", summary="Detector events, newest first")
def events(request: Request, mmsi: int | None = None, asset_id: str | None = None,
           type: str | None = Query(None, description="event type, e.g. anchor_drag"),  # noqa: A002 -- the contract's name
           since: str | None = Query(None, description="ISO time: events active at or after it"), limit: int = Limit, _=Viewer):
    t = parse_time(since, "since")
    since_ms = int(t.timestamp() * 1000) if t is not None else None
    store = console_of(request).alert_store()
    return json_response(store.event_payloads(mmsi=mmsi, asset_id=asset_id, type_=type, since_ms=since_ms, limit=limit))
