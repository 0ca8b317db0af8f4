"""Alert, sink and risk settings: the packaged defaults.toml with a user TOML merged over it.

Weights and thresholds live in TOML, never in code, so an operator can tune them and an
explanation can quote them. Unknown keys are refused by name: a typo must not silently fall
back to a default.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from seawarden.config_file import read_toml


#: sections whose keys are event types: new detector types may be added there
_OPEN_SECTIONS = {("alerts", "min_severity"), ("alerts", "kind_of"), ("risk", "events")}


def _merge(base: dict[str, Any], over: dict[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if k not in base and path not in _OPEN_SECTIONS:
            where = f"[{'.'.join(path)}]" if path else "the top level"
            raise ValueError(f"alert config: unknown key {k!r} in {where} (known: {', '.join(sorted(base))})")
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, (*path, k))
        else:
            out[k] = copy.deepcopy(v)
    return out


def packaged_defaults() -> dict[str, Any]:
    return tomllib.loads(resources.files("seawarden.alert").joinpath("defaults.toml").read_text("utf-8"))


@dataclass(frozen=True)
class AlertSettings:
    """The merged document; typed accessors for what the code reads often."""

    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, user: dict[str, Any] | None = None) -> "AlertSettings":
        raw = _merge(packaged_defaults(), user or {})
        settings = cls(raw)
        settings.validate()
        return settings

    @classmethod
    def load(cls, path: str | Path | None = None) -> "AlertSettings":
        if path is None:
            return cls.from_dict()
        return cls.from_dict(read_toml(path, "alert config"))

    def validate(self) -> None:
        for typ, sev in self.raw["alerts"]["min_severity"].items():
            if not isinstance(sev, int) or not 1 <= sev <= 6:
                raise ValueError(f"alert config: [alerts.min_severity] {typ} = {sev!r}; use 1..5 (6 = never alert)")
        if float(self.raw["alerts"]["merge_window_s"]) <= 0:
            raise ValueError("alert config: [alerts] merge_window_s must be > 0")
        if float(self.raw["alerts"]["rereport_notify_s"]) < 0:
            raise ValueError("alert config: [alerts] rereport_notify_s must be >= 0 (0 = notify every re-report)")
        risk = self.raw["risk"]
        if float(risk["half_life_days"]) <= 0:
            raise ValueError("alert config: [risk] half_life_days must be > 0")
        for name in ("factors",):
            if len(risk["criticality"][name]) != 5:
                raise ValueError("alert config: [risk.criticality] factors needs 5 values (criticality 1..5)")
        if len(risk["asset"]["criticality_points"]) != 5:
            raise ValueError("alert config: [risk.asset] criticality_points needs 5 values (criticality 1..5)")
        for section in ("facts", "events"):
            for k, v in risk[section].items():
                if not isinstance(v, (int, float)) or v < 0:
                    raise ValueError(f"alert config: [risk.{section}] {k} = {v!r} must be a number >= 0")

    # -- alerts -------------------------------------------------------------------------------
    def min_severity(self, event_type: str) -> int:
        a = self.raw["alerts"]
        return int(a["min_severity"].get(event_type, a["default_min_severity"]))

    def kind_of(self, event_type: str) -> str:
        return str(self.raw["alerts"]["kind_of"].get(event_type, event_type))

    @property
    def merge_window_ms(self) -> int:
        return int(float(self.raw["alerts"]["merge_window_s"]) * 1000)

    @property
    def rereport_notify_ms(self) -> int:
        return int(float(self.raw["alerts"]["rereport_notify_s"]) * 1000)

    # -- sections -----------------------------------------------------------------------------
    @property
    def webhook(self) -> dict[str, Any]:
        return dict(self.raw["sinks"]["webhook"])

    @property
    def live(self) -> dict[str, Any]:
        return dict(self.raw["sinks"]["live"])

    @property
    def risk(self) -> dict[str, Any]:
        return self.raw["risk"]
