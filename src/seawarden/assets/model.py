"""What we protect, as columns: one row per asset, geometry in lon/lat WGS84.

Columnar (NumPy arrays, shapely 2 geometry arrays) rather than a list of objects, because the
spatial index, the stores and the console all work on whole columns at once.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, fields
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Iterable, Sequence

import numpy as np
import pyarrow as pa
import shapely
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")


class AssetKind(StrEnum):
    TELECOM_CABLE = "telecom_cable"
    POWER_CABLE = "power_cable"
    GAS_PIPELINE = "gas_pipeline"
    OIL_PIPELINE = "oil_pipeline"
    AREA = "area"

    @property
    def is_line(self) -> bool:
        return self is not AssetKind.AREA


@dataclass(frozen=True)
class KindDefaults:
    corridor_m: float
    criticality: int
    description: str


@dataclass(frozen=True)
class DatasetInfo:
    """Where a set of assets came from and under which terms it may be used."""

    key: str
    title: str
    licence: str
    attribution: str
    url: str = ""
    note: str = ""


def _data_toml(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("seawarden.assets").joinpath("data").joinpath(name).read_text("utf-8"))


@cache
def kind_defaults() -> dict[AssetKind, KindDefaults]:
    raw = _data_toml("kinds.toml")
    return {AssetKind(k): KindDefaults(float(v["corridor_m"]), int(v["criticality"]), v["description"]) for k, v in raw.items()}


@cache
def datasets_config() -> dict[str, Any]:
    return _data_toml("datasets.toml")


def dataset_info(key: str) -> DatasetInfo:
    raw = datasets_config()[key]
    return DatasetInfo(key=key, title=raw["title"], licence=raw["licence"], attribution=raw["attribution"],
                       url=raw.get("url", ""), note=raw.get("note", ""))


def name_key(name: str) -> str:
    """Name normalised for lookup: 'BalticConnector', 'Balticconnector' and 'baltic-connector' match."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


_STR_COLUMNS = ("id", "name", "kind", "operator", "dataset", "licence", "attribution", "attributes")


@dataclass
class AssetTable:
    """Columnar registry of assets. All arrays have the same length; row i is one asset.

    `attributes` holds the source's extra properties (voltage, diameter, owners...) as a JSON object
    string, so nothing the source said is lost and the schema stays fixed.
    """

    id: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    operator: np.ndarray  # str or None
    criticality: np.ndarray  # int8, 1..5
    corridor_m: np.ndarray  # float64, metres each side
    geometry: np.ndarray  # shapely geometries, lon/lat WGS84
    dataset: np.ndarray
    licence: np.ndarray
    attribution: np.ndarray
    attributes: np.ndarray  # JSON object strings

    def __post_init__(self) -> None:
        for f in _STR_COLUMNS:
            setattr(self, f, np.asarray(getattr(self, f), dtype=object))
        self.criticality = np.asarray(self.criticality, dtype=np.int8)
        self.corridor_m = np.asarray(self.corridor_m, dtype=np.float64)
        self.geometry = np.asarray(self.geometry, dtype=object)
        n = len(self.id)
        bad = [f.name for f in fields(self) if len(getattr(self, f.name)) != n]
        if bad:
            raise ValueError(f"AssetTable columns {bad} differ in length from id ({n})")

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def empty(cls) -> AssetTable:
        return cls.from_rows([])

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> AssetTable:
        """Build from dicts with keys id, name, kind, geometry and optional operator, criticality,
        corridor_m, dataset, licence, attribution, attributes (dict or JSON string).
        Missing criticality/corridor fall back to the kind's defaults."""
        cols: dict[str, list[Any]] = {f.name: [] for f in fields(cls)}
        defaults = kind_defaults()
        for r in rows:
            kind = AssetKind(r["kind"])
            cols["id"].append(str(r["id"]))
            cols["name"].append(str(r.get("name") or r["id"]))
            cols["kind"].append(kind.value)
            cols["operator"].append(r.get("operator") or None)
            crit = r.get("criticality")
            cols["criticality"].append(defaults[kind].criticality if crit is None else int(crit))
            corr = r.get("corridor_m")
            cols["corridor_m"].append(defaults[kind].corridor_m if corr is None else float(corr))
            cols["geometry"].append(r["geometry"])
            cols["dataset"].append(r.get("dataset") or "user")
            cols["licence"].append(r.get("licence") or "")
            cols["attribution"].append(r.get("attribution") or "")
            attrs = r.get("attributes") or {}
            cols["attributes"].append(attrs if isinstance(attrs, str) else json.dumps(attrs, default=str, ensure_ascii=False))
        geom = np.empty(len(cols["geometry"]), dtype=object)
        geom[:] = cols.pop("geometry")
        return cls(geometry=geom, **cols)

    @classmethod
    def concat(cls, tables: Sequence[AssetTable]) -> AssetTable:
        if not tables:
            return cls.empty()
        return cls(**{f.name: np.concatenate([getattr(t, f.name) for t in tables]) for f in fields(cls)})

    # -- access ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.id)

    def take(self, idx: np.ndarray | Sequence[int] | slice) -> AssetTable:
        return AssetTable(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def row(self, i: int) -> dict[str, Any]:
        return {f.name: getattr(self, f.name)[i] for f in fields(self)}

    def find(self, name_or_id: str) -> int:
        """Index of the asset with this id, or else this (normalised) name; KeyError if none or ambiguous."""
        hits = np.flatnonzero(self.id == name_or_id)
        if len(hits) == 0:
            key = name_key(name_or_id)
            hits = np.array([i for i, n in enumerate(self.name) if name_key(n) == key], dtype=np.int64)
        if len(hits) == 0:
            raise KeyError(f"no asset named or with id {name_or_id!r}")
        if len(hits) > 1:
            raise KeyError(f"{name_or_id!r} is ambiguous: ids {', '.join(self.id[hits])}")
        return int(hits[0])

    def with_overrides(self, *, kind: AssetKind | None = None, corridor_m: float | None = None,
                       criticality: int | None = None) -> AssetTable:
        """Copy with the same value forced on every row (the CLI's --kind/--corridor-m/--criticality)."""
        t = self.take(slice(None))
        if kind is not None:
            t.kind = np.full(len(t), AssetKind(kind).value, dtype=object)
        if corridor_m is not None:
            t.corridor_m = np.full(len(t), float(corridor_m))
        if criticality is not None:
            t.criticality = np.full(len(t), int(criticality), dtype=np.int8)
        t.validate()
        return t

    def length_m(self) -> np.ndarray:
        """Geodesic length on WGS84 (perimeter for areas), metres."""
        return np.array([WGS84.geometry_length(g) for g in self.geometry], dtype=np.float64)

    def validate(self) -> None:
        """Raise ValueError naming the asset for any row that breaks the registry's invariants."""
        for i in range(len(self)):
            where = f"asset {self.id[i]!r} ({self.name[i]})"
            try:
                kind = AssetKind(self.kind[i])
            except ValueError:
                raise ValueError(f"{where}: unknown kind {self.kind[i]!r}; one of {', '.join(k.value for k in AssetKind)}") from None
            if not 1 <= int(self.criticality[i]) <= 5:
                raise ValueError(f"{where}: criticality {self.criticality[i]} outside 1..5")
            if not (np.isfinite(self.corridor_m[i]) and self.corridor_m[i] >= 0):
                raise ValueError(f"{where}: corridor_m {self.corridor_m[i]} must be a finite number >= 0")
            g = self.geometry[i]
            gtype = shapely.get_type_id(g)
            line_ok = gtype in (1, 5)  # LineString, MultiLineString
            area_ok = gtype in (3, 6)  # Polygon, MultiPolygon
            if (kind.is_line and not line_ok) or (not kind.is_line and not area_ok):
                raise ValueError(f"{where}: kind {kind.value} needs {'a line' if kind.is_line else 'a polygon'}, got {getattr(g, 'geom_type', None)}")
        _, counts = np.unique(self.id.astype(str), return_counts=True)
        if (counts > 1).any():
            dup = np.unique(self.id.astype(str))[counts > 1]
            raise ValueError(f"duplicate asset ids: {', '.join(dup[:10])}")

    # -- Arrow / GeoParquet ---------------------------------------------------------------------
    def to_arrow(self) -> pa.Table:
        cols = {f: pa.array(list(getattr(self, f)), type=pa.string()) for f in _STR_COLUMNS}
        cols["criticality"] = pa.array(self.criticality, type=pa.int8())
        cols["corridor_m"] = pa.array(self.corridor_m, type=pa.float64())
        cols["geometry"] = pa.array(list(shapely.to_wkb(self.geometry)) if len(self) else [], type=pa.binary())
        order = [f.name for f in fields(self)]
        table = pa.table({k: cols[k] for k in order})
        bbox = list(shapely.total_bounds(self.geometry)) if len(self) else []
        geo = {"version": "1.1.0", "primary_column": "geometry",
               "columns": {"geometry": {"encoding": "WKB", "crs": "OGC:CRS84", "edges": "planar",
                                        "geometry_types": sorted({g.geom_type for g in self.geometry}), "bbox": bbox}}}
        return table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})

    @classmethod
    def from_arrow(cls, table: pa.Table) -> AssetTable:
        d = {f: np.array(table.column(f).to_pylist(), dtype=object) for f in _STR_COLUMNS}
        wkb = table.column("geometry").to_pylist()
        geom = np.empty(len(wkb), dtype=object)
        geom[:] = list(shapely.from_wkb(wkb)) if wkb else []
        return cls(criticality=table.column("criticality").to_numpy(), corridor_m=table.column("corridor_m").to_numpy(),
                   geometry=geom, **d)
