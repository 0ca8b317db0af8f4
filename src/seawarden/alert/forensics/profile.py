"""Risk-profile reasons of a suspect: who the vessel is, independent of what it did here.

`seawarden.alert.risk` owns the profile score (flags of convenience, IMO, watchlist, with its
own weights); when importable its 0..100 fact score is used, scaled by ``weights.profile_scale``.
A caller may pass its own scorer (``rank_suspects(..., profile=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa

from seawarden.alert.forensics.config import SuspectConfig
from seawarden.alert.forensics.report import Reason

#: (mmsis, STATIC_LATEST rows of them, reference time ms, config) -> reasons per mmsi
ProfileScorer = Callable[[Sequence[int], pa.Table, int, SuspectConfig], dict[int, list[Reason]]]


def risk_module_profile() -> tuple[ProfileScorer | None, str]:
    """seawarden.alert.risk's profile facts (flag of convenience, IMO, watchlist) as a ProfileScorer, if installed.

    Only facts are scored here (an empty event log): this query's own detector events are already
    reasons of their own and must not count twice."""
    try:
        from seawarden.alert.base import EVENT_LOG
        from seawarden.alert.risk import RiskScorer
    except ImportError:
        return None, ""

    def scorer(mmsis: Sequence[int], static: pa.Table, at_ms: int, cfg: SuspectConfig) -> dict[int, list[Reason]]:
        scale = float(cfg["weights"]["profile_scale"])
        table = RiskScorer().score_vessels(list(mmsis), EVENT_LOG.empty_table(), at_ms, static)
        out: dict[int, list[Reason]] = {}
        for m in mmsis:
            risk = table.explain(int(m))
            if risk.total <= 0:
                continue
            facts = "; ".join(f"{e.reason} ({e.points:+.0f})" for e in risk.breakdown)
            out[int(m)] = [Reason("profile.risk", risk.total * scale, f"risk profile {risk.total:.0f}/100: {facts}",
                                  {"risk_score": round(risk.total, 2), "facts": [e.ref for e in risk.breakdown]})]
        return out

    return scorer, "seawarden.alert.risk (profile facts, x weights.profile_scale)"


def no_profile(mmsis: Sequence[int], static: pa.Table, at_ms: int, cfg: SuspectConfig) -> dict[int, list[Reason]]:
    return {}


def default_profile() -> tuple[ProfileScorer, str]:
    scorer, name = risk_module_profile()
    if scorer is not None:
        return scorer, name
    return no_profile, "none (seawarden.alert.risk not importable)"
