"""Vendor-time basemap: Natural Earth land (GeoJSON from world-atlas via topojson-client) cut into grid cells.

MapLibre fills a polygon with 16-bit vertex indices per tile: Eurasia (83,725 vertices at 1:10m) overflows them
at zoom 3-5 and leaves sea-coloured wedges over Scandinavia and Russia (1:50m showed the same over the Gulf of
Bothnia). Cutting land into CELL_DEG cells with GEOS (valid pieces, no zero-width bridges) keeps every piece
small. The fill's antialiasing outline has the fill's colour, so the cuts never show.

Usage: python web/land_pieces.py IN.geojson OUT.geojson.gz   (deterministic output: same input, same bytes)
"""

from __future__ import annotations

import gzip
import json
import sys

import numpy as np
import shapely

CELL_DEG = 5.0
DECIMALS = 4  # ~11 m: finer than the 1:10m source


def pieces(geom: shapely.Geometry) -> list[shapely.Geometry]:
    x0, y0, x1, y1 = geom.bounds
    if shapely.get_num_coordinates(geom) <= 2000:
        return [geom]
    out = []
    for cx in np.arange(np.floor(x0 / CELL_DEG) * CELL_DEG, x1, CELL_DEG):
        for cy in np.arange(np.floor(y0 / CELL_DEG) * CELL_DEG, y1, CELL_DEG):
            part = shapely.clip_by_rect(geom, cx, cy, cx + CELL_DEG, cy + CELL_DEG)
            out.extend(p for p in shapely.get_parts(part) if p.geom_type == "Polygon" and not p.is_empty)
    return out


def rounded(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], DECIMALS), round(coords[1], DECIMALS)]
    return [rounded(c) for c in coords]


def main(src: str, dst: str) -> None:
    fc = json.load(open(src))
    feats = fc["features"] if fc.get("type") == "FeatureCollection" else [fc]
    polys = []
    for f in feats:
        geom = shapely.make_valid(shapely.geometry.shape(f["geometry"]))
        while True:  # make_valid may nest: GeometryCollection of MultiPolygons (and stray lines, dropped)
            parts = shapely.get_parts(geom)
            if all(p.geom_type in ("Polygon", "LineString", "MultiLineString", "Point", "MultiPoint") for p in parts):
                break
            geom = shapely.GeometryCollection([q for p in parts for q in shapely.get_parts(p)])
        polys.extend(q for p in parts if p.geom_type == "Polygon" for q in pieces(p))
    coords = [rounded(shapely.geometry.mapping(p)["coordinates"]) for p in polys]
    out = {"type": "Feature", "properties": {"source": "Natural Earth land 1:10m (public domain) via world-atlas",
                                             "cell_deg": CELL_DEG}, "geometry": {"type": "MultiPolygon", "coordinates": coords}}
    data = json.dumps(out, separators=(",", ":")).encode()
    with open(dst, "wb") as fh:
        fh.write(gzip.compress(data, compresslevel=9, mtime=0))
    print(f"land pieces: {len(polys)} polygons, {sum(shapely.get_num_coordinates(p) for p in polys)} vertices, "
          f"max {max(shapely.get_num_coordinates(p) for p in polys)}; {len(data) / 1e6:.1f} MB json -> {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
