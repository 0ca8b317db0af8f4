// Speed/course plot around a crossing (/api/crossing): SOG and COG against time, the crossing instants marked.
import uPlot from "../vendor/uplot/uPlot.esm.js";
import { api } from "./api.js";
import { formatTime, el } from "./format.js";

/** uPlot hook drawing a vertical line and label at every crossing. */
function crossingMarks(crossings) {
  return {
    hooks: {
      draw: [(u) => {
        const { ctx } = u;
        ctx.save();
        ctx.strokeStyle = "#ff3b4e";
        ctx.fillStyle = "#ff3b4e";
        ctx.lineWidth = 2 * devicePixelRatio;
        ctx.font = `${11 * devicePixelRatio}px sans-serif`;
        for (const c of crossings) {
          const x = u.valToPos(Date.parse(c.ts) / 1000, "x", true);
          if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
          const angle = typeof c.angle_deg === "number" ? ` ${c.angle_deg.toFixed(0)}°` : "";
          ctx.fillText(`crossing${angle}`, x + 4, u.bbox.top + 12 * devicePixelRatio);
        }
        ctx.restore();
      }],
    },
  };
}

export class CrossingPlot {
  constructor(root) {
    this.root = root;
    this.chartEl = root.querySelector(".plot-chart");
    this.caption = root.querySelector(".plot-caption");
    this.chart = null;
    root.querySelector("[data-action=close-plot]").addEventListener("click", () => this.close());
    new ResizeObserver(() => this.chart && this.chart.setSize(this.size())).observe(this.chartEl);
  }

  size() {
    return { width: Math.max(300, this.chartEl.clientWidth), height: 180 };
  }

  async show(mmsi, assetId, atIso, minutes = 60) {
    this.root.hidden = false;
    this.caption.textContent = "Loading…";
    if (this.chart) { this.chart.destroy(); this.chart = null; }
    const request = (this.request = (this.request || 0) + 1);
    let d;
    try {
      d = await api("crossing", { query: { mmsi, asset_id: assetId, at: atIso, minutes } });
    } catch (e) {
      if (request === this.request) this.caption.replaceChildren(el("span", { class: "error" }, e.message));
      return null;
    }
    if (request !== this.request) return null; // a newer plot was asked for meanwhile
    const xs = (d.ts || []).map((t) => Date.parse(t) / 1000);
    const crossings = d.crossings || [];
    this.caption.textContent = `MMSI ${mmsi} near ${assetId}, ±${minutes} min around ${formatTime(atIso)}: ` +
      `${xs.length} fixes, ${crossings.length} crossing${crossings.length === 1 ? "" : "s"}` +
      crossings.map((c) => ` (km ${typeof c.km_point === "number" ? c.km_point.toFixed(1) : "?"})`).join("");
    this.chart = new uPlot({
      ...this.size(),
      plugins: [crossingMarks(crossings)],
      scales: { x: { time: true }, kn: { range: (u, lo, hi) => [0, Math.max(5, Math.ceil(hi + 1))] }, deg: { range: [0, 360] } },
      axes: [
        { stroke: "#cfd8dc", grid: { stroke: "#2a3a48" }, values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(11, 16)) },
        { scale: "kn", label: "SOG (kn)", stroke: "#6fd3ff", grid: { stroke: "#2a3a48" } },
        { scale: "deg", label: "COG (°)", side: 1, stroke: "#ffb020", grid: { show: false }, incrs: [45, 90] },
      ],
      series: [
        { value: (u, v) => (v == null ? "—" : new Date(v * 1000).toISOString().slice(11, 19) + "Z") },
        { label: "SOG kn", scale: "kn", stroke: "#6fd3ff", width: 2 },
        // course as dots: a line would draw false vertical strokes where it wraps at 360°
        { label: "COG °", scale: "deg", stroke: "#ffb020", width: 1.5, paths: () => null, points: { show: true, size: 4 } },
      ],
    }, [xs, d.sog || [], d.cog || []], this.chartEl);
    return d;
  }

  close() {
    this.root.hidden = true;
    if (this.chart) { this.chart.destroy(); this.chart = null; }
  }
}
