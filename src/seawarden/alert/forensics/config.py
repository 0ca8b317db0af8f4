"""Forensics configuration: packaged TOML defaults (suspects.toml) with a user file merged over them.

Weights live in the file, not in code, so an operations centre can tune what "suspicious" means
and every printed point can be traced to a documented key.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from seawarden.config_file import read_toml


class ForensicsInputError(ValueError):
    """A query argument or configuration the forensics cannot use; the message says which and why."""


def _merge(base: dict[str, Any], over: dict[str, Any], where: str) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if key not in base:
            raise ForensicsInputError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(base))})")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ForensicsInputError(f"{where}: [{key}] must be a table")
            out[key] = _merge(base[key], value, f"{where}.{key}")
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass(frozen=True)
class SuspectConfig:
    """The merged suspects.toml. Sections: search, speed, gaps, detectors, weights, profile."""

    raw: dict[str, Any]

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        text = resources.files("seawarden.alert.forensics").joinpath("suspects.toml").read_text("utf-8")
        return tomllib.loads(text)

    @classmethod
    def from_dict(cls, user: dict[str, Any] | None = None) -> "SuspectConfig":
        return cls(_merge(cls.defaults(), user or {}, "suspects config"))

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SuspectConfig":
        if path is None:
            return cls.from_dict({})
        return cls.from_dict(read_toml(path, "suspects config", ForensicsInputError))

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.raw[section]

    def f(self, section: str, key: str) -> float:
        return float(self.raw[section][key])
