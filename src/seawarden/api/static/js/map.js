// The map: offline Natural Earth basemap, protected assets coloured by current risk, their corridors when zoomed in.
import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";
import { api } from "./api.js";

maplibregl.setWorkerUrl(new URL("../vendor/maplibre-gl/maplibre-gl-worker.mjs", import.meta.url).href);

/** Risk (0-100) -> colour; the same stops feed the map expression and the legend. */
export const RISK_STOPS = [
  [0, "#2e9d5b", "low"],
  [25, "#c9c52c", "raised"],
  [50, "#f08c1a", "high"],
  [75, "#d7263d", "critical"],
];
export const riskColourExpr = (prop = "risk") => [
  "interpolate", ["linear"], ["to-number", ["coalesce", ["get", prop], 0]],
  ...RISK_STOPS.flatMap(([v, c]) => [v, c]),
];
export function riskColour(risk) {
  let colour = RISK_STOPS[0][1];
  for (const [v, c] of RISK_STOPS) if ((risk ?? 0) >= v) colour = c;
  return colour;
}

const EMPTY = { type: "FeatureCollection", features: [] };
// Metres per pixel at zoom 0 on the equator for MapLibre's 512-px tiles; corridors are drawn to scale with it.
const M_PER_PX_Z0 = 78271.517;

const IS_LINE = ["in", ["geometry-type"], ["literal", ["LineString", "MultiLineString"]]];
const IS_AREA = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
const IS_PIPELINE = ["in", "pipeline", ["coalesce", ["get", "kind"], ""]];
const CRITICALITY = ["to-number", ["coalesce", ["get", "criticality"], 3]];
const ASSET_WIDTH = ["interpolate", ["linear"], ["zoom"], 3, ["+", 0.8, ["*", 0.35, CRITICALITY]],
  10, ["+", 2, ["*", 0.8, CRITICALITY]]];
/** The layers an asset click or a test query looks at. */
export const ASSET_LAYERS = ["asset-cables", "asset-pipelines", "asset-areas"];

export function createMap(container) {
  const map = new maplibregl.Map({
    container,
    style: {
      version: 8,
      sources: {
        land: { type: "geojson", data: EMPTY },
        assets: { type: "geojson", data: EMPTY, promoteId: "id" },
      },
      layers: [
        { id: "sea", type: "background", paint: { "background-color": "#0e2a3f" } },
        // land is cut into 5° cells (web/land_pieces.py); the antialiasing outline has the fill's colour, so the
        // cuts never show -- a separate coastline stroke would draw them
        { id: "land", type: "fill", source: "land", paint: { "fill-color": "#2f4038" } },
        {
          id: "asset-areas", type: "fill", source: "assets", filter: IS_AREA,
          paint: { "fill-color": riskColourExpr(), "fill-opacity": 0.15 },
        },
        {
          id: "asset-area-outlines", type: "line", source: "assets", filter: IS_AREA,
          paint: { "line-color": riskColourExpr(), "line-width": 1.5, "line-dasharray": [2, 2] },
        },
        {
          id: "asset-corridors", type: "line", source: "assets", minzoom: 7, filter: IS_LINE,
          layout: { "line-cap": "round", "line-join": "round" },
          paint: {
            "line-color": riskColourExpr(), "line-opacity": 0.18,
            // corridor_px0 = corridor width in pixels at zoom 0; doubles with every zoom level
            "line-width": ["interpolate", ["exponential", 2], ["zoom"],
              0, ["get", "corridor_px0"], 24, ["*", ["get", "corridor_px0"], 2 ** 24]],
          },
        },
        {
          id: "asset-cables", type: "line", source: "assets", filter: ["all", IS_LINE, ["!", IS_PIPELINE]],
          layout: { "line-cap": "round", "line-join": "round" },
          paint: { "line-color": riskColourExpr(), "line-width": ASSET_WIDTH },
        },
        {
          id: "asset-pipelines", type: "line", source: "assets", filter: ["all", IS_LINE, IS_PIPELINE],
          paint: { "line-color": riskColourExpr(), "line-width": ASSET_WIDTH, "line-dasharray": [3, 1.5] },
        },
      ],
    },
    center: [24.5, 59.5],
    zoom: 5.2,
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-right");
  map.addControl(new maplibregl.AttributionControl({
    compact: true,
    customAttribution: "Land: Natural Earth (public domain) · MapLibre",
  }));
  return map;
}

/** Load the vendored Natural Earth land (gzipped GeoJSON, inflated here) into the `land` source. */
export async function loadBasemap(map) {
  const url = new URL("../vendor/world-atlas/land-10m.geojson.gz", import.meta.url);
  const resp = await fetch(url);
  if (!resp.ok) throw new Error(`basemap ${url.pathname}: ${resp.status}`);
  const land = await new Response(resp.body.pipeThrough(new DecompressionStream("gzip"))).json();
  map.getSource("land").setData(land);
  return land.geometry.coordinates.length;
}

function lineMidLat(geom) {
  if (!geom) return 0;
  const flat = geom.type === "LineString" ? geom.coordinates
    : geom.type === "MultiLineString" ? geom.coordinates.flat()
      : geom.type === "Polygon" ? geom.coordinates[0]
        : geom.type === "MultiPolygon" ? geom.coordinates.flat(2) : [geom.coordinates];
  if (!flat.length || !Array.isArray(flat[0])) return 0;
  return flat.reduce((s, c) => s + c[1], 0) / flat.length;
}

/** Fetch /api/assets, add the corridor scale and put them on the map. Returns the features. */
export async function loadAssets(map) {
  const fc = await api("assets");
  for (const f of fc.features) {
    const p = f.properties || (f.properties = {});
    p.id = p.id ?? f.id;
    const lat = lineMidLat(f.geometry);
    const corridor = Number(p.corridor_m) || 0;
    p.corridor_px0 = (2 * corridor) / (M_PER_PX_Z0 * Math.max(0.05, Math.cos((lat * Math.PI) / 180)));
  }
  map.getSource("assets").setData(fc);
  return fc.features;
}

/** Fit the view to a set of features' coordinates (used on first load to frame the assets). */
export function fitTo(map, features, { padding = 60, maxZoom = 9 } = {}) {
  const b = new maplibregl.LngLatBounds();
  const add = (c) => { if (typeof c[0] === "number") b.extend(c); else c.forEach(add); };
  for (const f of features) if (f.geometry) add(f.geometry.coordinates);
  if (!b.isEmpty()) map.fitBounds(b, { padding, maxZoom, duration: 0 });
}

export function renderLegend(el) {
  el.innerHTML = "";
  const title = document.createElement("div");
  title.className = "legend-title";
  title.textContent = "Asset risk";
  el.append(title);
  for (const [v, c, label] of RISK_STOPS) {
    const row = document.createElement("div");
    row.className = "legend-row";
    row.innerHTML = `<span class="swatch" style="background:${c}"></span><span>${v}+ ${label}</span>`;
    el.append(row);
  }
  const extra = document.createElement("div");
  extra.className = "legend-row";
  extra.innerHTML = `<span class="swatch dashed"></span><span>pipeline</span>`;
  el.append(extra);
  const note = document.createElement("div");
  note.className = "legend-note";
  note.textContent = "Corridors appear from zoom 7.";
  el.append(note);
}

export { maplibregl };
