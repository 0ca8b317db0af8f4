"""Read assets from the files users have: GeoJSON, GeoPackage, Shapefile, KML (via pyogrio/GDAL).

Whole files load or nothing does: every problem found is reported at once, each naming the file,
the layer and the feature, and the load raises AssetLoadError instead of returning a partial table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer

from seawarden.assets.geometry import check_polygon_lon, normalise_line
from seawarden.assets.model import AssetKind, AssetTable, DatasetInfo, dataset_info

ID_FIELDS = ("id", "ID", "Id", "asset_id", "slug", "fid")
NAME_FIELDS = ("name", "Name", "NAME", "title", "label")
OPERATOR_FIELDS = ("operator", "Operator", "operator_name", "owner", "owners", "Owner")
MAX_PROBLEMS_SHOWN = 12


class AssetLoadError(ValueError):
    """A file could not become assets; the message names the file and every offending feature."""


@dataclass(frozen=True)
class Feature:
    """One feature as read: source position (for messages), properties and lon/lat geometry."""

    layer: str
    index: int
    props: dict[str, Any]
    geometry: shapely.Geometry | None

    def where(self, path: Path) -> str:
        label = next((str(self.props[f]) for f in NAME_FIELDS + ID_FIELDS if self.props.get(f) not in (None, "")), None)
        return f"{path}: layer {self.layer!r} feature {self.index}" + (f" ({label})" if label else "")


def read_features(path: str | Path, layer: str | None = None) -> list[Feature]:
    """Every feature of every geometry layer (or of `layer`), reprojected to lon/lat WGS84."""
    path = Path(path)
    if not path.exists():
        raise AssetLoadError(f"{path}: no such file")
    try:
        layers = [layer] if layer else [str(n) for n, gtype in pyogrio.list_layers(path) if gtype is not None]
    except Exception as exc:  # pyogrio raises DataSourceError subclasses and plain OSErrors
        raise AssetLoadError(f"{path}: not a readable vector data set ({exc})") from exc
    if not layers:
        raise AssetLoadError(f"{path}: contains no layer with geometry")
    out: list[Feature] = []
    for name in layers:
        try:
            meta, table = pyogrio.read_arrow(path, layer=name)
        except Exception as exc:
            raise AssetLoadError(f"{path}: layer {name!r} cannot be read ({exc})") from exc
        gcol = meta["geometry_name"] or "wkb_geometry"
        wkb = table.column(gcol).to_pylist()
        try:
            geoms = shapely.from_wkb(wkb, on_invalid="raise")
        except shapely.errors.GEOSException as exc:
            raise AssetLoadError(f"{path}: layer {name!r} has an unreadable geometry ({exc})") from exc
        geoms = _to_wgs84(np.asarray(geoms, dtype=object), meta.get("crs"), path)
        props = table.drop_columns([gcol]).to_pylist()
        out.extend(Feature(name, i, p, g) for i, (p, g) in enumerate(zip(props, geoms)))
    return out


def _to_wgs84(geoms: np.ndarray, crs: str | None, path: Path) -> np.ndarray:
    if crs is None:
        return geoms
    try:
        src = CRS.from_user_input(crs)
    except Exception as exc:
        raise AssetLoadError(f"{path}: unknown coordinate reference system {crs!r}") from exc
    if src.equals(CRS.from_epsg(4326), ignore_axis_order=True) or src.equals(CRS.from_user_input("OGC:CRS84")):
        return geoms
    tr = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    return shapely.transform(geoms, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def clean_geometry(geom: shapely.Geometry | None, kind: AssetKind | None) -> tuple[shapely.Geometry | None, str | None]:
    """(usable lon/lat geometry, None) or (None, why not). Lines are split at the antimeridian."""
    if geom is None or shapely.is_empty(geom):
        return None, "has no geometry"
    geom = shapely.force_2d(geom)
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        return None, "has non-finite coordinates"
    if (np.abs(xy[:, 1]) > 90).any():
        return None, f"latitude {xy[np.abs(xy[:, 1]) > 90, 1][0]:g} outside -90..90 (lon/lat swapped or not WGS84?)"
    if (np.abs(xy[:, 0]) > 360).any():
        return None, f"longitude {xy[np.abs(xy[:, 0]) > 360, 0][0]:g} outside -180..360"
    gtype = geom.geom_type
    if gtype in ("LineString", "MultiLineString", "LinearRing"):
        if kind is AssetKind.AREA:
            return None, "kind area needs a polygon, got a line"
        if (shapely.length(geom) == 0) or len(xy) < 2:
            return None, "line has fewer than two distinct vertices"
        return normalise_line(shapely.line_merge(geom) if gtype == "MultiLineString" else geom), None
    if gtype in ("Polygon", "MultiPolygon"):
        if kind is not None and kind is not AssetKind.AREA:
            return None, f"kind {kind.value} needs a line, got a {gtype}"
        if not shapely.is_valid(geom):
            return None, f"invalid polygon: {shapely.is_valid_reason(geom)}"
        why = check_polygon_lon(geom)
        return (None, why) if why else (geom, None)
    return None, f"{gtype} geometries cannot be assets (need lines for cables/pipelines, polygons for areas)"


def _first(props: dict[str, Any], names: tuple[str, ...], explicit: str | None = None) -> Any:
    if explicit:
        return props.get(explicit)
    return next((props[n] for n in names if props.get(n) not in (None, "")), None)


def read_asset_file(
    path: str | Path,
    *,
    kind: AssetKind | str | None = None,
    corridor_m: float | None = None,
    criticality: int | None = None,
    layer: str | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    dataset: DatasetInfo | None = None,
) -> AssetTable:
    """A user file as assets. Per-feature properties `kind`, `criticality`, `corridor_m`,
    `operator` are honoured unless the call overrides them; polygons default to kind `area`.
    Ids are '<file stem>:<feature id>', so loading the same file again replaces its assets."""
    path = Path(path)
    forced_kind = AssetKind(kind) if kind is not None else None
    info = dataset or DatasetInfo(**{**dataset_info("user").__dict__, "title": path.name})
    rows, problems = [], []
    for f in read_features(path, layer):
        where = f.where(path)
        try:
            row_kind = forced_kind or _kind_of(f)
            geom, why = clean_geometry(f.geometry, row_kind)
            if why:
                raise ValueError(why)
            row_kind = row_kind or (AssetKind.AREA if geom.geom_type.endswith("Polygon") else None)
            if row_kind is None:
                raise ValueError(f"kind unknown: give a 'kind' property or pass --kind ({', '.join(k.value for k in AssetKind)})")
            crit = criticality if criticality is not None else _opt_number(f.props, ("criticality", "criticalit"), int)
            if crit is not None and not 1 <= crit <= 5:
                raise ValueError(f"criticality {crit} outside 1..5")
            corr = corridor_m if corridor_m is not None else _opt_number(f.props, ("corridor_m",), float)
            if corr is not None and not (np.isfinite(corr) and corr >= 0):
                raise ValueError(f"corridor_m {corr} must be >= 0")
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        raw_id = _first(f.props, ID_FIELDS, id_field)
        raw_id = raw_id if raw_id not in (None, "") else (f"{f.layer}.{f.index}" if layer is None else f.index)
        name = _first(f.props, NAME_FIELDS, name_field)
        special = {"kind", "criticality", "corridor_m"}
        rows.append(dict(id=f"{path.stem}:{raw_id}", name=str(name) if name not in (None, "") else str(raw_id), kind=row_kind,
                         operator=_first(f.props, OPERATOR_FIELDS), criticality=crit, corridor_m=corr, geometry=geom,
                         dataset=info.title, licence=info.licence, attribution=info.attribution,
                         attributes={k: v for k, v in f.props.items() if k not in special and v is not None}))
    if problems:
        raise AssetLoadError(_problem_report(path, problems))
    table = AssetTable.from_rows(rows)
    try:
        table.validate()
    except ValueError as exc:
        raise AssetLoadError(f"{path}: {exc}") from exc
    return table


def _kind_of(f: Feature) -> AssetKind | None:
    value = f.props.get("kind")
    if value in (None, ""):
        return None
    try:
        return AssetKind(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"unknown kind {value!r}; one of {', '.join(k.value for k in AssetKind)}") from None


def _opt_number(props: dict[str, Any], keys: tuple[str, ...], cast: Callable[[Any], Any]) -> Any:
    """A numeric property under any of its names (Shapefiles cut field names to 10 characters)."""
    key = next((k for k in keys if props.get(k) not in (None, "")), None)
    if key is None:
        return None
    value = props[key]
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} {value!r} is not a number") from None


def _problem_report(path: Path, problems: list[str]) -> str:
    shown = "\n  ".join(problems[:MAX_PROBLEMS_SHOWN])
    more = f"\n  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more" if len(problems) > MAX_PROBLEMS_SHOWN else ""
    return f"{path}: {len(problems)} feature(s) cannot be loaded, nothing was loaded:\n  {shown}{more}"
