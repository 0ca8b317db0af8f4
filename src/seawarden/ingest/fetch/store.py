"""Where a data set comes from (mirror, cache, upstream) and where it ends up.

Resolution order: a mirror folder (SEAWARDEN_MIRROR=DIR) is served in place and the network
is never touched; a mirror URL (SEAWARDEN_MIRROR=http://...) replaces the upstream URLs; else
the cache ($SEAWARDEN_HOME/data) is used when it already holds the files, and upstream is
asked only for what is missing. The cache is laid out like the mirror, so a filled cache can
itself be handed to others as SEAWARDEN_MIRROR.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date as Date
from pathlib import Path

from seawarden.paths import data_home
from seawarden.ingest.fetch.catalog import DataFile, Dataset, dataset
from seawarden.ingest.fetch.download import FetchError, Progress, RetryPolicy, download
from seawarden.ingest.fetch.record import record_stream

MIRROR_ENV = "SEAWARDEN_MIRROR"


def cache_root() -> Path:
    """The download cache: $SEAWARDEN_HOME/data (see seawarden.paths.data_home)."""
    return data_home() / "data"


@dataclass(frozen=True)
class Mirror:
    """A local folder or an HTTP(S) base URL laid out like ../shared/data."""

    location: str

    @property
    def is_url(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    def path(self, rel: str) -> Path:
        return Path(self.location).expanduser() / rel

    def url(self, rel: str) -> str:
        return self.location.rstrip("/") + "/" + rel


def active_mirror(mirror: str | os.PathLike | None = None) -> Mirror | None:
    """The mirror given, else $SEAWARDEN_MIRROR, else none; a missing mirror folder is an error."""
    loc = os.fspath(mirror) if mirror is not None else os.environ.get(MIRROR_ENV, "")
    if not loc:
        return None
    m = Mirror(loc)
    if not m.is_url and not m.path("").is_dir():
        raise FetchError(f"mirror folder {m.path('')} does not exist (from {MIRROR_ENV} or --mirror)")
    return m


def _result(root: Path, ds: Dataset, files: tuple[DataFile, ...]) -> Path:
    """One-file sets are returned as the file, bigger sets as their folder."""
    folder = root / ds.folder
    return folder / files[0].name if len(files) == 1 else folder


def _parse_date(day: Date | str | None) -> Date | None:
    if day is None or isinstance(day, Date):
        return day
    try:
        return Date.fromisoformat(day)
    except ValueError:
        raise FetchError(f"date must be YYYY-MM-DD, got {day!r}") from None


def dataset_path(name: str, *, date: Date | str | None = None, mirror: str | os.PathLike | None = None) -> Path:
    """Where the set is (or would be after fetching), without touching the network."""
    ds = dataset(name)
    m = active_mirror(mirror)
    root = m.path("") if m is not None and not m.is_url else cache_root()
    if ds.kind == "stream":
        return _newest_recording(root / ds.folder, ds) or root / ds.folder
    return _result(root, ds, ds.files_for(_parse_date(date)))


def _newest_recording(folder: Path, ds: Dataset) -> Path | None:
    found = sorted(folder.glob(f"{ds.name}_*.nmea")) if folder.is_dir() else []
    return found[-1] if found else None


def _serve_from_folder(root: Path, ds: Dataset, files: tuple[DataFile, ...], what: str) -> Path:
    for f in files:
        p = root / ds.folder / f.name
        if not f.optional and not p.is_file():
            raise FetchError(f"data set {ds.name!r} is not in the {what}: looked for {p}")
    return _result(root, ds, files)


def fetch(
    name: str,
    *,
    date: Date | str | None = None,
    minutes: float | None = None,
    force: bool = False,
    mirror: str | os.PathLike | None = None,
    progress: Progress | None = None,
    retry: RetryPolicy = RetryPolicy(),
) -> Path:
    """The local path of data set `name` (a file, or the set's folder when it has several files),
    downloading or recording it first when needed. Raises FetchError/CatalogError with a message
    that names the set, the file and the way out."""
    ds = dataset(name)
    day = _parse_date(date)
    m = active_mirror(mirror)
    if ds.kind == "stream":
        return _fetch_stream(ds, m, minutes, progress)
    files = ds.files_for(day)
    if m is not None and not m.is_url:
        return _serve_from_folder(m.path(""), ds, files, f"mirror {m.path('')}")
    root = cache_root()
    if ds.kind == "derived":
        try:
            return _serve_from_folder(root, ds, files, "cache")
        except FetchError:
            need = next(f.name for f in files if not f.optional)
            raise FetchError(
                f"data set {ds.name!r} has no direct download: it was converted from {ds.origin}. "
                f"Set {MIRROR_ENV} to a folder that holds {ds.folder}/{need} (e.g. ../shared/data)"
            ) from None
    for f in files:
        dest = root / ds.folder / f.name
        if dest.is_file() and not force:
            continue
        urls = (m.url(f"{ds.folder}/{f.name}"),) if m is not None else f.urls
        if not urls:
            if f.optional:
                continue
            raise FetchError(f"{ds.name}: no URL for {f.name}")
        if m is not None and f.compress:  # the mirror holds our compressed form: the upstream hash does not apply
            size, sha, check = None, None, f.compress
        else:
            size, sha, check = f.size, f.sha256, f.check
        try:
            download(urls, dest, size=size, sha256=sha, check=check,
                     compress=None if m is not None else f.compress, retry=retry, progress=progress)
        except FetchError:
            if not f.optional:
                raise
    return _result(root, ds, files)


def _fetch_stream(ds: Dataset, m: Mirror | None, minutes: float | None, progress: Progress | None) -> Path:
    if m is not None and not m.is_url:
        found = _newest_recording(m.path(ds.folder), ds)
        if found is None:
            raise FetchError(f"data set {ds.name!r} is a live stream and the mirror holds no recording of it: "
                             f"looked for {m.path(ds.folder)}/{ds.name}_*.nmea")
        return found
    rec = record_stream(ds.host, ds.port, cache_root() / ds.folder, minutes=minutes or ds.minutes, label=ds.name,
                        progress=progress)
    return rec.path
