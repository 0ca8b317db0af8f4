"""Adapters for the real public infrastructure sets (see each folder's SOURCE.md in the shared data).

They turn each source's own conventions into assets: TeleGeography cables joined to their
details (owners, RFS, length), GridKit DC links named (Estlink 2, NordBalt, ...), SciGRID pipeline
segments merged into whole pipelines by name. Each asset carries its set's licence and attribution.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Callable

import numpy as np
import shapely

from seawarden.assets.loaders import AssetLoadError, clean_geometry, read_features
from seawarden.assets.model import AssetKind, AssetTable, DatasetInfo, dataset_info, datasets_config

log = logging.getLogger(__name__)

#: (min lon, min lat, max lon, max lat): North Sea, Skagerrak/Kattegat and the Baltic
BALTIC_NORTH_SEA = (-5.0, 50.0, 32.0, 67.0)

#: True where a lon/lat point is on land; used to keep only assets that run at sea
LandTest = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _rows_to_table(rows: list[dict], info: DatasetInfo) -> AssetTable:
    for r in rows:
        r.update(dataset=info.title, licence=info.licence, attribution=info.attribution)
    table = AssetTable.from_rows(rows)
    table.validate()
    return table


#: defects of real source data that drop one feature (counted and reported) instead of the whole set
SKIPPABLE = ("line has fewer than two distinct vertices",)


def _clean_or_fail(geom: shapely.Geometry, kind: AssetKind, where: str, problems: list[str],
                   skipped: list[str] | None) -> shapely.Geometry | None:
    """Clean geometry; a skippable defect goes to `skipped` (or logs), anything else to `problems`."""
    cleaned, why = clean_geometry(geom, kind)
    if why and why in SKIPPABLE:
        msg = f"{where}: skipped, {why}"
        if skipped is not None:
            skipped.append(msg)
        log.warning(msg)
    elif why:
        problems.append(f"{where}: {why}")
    return cleaned


def _raise_problems(path: Path, problems: list[str]) -> None:
    if problems:
        raise AssetLoadError(f"{path}: {len(problems)} feature(s) cannot be loaded, nothing was loaded:\n  " + "\n  ".join(problems[:12]))


def _in_bbox(geoms: list[shapely.Geometry], bbox: tuple[float, float, float, float] | None) -> np.ndarray:
    if bbox is None:
        return np.ones(len(geoms), dtype=bool)
    return shapely.intersects(np.asarray(geoms, dtype=object), shapely.box(*bbox))


# -- TeleGeography ------------------------------------------------------------------------------------


def load_telegeography(folder: str | Path, bbox: tuple[float, float, float, float] | None = None, skipped: list[str] | None = None) -> AssetTable:
    """Telecom cables from `cables_telegeography/`: the newest geometry (v3 copy, 706 cables) joined on
    id to the official v2 details (owners, length, RFS, url) where the cable is in both.
    Accepts the set's folder or either version's folder."""
    folder = Path(folder)
    v3 = folder / "v3_copy_from_netglobe_2026-02" / "cable-geo.json"
    v2_dir = folder / "v2_2021-06-29_official"
    geo = v3 if v3.exists() else folder / "cable-geo.json"
    if not geo.exists():
        raise AssetLoadError(f"{folder}: no TeleGeography cable-geo.json found")
    details_path = v2_dir / "cables-details.json" if v2_dir.exists() else folder / "cables-details.json"
    details: dict[str, dict] = {}
    if details_path.exists():
        details = {d["id"]: d for d in json.loads(details_path.read_text("utf-8"))}
    feats = read_features(geo)
    keep = _in_bbox([f.geometry for f in feats], bbox)
    by_cable: dict[str, list] = defaultdict(list)  # v3 splits some cables into several features (feature_id id-0, id-1...)
    problems: list[str] = []
    for f, k in zip(feats, keep):
        if not k:
            continue
        geom = _clean_or_fail(f.geometry, AssetKind.TELECOM_CABLE, f.where(geo), problems, skipped)
        if geom is not None:
            by_cable[str(f.props.get("id") or f.props.get("slug"))].append((f.props, geom))
    rows = []
    for cid, members in by_cable.items():
        parts = [p for _, g in members for p in shapely.get_parts(g)]
        geom = parts[0] if len(parts) == 1 else shapely.line_merge(shapely.multilinestrings(parts))
        d = details.get(cid, {})
        owners = d.get("owners")
        attrs = {k: d[k] for k in ("length", "rfs", "url", "cable_id") if d.get(k)}
        if d.get("landing_points"):
            attrs["landing_points"] = [lp["name"] for lp in d["landing_points"]]
        rows.append(dict(id=f"telegeography:{cid}", name=members[0][0].get("name") or d.get("name") or cid,
                         kind=AssetKind.TELECOM_CABLE, operator=re.sub(r",\s+", ", ", owners) if owners else None,
                         geometry=geom, attributes=attrs))
    _raise_problems(geo, problems)
    return _rows_to_table(rows, dataset_info("telegeography"))


# -- GridKit power links -------------------------------------------------------------------------------


def _sea_lines(path: Path, bbox: tuple[float, float, float, float] | None, on_land: LandTest | None,
               skipped: list[str] | None, problems: list[str]):
    """(feature, cleaned power-cable geometry) for every feature in the box that reaches the sea;
    defective features go to ``problems`` (or ``skipped`` when skippable)."""
    feats = read_features(path)
    for f, inside in zip(feats, _in_bbox([f.geometry for f in feats], bbox)):
        if not inside:
            continue
        geom = _clean_or_fail(f.geometry, AssetKind.POWER_CABLE, f.where(path), problems, skipped)
        if geom is None or (on_land is not None and not runs_at_sea(geom, on_land)):
            continue
        yield f, geom


def load_gridkit_dc(path: str | Path, bbox: tuple[float, float, float, float] | None = None,
                    on_land: LandTest | None = None, skipped: list[str] | None = None) -> AssetTable:
    """HVDC links of the ENTSO-E/GridKit extract, named from SOURCE.md's end-point identification
    where the extract has no useful name; the named (major) links get criticality 5. With `on_land`,
    links that never reach the sea are dropped."""
    path = Path(path)
    names = {int(k): v for k, v in datasets_config()["gridkit_dc_names"].items()}
    rows, problems = [], []
    for f, geom in _sea_lines(path, bbox, on_land, skipped, problems):
        lid = int(f.props["link_id"])
        label = f.props.get("name")
        label = label if isinstance(label, str) and not label.strip().isdigit() else None
        name = names.get(lid) or label or f"DC link {lid}"
        rows.append(dict(id=f"gridkit:dc:{lid}", name=name, kind=AssetKind.POWER_CABLE, criticality=5 if lid in names else None,
                         geometry=geom, attributes={"link_id": lid, "entsoe_label": f.props.get("name"), "current": "DC",
                                                    "length_m": f.props.get("length_m"), "underground": f.props.get("underground"),
                                                    "under_construction": f.props.get("under_construction"),
                                                    "name_source": "SOURCE.md end-point match" if lid in names else "ENTSO-E label"}))
    _raise_problems(path, problems)
    return _rows_to_table(rows, dataset_info("gridkit_dc"))


def load_gridkit_ac(path: str | Path, bbox: tuple[float, float, float, float] | None = None,
                    on_land: LandTest | None = None, skipped: list[str] | None = None) -> AssetTable:
    """Underground/submarine AC lines; with `on_land`, lines that never reach the sea are dropped
    (the extract also holds city cables)."""
    path = Path(path)
    rows, problems = [], []
    for f, geom in _sea_lines(path, bbox, on_land, skipped, problems):
        lid = int(f.props["line_id"])
        label = f.props.get("name") or ""
        rows.append(dict(id=f"gridkit:ac:{lid}", name=label.strip() or f"AC cable {lid} ({f.props.get('voltage')} kV)",
                         kind=AssetKind.POWER_CABLE, geometry=geom,
                         attributes={"line_id": lid, "current": "AC", "voltage_kv": f.props.get("voltage"),
                                     "circuits": f.props.get("circuits"), "length_m": f.props.get("length_m")}))
    _raise_problems(path, problems)
    return _rows_to_table(rows, dataset_info("gridkit_ac"))


# -- SciGRID gas ---------------------------------------------------------------------------------------

#: segment names that are ids rather than pipeline names (never merged)
_ID_LIKE = re.compile(r"^(PS|EntsoG|NETG)_?\d+$|^\d+ Gas ", re.IGNORECASE)


def pipeline_key(segment_name: str) -> str:
    """Name of the pipeline a SciGRID segment belongs to: the segment number is the last digit
    ('BalticConnector0' -> 'BalticConnector', 'NordStream_14' -> 'NordStream_1', i.e. line 1)."""
    if _ID_LIKE.match(segment_name):
        return segment_name
    return re.sub(r"[_ ]?\d$", "", segment_name) or segment_name


def load_scigrid_gas(path: str | Path, bbox: tuple[float, float, float, float] | None = None,
                     offshore_only: bool = False, on_land: LandTest | None = None, skipped: list[str] | None = None) -> AssetTable:
    """IGGINL pipeline segments merged into pipelines (segments sharing a name prefix become one
    line, or a multi-part line where they do not join). `offshore_only` keeps pipelines that run at
    sea: by the land test if given, else by SciGRID's offshore country code 'XX'."""
    path = Path(path)
    names = datasets_config()["scigrid_names"]
    groups: dict[str, list] = defaultdict(list)
    problems: list[str] = []
    for f in read_features(path):
        geom = _clean_or_fail(f.geometry, AssetKind.GAS_PIPELINE, f.where(path), problems, skipped)
        if geom is not None:
            groups[pipeline_key(str(f.props.get("name") or f.props["id"]))].append((f.props, geom))
    _raise_problems(path, problems)
    rows = []
    for key, members in groups.items():
        geoms = [g for _, g in members]
        merged = shapely.line_merge(shapely.union_all(geoms)) if len(geoms) > 1 else geoms[0]
        if bbox is not None and not shapely.intersects(merged, shapely.box(*bbox)):
            continue
        props = [p for p, _ in members]
        countries = sorted({c for p in props for c in _codes(p.get("country_code"))})
        if offshore_only:
            at_sea = runs_at_sea(merged, on_land) if on_land is not None else "XX" in countries
            if not at_sea:
                continue
        operator = next((p["operator_name"] for p in props if p.get("operator_name")), None)
        rows.append(dict(id=f"scigrid:{key}", name=names.get(key, key), kind=AssetKind.GAS_PIPELINE, operator=operator,
                         geometry=merged,
                         attributes={"segments": sorted(str(p["id"]) for p in props), "segment_names": sorted(str(p.get("name")) for p in props),
                                     "countries": countries, "diameter_mm": max((p.get("diameter_mm") or 0) for p in props) or None,
                                     "start_year": min((p["start_year"] for p in props if p.get("start_year")), default=None),
                                     "length_km_source": round(sum(p.get("length_km") or 0 for p in props), 3)}))
    return _rows_to_table(rows, dataset_info("scigrid_gas"))


def _codes(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return re.findall(r"[A-Z]{2}", str(value or ""))


# -- sea test and the default set ------------------------------------------------------------------------

MIN_SEA_LENGTH_M = 2_000.0
#: below this much sea, a line must also be at least MIN_SEA_FRACTION at sea (drops land lines whose
#: generalised routes merely cut an estuary or a coastal bend)
CLEARLY_MARINE_M = 20_000.0
MIN_SEA_FRACTION = 0.2
_SEA_SAMPLE_M = 500.0


def sea_length_m(geom: shapely.Geometry, on_land: LandTest) -> float:
    """Approximate length (m) of a line that lies at sea, from samples every ~500 m."""
    from seawarden.assets.geometry import Segments

    seg = Segments.from_geometries(np.array([geom], dtype=object))
    n = np.maximum(1, np.ceil(seg.length_m / _SEA_SAMPLE_M).astype(np.int64))
    f = np.concatenate([(np.arange(k) + 0.5) / k for k in n])
    rep = np.repeat(np.arange(len(n)), n)
    lon = seg.ax[rep] + f * (seg.bx[rep] - seg.ax[rep])
    lat = seg.ay[rep] + f * (seg.by[rep] - seg.ay[rep])
    step = (seg.length_m / n)[rep]
    return float(step[~on_land(lon, lat)].sum())


def runs_at_sea(geom: shapely.Geometry, on_land: LandTest) -> bool:
    """Whether a line is a marine asset worth watching rather than a land line touching water."""
    from pyproj import Geod

    sea = sea_length_m(geom, on_land)
    total = Geod(ellps="WGS84").geometry_length(geom)
    return sea >= MIN_SEA_LENGTH_M and (sea >= CLEARLY_MARINE_M or sea >= MIN_SEA_FRACTION * total)


def load_default_assets(shared_data_dir: str | Path, bbox: tuple[float, float, float, float] | None = BALTIC_NORTH_SEA,
                        on_land: LandTest | None = None, skipped: list[str] | None = None) -> AssetTable:
    """The built-in demo set: North Sea and Baltic telecom cables, HVDC links, sea AC cables and
    offshore gas pipelines from the shared real data folder.

    Land/sea filtering uses `on_land`, or the optional `global-land-mask` when installed; without
    either, AC cables are all kept and pipelines are chosen by SciGRID's offshore code.
    Source features with skippable defects are listed in `skipped` (and logged)."""
    root = Path(shared_data_dir)
    if on_land is None:
        from seawarden.assets.context import ContextUnavailable, land_mask

        try:
            on_land = land_mask()
        except ContextUnavailable as exc:
            log.warning("default assets: %s; land/sea filtering falls back to source attributes", exc)
    power = root / "power_links_entsoe_gridkit"
    parts = [
        load_telegeography(root / "cables_telegeography", bbox, skipped=skipped),
        load_gridkit_dc(power / "gridkit_dc_links_europe.geojson", bbox, on_land=on_land, skipped=skipped),
        load_gridkit_ac(power / "gridkit_underground_ac_lines_north_baltic.geojson", bbox, on_land=on_land, skipped=skipped),
        load_scigrid_gas(root / "gas_pipelines_scigrid" / "IGGINL_PipeSegments_europe.geojson", bbox, offshore_only=True,
                         on_land=on_land, skipped=skipped),
    ]
    table = AssetTable.concat(parts)
    table.validate()
    return table


def load_path(path: str | Path, *, kind: AssetKind | None = None, corridor_m: float | None = None,
              criticality: int | None = None) -> AssetTable:
    """Load whatever `path` is: the shared data folder (the demo set), one of the known public sets
    (recognised by file name) or any user vector file. Overrides apply to every loaded asset."""
    from seawarden.assets.loaders import read_asset_file

    p = Path(path)
    name = p.name
    if p.is_dir() and (p / "cables_telegeography").is_dir():
        table = load_default_assets(p)
    elif p.is_dir() and ((p / "v3_copy_from_netglobe_2026-02").is_dir() or (p / "cable-geo.json").exists()):
        table = load_telegeography(p)
    elif name == "cable-geo.json":
        table = load_telegeography(p.parent.parent if p.parent.name.startswith(("v2_", "v3_")) else p.parent)
    elif name.startswith("gridkit_dc_links"):
        table = load_gridkit_dc(p)
    elif name.startswith("gridkit_underground_ac"):
        table = load_gridkit_ac(p)
    elif name.startswith("IGGINL_PipeSegments"):
        table = load_scigrid_gas(p)
    else:
        return read_asset_file(p, kind=kind, corridor_m=corridor_m, criticality=criticality)
    if kind is not None or corridor_m is not None or criticality is not None:
        try:
            table = table.with_overrides(kind=kind, corridor_m=corridor_m, criticality=criticality)
        except ValueError as exc:
            raise AssetLoadError(f"{p}: {exc}") from exc
    return table
