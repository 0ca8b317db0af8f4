// Vessel panel: static data, latest fix, the explainable risk breakdown, recent events and alerts of one vessel.
import { api } from "./api.js";
import { el, formatTime, formatNumber } from "./format.js";
import { riskColour } from "./map.js";

// ITU-R M.1371 ship type groups, enough to read a type code at a glance.
function shipTypeLabel(code) {
  if (code == null) return "—";
  const c = Number(code);
  const group = [[20, 29, "wing in ground"], [30, 30, "fishing"], [31, 32, "towing"], [33, 33, "dredging"],
    [34, 34, "diving ops"], [35, 35, "military ops"], [36, 36, "sailing"], [37, 37, "pleasure craft"],
    [40, 49, "high-speed craft"], [50, 50, "pilot"], [51, 51, "search and rescue"], [52, 52, "tug"],
    [53, 53, "port tender"], [55, 55, "law enforcement"], [58, 58, "medical"], [60, 69, "passenger"],
    [70, 79, "cargo"], [80, 89, "tanker"], [90, 99, "other"]].find(([lo, hi]) => c >= lo && c <= hi);
  return group ? `${c} (${group[2]})` : String(c);
}

const NAV_STATUS = ["under way using engine", "at anchor", "not under command", "restricted manoeuvrability",
  "constrained by draught", "moored", "aground", "engaged in fishing", "under way sailing"];

function rows(pairs) {
  return el("dl", { class: "kv" }, pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]));
}

export class VesselPanel {
  /** hooks: {onReplay(mmsi), onCrossing(mmsi, assetId, atIso), onClose()} */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    this.body = root.querySelector(".panel-body");
    this.title = root.querySelector(".panel-title");
    root.querySelector(".panel-close").addEventListener("click", () => this.close());
    this.mmsi = null;
  }

  close() {
    this.root.hidden = true;
    this.mmsi = null;
    this.hooks.onClose();
  }

  async show(mmsi) {
    this.mmsi = Number(mmsi);
    this.root.hidden = false;
    this.title.textContent = `MMSI ${mmsi}`;
    this.body.replaceChildren(el("p", { class: "muted" }, "Loading…"));
    let v;
    try {
      v = await api(`vessels/${encodeURIComponent(mmsi)}`);
    } catch (e) {
      this.body.replaceChildren(el("p", { class: "error" }, e.message));
      return null;
    }
    if (this.mmsi !== Number(mmsi)) return null; // another vessel was chosen meanwhile
    this.render(v);
    return v;
  }

  render(v) {
    const s = v.static || {};
    const last = v.last || {};
    this.title.textContent = s.name ? `${s.name} (${v.mmsi})` : `MMSI ${v.mmsi}`;
    const length = s.to_bow != null && s.to_stern != null ? `${s.to_bow + s.to_stern} m` : null;
    const beam = s.to_port != null && s.to_starboard != null ? `${s.to_port + s.to_starboard} m` : null;
    const nav = last.nav_status != null ? (NAV_STATUS[last.nav_status] ?? String(last.nav_status)) : null;

    const actions = el("div", { class: "panel-actions" });
    const replay = el("button", { type: "button", class: "btn", "data-action": "replay", "aria-label": `Replay the track of ${v.mmsi}` }, "Replay track");
    replay.addEventListener("click", () => this.hooks.onReplay(v.mmsi));
    actions.append(replay);

    this.body.replaceChildren(
      el("section", { class: "panel-section" }, el("h3", {}, "Identity"), rows([
        ["MMSI", String(v.mmsi)], ["Name", s.name], ["Call sign", s.callsign], ["IMO", s.imo != null ? String(s.imo) : null],
        ["Type", shipTypeLabel(s.ship_type)], ["Length × beam", length && beam ? `${length} × ${beam}` : length],
        ["Draught", s.draught != null ? formatNumber(s.draught, 1, " m") : null], ["Destination", s.destination],
        ["Static reports", v.static_history ? String(v.static_history.length) : null],
      ])),
      el("section", { class: "panel-section" }, el("h3", {}, "Last fix"), rows([
        ["Time", formatTime(last.ts)],
        ["Position", last.lat != null ? `${last.lat.toFixed(5)}, ${last.lon.toFixed(5)}` : null],
        ["SOG / COG", `${formatNumber(last.sog, 1, " kn")} / ${formatNumber(last.cog, 0, "°")}`],
        ["Heading", last.heading != null && last.heading < 360 ? `${last.heading}°` : "not available"],
        ["Status", nav],
      ])),
      this.riskSection(v.risk),
      this.eventsSection(v),
      this.alertsSection(v.alerts || []),
      actions,
    );
  }

  riskSection(risk) {
    const total = risk && typeof risk.total === "number" ? risk.total : 0;
    const entries = (risk && risk.entries) || [];
    const max = Math.max(1, ...entries.map((e) => Math.abs(e.points || 0)));
    return el("section", { class: "panel-section risk", "data-risk-total": total.toFixed(1) },
      el("h3", {}, "Risk ",
        el("span", { class: "risk-total", style: `background:${riskColour(total)}` }, total.toFixed(0)),
        el("span", { class: "muted" }, " / 100")),
      entries.length
        ? el("ul", { class: "risk-entries" }, entries.map((e) => el("li", { class: "risk-entry" },
          el("span", { class: "risk-points" }, `+${formatNumber(e.points, 1)}`),
          el("span", { class: "risk-bar", style: `width:${(100 * Math.abs(e.points || 0)) / max}%` }),
          el("span", { class: "risk-reason" }, e.reason || "—"),
          e.source ? el("span", { class: "risk-source muted" }, ` (${e.source})`) : null)))
        : el("p", { class: "muted" }, "No risk factors."));
  }

  eventsSection(v) {
    const events = (v.events || []).slice(0, 25);
    const list = el("ul", { class: "event-list" }, events.map((e) => {
      const li = el("li", { class: "event" },
        el("span", { class: `sev sev-${e.severity}` }, String(e.severity)),
        el("span", {}, `${e.type}${e.subtype ? "/" + e.subtype : ""}`),
        e.asset_name ? el("span", { class: "muted" }, ` · ${e.asset_name}`) : null,
        el("span", { class: "muted" }, ` · ${formatTime(e.start)}`));
      if (e.asset_id) {
        const b = el("button", { type: "button", class: "btn btn-small", "data-action": "crossing",
          "aria-label": `Speed and course around ${e.asset_name || e.asset_id} at ${formatTime(e.start)}` }, "Plot");
        b.addEventListener("click", () => this.hooks.onCrossing(v.mmsi, e.asset_id, e.start));
        li.append(b);
      }
      return li;
    }));
    return el("section", { class: "panel-section" }, el("h3", {}, `Recent events (${(v.events || []).length})`),
      events.length ? list : el("p", { class: "muted" }, "No events."));
  }

  alertsSection(alerts) {
    return el("section", { class: "panel-section" }, el("h3", {}, `Alerts (${alerts.length})`),
      alerts.length
        ? el("ul", { class: "event-list" }, alerts.map((a) => el("li", {},
          el("span", { class: `badge badge-${a.status}` }, a.status), ` ${a.title}`)))
        : el("p", { class: "muted" }, "None."));
  }
}
