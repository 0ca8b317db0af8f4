"""ISO 8601 UTC <-> epoch milliseconds, the only time representations labels and events use."""

from __future__ import annotations

import re

import numpy as np

_ZONE = re.compile(r"(Z|[+-]00:?00)$")


def iso_ms(t_ms: float) -> str:
    """Epoch milliseconds -> ISO 8601 UTC with a 'Z' (second resolution)."""
    return np.datetime_as_string(np.datetime64(int(round(t_ms)), "ms"), unit="s") + "Z"


def parse_iso_ms(text: str) -> int:
    """ISO 8601 (UTC: 'Z', '+00:00' or no zone) -> epoch milliseconds; ValueError on anything else."""
    if not isinstance(text, str):
        raise ValueError(f"expected an ISO 8601 string, got {text!r}")
    s = _ZONE.sub("", text.strip())
    if re.search(r"[+-]\d\d:?\d\d$", s) and "T" in s and s.rfind("-") > s.find("T"):
        raise ValueError(f"time {text!r} is not UTC")
    try:
        return int(np.datetime64(s, "ms").astype(np.int64))
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from exc
