"""The one detector interface.

A detector is a class in its own module with a compiled kernel that folds time-ordered
TrackChunks into per-vessel state and emits raw event rows. Because the kernel is a
sequential fold over a stream that the engine makes identical for any batching, a detector's
events are the same whether it is fed message by message, in micro-batches or a whole archive.

Raw event rows (NumPy, written inside kernels):
  ei int64 [k, 10]: upto, slot, status, start_ms, end_ms, detected_ms, asset, other_slot, profile, subtype
  ef float64 [k, 2 + len(VALUES)]: lat, lon, values...
`upto` = number of chunk rows the stream had delivered when the event was emitted (evidence).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import numba as nb
import numpy as np

from seawarden.detect.config import DetectConfig, param_matrix
from seawarden.track.state import NO_TIME, SlotArrays
from seawarden.track.tracker import TrackChunk

if TYPE_CHECKING:
    from seawarden.detect.engine import DetectionEngine

ST_OPEN, ST_CLOSED, ST_UPDATE = 0, 1, 2
STATUS_NAMES = ("open", "closed", "update")
N_EI = 10


@nb.njit(cache=True, nogil=True)
def emit(ei, ef, n, upto, slot, status, start, end, detected, asset, other, profile, subtype, lat, lon):
    """Append one raw event row (growing the buffers); returns (ei, ef, n + 1)."""
    if n >= ei.shape[0]:
        ei2 = np.empty((ei.shape[0] * 2, ei.shape[1]), np.int64)
        ef2 = np.full((ef.shape[0] * 2, ef.shape[1]), np.nan)
        ei2[:n] = ei[:n]
        ef2[:n] = ef[:n]
        ei, ef = ei2, ef2
    ei[n, 0] = upto
    ei[n, 1] = slot
    ei[n, 2] = status
    ei[n, 3] = start
    ei[n, 4] = end
    ei[n, 5] = detected
    ei[n, 6] = asset
    ei[n, 7] = other
    ei[n, 8] = profile
    ei[n, 9] = subtype
    ef[n, 0] = lat
    ef[n, 1] = lon
    for j in range(2, ef.shape[1]):
        ef[n, j] = np.nan
    return ei, ef, n + 1


class RawEvents:
    def __init__(self, ei: np.ndarray, ef: np.ndarray, n: int) -> None:
        self.ei, self.ef, self.n = ei[:n], ef[:n], n

    @staticmethod
    def empty(n_values: int) -> "RawEvents":
        return RawEvents(np.empty((0, N_EI), np.int64), np.empty((0, 2 + n_values)), 0)


class Detector:
    """Base class. Subclasses set the class attributes and implement `process` (and `finish`)."""

    name: ClassVar[str]
    PARAMS: ClassVar[tuple[str, ...]] = ()  # numeric parameters, kernel order
    VALUES: ClassVar[tuple[str, ...]] = ()  # numbers each raw event carries
    SUBTYPES: ClassVar[tuple[str, ...]] = ("",)
    STATE: ClassVar[dict[str, tuple[Any, Any, tuple[int, ...]]]] = {}
    CODES: ClassVar[dict[str, dict[str, float]]] = {}  # words allowed for text parameters

    def __init__(self, config: DetectConfig, engine: "DetectionEngine") -> None:
        self.config = config
        self.engine = engine
        self.profiles = [{k: v for k, v in p.items() if k != "enabled"} for p in config.detector_profiles(self.name)]
        self.P = param_matrix(self.profiles, self.PARAMS, f"detectors.{self.name}", self.CODES)
        self.state = SlotArrays(self.STATE) if self.STATE else None

    # -- hooks ---------------------------------------------------------------------------------
    def buffers(self, cap: int = 64) -> tuple[np.ndarray, np.ndarray]:
        return np.empty((cap, N_EI), np.int64), np.full((cap, 2 + len(self.VALUES)), np.nan)

    def grow(self, n_vessels: int) -> None:
        if self.state is not None:
            self.state.ensure(n_vessels)

    def process(self, chunk: TrackChunk) -> RawEvents:
        raise NotImplementedError

    def process_static(self, static: Any) -> list:
        """Detectors that read static/voyage data return finished Event objects here."""
        return []

    def finish(self) -> RawEvents:
        """End of stream: events that only the end of data reveals (default none)."""
        return RawEvents.empty(len(self.VALUES))

    def evidence(self, values: dict[str, float], params: dict[str, Any], subtype: str) -> dict[str, Any]:
        """Thresholds crossed, as {name: {"value": v, "threshold": t}} plus context numbers."""
        return {k: _num(v) for k, v in values.items()}

    def severity(self, values: dict[str, float], params: dict[str, Any], subtype: str, asset_criticality: int,
                 in_corridor: bool) -> int:
        return 1


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), 3)


def crossed(value: float, threshold: float) -> dict[str, float | None]:
    return {"value": _num(value), "threshold": _num(threshold)}


def clamp_severity(s: int) -> int:
    return int(min(5, max(1, s)))


__all__ = ["Detector", "RawEvents", "emit", "crossed", "clamp_severity", "NO_TIME", "ST_OPEN", "ST_CLOSED",
           "ST_UPDATE", "STATUS_NAMES"]
