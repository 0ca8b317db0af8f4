"""The catalog of public data sets (catalog.toml), parsed and checked once.

Keeping the sets as data means a new mirror location or a moved upstream URL is a one-line
change, and `seawarden data list` shows users exactly what will be downloaded, from where,
under which licence.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Literal

Kind = Literal["download", "stream", "derived"]
KINDS = ("download", "stream", "derived")
CHECKS = ("zip", "gzip", "geojson")


class CatalogError(ValueError):
    """The catalog (or a name/date asked of it) is wrong."""


@dataclass(frozen=True)
class DataFile:
    """One file of a set: its name inside the set's folder and how to get and check it."""

    name: str
    urls: tuple[str, ...] = ()
    sha256: str | None = None
    size: int | None = None
    check: str | None = None
    compress: str | None = None  # "gzip": upstream is plain, stored gzipped (as in the mirror)
    optional: bool = False

    def resolved(self, day: date | None) -> "DataFile":
        """The file for one day: `{date}` in the name and URLs replaced by YYYY-MM-DD."""
        if day is None:
            return self
        iso = day.isoformat()
        return DataFile(self.name.replace("{date}", iso), tuple(u.replace("{date}", iso) for u in self.urls),
                        self.sha256, self.size, self.check, self.compress, self.optional)


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    kind: Kind
    folder: str
    licence: str
    attribution: str
    homepage: str = ""
    dated: bool = False
    origin: str = ""
    host: str = ""
    port: int = 0
    minutes: float = 10.0
    files: tuple[DataFile, ...] = field(default_factory=tuple)

    def files_for(self, day: date | None) -> tuple[DataFile, ...]:
        if self.dated and day is None:
            raise CatalogError(f"data set {self.name!r} is published per day: give a date (--date YYYY-MM-DD)")
        if not self.dated and day is not None:
            raise CatalogError(f"data set {self.name!r} is not published per day: drop the date")
        return tuple(f.resolved(day) for f in self.files)


_SAFE_PATH = re.compile(r"^[A-Za-z0-9_.{}\-]+(/[A-Za-z0-9_.{}\-]+)*$")


def _relative(path: str, where: str) -> str:
    """A catalog path must stay inside the mirror/cache (no absolute paths, no '..')."""
    if not _SAFE_PATH.match(path) or ".." in PurePosixPath(path).parts:
        raise CatalogError(f"{where}: path {path!r} must be relative, without '..' or unusual characters")
    return path


def _file(raw: dict, where: str) -> DataFile:
    unknown = set(raw) - {"name", "urls", "sha256", "size", "check", "compress", "optional"}
    if unknown:
        raise CatalogError(f"{where}: unknown keys {sorted(unknown)}")
    if "name" not in raw:
        raise CatalogError(f"{where}: a file needs a name")
    check = raw.get("check")
    if check is not None and check not in CHECKS:
        raise CatalogError(f"{where}: check must be one of {CHECKS}, got {check!r}")
    if raw.get("compress") not in (None, "gzip"):
        raise CatalogError(f"{where}: compress must be 'gzip'")
    sha = raw.get("sha256")
    if sha is not None and not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise CatalogError(f"{where}: sha256 must be 64 lower-case hex digits")
    return DataFile(_relative(raw["name"], where), tuple(raw.get("urls", ())), sha, raw.get("size"), check,
                    raw.get("compress"), bool(raw.get("optional", False)))


def parse_catalog(doc: dict, origin: str = "catalog") -> dict[str, Dataset]:
    """Data sets by name from a parsed catalog document; any defect names the set and key."""
    out: dict[str, Dataset] = {}
    for name, raw in doc.items():
        where = f"{origin} [{name}]"
        kind = raw.get("kind")
        if kind not in KINDS:
            raise CatalogError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
        for key in ("title", "folder", "licence", "attribution"):
            if not raw.get(key):
                raise CatalogError(f"{where}: {key!r} is required")
        files = tuple(_file(f, f"{where} file {i + 1}") for i, f in enumerate(raw.get("files", [])))
        if kind == "download" and any(not f.urls and not f.optional for f in files):
            raise CatalogError(f"{where}: every required file of a download needs urls")
        if kind != "stream" and not files:
            raise CatalogError(f"{where}: no files")
        if kind == "stream" and not (raw.get("host") and raw.get("port")):
            raise CatalogError(f"{where}: a stream needs host and port")
        out[name] = Dataset(
            name=name, title=raw["title"], kind=kind, folder=_relative(raw["folder"], where), licence=raw["licence"],
            attribution=raw["attribution"], homepage=raw.get("homepage", ""), dated=bool(raw.get("dated", False)),
            origin=raw.get("origin", ""), host=raw.get("host", ""), port=int(raw.get("port", 0)),
            minutes=float(raw.get("minutes", 10.0)), files=files,
        )
    return out


@cache
def catalog() -> dict[str, Dataset]:
    """The packaged catalog."""
    text = resources.files("seawarden.ingest.fetch").joinpath("catalog.toml").read_text("utf-8")
    return parse_catalog(tomllib.loads(text), "catalog.toml")


def dataset(name: str) -> Dataset:
    try:
        return catalog()[name]
    except KeyError:
        known = ", ".join(sorted(catalog()))
        raise CatalogError(f"unknown data set {name!r}; known: {known}") from None
