"""The Event record every detector emits, with JSON and GeoJSON export.

`event_id` is a stable hash of type, subtype, vessel, asset and start time, so re-running over
the same data yields the same ids, and an event that is first reported "open" and later
"closed" keeps its id (consumers upsert; the GFW open-gap pattern).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

import orjson

STATUSES = ("open", "closed", "update")


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_event_id(type_: str, subtype: str, mmsi: int, asset_id: str | None, start_ms: int, related: int | None) -> str:
    key = f"{type_}|{subtype}|{mmsi}|{related or ''}|{asset_id or ''}|{start_ms}"
    return hashlib.sha1(key.encode()).hexdigest()[:20]


@dataclass
class Event:
    type: str
    mmsi: int
    start: int  # ms since epoch UTC
    end: int | None  # None while open
    lat: float | None  # None when the vessel's position is unknown (static-only events)
    lon: float | None
    severity: int  # 1..5
    status: str  # open / closed / update
    detected_at: int  # stream time (ms) at which the detector could first emit this
    evidence: dict[str, Any]
    config: dict[str, Any]
    subtype: str = ""
    asset_id: str | None = None
    asset_name: str | None = None
    related_mmsi: int | None = None  # the other vessel (rendezvous, shared IMO)
    event_id: str = field(default="")

    def __post_init__(self) -> None:
        if not 1 <= self.severity <= 5:
            raise ValueError(f"severity must be 1..5, got {self.severity}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not self.event_id:
            self.event_id = make_event_id(self.type, self.subtype, self.mmsi, self.asset_id, self.start, self.related_mmsi)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = iso(self.start)
        d["end"] = iso(self.end)
        d["detected_at"] = iso(self.detected_at)
        return d

    def to_json(self) -> str:
        """``as_dict()`` as compact JSON, built from a shallow dict by orjson: asdict's deep copy walks every evidence
        track point (~1 ms an event) and the json module takes ~70 us an event (orjson ~15), which bursts of hundreds
        of events on the live path (every one stored as its payload) cannot afford. Dataclasses inside the evidence
        serialise as asdict would; a NaN would be written as null (not available), never as invalid JSON."""
        d = {name: getattr(self, name) for name in _FIELDS}
        d["start"], d["end"], d["detected_at"] = iso(self.start), iso(self.end), iso(self.detected_at)
        return orjson.dumps(d, option=orjson.OPT_NON_STR_KEYS).decode()

    def to_geojson_feature(self) -> dict[str, Any]:
        props = self.as_dict()
        track = props["evidence"].get("track") or []
        coords = [[p[2], p[1]] for p in track if p[1] is not None and p[2] is not None]
        geom: dict[str, Any] | None
        if self.lat is None or self.lon is None:
            geom = None
        elif len(coords) >= 2:
            geom = {"type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [self.lon, self.lat]},
                {"type": "LineString", "coordinates": coords}]}
        else:
            geom = {"type": "Point", "coordinates": [self.lon, self.lat]}
        return {"type": "Feature", "id": self.event_id, "geometry": geom, "properties": props}


_FIELDS = tuple(f.name for f in fields(Event))


def to_feature_collection(events: list[Event]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [e.to_geojson_feature() for e in events]}
