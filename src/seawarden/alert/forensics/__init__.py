"""After-fault forensics: rank the vessels that crossed or lingered over an asset ("suspects") and
write evidence packs an analyst can hand on.

    from seawarden.alert.forensics import rank_suspects, write_evidence_pack
    report = rank_suspects(store, asset_index, "Estlink 2", t0, t1)
"""

from seawarden.alert.forensics.config import ForensicsInputError, SuspectConfig
from seawarden.alert.forensics.report import Crossing, EventRef, Gap, Reason, Suspect, SuspectReport
from seawarden.alert.forensics.suspects import fetch_tracks, rank_suspects

__all__ = ["Crossing", "EventRef", "ForensicsInputError", "Gap", "Reason", "Suspect", "SuspectConfig", "SuspectReport",
           "fetch_tracks", "rank_suspects"]
