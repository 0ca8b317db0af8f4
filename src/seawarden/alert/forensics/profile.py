"""Risk-profile reasons of a suspect: who the vessel is, independent of what it did here.

The seam: `seawarden.alert.risk` (built in parallel) owns the real profile score (flags of
convenience, watchlists, identity changes, decay). When it exposes
``profile_scores(mmsis, static_latest, at_ms) -> {mmsi: (score_0_100, [(fact, points), ...])}``
it is used and its 0..100 score is scaled by ``weights.profile_scale``. Until then only the facts
this module can check without a policy list are scored: missing/invalid IMO, no static report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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
    """The risk module's scorer wrapped as a ProfileScorer, if it is installed and has the agreed function."""
    try:
        from seawarden.alert import risk  # type: ignore[attr-defined]
    except ImportError:
        return None, ""
    fn: Any = getattr(risk, "profile_scores", None)
    if fn is None:
        return None, ""

    def scorer(mmsis: Sequence[int], static: pa.Table, at_ms: int, cfg: SuspectConfig) -> dict[int, list[Reason]]:
        scale = float(cfg["weights"]["profile_scale"])
        out: dict[int, list[Reason]] = {}
        for m, (score, facts) in fn(list(mmsis), static, at_ms).items():
            text = "; ".join(f"{f} ({p:+.0f})" for f, p in facts) or "no profile facts"
            out[int(m)] = [Reason("profile.risk", float(score) * scale, f"risk profile {score:.0f}/100: {text}",
                                  {"risk_score": float(score), "facts": [[f, p] for f, p in facts]})] if score else []
        return out

    return scorer, "seawarden.alert.risk"


def default_profile() -> tuple[ProfileScorer, str]:
    scorer, name = risk_module_profile()
    if scorer is not None:
        return scorer, name
    return builtin_profile, "built-in identity checks (seawarden.alert.risk not installed)"
