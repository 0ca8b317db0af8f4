// Connection status, data clock and notifications: an operator must see at once when the picture is stale.
import { el, formatTime } from "./format.js";

const STATES = {
  connecting: ["Connecting…", "warn"],
  live: ["Live", "ok"],
  lost: ["Stream lost — reconnecting", "error"],
  closed: ["Stream closed — retrying", "error"],
  unauthorised: ["Not authorised", "error"],
  offline: ["Server unreachable", "error"],
};

export class StatusBar {
  constructor(root, toasts) {
    this.conn = root.querySelector(".conn");
    this.clock = root.querySelector(".data-clock");
    this.counts = root.querySelector(".counts");
    this.toasts = toasts;
    this.state = null;
  }

  setConnection(state) {
    this.state = state;
    const [text, kind] = STATES[state] || [state, "warn"];
    this.conn.textContent = text;
    this.conn.dataset.state = state;
    this.conn.className = `conn conn-${kind}`;
  }

  setClock(iso) {
    if (iso) this.clock.textContent = `data time ${formatTime(iso)}`;
  }

  setCounts(vessels, assets) {
    this.counts.textContent = `${vessels} vessels · ${assets} assets`;
  }

  /** A transient message; errors stay until dismissed so they are not missed, but one message is shown once. */
  notify(message, kind = "info") {
    const text = String(message).replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 240);
    const same = [...this.toasts.children].find((t) => t.dataset.text === text);
    if (same) {
      same.dataset.count = String(Number(same.dataset.count || 1) + 1);
      same.querySelector(".toast-count").textContent = ` (×${same.dataset.count})`;
      return;
    }
    const close = el("button", { type: "button", class: "toast-close", "aria-label": "Dismiss message" }, "×");
    const toast = el("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-text": text },
      el("span", {}, text, el("span", { class: "toast-count" })), close);
    close.addEventListener("click", () => toast.remove());
    this.toasts.prepend(toast);
    while (this.toasts.children.length > 5) this.toasts.lastChild.remove();
    if (kind !== "error") setTimeout(() => toast.remove(), 6000);
  }
}
