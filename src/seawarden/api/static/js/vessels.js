// Vessels: heading-oriented SDF symbols (course when heading is unknown, a dot when both are), fed first by
// /api/vessels and then by the `positions` events of /api/live.
import { api } from "./api.js";
import { RISK_STOPS } from "./map.js";

const ICON_PX = 48; // drawn at 2x for crisp edges; pixelRatio 2 makes it 24 CSS px

function drawIcon(paint) {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = ICON_PX;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  paint(ctx, ICON_PX);
  return ctx.getImageData(0, 0, ICON_PX, ICON_PX);
}

/** A hull pointing north (the symbol layer rotates it): bow at the top, square stern. */
function hull(ctx, s) {
  ctx.beginPath();
  ctx.moveTo(s * 0.5, s * 0.06);
  ctx.lineTo(s * 0.76, s * 0.44);
  ctx.lineTo(s * 0.72, s * 0.92);
  ctx.lineTo(s * 0.28, s * 0.92);
  ctx.lineTo(s * 0.24, s * 0.44);
  ctx.closePath();
  ctx.fill();
}

function dot(ctx, s) {
  ctx.beginPath();
  ctx.arc(s / 2, s / 2, s * 0.2, 0, Math.PI * 2);
  ctx.fill();
}

const validAngle = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 && v < 360 ? v : null);

/** The direction a symbol points: true heading, else course over ground, else none (drawn as a dot). */
export function symbolRotation(p) {
  return validAngle(p.heading) ?? validAngle(p.cog);
}

const VESSEL_COLOUR = [
  "case", ["<", ["to-number", ["coalesce", ["get", "risk"], 0]], 1], "#d8ecff",
  ["interpolate", ["linear"], ["to-number", ["get", "risk"]], ...RISK_STOPS.flatMap(([v, c]) => [v, c])],
];

export class VesselLayer {
  constructor(map) {
    this.map = map;
    this.byMmsi = new Map();
    this.pending = false;
    this.selected = null;
    this.lastUpdate = null;
    map.addImage("vessel-hull", drawIcon(hull), { sdf: true, pixelRatio: 2 });
    map.addImage("vessel-dot", drawIcon(dot), { sdf: true, pixelRatio: 2 });
    map.addSource("vessels", { type: "geojson", data: this.collection(), promoteId: "mmsi" });
    map.addLayer({
      id: "vessel-selected", type: "circle", source: "vessels", filter: ["==", ["get", "mmsi"], -1],
      paint: { "circle-radius": 16, "circle-color": "rgba(0,0,0,0)", "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 },
    });
    map.addLayer({
      id: "vessels", type: "symbol", source: "vessels",
      layout: {
        "icon-image": ["case", ["get", "has_dir"], "vessel-hull", "vessel-dot"],
        "icon-rotate": ["coalesce", ["get", "rot"], 0],
        "icon-rotation-alignment": "map",
        "icon-allow-overlap": true,
        "icon-ignore-placement": true,
        "icon-size": ["interpolate", ["linear"], ["zoom"], 4, 0.55, 9, 0.9, 13, 1.2],
        "symbol-sort-key": ["to-number", ["coalesce", ["get", "risk"], 0]],
      },
      paint: { "icon-color": VESSEL_COLOUR, "icon-halo-color": "#0b1a26", "icon-halo-width": 1.5 },
    });
  }

  collection() {
    return { type: "FeatureCollection", features: [...this.byMmsi.values()] };
  }

  /** Merge one vessel's fields (from /api/vessels properties or a live position) and re-derive its symbol. */
  upsert(v, lon, lat) {
    const mmsi = Number(v.mmsi);
    const old = this.byMmsi.get(mmsi);
    const props = { ...(old ? old.properties : {}), ...v, mmsi };
    const rot = symbolRotation(props);
    props.rot = rot;
    props.has_dir = rot !== null;
    const coords = lon != null && lat != null ? [lon, lat] : old && old.geometry.coordinates;
    if (!coords) return;
    this.byMmsi.set(mmsi, { type: "Feature", id: mmsi, geometry: { type: "Point", coordinates: coords }, properties: props });
  }

  flush() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.map.getSource("vessels").setData(this.collection());
    });
  }

  async load() {
    const fc = await api("vessels");
    for (const f of fc.features) {
      const [lon, lat] = f.geometry.coordinates;
      this.upsert(f.properties, lon, lat);
    }
    this.flush();
    return fc.features.length;
  }

  /** A `positions` event: {t, vessels: [{mmsi, lat, lon, sog, cog, heading, ts}]}. */
  applyLive(msg) {
    for (const v of msg.vessels || []) this.upsert(v, v.lon, v.lat);
    this.lastUpdate = msg.t || null;
    this.flush();
  }

  setRisk(mmsi, risk) {
    const f = this.byMmsi.get(Number(mmsi));
    if (f && typeof risk === "number") { f.properties.risk = risk; this.flush(); }
  }

  select(mmsi) {
    this.selected = mmsi == null ? null : Number(mmsi);
    this.map.setFilter("vessel-selected", ["==", ["get", "mmsi"], this.selected ?? -1]);
  }

  get(mmsi) {
    return this.byMmsi.get(Number(mmsi));
  }
}
