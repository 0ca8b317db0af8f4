"""Evidence pack: what an analyst hands to a prosecutor or a partner navy, for one vessel.

A folder (or zip) with
  report.html    self-contained (inline SVG, inline CSS, no script, no network): map of the track over
                 the asset corridor, speed/course over time around the crossing, reasons, events,
                 crossings, identity, data sources and licences;
  track.geojson  the track (line + every fix), crossings and event points;
  track.csv      every POSITIONS row of the track as stored;
  manifest.json  query, generator, and the SHA-256 of every file (so a copy can be verified).
All text from AIS (names, call signs, destinations, station ids) is HTML-escaped.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely

from seawarden.alert.forensics.config import ForensicsInputError
from seawarden.alert.forensics.report import Crossing, EventRef, Reason, Suspect, SuspectReport, iso
from seawarden.alert.forensics.suspects import Fixes
from seawarden.alert.forensics.svg import MapFrame, speed_course_plot, track_map
from seawarden.assets.spatial import AssetIndex
from seawarden.store.base import Store


def _e(text: object) -> str:
    return escape("" if text is None else str(text), quote=True)


@cache
def _source_rules() -> list[dict[str, Any]]:
    return tomllib.loads(resources.files("seawarden.alert.forensics").joinpath("sources.toml").read_text("utf-8"))["source"]


def ais_attributions(sources: list[str], extra: str | None = None) -> list[dict[str, Any]]:
    """Terms of every AIS feed present (by `source` prefix, sources.toml); unknown feeds say so."""
    out: dict[str, dict[str, Any]] = {}
    for s in sorted({x for x in sources if x}):
        rule = next((r for r in _source_rules() if s.lower().startswith(r["prefix"].lower())), None)
        key = rule["name"] if rule else s
        entry = out.setdefault(key, {"name": key, "attribution": rule["attribution"] if rule else "attribution unknown: state it with --ais-attribution",
                                     "licence": rule["licence"] if rule else "unknown", "synthetic": bool(rule and rule.get("synthetic")),
                                     "sources": []})
        entry["sources"].append(s)
    rows = list(out.values())
    if extra:
        rows.append({"name": "stated by the analyst", "attribution": extra, "licence": "", "synthetic": False, "sources": []})
    return rows


@dataclass
class PackSubject:
    """What the pack is about: one vessel in a window, optionally one asset, its crossings, events and reasons."""

    mmsi: int
    t0: datetime
    t1: datetime
    title: str
    asset: str | None = None  # name or id in the index
    crossings: list[Crossing] | None = None
    events: list[EventRef] | None = None
    reasons: list[Reason] | None = None
    score: float | None = None
    baseline_kn: float | None = None


def subject_for_suspect(report: SuspectReport, suspect: Suspect, margin_h: float = 2.0) -> PackSubject:
    times = [c.ts_ms for c in suspect.crossings] + [t for t in (suspect.first_in_corridor_ms, suspect.last_in_corridor_ms) if t]
    lo, hi = (min(times), max(times)) if times else (report.t0_ms, report.t1_ms)
    t0 = datetime.fromtimestamp(lo / 1000, timezone.utc) - timedelta(hours=margin_h)
    t1 = datetime.fromtimestamp(hi / 1000, timezone.utc) + timedelta(hours=margin_h)
    base = next((c.baseline_kn for c in suspect.crossings if math.isfinite(c.baseline_kn)), None)
    return PackSubject(suspect.mmsi, t0, t1, f"Suspect #{suspect.rank} for {report.asset_name}: MMSI {suspect.mmsi}",
                       report.asset_id, suspect.crossings, suspect.events, suspect.reasons, suspect.score, base)


def subject_for_event(event: Any, lead_h: float = 2.0, tail_h: float = 2.0) -> PackSubject:
    """From a detector Event (or its as_dict() / an alert's event dict)."""
    d = event.as_dict() if hasattr(event, "as_dict") else dict(event)
    start = d["start"] if isinstance(d["start"], (int, float)) else datetime.fromisoformat(str(d["start"]).replace("Z", "+00:00")).timestamp() * 1000
    end_raw = d.get("end") or d.get("detected_at") or d["start"]
    end = end_raw if isinstance(end_raw, (int, float)) else datetime.fromisoformat(str(end_raw).replace("Z", "+00:00")).timestamp() * 1000
    ref = EventRef(str(d.get("event_id", "")), str(d["type"]), str(d.get("subtype", "")), int(start), int(end), int(d.get("severity", 1)),
                   d.get("asset_id"), d.get("asset_name"), d.get("lat"), d.get("lon"), bool(d.get("asset_id")), 0.0,
                   {k: v for k, v in (d.get("evidence") or {}).items() if k != "track"})
    t0 = datetime.fromtimestamp(start / 1000, timezone.utc) - timedelta(hours=lead_h)
    t1 = datetime.fromtimestamp(end / 1000, timezone.utc) + timedelta(hours=tail_h)
    return PackSubject(int(d["mmsi"]), t0, t1, f"{d['type']} event of MMSI {d['mmsi']}" + (f" at {d['asset_name']}" if d.get("asset_name") else ""),
                       d.get("asset_id"), [], [ref], [], None, None)


def _lines(geom: shapely.Geometry) -> list[np.ndarray]:
    if geom is None or geom.is_empty:
        return []
    if shapely.get_type_id(geom) in (3, 6):
        geom = shapely.boundary(geom)
    return [shapely.get_coordinates(p) for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (1, 2)]


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p class=muted>none</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _f(x: float | None, nd: int = 1) -> str:
    return "?" if x is None or not math.isfinite(x) else f"{x:.{nd}f}"


_CSS = """body{font-family:sans-serif;margin:24px;color:#111;max-width:1000px}h1{font-size:20px}h2{font-size:16px;border-bottom:1px solid #ccc;
margin-top:28px}table{border-collapse:collapse;font-size:12px;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;
vertical-align:top}th{background:#f0f3f6}.muted{color:#666}.warn{background:#fff3cd;border:1px solid #e0c060;padding:8px}
.score{font-size:18px;font-weight:bold}figure{margin:8px 0}figcaption{font-size:12px;color:#444}"""


def write_evidence_pack(out_dir: str | Path, store: Store, index: AssetIndex, subject: PackSubject, *,
                        ais_attribution: str | None = None, as_zip: bool = False) -> Path:
    """Write the pack for `subject` into out_dir (created); returns the folder, or the .zip when as_zip."""
    out = Path(out_dir)
    table = store.track(subject.mmsi, subject.t0, subject.t1)
    if table.num_rows == 0:
        raise ForensicsInputError(f"MMSI {subject.mmsi}: no positions in the store between {subject.t0.isoformat()} and {subject.t1.isoformat()}")
    out.mkdir(parents=True, exist_ok=True)
    fx = Fixes.from_table(table).with_speed()
    static = store.static_latest([subject.mmsi]).to_pylist()
    ident = static[0] if static else {}
    assets = index.assets
    focus_row = None
    if subject.asset:
        try:
            focus_row = assets.find(subject.asset)
        except KeyError:
            focus_row = None
    # view: the track, plus the asset where it is near the track
    frame = MapFrame.around(fx.lon, fx.lat)
    view = shapely.box(frame.lon0, frame.lat0, frame.lon1, frame.lat1)
    focus_lines = _lines(shapely.clip_by_rect(assets.geometry[focus_row], frame.lon0, frame.lat0, frame.lon1, frame.lat1)) if focus_row is not None else []
    near = np.flatnonzero(shapely.intersects(assets.geometry, view)) if len(assets) else np.array([], dtype=int)
    others = [(str(assets.name[i]), ln) for i in near if i != focus_row
              for ln in _lines(shapely.clip_by_rect(assets.geometry[i], frame.lon0, frame.lat0, frame.lon1, frame.lat1))]
    crossings = subject.crossings or []
    events = subject.events or []
    marks = [(fx.lon[0], fx.lat[0], f"start {iso(fx.ts[0])}", "start"), (fx.lon[-1], fx.lat[-1], f"end {iso(fx.ts[-1])}", "end")]
    marks += [(c.lon, c.lat, f"crossing {iso(c.ts_ms)[11:16]}Z, {_f(c.sog_at_kn)} kn", "crossing") for c in crossings]
    marks += [(e.lon, e.lat, f"{e.type} {iso(e.start_ms)[11:16]}Z", "event") for e in events if e.lat is not None and e.lon is not None]
    corridor = float(assets.corridor_m[focus_row]) if focus_row is not None else 0.0
    focus_name = str(assets.name[focus_row]) if focus_row is not None else "no asset"
    map_svg = track_map(frame, track_lon=fx.lon, track_lat=fx.lat, track_sog=fx.sog, focus_lines=focus_lines, corridor_m=corridor,
                        focus_label=focus_name, other_lines=others, marks=marks)
    plot_svg = speed_course_plot(fx.ts, fx.sog, fx.cog, crossings_ms=[c.ts_ms for c in crossings],
                                 spans=[(e.start_ms, e.end_ms or e.start_ms, e.type) for e in events], baseline_kn=subject.baseline_kn)
    sources = ais_attributions(table["source"].to_pylist(), ais_attribution)
    asset_rows = near if focus_row is None else np.unique(np.concatenate([[focus_row], near]))
    datasets = {(str(assets.dataset[i]), str(assets.licence[i]), str(assets.attribution[i])) for i in asset_rows}
    html = _html(subject, ident, fx, map_svg, plot_svg, sources, sorted(datasets), focus_name, corridor)
    files = {"report.html": html.encode("utf-8"),
             "track.geojson": json.dumps(_geojson(subject, fx, table, crossings, events, ident), ensure_ascii=False, allow_nan=False).encode("utf-8"),
             "track.csv": _csv(table)}
    manifest = {"generator": "seawarden.alert.forensics.evidence", "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "subject": {"mmsi": subject.mmsi, "from": subject.t0.isoformat(), "to": subject.t1.isoformat(), "asset": subject.asset,
                            "title": subject.title},
                "fixes": len(fx), "ais_sources": sources, "asset_datasets": [dict(zip(("dataset", "licence", "attribution"), d)) for d in sorted(datasets)],
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}}
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    for name, data in files.items():
        (out / name).write_bytes(data)
    if as_zip:
        target = out.with_suffix(".zip")
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(f"{out.name}/{name}", data)
        return target
    return out


def _csv(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()


def _geojson(subject: PackSubject, fx: Fixes, table: pa.Table, crossings: list[Crossing], events: list[EventRef], ident: dict) -> dict:
    feats: list[dict[str, Any]] = [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": np.column_stack([fx.lon, fx.lat]).round(7).tolist()},
                                    "properties": {"kind": "track", "mmsi": subject.mmsi, "name": ident.get("name"), "from": iso(fx.ts[0]), "to": iso(fx.ts[-1])}}]
    for i in range(len(fx)):
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(fx.lon[i]), 7), round(float(fx.lat[i]), 7)]},
                      "properties": {"kind": "fix", "time": iso(fx.ts[i]), "sog_kn": None if not math.isfinite(fx.sog[i]) else round(float(fx.sog[i]), 2),
                                     "cog_deg": None if not math.isfinite(fx.cog[i]) else round(float(fx.cog[i]), 1)}})
    for c in crossings:
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
                      "properties": {"kind": "crossing", "time": iso(c.ts_ms), "km_point": round(c.km_point, 3), "angle_deg": round(c.angle_deg, 1),
                                     "sog_at_kn": None if not math.isfinite(c.sog_at_kn) else round(c.sog_at_kn, 2)}})
    for e in events:
        if e.lat is not None and e.lon is not None:
            feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [e.lon, e.lat]},
                          "properties": {"kind": "event", "type": e.type, "event_id": e.event_id, "start": iso(e.start_ms), "end": iso(e.end_ms),
                                         "severity": e.severity, "asset": e.asset_name}})
    return {"type": "FeatureCollection", "features": feats}


def _html(subject: PackSubject, ident: dict, fx: Fixes, map_svg: str, plot_svg: str, sources: list[dict], datasets: list[tuple[str, str, str]],
          focus_name: str, corridor: float) -> str:
    synthetic = [s for s in sources if s["synthetic"]]
    warn = (f'<p class=warn><b>Synthetic data present:</b> {_e("; ".join(s["attribution"] for s in synthetic))}</p>' if synthetic else "")
    idrows = [[k, ident.get(k)] for k in ("name", "callsign", "imo", "ship_type", "to_bow", "to_stern", "draught", "destination") if ident.get(k) is not None]
    crossing_rows = [[iso(c.ts_ms), f"{c.lat:.5f}, {c.lon:.5f}", _f(c.km_point, 2), _f(c.angle_deg, 0), _f(c.baseline_kn), _f(c.sog_before_kn),
                      _f(c.sog_at_kn), _f(c.sog_after_kn), "?" if not math.isfinite(c.drop_fraction) else f"{c.drop_fraction:.0%}",
                      "inferred across a gap" if c.inferred else ""] for c in subject.crossings or []]
    event_rows = [[e.type + (f"/{e.subtype}" if e.subtype else ""), iso(e.start_ms), iso(e.end_ms) or "open", e.severity, e.asset_name or "",
                   "" if e.lat is None else f"{e.lat:.5f}, {e.lon:.5f}", json.dumps(e.evidence, default=str)[:300], e.event_id] for e in subject.events or []]
    reason_rows = [[f"{r.points:+.1f}", r.code, r.text] for r in subject.reasons or []]
    score = f'<p class=score>Score {subject.score:.1f} (sum of the reasons below)</p>' if subject.score is not None else ""
    src_rows = [[s["name"], s["attribution"], s["licence"], ", ".join(s["sources"])] for s in sources]
    data_rows = [list(d) for d in datasets]
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(subject.title)}</title><style>{_CSS}</style></head><body>
<h1>{_e(subject.title)}</h1>
<p class=muted>Window {_e(subject.t0.isoformat(timespec="seconds"))} .. {_e(subject.t1.isoformat(timespec="seconds"))} (UTC) · {len(fx)} fixes from {_e(iso(fx.ts[0]))} to {_e(iso(fx.ts[-1]))}
· asset {_e(focus_name)}{f", corridor ±{corridor:.0f} m" if corridor else ""} · generated {_e(datetime.now(timezone.utc).isoformat(timespec="seconds"))} by seawarden</p>
{warn}{score}
<h2>Vessel</h2>{_table(["field", "value"], [["MMSI", subject.mmsi]] + idrows)}
<h2>Why</h2>{_table(["points", "reason", "detail"], reason_rows)}
<h2>Map</h2><figure>{map_svg}<figcaption>Track coloured by speed over ground over {_e(focus_name)} and its protection corridor;
dashed grey lines: other assets in view. Local equirectangular projection; positions as reported by AIS.</figcaption></figure>
<h2>Speed and course</h2><figure>{plot_svg}<figcaption>SOG as reported (derived from positions where not reported) and COG over time.</figcaption></figure>
<h2>Crossings</h2>{_table(["time (UTC)", "position", "km point", "angle °", "baseline kn", "before kn", "at kn", "after kn", "drop vs baseline", "note"], crossing_rows)}
<h2>Detector events</h2>{_table(["event", "start", "end", "severity", "asset", "position", "evidence", "id"], event_rows)}
<h2>Data sources and licences</h2>
<h3>AIS</h3>{_table(["feed", "attribution", "licence", "source ids in the track"], src_rows)}
<h3>Infrastructure</h3>{_table(["dataset", "licence", "attribution"], data_rows)}
<p class=muted>Files in this pack: report.html, track.geojson, track.csv, manifest.json (SHA-256 of each file). Infrastructure routes in public
data sets are schematic (km-scale); AIS positions and identities are self-reported by the vessel.</p>
</body></html>"""
