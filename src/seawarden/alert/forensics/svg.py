"""Inline SVG for evidence packs: a track-over-asset map and a speed/course plot, drawn from coordinates.

No plotting library and no web map: the HTML must open offline on any machine years later, and
every mark must come from the data in the pack. The map uses a local equirectangular projection
(x scaled by cos of the view's mid-latitude): within a few hundred km the distortion is below 1 %,
and a scale bar is drawn from the same projection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np

M_PER_DEG = 111_320.0
SPEED_BANDS = ((0.0, 1.0, "#b2182b", "< 1 kn (stopped)"), (1.0, 4.0, "#ef8a62", "1-4 kn"), (4.0, 8.0, "#67a9cf", "4-8 kn"),
               (8.0, 1e9, "#2166ac", "> 8 kn"), (math.nan, math.nan, "#999999", "SOG unknown"))


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


@dataclass
class MapFrame:
    """lon/lat -> SVG pixels for a view box."""

    lon0: float
    lat0: float
    lon1: float
    lat1: float
    width: int = 760
    height: int = 520
    pad: int = 36

    def __post_init__(self) -> None:
        self.k = math.cos(math.radians(0.5 * (self.lat0 + self.lat1)))
        w_m = max((self.lon1 - self.lon0) * self.k * M_PER_DEG, 1.0)
        h_m = max((self.lat1 - self.lat0) * M_PER_DEG, 1.0)
        self.px_per_m = min((self.width - 2 * self.pad) / w_m, (self.height - 2 * self.pad) / h_m)
        self.cx, self.cy = 0.5 * (self.lon0 + self.lon1), 0.5 * (self.lat0 + self.lat1)

    @classmethod
    def around(cls, lon: np.ndarray, lat: np.ndarray, margin: float = 0.08, **kw: int) -> "MapFrame":
        x0, x1, y0, y1 = float(np.nanmin(lon)), float(np.nanmax(lon)), float(np.nanmin(lat)), float(np.nanmax(lat))
        dx, dy = max(x1 - x0, 0.01), max(y1 - y0, 0.01)
        return cls(x0 - margin * dx, y0 - margin * dy, x1 + margin * dx, y1 + margin * dy, **kw)

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = self.width / 2 + (np.asarray(lon) - self.cx) * self.k * M_PER_DEG * self.px_per_m
        y = self.height / 2 - (np.asarray(lat) - self.cy) * M_PER_DEG * self.px_per_m
        return x, y

    def path(self, lon: np.ndarray, lat: np.ndarray) -> str:
        x, y = self.xy(lon, lat)
        return " ".join(f"{'M' if i == 0 else 'L'}{a:.1f},{b:.1f}" for i, (a, b) in enumerate(zip(x, y)))


def speed_colour(sog: float) -> str:
    for lo, hi, colour, _ in SPEED_BANDS[:-1]:
        if lo <= sog < hi:
            return colour
    return SPEED_BANDS[-1][2]


def track_map(frame: MapFrame, *, track_lon: np.ndarray, track_lat: np.ndarray, track_sog: np.ndarray,
              focus_lines: list[np.ndarray], corridor_m: float, focus_label: str, other_lines: list[tuple[str, np.ndarray]],
              marks: list[tuple[float, float, str, str]]) -> str:
    """SVG map. Lines are (n, 2) lon/lat arrays; marks are (lon, lat, label, kind in {'crossing', 'event', 'start', 'end'})."""
    f = frame
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {f.width} {f.height}" width="{f.width}" height="{f.height}" '
           f'role="img" aria-label="map of the track over {_e(focus_label)}" font-family="sans-serif" font-size="11">',
           f'<rect width="{f.width}" height="{f.height}" fill="#eef5fb"/>']
    # graticule
    step = _nice_step(max(f.lon1 - f.lon0, f.lat1 - f.lat0), 6)
    for lon in np.arange(math.ceil(f.lon0 / step) * step, f.lon1, step):
        x, _ = f.xy(np.array([lon]), np.array([f.cy]))
        out.append(f'<line x1="{x[0]:.1f}" y1="0" x2="{x[0]:.1f}" y2="{f.height}" stroke="#c9d9e8" stroke-width="0.6"/>'
                   f'<text x="{x[0] + 2:.1f}" y="{f.height - 4}" fill="#5a7089">{lon:.2f}°E</text>')
    for lat in np.arange(math.ceil(f.lat0 / step) * step, f.lat1, step):
        _, y = f.xy(np.array([f.cx]), np.array([lat]))
        out.append(f'<line x1="0" y1="{y[0]:.1f}" x2="{f.width}" y2="{y[0]:.1f}" stroke="#c9d9e8" stroke-width="0.6"/>'
                   f'<text x="3" y="{y[0] - 3:.1f}" fill="#5a7089">{lat:.2f}°N</text>')
    for name, line in other_lines:
        out.append(f'<path d="{f.path(line[:, 0], line[:, 1])}" fill="none" stroke="#8c8c8c" stroke-width="1.2" stroke-dasharray="4 3">'
                   f'<title>{_e(name)}</title></path>')
    band = max(2 * corridor_m * f.px_per_m, 2.0)
    for line in focus_lines:
        d = f.path(line[:, 0], line[:, 1])
        out.append(f'<path d="{d}" fill="none" stroke="#f4a582" stroke-opacity="0.45" stroke-width="{band:.1f}" stroke-linecap="round" '
                   f'stroke-linejoin="round"><title>{_e(focus_label)} corridor ±{corridor_m:.0f} m</title></path>')
        out.append(f'<path d="{d}" fill="none" stroke="#b2182b" stroke-width="2"><title>{_e(focus_label)}</title></path>')
    x, y = f.xy(track_lon, track_lat)
    for i in range(len(x) - 1):
        out.append(f'<line x1="{x[i]:.1f}" y1="{y[i]:.1f}" x2="{x[i + 1]:.1f}" y2="{y[i + 1]:.1f}" stroke="{speed_colour(float(track_sog[i]))}" '
                   f'stroke-width="2.4" stroke-linecap="round"/>')
    for lon, lat, label, kind in marks:
        (mx,), (my,) = f.xy(np.array([lon]), np.array([lat]))
        if kind == "crossing":
            out.append(f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="6" fill="none" stroke="#000" stroke-width="2"/>')
        elif kind == "event":
            out.append(f'<path d="M{mx:.1f},{my - 7:.1f} L{mx + 6:.1f},{my + 5:.1f} L{mx - 6:.1f},{my + 5:.1f} Z" fill="#fdb863" stroke="#000"/>')
        else:
            out.append(f'<rect x="{mx - 4:.1f}" y="{my - 4:.1f}" width="8" height="8" fill="{"#1a9850" if kind == "start" else "#000"}"/>')
        anchor, dx = ("end", -8) if mx > f.width * 0.7 else ("start", 8)  # keep labels inside the frame
        out.append(f'<text x="{mx + dx:.1f}" y="{my - 6:.1f}" text-anchor="{anchor}" fill="#111" stroke="#fff" stroke-width="3" '
                   f'paint-order="stroke">{_e(label)}</text>')
    # scale bar and north arrow
    km = _nice_step((f.width - 2 * f.pad) / f.px_per_m / 1000.0 / 4, 1)
    bar = km * 1000 * f.px_per_m
    out.append(f'<g transform="translate({f.width - bar - 20:.1f},{f.height - 24})"><rect width="{bar:.1f}" height="5" fill="#222"/>'
               f'<text y="-4">{km:g} km</text></g>')
    out.append(f'<g transform="translate({f.width - 24},34)"><path d="M0,-16 L7,6 L0,1 L-7,6 Z" fill="#222"/><text x="-4" y="20">N</text></g>')
    # legend
    out.append('<g transform="translate(10,14)"><rect x="-4" y="-11" width="150" height="92" fill="#fff" fill-opacity="0.85"/>')
    for j, (_, _, colour, label) in enumerate(SPEED_BANDS):
        out.append(f'<line x1="0" y1="{j * 14}" x2="18" y2="{j * 14}" stroke="{colour}" stroke-width="3"/><text x="24" y="{j * 14 + 4}">{_e(label)}</text>')
    out.append(f'<circle cx="9" cy="{5 * 14}" r="5" fill="none" stroke="#000" stroke-width="2"/><text x="24" y="{5 * 14 + 4}">crossing</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def speed_course_plot(ts_ms: np.ndarray, sog: np.ndarray, cog: np.ndarray, *, crossings_ms: list[float],
                      spans: list[tuple[float, float, str]], baseline_kn: float | None = None, width: int = 760, height: int = 360) -> str:
    """Two stacked panels over time: SOG (knots) and COG (degrees); crossings as vertical lines, events as shaded spans."""
    pad_l, pad_r, gap = 48, 12, 26
    panel_h = (height - 2 * gap - 20) / 2
    t0, t1 = float(ts_ms.min()), float(ts_ms.max())
    t1 = t1 if t1 > t0 else t0 + 60_000
    smax = max(float(np.nanmax(sog)) if np.isfinite(sog).any() else 1.0, (baseline_kn or 0.0), 1.0) * 1.1

    def tx(t: np.ndarray | float) -> np.ndarray:
        return pad_l + (np.asarray(t, dtype=float) - t0) / (t1 - t0) * (width - pad_l - pad_r)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'role="img" aria-label="speed and course over time" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="#fff"/>']
    panels = ((gap, "SOG (kn)", sog, 0.0, smax), (gap * 2 + panel_h, "COG (°)", cog, 0.0, 360.0))
    for top, label, values, lo, hi in panels:
        def ty(v: np.ndarray | float, top: float = top, lo: float = lo, hi: float = hi) -> np.ndarray:
            return top + panel_h - (np.asarray(v, dtype=float) - lo) / (hi - lo) * panel_h

        out.append(f'<rect x="{pad_l}" y="{top:.1f}" width="{width - pad_l - pad_r}" height="{panel_h:.1f}" fill="#f7f9fb" stroke="#ccc"/>')
        out.append(f'<text x="4" y="{top - 6:.1f}" font-weight="bold">{_e(label)}</text>')
        for v in np.linspace(lo, hi, 5):
            out.append(f'<text x="{pad_l - 4}" y="{float(ty(v)) + 4:.1f}" text-anchor="end" fill="#555">{v:.0f}</text>'
                       f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{float(ty(v)):.1f}" y2="{float(ty(v)):.1f}" stroke="#e3e3e3"/>')
        for a, b, name in spans:
            xa, xb = float(tx(max(a, t0))), float(tx(min(b, t1)))
            if xb > xa:
                out.append(f'<rect x="{xa:.1f}" y="{top:.1f}" width="{xb - xa:.1f}" height="{panel_h:.1f}" fill="#fdb863" fill-opacity="0.3">'
                           f'<title>{_e(name)}</title></rect>')
        for c in crossings_ms:
            xc = float(tx(c))
            out.append(f'<line x1="{xc:.1f}" x2="{xc:.1f}" y1="{top:.1f}" y2="{top + panel_h:.1f}" stroke="#b2182b" stroke-width="1.5" stroke-dasharray="5 3"/>')
        ok = np.isfinite(values)
        x, y = tx(ts_ms[ok]), ty(values[ok])
        if label.startswith("SOG"):
            if ok.sum() > 1:
                out.append('<polyline fill="none" stroke="#2166ac" stroke-width="1.6" points="' +
                           " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y)) + '"/>')
            if baseline_kn is not None and math.isfinite(baseline_kn):
                yb = float(ty(baseline_kn))
                out.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{yb:.1f}" y2="{yb:.1f}" stroke="#1a9850" stroke-dasharray="6 3"/>'
                           f'<text x="{width - pad_r - 4}" y="{yb - 4:.1f}" text-anchor="end" fill="#1a9850">own cruising baseline {baseline_kn:.1f} kn</text>')
        else:
            out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.6" fill="#5e3c99"/>' for a, b in zip(x, y))
    step = _nice_step((t1 - t0) / 60_000.0, 6) * 60_000.0
    for t in np.arange(math.ceil(t0 / step) * step, t1 + 1, step):
        label = np.datetime64(int(t), "ms").astype("datetime64[m]").astype(str).replace("T", " ")
        out.append(f'<text x="{float(tx(t)):.1f}" y="{height - 6}" text-anchor="middle" fill="#555">{_e(label[5:])}</text>')
    out.append(f'<text x="{width - pad_r}" y="14" text-anchor="end" fill="#555">UTC · red dashes: crossings · shaded: detector events</text>')
    out.append("</svg>")
    return "\n".join(out)
