"""Public AIS and seabed-infrastructure data: catalog, cached verified downloads, mirrors, live recording.

Real users have internet and no ../shared folder; CI has the folder and no internet. `fetch`
serves both: ``SEAWARDEN_MIRROR=../shared/data`` answers from the folder without touching the
network, otherwise files are downloaded once into ``$SEAWARDEN_HOME/data``.
"""

from seawarden.ingest.fetch.catalog import CatalogError, DataFile, Dataset, catalog, dataset
from seawarden.ingest.fetch.download import FetchError, Progress, RetryPolicy
from seawarden.ingest.fetch.store import MIRROR_ENV, active_mirror, cache_root, dataset_path, fetch

__all__ = [
    "MIRROR_ENV",
    "CatalogError",
    "DataFile",
    "Dataset",
    "FetchError",
    "Progress",
    "RetryPolicy",
    "active_mirror",
    "cache_root",
    "catalog",
    "dataset",
    "dataset_path",
    "fetch",
]
