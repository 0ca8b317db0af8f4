"""Explainable risk, 0-100, per vessel and per asset: every point is an event or a profile fact
with its configured weight (defaults.toml [risk.*]).

Points of one contribution = weight x factor, where the factor of an event is
(severity / 5) x criticality factor of its asset x 0.5 ** (age / half-life). Two proportional
caps keep the scale readable and the explanation exact: events of one type give at most
``max_per_type`` x their weight, and a total above 100 scales every contribution down by the
same ratio. The breakdown therefore always sums to the total.

Scoring works on columns (an EVENT_LOG table, STATIC_LATEST rows, NumPy arrays): thousands of
vessels cost a few vectorised passes; reason strings are only built for the vessel explained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawarden.alert.config import AlertSettings
from seawarden.alert.profile import FlagList, imo_check_valid
from seawarden.alert.watchlist import Watchlist
from seawarden.detect.event import iso

DAY_MS = 86_400_000


@dataclass(frozen=True)
class RiskEntry:
    points: float  # what this adds to the total
    weight: float  # the configured weight it comes from
    factor: float  # points = weight * factor (severity, criticality, age, caps)
    reason: str
    ref: str  # an event_id, or the fact's name
    source: str  # "event" | "fact"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["points"], d["factor"] = round(self.points, 3), round(self.factor, 4)
        return d


@dataclass(frozen=True)
class RiskScore:
    subject: str
    total: float
    breakdown: list[RiskEntry]
    at_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "total": round(self.total, 2), "at": iso(self.at_ms),
                "breakdown": [e.to_dict() for e in self.breakdown]}


@dataclass
class _Parts:
    """Long-format contributions: one row per (subject, event or fact)."""

    group: np.ndarray  # subject index
    weight: np.ndarray
    factor: np.ndarray
    capkey: np.ndarray  # contributions sharing a cap key (>= 0) are capped together
    cap: np.ndarray  # cap of that key (inf = none)
    label: list[Any]  # lazily formatted reason payloads

    @staticmethod
    def concat(parts: list["_Parts"]) -> "_Parts":
        return _Parts(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("group", "weight", "factor", "capkey", "cap")),
                      [x for p in parts for x in p.label])


def _combine(n: int, p: _Parts) -> tuple[np.ndarray, np.ndarray]:
    """Apply the per-key caps, then the 100 ceiling; return (points per row, total per group)."""
    raw = p.weight * p.factor
    scale = np.ones_like(raw)
    keyed = p.capkey >= 0
    if keyed.any():
        _, inv = np.unique(p.capkey[keyed], return_inverse=True)
        sums = np.bincount(inv, weights=raw[keyed])
        caps = np.zeros(len(sums))
        caps[inv] = p.cap[keyed]
        k_scale = np.where(sums > caps, caps / np.where(sums > 0, sums, 1.0), 1.0)
        scale[keyed] = k_scale[inv]
    pts = raw * scale
    tot = np.bincount(p.group, weights=pts, minlength=n)
    over = np.where(tot > 100.0, 100.0 / np.where(tot > 0, tot, 1.0), 1.0)
    pts = pts * over[p.group]
    return pts, np.minimum(np.bincount(p.group, weights=pts, minlength=n), 100.0)


class RiskScorer:
    """Scores vessels and assets from the event log, static identity, a watchlist and the asset table."""

    def __init__(self, settings: AlertSettings | None = None, watchlist: Watchlist | None = None,
                 criticality: dict[str, int] | None = None, asset_names: dict[str, str] | None = None,
                 flags: FlagList | None = None) -> None:
        self.settings = settings or AlertSettings.load()
        r = self.settings.risk
        self.r = r
        self.watchlist = watchlist
        self.criticality = dict(criticality or {})
        self.asset_names = dict(asset_names or {})
        self.flags = flags or FlagList.load(r["flags_of_convenience"])
        self.half_life_ms = float(r["half_life_days"]) * DAY_MS
        self.horizon_ms = float(r["horizon_days"]) * DAY_MS

    @classmethod
    def with_assets(cls, assets, **kw) -> "RiskScorer":
        """Take criticality and names from a seawarden.assets.AssetTable."""
        return cls(criticality={str(i): int(c) for i, c in zip(assets.id, assets.criticality)},
                   asset_names={str(i): str(n) for i, n in zip(assets.id, assets.name)}, **kw)

    # -- events ---------------------------------------------------------------------------------
    def _events(self, events: pa.Table, group: np.ndarray, now_ms: int, cap_base: int) -> _Parts:
        """Event contributions; ``group`` maps each event row to its subject (-1 = not scored)."""
        weights = self.r["events"]
        types = np.asarray(events["type"].to_numpy(zero_copy_only=False), dtype=object)
        w = np.array([float(weights.get(t, 0.0)) for t in types], dtype=np.float64)
        at = np.asarray(pc.coalesce(events["end_ms"], events["detected_ms"]).to_numpy(zero_copy_only=False), dtype=np.int64)
        start = events["start_ms"].to_numpy()
        age = np.maximum(now_ms - at, 0)
        keep = (group >= 0) & (w > 0) & (start <= now_ms) & (age <= self.horizon_ms)
        idx = np.flatnonzero(keep)
        sev = events["severity"].to_numpy().astype(np.float64)[idx]
        asset = np.asarray(events["asset_id"].to_numpy(zero_copy_only=False), dtype=object)[idx]
        crit = np.array([self.criticality.get(a, 3) if a else 0 for a in asset], dtype=np.int64)
        factors = np.asarray(self.r["criticality"]["factors"], dtype=np.float64)
        cfac = np.where(crit > 0, factors[np.clip(crit, 1, 5) - 1], float(self.r["criticality"]["none"]))
        decay = 0.5 ** (age[idx] / self.half_life_ms)
        factor = sev / 5.0 * cfac * decay
        _, type_code = np.unique(types[idx], return_inverse=True)
        g = group[idx]
        capkey = cap_base + g * 64 + type_code
        cap = float(self.r["max_per_type"]) * w[idx]
        eid = events["event_id"].to_numpy(zero_copy_only=False)
        names = events["asset_name"].to_numpy(zero_copy_only=False)
        sub = events["subtype"].to_numpy(zero_copy_only=False)
        mmsi = events["mmsi"].to_numpy()
        label = [("event", eid[j], types[j], sub[j], int(sev[k]), asset[k], names[j], int(crit[k]), int(age[j]), int(start[j]),
                  int(mmsi[j])) for k, j in enumerate(idx)]
        return _Parts(g, w[idx], factor, capkey.astype(np.int64), cap, label)

    def _event_reason(self, lab: tuple) -> str:
        _, _, typ, sub, sev, asset, name, crit, age, start, _ = lab
        where = ""
        if asset:
            known = asset in self.criticality
            where = f" at {name or self.asset_names.get(asset, asset)} (criticality {crit}{'' if known else ' assumed'})"
        kind = f"{typ}/{sub}" if sub else typ
        return f"{kind} severity {sev}{where} on {iso(start)}, {age / DAY_MS:.1f} d old"

    # -- profile facts ---------------------------------------------------------------------------
    def _facts(self, mmsi: np.ndarray, static: pa.Table | None) -> _Parts:
        f = self.r["facts"]
        n = len(mmsi)
        imo = np.full(n, -1, np.int64)
        ship_type = np.full(n, -1, np.int64)
        names = np.full(n, None, dtype=object)
        if static is not None and static.num_rows:
            s_mmsi = static["mmsi"].to_numpy().astype(np.int64)
            order = np.argsort(s_mmsi)
            pos = np.clip(np.searchsorted(s_mmsi[order], mmsi), 0, len(order) - 1)
            hit = s_mmsi[order][pos] == mmsi
            row = order[pos]
            s_imo = pc.fill_null(static["imo"], 0).to_numpy().astype(np.int64)
            s_type = pc.fill_null(static["ship_type"], 255).to_numpy().astype(np.int64)
            s_name = np.asarray(static["name"].to_numpy(zero_copy_only=False), dtype=object)
            imo = np.where(hit, np.where(s_imo[row] > 0, s_imo[row], -1), -1)
            ship_type = np.where(hit & (s_type[row] != 255), s_type[row], -1)
            names = np.where(hit, s_name[row], None)
        rows: list[tuple[int, float, tuple]] = []
        country = self.flags.countries(mmsi)
        for i in np.flatnonzero(country != None):  # noqa: E711 -- object array comparison
            rows.append((i, float(f["flag_of_convenience"]), ("fact", "flag_of_convenience", f"flag of convenience: MID "
                         f"{int(mmsi[i]) // 1_000_000} = {country[i]} ({self.flags.name})")))
        has_imo = imo > 0
        valid = np.zeros(n, bool)
        valid[has_imo] = imo_check_valid(imo[has_imo])
        for i in np.flatnonzero(has_imo & ~valid):
            rows.append((i, float(f["imo_invalid"]), ("fact", "imo_invalid", f"IMO {imo[i]} fails the IMO check digit")))
        for i in np.flatnonzero(~has_imo & (ship_type >= 70) & (ship_type <= 89)):
            rows.append((i, float(f["imo_missing"]), ("fact", "imo_missing",
                                                      f"no IMO number although ship type {ship_type[i]} (cargo/tanker)")))
        if self.watchlist is not None and len(self.watchlist):
            matches = self.watchlist.match(mmsi, imo, names, min_similarity=float(f["watchlist_min_similarity"]),
                                           min_name_len=int(f["watchlist_min_name_len"]))
            for i, ms in enumerate(matches):
                if not ms:
                    continue
                scored = [(float(f[f"watchlist_{m.field}"]) * (m.similarity / 100.0 if m.field == "name" else 1.0), m) for m in ms]
                pts, best = max(scored, key=lambda x: x[0])
                weight = float(f[f"watchlist_{best.field}"])
                rows.append((i, weight, ("fact", f"watchlist_{best.field}", "; ".join(m.describe() for _, m in scored),
                                         pts / weight if weight else 0.0)))
        group = np.array([r[0] for r in rows], dtype=np.int64)
        weight = np.array([r[1] for r in rows], dtype=np.float64)
        factor = np.array([r[2][3] if len(r[2]) > 3 else 1.0 for r in rows], dtype=np.float64)
        return _Parts(group, weight, factor, np.full(len(rows), -1, np.int64), np.full(len(rows), np.inf),
                      [r[2][:3] for r in rows])

    # -- public API -------------------------------------------------------------------------------
    def score_vessels(self, mmsis, events: pa.Table, now_ms: int, static: pa.Table | None = None) -> "RiskTable":
        """Scores of the listed vessels from the event log (EVENT_LOG) and STATIC_LATEST rows."""
        mmsi = np.unique(np.asarray(mmsis, dtype=np.int64))
        ev_mmsi = events["mmsi"].to_numpy().astype(np.int64)
        group = np.full(len(ev_mmsi), -1, np.int64)
        if len(mmsi):
            pos = np.clip(np.searchsorted(mmsi, ev_mmsi), 0, len(mmsi) - 1)
            group = np.where(mmsi[pos] == ev_mmsi, pos, -1)
        parts = _Parts.concat([self._facts(mmsi, static), self._events(events, group, now_ms, 0)])
        pts, tot = _combine(len(mmsi), parts)
        return RiskTable(self, [f"vessel {m}" for m in mmsi], mmsi, tot, parts, pts, now_ms)

    def score_assets(self, asset_ids, events: pa.Table, now_ms: int, static: pa.Table | None = None) -> "RiskTable":
        """Scores of assets: criticality baseline + events at the asset + the profile of the vessels involved."""
        ids = np.array(sorted({str(a) for a in asset_ids}), dtype=object)
        n = len(ids)
        lookup = {a: i for i, a in enumerate(ids)}
        ev_asset = np.asarray(events["asset_id"].to_numpy(zero_copy_only=False), dtype=object)
        group = np.array([lookup.get(a, -1) if a else -1 for a in ev_asset], dtype=np.int64)
        base_pts = np.asarray(self.r["asset"]["criticality_points"], dtype=np.float64)
        crit = np.array([self.criticality.get(a, 3) for a in ids], dtype=np.int64)
        base = _Parts(np.arange(n), base_pts[crit - 1], np.ones(n), np.full(n, -1, np.int64), np.full(n, np.inf),
                      [("fact", "criticality", f"asset criticality {c}{'' if a in self.criticality else ' (assumed)'}")
                       for a, c in zip(ids, crit)])
        ev = self._events(events, group, now_ms, 0)
        # vessels involved: their profile (facts only -- their events here are already counted)
        involved = sorted({(int(g), lab[10]) for g, lab in zip(ev.group, ev.label)})
        if involved:
            v_mmsi = np.array(sorted({m for _, m in involved}), dtype=np.int64)
            vf = self._facts(v_mmsi, static)
            _, v_tot = _combine(len(v_mmsi), vf)
            share = float(self.r["asset"]["vessel_profile_share"])
            rows = [(g, m, v_tot[np.searchsorted(v_mmsi, m)]) for g, m in involved]
            rows = [r for r in rows if r[2] > 0]
            why = {int(v_mmsi[g]): [] for g in vf.group}
            for g, lab in zip(vf.group, vf.label):
                why[int(v_mmsi[g])].append(lab[2])
            prof = _Parts(np.array([r[0] for r in rows], np.int64), np.full(len(rows), share * 100.0),
                          np.array([r[2] / 100.0 for r in rows]), np.full(len(rows), -1, np.int64), np.full(len(rows), np.inf),
                          [("fact", f"vessel:{m}", f"vessel {m} with events here has profile risk {p:.1f}: "
                            + "; ".join(why.get(m, []))) for _, m, p in rows])
        else:
            prof = _Parts(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0, np.int64), np.empty(0), [])
        parts = _Parts.concat([base, ev, prof])
        pts, tot = _combine(n, parts)
        return RiskTable(self, [f"asset {self.asset_names.get(a, a)}" for a in ids], ids, tot, parts, pts, now_ms)


class RiskTable:
    """Totals of many subjects; ``explain(key)`` builds one subject's breakdown from the same numbers."""

    def __init__(self, scorer: RiskScorer, subjects: list[str], keys: np.ndarray, totals: np.ndarray, parts: _Parts,
                 points: np.ndarray, now_ms: int) -> None:
        self.scorer, self.subjects, self.keys, self.totals = scorer, subjects, keys, totals
        self.parts, self.points, self.now_ms = parts, points, now_ms

    def __len__(self) -> int:
        return len(self.keys)

    def total(self, key) -> float:
        return float(self.totals[self._index(key)])

    def _index(self, key) -> int:
        hits = np.flatnonzero(self.keys == (int(key) if self.keys.dtype.kind in "iu" else str(key)))
        if not len(hits):
            raise KeyError(f"{key!r} was not scored")
        return int(hits[0])

    def explain(self, key) -> RiskScore:
        i = self._index(key)
        rows = np.flatnonzero(self.parts.group == i)
        entries = []
        for r in rows:
            lab = self.parts.label[r]
            w = float(self.parts.weight[r])
            pts = float(self.points[r])
            if lab[0] == "event":
                entries.append(RiskEntry(pts, w, pts / w if w else 0.0, self.scorer._event_reason(lab), str(lab[1]), "event"))
            else:
                entries.append(RiskEntry(pts, w, pts / w if w else 0.0, str(lab[2]), str(lab[1]), "fact"))
        entries.sort(key=lambda e: -e.points)
        return RiskScore(self.subjects[i], float(self.totals[i]), entries, self.now_ms)

    def to_arrow(self) -> pa.Table:
        key_type = pa.uint32() if self.keys.dtype.kind in "iu" else pa.string()
        return pa.table({"key": pa.array(self.keys.tolist(), key_type), "subject": self.subjects,
                         "total": pa.array(self.totals, pa.float64())})
