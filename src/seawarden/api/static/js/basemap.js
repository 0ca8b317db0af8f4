// Offline basemap: Natural Earth land (1:10m TopoJSON, vendored) decoded in the browser.
//
// MapLibre leaves wedge-shaped holes in the fill of a polygon with very many vertices (Eurasia has 83,725 at
// 1:10m: sea-coloured wedges over Norway and Sweden at zoom 4-5). So the fill is drawn from the land split into
// pieces of at most MAX_VERTICES by recursive halving of the bounding box (only the largest land masses are cut;
// ~0.1 s), and the coastline is stroked from the unsplit rings so the cut lines never show.

const MAX_VERTICES = 10000;

/**
 * Sutherland–Hodgman against one axis-aligned half-plane: the part of a closed ring (first point not repeated)
 * where coordinate `axis` is <= `at` (keepBelow) or >= `at`.
 */
function clipHalf(ring, axis, at, keepBelow) {
  const other = 1 - axis;
  const out = [];
  const n = ring.length;
  let prev = ring[n - 1];
  let prevIn = keepBelow ? prev[axis] <= at : prev[axis] >= at;
  for (let i = 0; i < n; i++) {
    const cur = ring[i];
    const curIn = keepBelow ? cur[axis] <= at : cur[axis] >= at;
    if (curIn !== prevIn) {
      const t = (at - prev[axis]) / (cur[axis] - prev[axis]);
      const p = [0, 0];
      p[axis] = at;
      p[other] = prev[other] + t * (cur[other] - prev[other]);
      out.push(p);
    }
    if (curIn) out.push(cur);
    prev = cur;
    prevIn = curIn;
  }
  return out;
}

function bbox(ring) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of ring) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** Split one polygon (open rings, exterior first) into pieces of at most `max` vertices; pushes onto `out`. */
function split(rings, max, out) {
  const n = rings.reduce((s, r) => s + r.length, 0);
  const [x0, y0, x1, y1] = bbox(rings[0]);
  if (n <= max || (x1 - x0 < 1e-3 && y1 - y0 < 1e-3)) {
    out.push(rings.map((r) => [...r, r[0]]));
    return;
  }
  const axis = x1 - x0 >= y1 - y0 ? 0 : 1;
  const at = axis === 0 ? (x0 + x1) / 2 : (y0 + y1) / 2;
  for (const keepBelow of [true, false]) {
    const outer = clipHalf(rings[0], axis, at, keepBelow);
    if (outer.length < 3) continue;
    const holes = rings.slice(1).map((r) => clipHalf(r, axis, at, keepBelow)).filter((r) => r.length >= 3);
    split([outer, ...holes], max, out);
  }
}

/** TopoJSON land -> {fill: MultiPolygon split for rendering, coast: the original features for the outline}. */
export function landLayers(topo, topojson) {
  const coast = topojson.feature(topo, topo.objects.land);
  const pieces = [];
  for (const f of coast.features || [coast]) {
    const g = f.geometry;
    const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    for (const p of polys) {
      if (p.reduce((s, r) => s + r.length, 0) <= MAX_VERTICES) { pieces.push(p); continue; }
      split(p.map((r) => r.slice(0, -1)), MAX_VERTICES, pieces);
    }
  }
  return { fill: { type: "Feature", properties: {}, geometry: { type: "MultiPolygon", coordinates: pieces } }, coast };
}
