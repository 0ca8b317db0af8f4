"""Score detector events against a scenario's labels: hits, misses, false alarms, lead times, FA rates.

A label is hit by any event of the same type naming the label's MMSI whose [start, end] overlaps
the label's [start - tol, end + tol]. An event names its vessel (``mmsi``) and, for two-vessel
events, the other one (``related_mmsi``): a rendezvous is one event per pair, as GFW reports an
encounter once with both vessel ids, so it hits the labels of both vessels (one incident, one
alert and one patrol tasking, not two). Events that hit no label are false alarms, except log-type events
(``cable_crossing``) which are records, not alarms. The false-alarm rate is normalised per
1,000 vessel-hours of observed traffic (per MMSI, time between consecutive fixes, gaps longer
than 30 min excluded) so that untouched real traffic of any size gives a comparable number.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

from .real_data import TRACK_GAP_S
from .times import parse_iso_ms

EVENT_TYPES = frozenset({"cable_crossing", "anchor_drag", "drift", "speed_drop", "loitering", "ais_gap",
                         "position_jump", "rendezvous", "identity_change", "approach"})
#: Event types that are logs, not alarms: never counted as false alarms.
LOG_TYPES = frozenset({"cable_crossing"})


class EvalInputError(ValueError):
    """A labels or events record that cannot be scored; the message names the file and line."""


@dataclass(frozen=True)
class Interval:
    type: str
    mmsi: int
    start_ms: int
    end_ms: int
    detected_ms: int | None = None
    asset_id: str | None = None
    source: str = ""  # "file:line" for messages
    related_mmsi: int | None = None  # the other vessel of a two-vessel event (rendezvous, shared IMO)

    def names(self, mmsi: int) -> bool:
        return self.mmsi == mmsi or self.related_mmsi == mmsi


@dataclass(frozen=True)
class ScoreConfig:
    """Matching tolerance (seconds) around each label, by type, plus a default."""

    tolerance_s: float = 600.0
    tolerance_s_by_type: Mapping[str, float] = field(default_factory=dict)

    def tolerance_ms(self, kind: str) -> int:
        return int(1000 * self.tolerance_s_by_type.get(kind, self.tolerance_s))

    @classmethod
    def from_toml(cls, path: Path) -> ScoreConfig:
        """Reads the ``[eval]`` table: ``tolerance_s`` and ``[eval.tolerance_s_by_type]``."""
        with open(path, "rb") as fh:
            data = tomllib.load(fh).get("eval", {})
        by_type = dict(data.get("tolerance_s_by_type", {}))
        unknown = set(by_type) - EVENT_TYPES
        if unknown:
            raise EvalInputError(f"{path}: [eval.tolerance_s_by_type] has unknown types {sorted(unknown)}")
        return cls(float(data.get("tolerance_s", 600.0)), by_type)


def _parse_record(rec: object, where: str, *, is_label: bool) -> Interval:
    if not isinstance(rec, dict):
        raise EvalInputError(f"{where}: expected a JSON object, got {type(rec).__name__}")
    kind = rec.get("type")
    if kind not in EVENT_TYPES:
        raise EvalInputError(f"{where}: unknown type {kind!r} (known: {', '.join(sorted(EVENT_TYPES))})")
    try:
        mmsi = int(rec["mmsi"])
        start = parse_iso_ms(rec["start"])
        end_raw = rec.get("end")
        end = parse_iso_ms(end_raw) if end_raw is not None else None
        rel = rec.get("related_mmsi")
        related = int(rel) if rel is not None and not is_label else None
        det = rec.get("detected_at")
        detected = parse_iso_ms(det) if det is not None and not is_label else None
    except KeyError as exc:
        raise EvalInputError(f"{where}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise EvalInputError(f"{where}: {exc}") from None
    if end is None:
        if is_label:
            raise EvalInputError(f"{where}: a label needs an 'end'")
        end = 2**62  # an open event (e.g. an ongoing AIS gap) lasts until further notice
    if end < start:
        raise EvalInputError(f"{where}: end {rec.get('end')} is before start {rec['start']}")
    return Interval(kind, mmsi, start, end, detected, rec.get("asset_id"), where, related)


def read_jsonl(path: Path, *, is_label: bool) -> list[Interval]:
    """Labels or events from JSON Lines; blank lines are skipped, any bad line raises naming file:line."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalInputError(f"{where}: invalid JSON ({exc.msg})") from None
            out.append(_parse_record(rec, where, is_label=is_label))
    return out


def parse_events(events: Iterable[Mapping] | Path | str, *, origin: str = "events") -> list[Interval]:
    """Events as dicts (from a detector) or a JSONL path (from ``seawarden detect``)."""
    if isinstance(events, (str, Path)):
        return read_jsonl(Path(events), is_label=False)
    return [_parse_record(dict(e), f"{origin}[{i}]", is_label=False) for i, e in enumerate(events)]


def vessel_hours(positions: pa.Table, max_gap_s: float = TRACK_GAP_S) -> float:
    """Observed vessel-hours: per MMSI, the sum of intervals between consecutive fixes up to ``max_gap_s``."""
    if positions.num_rows < 2:
        return 0.0
    mmsi = positions["mmsi"].to_numpy()
    ts = positions["ts"].cast(pa.int64()).to_numpy()
    order = np.lexsort((ts, mmsi))
    mmsi, ts = mmsi[order], ts[order]
    dt = np.diff(ts) / 1000.0
    ok = (mmsi[1:] == mmsi[:-1]) & (dt <= max_gap_s)
    return float(dt[ok].sum() / 3600.0)


@dataclass
class TypeScore:
    labels: int = 0
    hits: int = 0
    events: int = 0
    true_events: int = 0
    false_alarms: int = 0
    lead_times_s: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.hits / self.labels if self.labels else None

    @property
    def precision(self) -> float | None:
        return self.true_events / self.events if self.events else None


@dataclass
class EvalReport:
    """Scores of one scenario (or a sum of scenarios)."""

    scenario: str
    vessel_hours: float
    by_type: dict[str, TypeScore]
    missed: list[dict] = field(default_factory=list)
    false_alarm_events: list[dict] = field(default_factory=list)

    @property
    def hits(self) -> int:
        return sum(s.hits for s in self.by_type.values())

    @property
    def misses(self) -> int:
        return sum(s.labels - s.hits for s in self.by_type.values())

    @property
    def false_alarms(self) -> int:
        return sum(s.false_alarms for s in self.by_type.values())

    @property
    def false_alarms_per_1000_vessel_hours(self) -> float | None:
        return 1000.0 * self.false_alarms / self.vessel_hours if self.vessel_hours > 0 else None

    def to_dict(self) -> dict:
        types = {}
        for kind, s in sorted(self.by_type.items()):
            d = asdict(s)
            d.update(misses=s.labels - s.hits, recall=s.recall, precision=s.precision,
                     median_lead_time_s=float(np.median(s.lead_times_s)) if s.lead_times_s else None)
            types[kind] = d
        return {"scenario": self.scenario, "hits": self.hits, "misses": self.misses, "false_alarms": self.false_alarms,
                "vessel_hours": round(self.vessel_hours, 3),
                "false_alarms_per_1000_vessel_hours": self.false_alarms_per_1000_vessel_hours,
                "by_type": types, "missed": self.missed, "false_alarm_events": self.false_alarm_events}

    def to_table(self) -> Table:
        t = Table(title=f"{self.scenario}: {self.hits} hits, {self.misses} misses, {self.false_alarms} false alarms, "
                        f"{self.vessel_hours:.1f} vessel-h, FA/1000 vh = {_fmt(self.false_alarms_per_1000_vessel_hours)}")
        for col in ("type", "labels", "hits", "misses", "events", "false alarms", "precision", "recall", "median lead (min)"):
            t.add_column(col, justify="left" if col == "type" else "right")
        for kind, s in sorted(self.by_type.items()):
            lead = np.median(s.lead_times_s) / 60.0 if s.lead_times_s else None
            t.add_row(kind, str(s.labels), str(s.hits), str(s.labels - s.hits), str(s.events), str(s.false_alarms),
                      _fmt(s.precision), _fmt(s.recall), _fmt(lead))
        return t

    def merge(self, other: EvalReport, name: str = "suite") -> EvalReport:
        """Sum of two reports (for a whole suite)."""
        by_type: dict[str, TypeScore] = {}
        for rep in (self, other):
            for kind, s in rep.by_type.items():
                acc = by_type.setdefault(kind, TypeScore())
                acc.labels += s.labels
                acc.hits += s.hits
                acc.events += s.events
                acc.true_events += s.true_events
                acc.false_alarms += s.false_alarms
                acc.lead_times_s += s.lead_times_s
        return EvalReport(name, self.vessel_hours + other.vessel_hours, by_type,
                          self.missed + other.missed, self.false_alarm_events + other.false_alarm_events)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def score(labels: list[Interval], events: list[Interval], *, vessel_hours_observed: float, scenario: str = "",
          config: ScoreConfig = ScoreConfig()) -> EvalReport:
    """Match events to labels (see module doc) and tally per type."""
    by_type: dict[str, TypeScore] = {}
    matched_events: set[int] = set()
    missed = []
    for lab in labels:
        s = by_type.setdefault(lab.type, TypeScore())
        s.labels += 1
        tol = config.tolerance_ms(lab.type)
        lo, hi = lab.start_ms - tol, lab.end_ms + tol
        hits = [i for i, e in enumerate(events)
                if e.type == lab.type and e.names(lab.mmsi) and e.start_ms <= hi and e.end_ms >= lo]
        if hits:
            s.hits += 1
            matched_events.update(hits)
            alert = min(events[i].detected_ms if events[i].detected_ms is not None else events[i].start_ms for i in hits)
            s.lead_times_s.append((alert - lab.start_ms) / 1000.0)
        else:
            missed.append({"type": lab.type, "mmsi": lab.mmsi, "label": lab.source})
    false_alarms = []
    for i, e in enumerate(events):
        s = by_type.setdefault(e.type, TypeScore())
        s.events += 1
        if i in matched_events:
            s.true_events += 1
        elif e.type not in LOG_TYPES:
            s.false_alarms += 1
            false_alarms.append({"type": e.type, "mmsi": e.mmsi, "event": e.source})
    return EvalReport(scenario, vessel_hours_observed, by_type, missed, false_alarms)


@dataclass(frozen=True)
class Scenario:
    """A scenario directory as written by :func:`seawarden.detect.eval.scenarios.build_suite`."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def positions(self) -> pa.Table:
        return pq.read_table(self.path / "positions.parquet")

    def static(self) -> pa.Table | None:
        p = self.path / "static.parquet"
        return pq.read_table(p) if p.exists() else None

    def labels(self) -> list[Interval]:
        p = self.path / "labels.jsonl"
        if not p.exists():
            raise EvalInputError(f"{self.path}: no labels.jsonl (an untouched scenario has an empty one)")
        return read_jsonl(p, is_label=True)

    def assets_path(self) -> Path:
        return self.path / "assets.geojson"

    def assets(self) -> list[dict]:
        """The scenario's assets as GeoJSON features (properties: asset_id, name, kind, source)."""
        p = self.assets_path()
        if not p.exists():
            return []
        with open(p, encoding="utf-8") as fh:
            return json.load(fh)["features"]


def evaluate(scenario_dir: Path | str, events: Iterable[Mapping] | Path | str, *,
             config: ScoreConfig = ScoreConfig()) -> EvalReport:
    """Score events (dicts or a JSONL path) against one scenario directory."""
    sc = Scenario(Path(scenario_dir))
    return score(sc.labels(), parse_events(events, origin=f"events for {sc.name}"),
                 vessel_hours_observed=vessel_hours(sc.positions()), scenario=sc.name, config=config)


DetectFn = Callable[[pa.Table, "pa.Table | None", list[dict]], list[Mapping]]


def evaluate_dir(suite_dir: Path | str, detect_fn: DetectFn, *, config: ScoreConfig = ScoreConfig()
                 ) -> tuple[list[EvalReport], EvalReport]:
    """Run ``detect_fn(positions, static, assets)`` on every scenario of a suite and score it.

    Returns the per-scenario reports and their sum. ``assets`` are the GeoJSON features of the
    scenario's assets.geojson (pass ``Scenario.assets_path()`` to a file-based engine instead).
    """
    suite = Path(suite_dir)
    dirs = sorted(p for p in suite.iterdir() if (p / "positions.parquet").exists())
    if not dirs:
        raise EvalInputError(f"{suite}: no scenario directories (none holds a positions.parquet)")
    reports = []
    for d in dirs:
        sc = Scenario(d)
        events = detect_fn(sc.positions(), sc.static(), sc.assets())
        reports.append(evaluate(d, events, config=config))
    total = EvalReport("suite", 0.0, {})
    for r in reports:
        total = total.merge(r)
    return reports, total
