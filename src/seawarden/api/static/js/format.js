// Small DOM and formatting helpers shared by the panels (no framework: the page is a handful of lists).

/** Create an element: el("div", {class: "x"}, child, "text", ...). Text is set as text, never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** ISO time -> "2020-06-30 14:05:12Z" (UTC always: operators compare with AIS logs in UTC). */
export function formatTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export function formatNumber(v, digits = 1, unit = "") {
  return typeof v === "number" && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : "—";
}
