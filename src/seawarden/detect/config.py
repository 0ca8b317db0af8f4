"""Detector configuration: packaged TOML defaults, a user file merged over them, and per-area
overrides resolved to a *profile* number per fix (0 = defaults) so kernels read one parameter row.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from seawarden.config_file import read_toml
from seawarden.track.tracker import TrackParams


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _area_geometry(spec: dict[str, Any], where: str) -> shapely.Geometry | None:
    if "bbox" in spec:
        b = spec["bbox"]
        if len(b) != 4:
            raise ValueError(f"{where}: bbox must be [west, south, east, north], got {b!r}")
        return shapely.box(*map(float, b))
    if "polygon" in spec:
        try:
            poly = shapely.Polygon([tuple(map(float, p)) for p in spec["polygon"]])
        except Exception as exc:  # noqa: BLE001 -- report any malformed ring with its place
            raise ValueError(f"{where}: polygon is not a list of [lon, lat] pairs: {exc}") from exc
        if not poly.is_valid:
            raise ValueError(f"{where}: polygon is not valid ({shapely.is_valid_reason(poly)})")
        return poly
    return None


@dataclass
class Override:
    name: str
    area: shapely.Geometry | None
    asset_ids: frozenset[str]
    detectors: dict[str, dict[str, Any]]


@dataclass
class DetectConfig:
    """The merged configuration. `raw` is the whole document; helpers expose typed views."""

    raw: dict[str, Any]
    overrides: list[Override] = field(default_factory=list)
    anchorages: list[tuple[str, shapely.Geometry]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, user: dict[str, Any] | None = None) -> "DetectConfig":
        defaults = tomllib.loads(resources.files("seawarden.detect").joinpath("defaults.toml").read_text("utf-8"))
        raw = _merge(defaults, user or {})
        for name, block in (user or {}).get("detectors", {}).items():
            if name not in defaults["detectors"]:
                raise ValueError(f"config: unknown detector [detectors.{name}] (known: {', '.join(defaults['detectors'])})")
            unknown = set(block) - set(defaults["detectors"][name])
            if unknown:
                raise ValueError(f"config: [detectors.{name}] has unknown keys {sorted(unknown)}")
        overrides = []
        for i, ov in enumerate(raw.get("overrides", [])):
            where = f"config: [[overrides]] #{i + 1} ({ov.get('name', 'unnamed')})"
            area = _area_geometry(ov, where)
            assets = frozenset(map(str, ov.get("assets", [])))
            if area is None and not assets:
                raise ValueError(f"{where}: needs a bbox, a polygon or an assets list")
            for det, block in ov.get("detectors", {}).items():
                if det not in raw["detectors"]:
                    raise ValueError(f"{where}: unknown detector {det!r}")
                unknown = set(block) - set(raw["detectors"][det])
                if unknown:
                    raise ValueError(f"{where}: detector {det} has unknown keys {sorted(unknown)}")
            overrides.append(Override(ov.get("name", f"override-{i + 1}"), area, assets, ov.get("detectors", {})))
        anchorages = []
        for i, a in enumerate(raw["spatial"].get("anchorages", [])):
            geom = _area_geometry(a, f"config: spatial.anchorages #{i + 1}")
            if geom is None:
                raise ValueError(f"config: spatial.anchorages #{i + 1} needs a bbox or a polygon")
            anchorages.append((str(a.get("name", f"anchorage-{i + 1}")), geom))
        return cls(raw, overrides, anchorages)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "DetectConfig":
        if path is None:
            return cls.from_dict({})
        return cls.from_dict(read_toml(path, "detector config"))

    # -- views -----------------------------------------------------------------------------------
    @property
    def track(self) -> TrackParams:
        return TrackParams(**{k: (int(v) if k == "ring_size" else float(v)) for k, v in self.raw["track"].items()})

    @property
    def engine(self) -> dict[str, Any]:
        return self.raw["engine"]

    @property
    def spatial(self) -> dict[str, Any]:
        return self.raw["spatial"]

    def enabled(self) -> list[str]:
        return [n for n, b in self.raw["detectors"].items() if b.get("enabled", True)]

    def profile_names(self) -> list[str]:
        return ["default"] + [o.name for o in self.overrides]

    def detector_profiles(self, name: str) -> list[dict[str, Any]]:
        """Parameters of one detector per profile (index 0 = defaults, k = k-th override)."""
        base = self.raw["detectors"][name]
        return [base] + [_merge(base, o.detectors.get(name, {})) for o in self.overrides]

    def resolve_profiles(self, lon: np.ndarray, lat: np.ndarray, asset_ids: np.ndarray | None) -> np.ndarray:
        """Profile per fix: the first override whose area or asset list matches, else 0."""
        prof = np.zeros(lon.shape[0], np.int16)
        if not self.overrides:
            return prof
        free = np.ones(lon.shape[0], bool)
        for k, ov in enumerate(self.overrides, start=1):
            hit = np.zeros(lon.shape[0], bool)
            if ov.area is not None:
                hit |= shapely.contains_xy(ov.area, lon, lat)
            if ov.asset_ids and asset_ids is not None:
                hit |= np.isin(asset_ids, list(ov.asset_ids))
            hit &= free
            prof[hit] = k
            free &= ~hit
        return prof


def param_matrix(profiles: list[dict[str, Any]], names: tuple[str, ...], where: str = "",
                 codes: dict[str, dict[str, float]] | None = None) -> np.ndarray:
    """Parameters as a [profile, param] float64 matrix for the kernels; `codes` maps the allowed
    words of text parameters (e.g. scope = "corridor") to numbers."""
    codes = codes or {}
    rows = []
    for p in profiles:
        row = []
        for n in names:
            v = p[n]
            if n in codes:
                if v not in codes[n]:
                    raise ValueError(f"config: {where}.{n} must be one of {sorted(codes[n])}, got {v!r}")
                row.append(codes[n][v])
                continue
            try:
                row.append(float(v))
            except (TypeError, ValueError):
                raise ValueError(f"config: {where}.{n} must be a number, got {v!r}") from None
        rows.append(row)
    return np.array(rows, dtype=np.float64).reshape(len(profiles), len(names))
