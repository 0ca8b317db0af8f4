"""The answer of a suspects query, and its three renderings (rich table, JSON, CSV).

Every number an analyst sees is in the JSON too, and every reason carries its points, so the
score can be re-added by hand and the ranking defended.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from rich.markup import escape as rich_escape
from rich.table import Table


def iso(ms: float | int | None) -> str | None:
    if ms is None or (isinstance(ms, float) and not math.isfinite(ms)):
        return None
    return datetime.fromtimestamp(float(ms) / 1000.0, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


@dataclass
class Reason:
    """One piece of the score: a code from suspects.toml [weights], its points and a sentence saying why."""

    code: str
    points: float
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Crossing:
    ts_ms: int
    lon: float
    lat: float
    km_point: float
    angle_deg: float
    sog_before_kn: float  # median in the minutes before
    sog_at_kn: float  # interpolated at the crossing
    sog_after_kn: float  # median some minutes after
    baseline_kn: float  # the vessel's own cruising speed before the crossing
    drop_fraction: float  # 1 - after/baseline (NaN without a baseline)
    pair_gap_s: float  # time between the two fixes the crossing was interpolated between
    inferred: bool  # that gap was longer than search.max_pair_gap_s
    drop_at_line: float = math.nan  # 1 - after/before: a slowdown that starts at the line
    course_change_deg: float = math.nan  # displacement course after vs before the line


@dataclass
class Gap:
    start_ms: int
    end_ms: int
    distance_m: float  # closer end of the silence to the asset (part)
    others_heard: int  # fixes of other vessels in the search boxes during the silence


@dataclass
class EventRef:
    event_id: str
    type: str
    subtype: str
    start_ms: int
    end_ms: int | None
    severity: int
    asset_id: str | None
    asset_name: str | None
    lat: float | None
    lon: float | None
    on_asset: bool
    points: float
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Suspect:
    mmsi: int
    score: float
    reasons: list[Reason]
    crossings: list[Crossing]
    gaps: list[Gap]
    events: list[EventRef]
    time_in_corridor_s: float
    first_in_corridor_ms: int | None
    last_in_corridor_ms: int | None
    min_distance_m: float
    n_fixes: int
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    rank: int = 0

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for c in d["crossings"]:
            c["time"] = iso(c.pop("ts_ms"))
            for k in ("lon", "lat"):
                c[k] = _r(c[k], 6)
            for k in ("km_point", "angle_deg", "sog_before_kn", "sog_at_kn", "sog_after_kn", "baseline_kn", "drop_fraction", "pair_gap_s",
                      "drop_at_line", "course_change_deg"):
                c[k] = _r(c[k], 3)
        for g, src in zip(d["gaps"], self.gaps):
            g["start"], g["end"] = iso(g.pop("start_ms")), iso(g.pop("end_ms"))
            g["duration_s"] = (src.end_ms - src.start_ms) / 1000.0
            g["distance_m"] = _r(src.distance_m, 0)
        for e in d["events"]:
            e["start"], e["end"] = iso(e.pop("start_ms")), iso(e.pop("end_ms"))
        d["first_in_corridor"] = iso(d.pop("first_in_corridor_ms"))
        d["last_in_corridor"] = iso(d.pop("last_in_corridor_ms"))
        d["min_distance_m"] = _r(self.min_distance_m, 0)
        d["score"] = round(self.score, 1)
        for r in d["reasons"]:
            r["points"] = round(r["points"], 1)
        return d


@dataclass
class SuspectReport:
    asset_id: str
    asset_name: str
    asset_kind: str
    corridor_m: float
    t0_ms: int
    t1_ms: int
    near: tuple[float, float] | None  # (lat, lon) as asked
    radius_km: float | None
    suspects: list[Suspect]
    stats: dict[str, Any]
    weights: dict[str, Any]
    profile_source: str  # which risk-profile scorer supplied the "profile" reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset": {"id": self.asset_id, "name": self.asset_name, "kind": self.asset_kind, "corridor_m": self.corridor_m},
            "window": {"from": iso(self.t0_ms), "to": iso(self.t1_ms)},
            "near": None if self.near is None else {"lat": self.near[0], "lon": self.near[1], "radius_km": self.radius_km},
            "profile_source": self.profile_source,
            "stats": self.stats,
            "weights": self.weights,
            "suspects": [s.as_dict() for s in self.suspects],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.as_dict(), indent=indent, ensure_ascii=False, allow_nan=False, default=str)

    def to_csv(self) -> str:
        """One row per suspect; reasons as 'code=points' joined by ';' and the sentences in `why`."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["rank", "mmsi", "name", "callsign", "imo", "ship_type", "score", "crossings", "first_crossing",
                    "km_points", "min_sog_at_crossing_kn", "max_drop_fraction", "time_in_corridor_min", "events",
                    "gaps", "reasons", "why"])
        for s in self.suspects:
            c = s.crossings
            w.writerow([s.rank, s.mmsi, s.name or "", s.callsign or "", s.imo or "", s.ship_type if s.ship_type is not None else "",
                        f"{s.score:.1f}", len(c), iso(c[0].ts_ms) if c else "",
                        " ".join(f"{x.km_point:.1f}" for x in c),
                        _fmt(min((x.sog_at_kn for x in c), default=math.nan)),
                        _fmt(max((x.drop_fraction for x in c if math.isfinite(x.drop_fraction)), default=math.nan), 3),
                        f"{s.time_in_corridor_s / 60:.1f}", " ".join(sorted({e.type for e in s.events})), len(s.gaps),
                        ";".join(f"{r.code}={r.points:.1f}" for r in s.reasons), " | ".join(r.text for r in s.reasons)])
        return buf.getvalue()

    def to_table(self, limit: int | None = None) -> Table:
        where = f" within {self.radius_km:g} km of {self.near[0]:.4f},{self.near[1]:.4f}" if self.near else ""
        t = Table(title=f"Suspects for {self.asset_name} ({self.asset_id}){where}, {iso(self.t0_ms)} .. {iso(self.t1_ms)}",
                  caption=(f"{self.stats.get('candidates', 0)} vessels crossed or lingered; {self.stats.get('rows_prefiltered', 0):,} fixes "
                           f"pre-filtered, {self.stats.get('rows_tracks', 0):,} track fixes analysed in {self.stats.get('seconds_total', 0):.2f} s; "
                           f"score = sum of the points shown (weights: suspects.toml); profile: {self.profile_source}"),
                  show_lines=True)
        for col, kw in (("#", {"justify": "right"}), ("MMSI", {}), ("name", {"overflow": "fold"}), ("score", {"justify": "right"}),
                        ("crossings", {}), ("SOG before/at/after (baseline)", {}), ("in corridor", {"justify": "right"}),
                        ("why (points)", {"overflow": "fold", "ratio": 3})):
            t.add_column(col, **kw)
        for s in self.suspects[:limit]:
            cross = "\n".join(f"{iso(c.ts_ms)} km {c.km_point:.1f} {c.angle_deg:.0f}°{' (inferred)' if c.inferred else ''}"
                              for c in s.crossings[:3]) + (f"\n+{len(s.crossings) - 3} more" if len(s.crossings) > 3 else "")
            speeds = "\n".join(f"{_fmt(c.sog_before_kn)}/{_fmt(c.sog_at_kn)}/{_fmt(c.sog_after_kn)} ({_fmt(c.baseline_kn)})"
                               for c in s.crossings[:3])
            why = "\n".join(f"+{r.points:.1f} {r.text}" for r in s.reasons) or "in the corridor only briefly"
            cells = (str(s.rank), str(s.mmsi), s.name or "?", f"{s.score:.1f}", cross or "none (lingered)", speeds or "-",
                     f"{s.time_in_corridor_s / 60:.0f} min", why)
            t.add_row(*(rich_escape(c) for c in cells))  # AIS names may contain [markup]
        return t


def _fmt(x: float, nd: int = 1) -> str:
    return "?" if x is None or not math.isfinite(x) else f"{x:.{nd}f}"
