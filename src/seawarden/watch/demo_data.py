"""Where `watch --demo` finds its real data: the public-data catalog, not a hard-wired folder.

The demo needs real tracks (relocated into the Gulf of Finland) and the real cables and
pipelines. They come through ``seawarden.ingest.fetch``: from ``SEAWARDEN_MIRROR`` when set
(``../shared/data`` here and in CI), otherwise from the download cache, filled on first use. Both
are laid out like ``../shared/data``, which is the layout the scenario and asset loaders read.
"""

from __future__ import annotations

from pathlib import Path

from seawarden.ingest.fetch import FetchError, Progress, active_mirror, cache_root, fetch

#: what the demo reads: tracks for the scenario, the real Gulf picture its traffic is laid on (lanes and
#: berths); the default asset set (cables, HVDC/AC links, gas pipelines)
DEMO_DATASETS = ("noaa-us-coastal", "digitraffic-snapshot", "telegeography", "gridkit", "scigrid-gas")


def demo_data_root(explicit: Path | None = None, progress: Progress | None = None) -> Path:
    """A folder laid out like ``../shared/data`` holding every demo data set (fetched when missing).

    ``explicit`` (``--data DIR``) is used as given. Raises FetchError naming the missing set and
    the way out (a mirror) when a set cannot be had.
    """
    if explicit is not None:
        if not explicit.is_dir():
            raise FetchError(f"real data folder not found: {explicit}")
        return explicit
    for name in DEMO_DATASETS:
        fetch(name, progress=progress)
    mirror = active_mirror()
    return mirror.path("") if mirror is not None and not mirror.is_url else cache_root()
