"""The seabed: registry of protected infrastructure ("assets") and the batch spatial engine.

    from seawarden.assets import AssetIndex, load_default_assets
    index = AssetIndex.build(load_default_assets(shared_data_dir))
    hit = index.nearest(lon, lat)            # asset_idx, distance_m, km_point, in_corridor
    x = index.crossings(lon0, lat0, lon1, lat1)
"""

from seawarden.assets.adapters import (
    BALTIC_NORTH_SEA,
    load_default_assets,
    load_gridkit_ac,
    load_gridkit_dc,
    load_path,
    load_scigrid_gas,
    load_telegeography,
)
from seawarden.assets.context import ContextUnavailable, PortIndex, ShoreIndex, land_mask
from seawarden.assets.loaders import AssetLoadError, read_asset_file
from seawarden.assets.model import AssetKind, AssetTable, DatasetInfo, kind_defaults
from seawarden.assets.registry import AssetRegistry, data_home
from seawarden.assets.spatial import AssetIndex, CrossingResult, NearestResult, SegmentIndex

__all__ = [
    "BALTIC_NORTH_SEA", "AssetIndex", "AssetKind", "AssetLoadError", "AssetRegistry", "AssetTable", "ContextUnavailable",
    "CrossingResult", "DatasetInfo", "NearestResult", "PortIndex", "SegmentIndex", "ShoreIndex", "data_home", "kind_defaults",
    "land_mask", "load_default_assets", "load_gridkit_ac", "load_gridkit_dc", "load_path", "load_scigrid_gas",
    "load_telegeography", "read_asset_file",
]
