"""Optional context layers for detectors (World Port Index, 1 km land mask), loaded once per
detector. A missing package (extra "context") switches the dependent rule off and is counted in
the engine stats under `<detector>_<layer>_unavailable`, never a crash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from seawarden.assets.context import ContextUnavailable, PortIndex, land_mask


def port_index_or_none(stats: Any, detector: str) -> PortIndex | None:
    try:
        return PortIndex.build()
    except ContextUnavailable:
        stats[f"{detector}_ports_unavailable"] += 1
        return None


def land_mask_or_none(stats: Any, detector: str) -> Callable | None:
    try:
        return land_mask()
    except ContextUnavailable:
        stats[f"{detector}_land_mask_unavailable"] += 1
        return None
