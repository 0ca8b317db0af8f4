// Alert list: open/acknowledged alerts (newest first), kept current by `alert` events of /api/live, with
// acknowledge / resolve / dismiss calling the API. Keyboard: arrows move, Enter opens the vessel, A acknowledges.
import { api, normaliseAlert } from "./api.js";
import { formatTime, el } from "./format.js";

const ACTIVE = new Set(["open", "acknowledged"]);
const VIEWS = {
  active: (a) => ACTIVE.has(a.status),
  open: (a) => a.status === "open",
  acknowledged: (a) => a.status === "acknowledged",
  closed: (a) => !ACTIVE.has(a.status),
};

export class AlertList {
  /**
   * @param {HTMLElement} root container with a <ul class="alert-items"> and filter buttons [data-view]
   * @param {{onSelect(a), onChange(a), askReason(title): Promise<string|null>, notify(msg, kind)}} hooks
   */
  constructor(root, map, hooks) {
    this.root = root;
    this.map = map;
    this.hooks = hooks;
    this.byId = new Map();
    this.liveChanges = [];  // [{id, change, at}] as received from /api/live (shown in no UI; for diagnosis and tests)
    this.view = "active";
    this.list = root.querySelector(".alert-items");
    this.counter = root.querySelector(".alert-count");
    root.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => this.setView(b.dataset.view)));
    this.list.addEventListener("keydown", (ev) => this.onKey(ev));
    map.addSource("alerts", { type: "geojson", data: this.collection() });
    map.addLayer({
      id: "alerts", type: "circle", source: "alerts",
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 4, 9, 10, 16],
        "circle-color": "rgba(0,0,0,0)",
        "circle-stroke-width": 2.5,
        "circle-stroke-color": ["match", ["get", "status"], "open", "#ff3b4e", "acknowledged", "#ffb020", "#888"],
      },
    });
  }

  async load() {
    const lists = await Promise.all(["open", "acknowledged"].map((status) => api("alerts", { query: { status, limit: 200 } })));
    for (const raw of lists.flat()) this.put(normaliseAlert(raw));
    this.render();
  }

  async loadClosed() {
    const lists = await Promise.all(["resolved", "dismissed"].map((status) => api("alerts", { query: { status, limit: 100 } })));
    for (const raw of lists.flat()) this.put(normaliseAlert(raw));
  }

  put(a) {
    const old = this.byId.get(a.id);
    this.byId.set(a.id, old ? { ...old, ...a } : a);
    return this.byId.get(a.id);
  }

  /** An `alert` event from /api/live. */
  applyLive(raw) {
    const a = this.put(normaliseAlert(raw));
    this.liveChanges.push({ id: a.id, change: a.change, at: Date.now() });
    if (this.liveChanges.length > 500) this.liveChanges.shift();
    this.render();
    this.flash(a.id);
    if (a.change === "opened") this.hooks.notify(`New alert: ${a.title}`, "alert");
    this.hooks.onChange(a);
  }

  async setView(view) {
    this.view = view;
    this.root.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
    if (view === "closed") {
      try { await this.loadClosed(); } catch (e) { this.hooks.notify(e.message, "error"); }
    }
    this.render();
  }

  sorted() {
    const keep = VIEWS[this.view];
    return [...this.byId.values()].filter(keep)
      .sort((x, y) => (y.severity - x.severity) || String(y.opened).localeCompare(String(x.opened)));
  }

  collection() {
    const features = [...(this.byId || new Map()).values()]
      .filter((a) => ACTIVE.has(a.status) && a.lat != null && a.lon != null)
      .map((a) => ({ type: "Feature", geometry: { type: "Point", coordinates: [a.lon, a.lat] },
        properties: { id: a.id, status: a.status, severity: a.severity } }));
    return { type: "FeatureCollection", features };
  }

  render() {
    const focusedId = document.activeElement && document.activeElement.closest("li[data-id]")?.dataset.id;
    const items = this.sorted();
    this.list.replaceChildren(...items.map((a) => this.item(a)));
    if (!items.length) this.list.append(el("li", { class: "empty" }, this.view === "closed" ? "No closed alerts." : "No alerts."));
    const active = [...this.byId.values()].filter((a) => ACTIVE.has(a.status));
    this.counter.textContent = `${active.filter((a) => a.status === "open").length} open · ${active.length} active`;
    this.map.getSource("alerts").setData(this.collection());
    if (focusedId) this.list.querySelector(`li[data-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  item(a) {
    const actions = el("div", { class: "alert-actions" });
    const button = (label, action, enabled) => {
      const b = el("button", { type: "button", class: `btn btn-${action}`, "data-action": action,
        "aria-label": `${label} alert: ${a.title}` }, label);
      b.disabled = !enabled;
      b.addEventListener("click", (ev) => { ev.stopPropagation(); this.act(a.id, action); });
      actions.append(b);
    };
    button("Acknowledge", "acknowledge", a.status === "open");
    button("Resolve", "resolve", ACTIVE.has(a.status));
    button("Dismiss", "dismiss", ACTIVE.has(a.status));
    const li = el("li", { class: `alert-item status-${a.status}`, tabindex: "0", "data-id": a.id, "data-status": a.status,
      "aria-label": `${a.status} severity ${a.severity} alert: ${a.title}` },
      el("div", { class: "alert-head" },
        el("span", { class: `sev sev-${a.severity}`, title: `severity ${a.severity} of 5` }, String(a.severity)),
        el("span", { class: "alert-title" }, a.title || `${a.kind} ${a.mmsi}`),
        el("span", { class: `badge badge-${a.status}` }, a.status)),
      el("div", { class: "alert-meta" },
        `MMSI ${a.mmsi}` + (a.asset_name ? ` · ${a.asset_name}` : "") +
        // stream time of the behaviour (a replay's past), not the wall-clock time the alert was raised
        ` · since ${formatTime(a.first_event ?? a.opened)}` + ` · ${a.n_events ?? (a.event_ids || []).length} event(s)` +
        (a.status_by ? ` · ${a.status} by ${a.status_by}` : "")),
      actions);
    li.addEventListener("click", () => this.select(a.id));
    return li;
  }

  select(id) {
    const a = this.byId.get(id);
    if (!a) return;
    this.list.querySelectorAll("li.selected").forEach((n) => n.classList.remove("selected"));
    this.list.querySelector(`li[data-id="${CSS.escape(id)}"]`)?.classList.add("selected");
    this.hooks.onSelect(a);
  }

  flash(id) {
    const li = this.list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
    if (!li) return;
    li.classList.remove("flash");
    void li.offsetWidth; // restart the CSS animation
    li.classList.add("flash");
  }

  async act(id, action) {
    const a = this.byId.get(id);
    let body = {};
    if (action !== "acknowledge") {
      const reason = await this.hooks.askReason(`${action === "resolve" ? "Resolve" : "Dismiss"}: ${a.title}`);
      if (reason === null) return;
      body = { reason };
    }
    try {
      const updated = this.put(normaliseAlert(await api(`alerts/${encodeURIComponent(id)}/${action}`, { method: "POST", body })));
      this.render();
      this.hooks.notify(`Alert ${updated.status}: ${updated.title}`, "ok");
      this.hooks.onChange(updated);
    } catch (e) {
      this.hooks.notify(e.message, "error");
      if (e.status === 409) {  // someone else changed it first: show the state the server has
        try { this.put(normaliseAlert(await api(`alerts/${encodeURIComponent(id)}`))); this.render(); } catch { /* shown */ }
      }
    }
  }

  onKey(ev) {
    const li = ev.target.closest("li[data-id]");
    if (!li || ev.target !== li) return;
    const items = [...this.list.querySelectorAll("li[data-id]")];
    const i = items.indexOf(li);
    if (ev.key === "ArrowDown" && i < items.length - 1) { items[i + 1].focus(); ev.preventDefault(); }
    else if (ev.key === "ArrowUp" && i > 0) { items[i - 1].focus(); ev.preventDefault(); }
    else if (ev.key === "Enter" || ev.key === " ") { this.select(li.dataset.id); ev.preventDefault(); }
    else if (ev.key.toLowerCase() === "a") { this.act(li.dataset.id, "acknowledge"); ev.preventDefault(); }
  }
}
