// seawarden console: wires the map, vessels, alerts, vessel panel, replay and plot to the API and the live stream.
import { api, takeToken, setToken, openLive, onApiError } from "./js/api.js";
import { createMap, loadBasemap, loadAssets, fitTo, renderLegend, ASSET_LAYERS, maplibregl } from "./js/map.js";
import { VesselLayer } from "./js/vessels.js";
import { AlertList } from "./js/alerts.js";
import { VesselPanel } from "./js/panel.js";
import { TrackReplay } from "./js/replay.js";
import { CrossingPlot } from "./js/plot.js";
import { StatusBar } from "./js/status.js";
import { el, formatNumber } from "./js/format.js";

const $ = (sel) => document.querySelector(sel);
const status = new StatusBar($("#statusbar"), $("#toasts"));
// Exposed for operators' debugging and for the browser tests (tests/browser query the map through it).
const app = (window.seawarden = { ready: false, errors: [] });

onApiError((e) => {
  app.errors.push(e.message);
  if (e.status === 401) { status.setConnection("unauthorised"); showTokenForm("The token is missing or was rejected."); }
  else if (e.status === 0) status.setConnection("offline");
  else status.notify(e.message, "error");
});

function showTokenForm(reason) {
  const dlg = $("#token-dialog");
  dlg.querySelector(".token-reason").textContent = reason;
  if (!dlg.open) dlg.showModal();
}

$("#token-form").addEventListener("submit", (ev) => {
  const value = $("#token-input").value.trim();
  if (ev.submitter && ev.submitter.value === "cancel") return;
  if (value) { setToken(value); location.reload(); }
});

/** Ask for the reason of a resolve/dismiss in a modal dialog; null when cancelled. */
function askReason(title) {
  const dlg = $("#reason-dialog");
  dlg.querySelector(".reason-title").textContent = title;
  const input = $("#reason-input");
  input.value = "";
  dlg.returnValue = "";
  dlg.showModal();
  return new Promise((resolve) => {
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok" && input.value.trim() ? input.value.trim() : null), { once: true });
  });
}

async function main() {
  const token = takeToken();
  const map = createMap($("#map"));
  app.map = map;
  renderLegend($("#legend"));
  if (!token) showTokenForm("Open the console URL printed by `seawarden watch` (it carries #token=…), or paste a token.");
  await new Promise((resolve) => map.once("load", resolve));

  const vessels = new VesselLayer(map);
  const replay = new TrackReplay($("#replay"), map);
  const plot = new CrossingPlot($("#plot"));
  const panel = new VesselPanel($("#vessel-panel"), {
    onReplay: (mmsi) => replay.load(mmsi).catch((e) => status.notify(e.message, "error")),
    onCrossing: (mmsi, assetId, at) => plot.show(mmsi, assetId, at),
    onClose: () => vessels.select(null),
  });
  const openVessel = async (mmsi) => {
    vessels.select(mmsi);
    const v = await panel.show(mmsi);
    if (v && v.risk && typeof v.risk.total === "number") vessels.setRisk(mmsi, v.risk.total);
  };
  let assets = [];
  const alerts = new AlertList($("#alerts"), map, {
    onSelect: (a) => {
      if (a.lat != null && a.lon != null) map.easeTo({ center: [a.lon, a.lat], zoom: Math.max(map.getZoom(), 9) });
      openVessel(a.mmsi);
      if (a.asset_id && a.first_event) plot.show(a.mmsi, a.asset_id, a.first_event);
    },
    onChange: (a) => {
      if (panel.mmsi === Number(a.mmsi)) openVessel(a.mmsi);
      refreshAssets();
    },
    askReason,
    notify: (m, k) => status.notify(m, k),
  });
  Object.assign(app, { vessels, alerts, panel, replay, plot });

  let refreshing = null;
  function refreshAssets() {  // asset risk changes with alerts; coalesce bursts of changes into one request
    if (refreshing) return;
    refreshing = setTimeout(async () => {
      refreshing = null;
      try { assets = await loadAssets(map); status.setCounts(vessels.byMmsi.size, assets.length); } catch { /* reported */ }
    }, 1500);
  }

  // Vessel and asset interaction: click opens the panel; hover shows name, speed and risk.
  const hover = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: "hover-popup" });
  map.on("click", "vessels", (ev) => openVessel(ev.features[0].properties.mmsi));
  map.on("mousemove", "vessels", (ev) => {
    const p = ev.features[0].properties;
    map.getCanvas().style.cursor = "pointer";
    hover.setLngLat(ev.lngLat).setText(`${p.name || "MMSI " + p.mmsi} · ${formatNumber(p.sog, 1, " kn")} · risk ${formatNumber(p.risk, 0)}`).addTo(map);
  });
  map.on("mouseleave", "vessels", () => { map.getCanvas().style.cursor = ""; hover.remove(); });
  for (const layer of ASSET_LAYERS) {
    map.on("click", layer, (ev) => {
      const p = ev.features[0].properties;
      const entries = JSON.parse(typeof p.risk_entries === "string" ? p.risk_entries : JSON.stringify(p.risk_entries || []));
      new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(ev.lngLat).setDOMContent(el("div", { class: "asset-popup" },
        el("strong", {}, p.name || p.id), el("div", { class: "muted" }, `${p.kind} · ${p.operator || "operator unknown"} · criticality ${p.criticality}`),
        el("div", {}, `Risk ${formatNumber(Number(p.risk), 0)} / 100`),
        el("ul", {}, entries.map((e) => el("li", {}, `+${formatNumber(e.points, 1)} ${e.reason || ""}`))))).addTo(map);
    });
  }

  // Basemap first (it is local), then the API; each failure is shown but does not stop the rest.
  performance.mark("basemap-start");
  await loadBasemap(map).catch((e) => status.notify(`basemap: ${e.message}`, "error"));
  performance.measure("basemap", "basemap-start");
  const results = await Promise.allSettled([loadAssets(map), vessels.load(), alerts.load(), api("health")]);
  if (results[0].status === "fulfilled") assets = results[0].value;
  // Open on the traffic (with the assets around it); with no vessels yet, on the assets.
  const framed = vessels.byMmsi.size ? [...vessels.byMmsi.values()] : assets.filter((f) => f.geometry);
  fitTo(map, framed, { maxZoom: 8 });
  if (results[3].status === "fulfilled") status.setClock(results[3].value.last_position);
  status.setCounts(vessels.byMmsi.size, assets.length);

  openLive({
    positions: (msg) => { vessels.applyLive(msg); status.setClock(msg.t); status.setCounts(vessels.byMmsi.size, assets.length); },
    alert: (msg) => alerts.applyLive(msg),
    stats: (msg) => { if (msg && msg.last_position) status.setClock(msg.last_position); },
  }, (state) => {
    status.setConnection(state);
    // EventSource hides the reason; one plain request tells a rejected token (401) apart from a server that is down
    if (state === "closed") api("alerts", { query: { limit: 1 } }).catch(() => {});
  });

  map.once("idle", () => { app.ready = true; document.body.dataset.ready = "true"; });
}

main().catch((e) => {
  app.errors.push(String(e && e.stack ? e.stack : e));
  status.notify(`The console failed to start: ${e.message}`, "error");
});
