// Track replay: one vessel's track from /api/vessels/{mmsi}/track drawn on the map, with a time slider (and play)
// that moves a heading-oriented marker along it.
import { api } from "./api.js";
import { formatTime, formatNumber } from "./format.js";
import { symbolRotation } from "./vessels.js";

const EMPTY = { type: "FeatureCollection", features: [] };
const line = (coords) => ({ type: "Feature", geometry: { type: "LineString", coordinates: coords }, properties: {} });

export class TrackReplay {
  constructor(root, map) {
    this.root = root;
    this.map = map;
    this.slider = root.querySelector("input[type=range]");
    this.label = root.querySelector(".replay-time");
    this.info = root.querySelector(".replay-info");
    this.playBtn = root.querySelector("[data-action=play]");
    this.track = null;
    this.timer = null;
    map.addSource("replay-track", { type: "geojson", data: EMPTY });
    map.addSource("replay-marker", { type: "geojson", data: EMPTY });
    map.addLayer({ id: "replay-track", type: "line", source: "replay-track",
      paint: { "line-color": "#6fd3ff", "line-width": 1.5, "line-opacity": 0.55, "line-dasharray": [2, 1] } });
    map.addLayer({ id: "replay-past", type: "line", source: "replay-track", filter: ["==", ["get", "part"], "past"],
      paint: { "line-color": "#6fd3ff", "line-width": 2.5 } });
    map.addLayer({ id: "replay-marker", type: "symbol", source: "replay-marker",
      layout: { "icon-image": ["case", ["get", "has_dir"], "vessel-hull", "vessel-dot"], "icon-rotate": ["get", "rot"],
        "icon-rotation-alignment": "map", "icon-allow-overlap": true, "icon-ignore-placement": true, "icon-size": 1.3 },
      paint: { "icon-color": "#6fd3ff", "icon-halo-color": "#000", "icon-halo-width": 2 } });
    this.slider.addEventListener("input", () => this.moveTo(Number(this.slider.value)));
    this.playBtn.addEventListener("click", () => (this.timer ? this.pause() : this.play()));
    root.querySelector("[data-action=close-replay]").addEventListener("click", () => this.clear());
  }

  /** Load a vessel's track (default window: the server's last 6 h of that vessel) and show the slider. */
  async load(mmsi, { from, to } = {}) {
    this.pause();
    const f = await api(`vessels/${encodeURIComponent(mmsi)}/track`, { query: { from, to } });
    const coords = f.geometry && f.geometry.coordinates ? f.geometry.coordinates : [];
    const p = f.properties || {};
    this.track = { mmsi: Number(mmsi), coords, ts: p.ts || [], sog: p.sog || [], cog: p.cog || [], heading: p.heading || [] };
    this.root.hidden = false;
    if (!coords.length) {
      this.info.textContent = `MMSI ${mmsi}: no positions in this window.`;
      this.slider.disabled = true;
      this.map.getSource("replay-track").setData(EMPTY);
      this.map.getSource("replay-marker").setData(EMPTY);
      return this.track;
    }
    this.slider.disabled = false;
    this.slider.min = "0";
    this.slider.max = String(coords.length - 1);
    this.slider.value = "0";
    this.slider.setAttribute("aria-label", `Replay time for MMSI ${mmsi}`);
    this.info.textContent = `MMSI ${mmsi}: ${coords.length} fixes, ${formatTime(this.track.ts[0])} – ${formatTime(this.track.ts.at(-1))}`;
    this.moveTo(0);
    const lons = coords.map((c) => c[0]);
    const lats = coords.map((c) => c[1]);
    this.map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
      { padding: 80, maxZoom: 12, duration: 0 });
    return this.track;
  }

  moveTo(i) {
    const t = this.track;
    if (!t || !t.coords.length) return;
    i = Math.max(0, Math.min(t.coords.length - 1, i));
    this.index = i;
    if (Number(this.slider.value) !== i) this.slider.value = String(i);
    const pastFeature = line(t.coords.slice(0, i + 1));
    pastFeature.properties.part = "past";
    this.map.getSource("replay-track").setData({ type: "FeatureCollection",
      features: [line(t.coords), ...(i > 0 ? [pastFeature] : [])] });
    const rot = symbolRotation({ heading: t.heading[i], cog: t.cog[i] });
    this.map.getSource("replay-marker").setData({ type: "FeatureCollection", features: [{ type: "Feature",
      geometry: { type: "Point", coordinates: t.coords[i] }, properties: { rot: rot ?? 0, has_dir: rot !== null, i } }] });
    this.label.textContent = `${formatTime(t.ts[i])} · ${formatNumber(t.sog[i], 1, " kn")} · ${formatNumber(t.cog[i], 0, "°")}`;
    this.root.dispatchEvent(new CustomEvent("replay-move", { detail: { index: i, ts: t.ts[i] } }));
  }

  play() {
    if (!this.track || !this.track.coords.length) return;
    if (this.index >= this.track.coords.length - 1) this.moveTo(0);
    this.playBtn.textContent = "Pause";
    this.playBtn.setAttribute("aria-label", "Pause replay");
    // about 20 s for a whole track, whatever its length
    const step = Math.max(1, Math.round(this.track.coords.length / 200));
    this.timer = setInterval(() => {
      if (this.index >= this.track.coords.length - 1) { this.pause(); return; }
      this.moveTo(this.index + step);
    }, 100);
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    this.playBtn.textContent = "Play";
    this.playBtn.setAttribute("aria-label", "Play replay");
  }

  clear() {
    this.pause();
    this.track = null;
    this.root.hidden = true;
    this.map.getSource("replay-track").setData(EMPTY);
    this.map.getSource("replay-marker").setData(EMPTY);
  }
}
