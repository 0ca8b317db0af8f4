"""Risk-profile reasons of a suspect: who the vessel is, independent of what it did here.

`seawarden.alert.risk` owns the profile score (flags of convenience, IMO, watchlist, with its
own weights); when importable its 0..100 fact score is used, scaled by ``weights.profile_scale``.
Without it only the facts checkable without a policy list are scored: missing/invalid IMO, no
static report ([profile] weights).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyarrow as pa

from seawarden.alert.forensics.config import SuspectConfig
from seawarden.alert.forensics.report import Reason

#: (mmsis, STATIC_LATEST rows of them, reference time ms, config) -> reasons per mmsi
ProfileScorer = Callable[[Sequence[int], pa.Table, int, SuspectConfig], dict[int, list[Reason]]]

#: AIS ship types 70-89: cargo and tankers, which are IMO-registered when international
IMO_EXPECTED_TYPES = range(70, 90)


def imo_valid(imo: int) -> bool:
    """IMO ship number check digit: the 7th digit is the last digit of sum(d_i * (7 - i)) over the first six."""
    if not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], range(7, 1, -1))) % 10 == digits[6]


def builtin_profile(mmsis: Sequence[int], static: pa.Table, at_ms: int, cfg: SuspectConfig) -> dict[int, list[Reason]]:
    w = cfg["profile"]
    rows = {int(r["mmsi"]): r for r in static.to_pylist()}
    out: dict[int, list[Reason]] = {}
    for m in mmsis:
        r = rows.get(int(m))
        reasons: list[Reason] = []
        if r is None:
            reasons.append(Reason("profile.no_static", float(w["no_static"]), "never sent a static/voyage report (no name, type or IMO on record)"))
        else:
            imo, st = r.get("imo"), r.get("ship_type")
            if imo and not imo_valid(int(imo)):
                reasons.append(Reason("profile.invalid_imo", float(w["invalid_imo"]), f"IMO {imo} fails the IMO check digit",
                                      {"imo": int(imo)}))
            elif not imo and st is not None and st in IMO_EXPECTED_TYPES:
                reasons.append(Reason("profile.missing_imo", float(w["missing_imo"]), f"cargo/tanker (AIS type {st}) without an IMO number",
                                      {"ship_type": int(st)}))
        out[int(m)] = reasons
    return out


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


def default_profile() -> tuple[ProfileScorer, str]:
    scorer, name = risk_module_profile()
    if scorer is not None:
        return scorer, name
    return builtin_profile, "built-in identity checks (seawarden.alert.risk not installed)"
