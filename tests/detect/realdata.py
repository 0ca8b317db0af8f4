"""Readers for the real AIS samples in ../shared/data, straight to the POSITIONS / STATIC
contracts (until the ingest source readers land). Sentinels become nulls here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from seawarden import schema
from seawarden.detect import positions_table

NY = "ais_noaa_marinecadastre/NYHarbor_2020-12-01_to_07_trajectories.parquet"
SOLENT = "ais_solent_2016-01-12_stonesoup/SolentAIS_20160112_130211.csv.gz"
KYST = "ais_csv_kystverket_2022-09-01_vestland/kystverket_vestland_2022-09-01_10k_rows.csv.gz"
DMA_POS = "ais_dma_decoded/aisabnormal_2013-11-12_positions.parquet"
DMA_STATIC = "ais_dma_decoded/aisabnormal_2013-11-12_static.parquet"


def _ms(s: pl.Series) -> np.ndarray:
    return s.cast(pl.Datetime("ms")).cast(pl.Int64).to_numpy()


def ny_harbour(root: Path) -> pa.Table:
    """NY harbour week: positions only (no SOG/COG: the tracker derives them)."""
    df = pl.read_parquet(root / NY).sort("timestamp_utc")
    return positions_table({"mmsi": df["mmsi"].to_numpy(), "ts": _ms(df["timestamp_utc"]),
                            "lat": df["lat"].to_numpy(), "lon": df["lon"].to_numpy()})


def solent(root: Path) -> pa.Table:
    df = pl.read_csv(root / SOLENT, try_parse_dates=True).sort("Time")
    return positions_table({"mmsi": df["MMSI"].to_numpy(), "ts": _ms(df["Time"]),
                            "lat": df["Latitude_degrees"].to_numpy(), "lon": df["Longitude_degrees"].to_numpy(),
                            "sog": df["SOG_knots"].to_numpy().astype(float), "cog": df["COG_degrees"].to_numpy().astype(float)})


def kystverket(root: Path) -> pa.Table:
    df = pl.read_csv(root / KYST, separator=";", try_parse_dates=True).sort("date_time_utc")
    hdg = df["true_heading"].to_numpy().astype(float)
    hdg[hdg >= 511] = np.nan
    return positions_table({"mmsi": df["mmsi"].to_numpy(), "ts": _ms(df["date_time_utc"]),
                            "lat": df["lat"].to_numpy(), "lon": df["lon"].to_numpy(),
                            "sog": df["sog"].to_numpy().astype(float), "cog": df["cog"].to_numpy().astype(float),
                            "heading": hdg, "nav_status": df["nav_status"].to_numpy().astype(float)})


def dma_positions(root: Path) -> pa.Table:
    """Real Baltic positions in arrival order (receiver time), AIS sentinels mapped to nulls."""
    df = pl.read_parquet(root / DMA_POS)
    lat = df["lat"].to_numpy().astype(float)
    lon = df["lon"].to_numpy().astype(float)
    bad = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    lat[bad] = np.nan
    lon[bad] = np.nan
    hdg = df["heading"].to_numpy().astype(float)
    hdg[hdg >= 360] = np.nan
    sog = df["sog"].to_numpy().astype(float)
    sog[sog >= 102.3] = np.nan
    cog = df["cog"].to_numpy().astype(float)
    cog[cog >= 360] = np.nan
    return positions_table({"mmsi": df["mmsi"].to_numpy(), "ts": _ms(df["rx_time_utc"]), "lat": lat, "lon": lon,
                            "sog": sog, "cog": cog, "heading": hdg,
                            "nav_status": df["nav_status"].to_numpy().astype(float),
                            "msg_type": df["msg_type"].to_numpy().astype(np.uint8)})


def dma_static(root: Path) -> pa.Table:
    df = pl.read_parquet(root / DMA_STATIC)
    n = df.height
    cols = {"mmsi": pa.array(df["mmsi"].to_numpy().astype(np.uint32)),
            "ts": pa.array(_ms(df["rx_time_utc"])).cast(schema.TS),
            "imo": pa.array(df["imo"].to_numpy(), mask=np.isnan(df["imo"].to_numpy())).cast(pa.uint32()),
            "callsign": pa.array(df["callsign"].to_list(), pa.string()),
            "name": pa.array(df["shipname"].to_list(), pa.string()),
            "ship_type": pa.array(df["ship_type"].to_numpy(), mask=np.isnan(df["ship_type"].to_numpy())).cast(pa.uint8()),
            "msg_type": pa.array(df["msg_type"].to_numpy().astype(np.uint8)),
            "n_rx": pa.array(np.ones(n, np.uint16))}
    arrays = [cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in schema.STATIC]
    return pa.Table.from_arrays(arrays, schema=schema.STATIC)


def static_table(rows: list[dict]) -> pa.Table:
    """STATIC table from dicts (mmsi, ts ms, imo, callsign, name)."""
    n = len(rows)
    cols = {"mmsi": pa.array([r["mmsi"] for r in rows], pa.uint32()),
            "ts": pa.array([r["ts"] for r in rows], pa.int64()).cast(schema.TS),
            "imo": pa.array([r.get("imo") for r in rows], pa.uint32()),
            "callsign": pa.array([r.get("callsign") for r in rows], pa.string()),
            "name": pa.array([r.get("name") for r in rows], pa.string()),
            "msg_type": pa.array([5] * n, pa.uint8()), "n_rx": pa.array([1] * n, pa.uint16())}
    return pa.Table.from_arrays([cols[f.name] if f.name in cols else pa.nulls(n, f.type) for f in schema.STATIC],
                                schema=schema.STATIC)
