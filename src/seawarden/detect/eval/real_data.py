"""Readers that turn the real data sets in ../shared/data into POSITIONS tables and named assets.

Only what the scenario suite needs: the ingest sources own general-purpose reading. Each
reader states what it derives (e.g. SOG/COG from positions where the archive has none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from shapely.geometry import LineString, MultiLineString, shape
from shapely.ops import linemerge

from seawarden.schema import POSITIONS

from .kinematics import segment_bearing_deg, segment_speed_kn
from .times import parse_iso_ms

#: Gaps longer than this split a track when deriving SOG/COG (and when counting vessel-hours).
TRACK_GAP_S = 1800.0


def positions_table(mmsi, ts_ms, lat, lon, *, sog=None, cog=None, heading=None, nav_status=None,
                    msg_type=1, source: str | None = None) -> pa.Table:
    """A POSITIONS table from column arrays; unspecified optional columns are null."""
    n = len(ts_ms)

    def col(values, typ):
        if values is None:
            return pa.nulls(n, typ)
        arr = np.asarray(values)
        if arr.dtype.kind == "f" and typ in (pa.uint16(), pa.uint8()):
            mask = ~np.isfinite(arr)
            return pa.array(np.where(mask, 0, np.round(arr)).astype(typ.to_pandas_dtype()), typ, mask=mask)
        if arr.dtype.kind == "f":
            return pa.array(arr.astype(typ.to_pandas_dtype()), typ, mask=~np.isfinite(arr))
        return pa.array(arr.astype(typ.to_pandas_dtype()), typ)

    msg = np.full(n, msg_type, dtype=np.uint8) if np.isscalar(msg_type) else np.asarray(msg_type, dtype=np.uint8)
    return pa.Table.from_arrays(
        [
            pa.array(np.asarray(mmsi, dtype=np.uint32) if not np.isscalar(mmsi) else np.full(n, mmsi, np.uint32), pa.uint32()),
            pa.array(np.asarray(ts_ms, dtype=np.int64), pa.int64()).cast(POSITIONS.field("ts").type),
            col(lat, pa.float64()),
            col(lon, pa.float64()),
            col(sog, pa.float32()),
            col(cog, pa.float32()),
            col(heading, pa.uint16()),
            col(nav_status, pa.uint8()),
            pa.nulls(n, pa.float32()),
            pa.array(msg, pa.uint8()),
            pa.nulls(n, pa.bool_()),
            pa.nulls(n, pa.uint8()),
            pa.nulls(n, pa.bool_()),
            pa.array([source] * n, pa.string()),
            pa.array(np.ones(n, dtype=np.uint16), pa.uint16()),
        ],
        schema=POSITIONS,
    )


def sort_positions(table: pa.Table) -> pa.Table:
    """Order rows by time, then MMSI: the order a live feed delivers them in."""
    return table.sort_by([("ts", "ascending"), ("mmsi", "ascending")])


def derive_sog_cog(mmsi: np.ndarray, ts_ms: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SOG/COG for archives that carry positions only (rows sorted by mmsi, ts).

    SOG at a fix is the mean implied speed of the segments on either side of it, COG the
    bearing of the segment leaving it (arriving, for the last fix). Segments across a gap
    > 30 min or across MMSIs are not used; an isolated fix gets null.
    """
    n = len(ts_ms)
    sog = np.full(n, np.nan)
    cog = np.full(n, np.nan)
    if n < 2:
        return sog, cog
    spd = segment_speed_kn(lon, lat, ts_ms)
    brg = segment_bearing_deg(lon, lat)
    dt = np.diff(ts_ms) / 1000.0
    ok = (mmsi[1:] == mmsi[:-1]) & (dt > 0) & (dt <= TRACK_GAP_S) & np.isfinite(spd)
    seg_spd = np.where(ok, spd, np.nan)
    seg_brg = np.where(ok, brg, np.nan)
    before = np.concatenate([[np.nan], seg_spd])
    after = np.concatenate([seg_spd, [np.nan]])
    with np.errstate(invalid="ignore"):
        sog = np.nanmean(np.vstack([before, after]), axis=0) if n else sog
    cog = np.concatenate([seg_brg, [np.nan]])
    arrive = np.concatenate([[np.nan], seg_brg])
    cog = np.where(np.isfinite(cog), cog, arrive)
    return sog, cog


def load_ny_harbour_week(shared: Path, start: str | None = None, end: str | None = None) -> pa.Table:
    """NY harbour, 2020-12-01..07 (MarineCadastre via Tracktable), SOG/COG derived from positions."""
    path = shared / "ais_noaa_marinecadastre" / "NYHarbor_2020-12-01_to_07_trajectories.parquet"
    return _load_tracktable_parquet(path, "noaa_marinecadastre_ny_2020-12", start, end)


def load_us_coastal_day(shared: Path) -> pa.Table:
    """All US coasts, 2020-06-30 (MarineCadastre via Tracktable), SOG/COG derived."""
    path = shared / "ais_noaa_marinecadastre" / "US_coastal_2020-06-30_trajectories.parquet"
    return _load_tracktable_parquet(path, "noaa_marinecadastre_us_2020-06-30", None, None)


def _load_tracktable_parquet(path: Path, source: str, start: str | None, end: str | None) -> pa.Table:
    t = pq.read_table(path, columns=["mmsi", "timestamp_utc", "lon", "lat"])
    ts = t["timestamp_utc"].cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy()
    keep = np.ones(len(ts), dtype=bool)
    if start is not None:
        keep &= ts >= parse_iso_ms(start)
    if end is not None:
        keep &= ts < parse_iso_ms(end)
    mmsi = t["mmsi"].to_numpy()[keep].astype(np.uint32)
    ts = ts[keep]
    lon = t["lon"].to_numpy()[keep]
    lat = t["lat"].to_numpy()[keep]
    order = np.lexsort((ts, mmsi))
    mmsi, ts, lon, lat = mmsi[order], ts[order], lon[order], lat[order]
    # Tracktable splits trajectories of one MMSI; a fix can appear in two of them: keep one.
    dup = np.concatenate([[False], (mmsi[1:] == mmsi[:-1]) & (ts[1:] == ts[:-1])])
    mmsi, ts, lon, lat = mmsi[~dup], ts[~dup], lon[~dup], lat[~dup]
    sog, cog = derive_sog_cog(mmsi, ts, lon, lat)
    return sort_positions(positions_table(mmsi, ts, lat, lon, sog=sog, cog=cog, source=source))


def load_kystverket_vestland(shared: Path) -> pa.Table:
    """Kystverket Vestland 2022-09-01 (5 vessels, full day, real SOG/COG/heading/nav status)."""
    path = shared / "ais_csv_kystverket_2022-09-01_vestland" / "kystverket_vestland_2022-09-01_10k_rows.csv.gz"
    t = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"),
                       convert_options=pacsv.ConvertOptions(timestamp_parsers=["%Y-%m-%d %H:%M:%S"]))
    ts = t["date_time_utc"].cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy()
    heading = t["true_heading"].to_numpy(zero_copy_only=False).astype(float)
    heading[(heading < 0) | (heading > 359)] = np.nan  # 511 = not available
    cog = t["cog"].to_numpy(zero_copy_only=False).astype(float)
    cog[(cog < 0) | (cog >= 360)] = np.nan
    sog = t["sog"].to_numpy(zero_copy_only=False).astype(float)
    sog[(sog < 0) | (sog >= 102.3)] = np.nan
    nav = t["nav_status"].to_numpy(zero_copy_only=False).astype(float)
    nav[(nav < 0) | (nav > 14)] = np.nan
    return sort_positions(positions_table(
        t["mmsi"].to_numpy(), ts, t["lat"].to_numpy(), t["lon"].to_numpy(), sog=sog, cog=cog, heading=heading,
        nav_status=nav, msg_type=t["message_nr"].to_numpy(zero_copy_only=False), source="kystverket_vestland"))


def load_solent(shared: Path) -> pa.Table:
    """Solent 2016-01-12, 85 min (Stone Soup demo data). The one corrupt fix (lon 54.83) is dropped."""
    path = shared / "ais_solent_2016-01-12_stonesoup" / "SolentAIS_20160112_130211.csv.gz"
    t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(timestamp_parsers=["%Y-%m-%d %H:%M:%S%.f"]))
    ts = t["Time"].cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy()
    lon = t["Longitude_degrees"].to_numpy()
    lat = t["Latitude_degrees"].to_numpy()
    ok = (lon > -2.0) & (lon < 0.0)
    cog = t["COG_degrees"].to_numpy().astype(float)
    cog[(cog < 0) | (cog >= 360)] = np.nan
    sog = t["SOG_knots"].to_numpy().astype(float)
    sog[(sog < 0) | (sog >= 102.3)] = np.nan
    return sort_positions(positions_table(
        t["MMSI"].to_numpy()[ok], ts[ok], lat[ok], lon[ok], sog=sog[ok], cog=cog[ok], source="solent_stonesoup"))


@dataclass(frozen=True)
class NamedAsset:
    """A real protected asset as used by a scenario: id, human name, geometry (lon/lat) and origin."""

    asset_id: str
    asset_name: str
    kind: str  # "power_cable" | "telecom_cable" | "gas_pipeline"
    geometry: LineString | MultiLineString
    source: str

    def to_feature(self) -> dict:
        return {"type": "Feature", "geometry": self.geometry.__geo_interface__,
                "properties": {"asset_id": self.asset_id, "name": self.asset_name, "kind": self.kind, "source": self.source}}


#: key -> (kind, file under shared data, property to match, values, display name)
ASSET_CATALOGUE: dict[str, tuple[str, str, str, tuple, str]] = {
    "estlink-2": ("power_cable", "power_links_entsoe_gridkit/gridkit_dc_links_europe.geojson", "link_id", (14816,), "Estlink 2"),
    "estlink-1": ("power_cable", "power_links_entsoe_gridkit/gridkit_dc_links_europe.geojson", "link_id", (14807,), "Estlink 1"),
    "balticconnector": ("gas_pipeline", "gas_pipelines_scigrid/IGGINL_PipeSegments_europe.geojson", "name",
                        ("BalticConnector0", "BalticConnector1"), "Balticconnector"),
    "c-lion1": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id", ("c-lion1",), "C-Lion1"),
    "bcs-east-west-interlink": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                                ("bcs-east-west-interlink",), "BCS East-West Interlink"),
    "flag-atlantic-1": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                        ("flag-atlantic-1-fa-1",), "FLAG Atlantic-1 (FA-1)"),
    "portsmouth-ryde-10": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                           ("portsmouth-ryde-10",), "Portsmouth-Ryde 10"),
    "portsmouth-ryde-11": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                           ("portsmouth-ryde-11",), "Portsmouth-Ryde 11"),
    "cowes-fawley-2": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                       ("cowes-fawley-2",), "Cowes-Fawley 2"),
    "n0r5ke-viking-2": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                        ("n0r5ke-viking-2",), "N0r5ke Viking 2"),
    "tampnet-north": ("telecom_cable", "cables_telegeography/v3_copy_from_netglobe_2026-02/cable-geo.json", "id",
                      ("tampnet-north",), "Tampnet North"),
}


def load_asset(shared: Path, key: str) -> NamedAsset:
    """One real asset by catalogue key, its parts merged into one (Multi)LineString."""
    try:
        kind, rel, prop, values, name = ASSET_CATALOGUE[key]
    except KeyError:
        raise KeyError(f"unknown asset {key!r}; known: {', '.join(sorted(ASSET_CATALOGUE))}") from None
    with open(shared / rel, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    parts = [shape(f["geometry"]) for f in features if f["properties"].get(prop) in values]
    if not parts:
        raise ValueError(f"asset {key!r}: no feature with {prop} in {values} in {rel}")
    lines: list[LineString] = []
    for g in parts:
        lines.extend(g.geoms if isinstance(g, MultiLineString) else [g])
    merged = linemerge(MultiLineString(lines)) if len(lines) > 1 else lines[0]
    asset_id = f"{rel.split('/')[0]}:{'+'.join(str(v) for v in values)}"
    return NamedAsset(asset_id=asset_id, asset_name=name, kind=kind, geometry=merged, source=rel)

