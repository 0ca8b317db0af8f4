"""identity_change: a vessel's name, call sign or IMO changes under one MMSI; one IMO is heard
under two MMSIs (a clone, or a re-flag when the MMSIs' country digits differ).

Static reports are rare next to positions, so this runs in Python over the rows whose identity
differs from what is already known; the rest are skipped with vectorised comparisons.
"""

from __future__ import annotations

from typing import Any


from seawarden.detect.base import Detector, RawEvents, clamp_severity
from seawarden.detect.event import Event
from seawarden.track.identity import IdentityRecord, StaticRows, mid_country

SEVERITY = {"name_change": 2, "callsign_change": 2, "imo_change": 3, "flag_change": 3, "shared_imo": 4}


class IdentityChange(Detector):
    name = "identity_change"
    SUBTYPES = tuple(SEVERITY)

    def __init__(self, config, engine) -> None:
        super().__init__(config, engine)
        self.records: dict[int, IdentityRecord] = {}
        self.imo_seen: dict[int, dict[int, int]] = {}  # imo -> {mmsi: last ts}

    def process(self, chunk) -> RawEvents:
        return RawEvents.empty(0)

    def _event(self, subtype: str, mmsi: int, ts: int, evidence: dict[str, Any], related: int | None = None) -> Event:
        # no position: static and position streams are reordered independently, so "the latest
        # fix" at this moment would depend on batching; consumers join the track by mmsi + time
        evidence["track"] = []
        return Event(type=self.name, subtype=subtype, mmsi=mmsi, start=ts, end=ts, lat=None, lon=None,
                     severity=clamp_severity(SEVERITY[subtype]), status="closed", detected_at=ts, evidence=evidence,
                     config={"profile": "default", **self.profiles[0]}, related_mmsi=related)

    def process_static(self, rows: StaticRows) -> list[Event]:
        window = int(float(self.profiles[0]["shared_imo_window_s"]) * 1000)
        out: list[Event] = []
        recs = self.records
        for i in range(len(rows)):
            mmsi = int(rows.mmsi[i])
            ts = int(rows.ts[i])
            imo = int(rows.imo[i]) if rows.imo[i] >= 0 else None
            name, callsign = rows.name[i], rows.callsign[i]
            st = int(rows.ship_type[i]) if rows.ship_type[i] >= 0 else None
            rec = recs.get(mmsi)
            if rec is None:
                rec = recs[mmsi] = IdentityRecord()
            elif (name is None or name == rec.name) and (callsign is None or callsign == rec.callsign) \
                    and (imo is None or imo == rec.imo):
                rec.last_ts = ts
                if imo is not None:
                    self.imo_seen[imo][mmsi] = ts
                continue
            for fname, old, new in rec.update(ts, name, callsign, imo, st):
                out.append(self._event(f"{fname}_change", mmsi, ts, {"field": fname, "old": old, "new": new}))
            if imo is None:
                continue
            seen = self.imo_seen.setdefault(imo, {})
            for other, last in list(seen.items()):
                if other == mmsi:
                    continue
                mid_a, cc_a = mid_country(other)
                mid_b, cc_b = mid_country(mmsi)
                ev = {"imo": imo, "other_mmsi": other, "other_last_seen_s_ago": (ts - last) / 1000.0,
                      "mid_before": mid_a, "flag_before": cc_a, "mid_now": mid_b, "flag_now": cc_b}
                if ts - last <= window:
                    out.append(self._event("shared_imo", mmsi, ts, dict(ev), related=other))
                if mid_a != mid_b and other in seen:
                    out.append(self._event("flag_change", mmsi, ts, dict(ev), related=other))
                del seen[other]  # report each MMSI pair once per handover
            seen[mmsi] = ts
        return out
