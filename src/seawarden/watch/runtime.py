"""Wiring of one `seawarden watch` process: store, assets, detectors, alert sinks, the service and the console app.

Kept apart from the typer command so tests (and other front ends) build the same thing in-process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from seawarden.alert.config import AlertSettings
from seawarden.alert.pipeline import AlertPipeline
from seawarden.alert.sinks import JsonlSink, LiveHub, WebhookSink
from seawarden.api import AssetState, Console, Limits, PipelineActions, PositionFeed, ReaderPool, TokenRegistry, create_app
from seawarden.assets.model import AssetTable
from seawarden.assets.registry import AssetRegistry
from seawarden.detect.config import DetectConfig
from seawarden.ingest.batch import DecodedBatch
from seawarden.ingest.sources import open_source
from seawarden.store import file_fingerprint, pipeline_store_for
from seawarden.store.base import Store
from seawarden.watch.service import Input, WatchService

DEMO_FINGERPRINT = "demo:estlink2-drag"


class MemorySource:
    """Batches already in memory (the demo scenario), cut to ``rows`` per batch like a file read."""

    def __init__(self, name: str, batch: DecodedBatch, rows: int = 2000) -> None:
        self.name, self.batch, self.rows = name, batch, rows

    def batches(self) -> Iterator[DecodedBatch]:
        pos = self.batch.positions
        for i in range(0, max(pos.num_rows, 1), self.rows):
            out = DecodedBatch(positions=pos.slice(i, self.rows))
            if i == 0:
                out.static, out.other = self.batch.static, self.batch.other
            out.stats.lines = out.positions.num_rows
            yield out


def file_inputs(specs: list[str], clock=None, quarantine=None) -> list[Input]:
    """Inputs for source specs; a bad spec fails here, before anything starts (clear message)."""
    out = []
    for spec in specs:
        if "://" in spec:
            open_source(spec, clock=clock, quarantine=quarantine)  # validates scheme/host/port now
            out.append(Input(spec, lambda s=spec: open_source(s, clock=clock, quarantine=quarantine), live=True))
        else:
            open_source(spec, clock=clock, quarantine=quarantine)  # FileNotFoundError / ValueError now
            out.append(Input(spec, lambda s=spec: open_source(s, clock=clock, quarantine=quarantine),
                             fingerprint=file_fingerprint(spec)))
    return out


def demo_input(shared_data: Path) -> Input:
    """The Estlink 2 drag built from real traffic (alert/forensics/demo.py), with the dragger's identity."""
    import numpy as np

    from seawarden.alert.forensics.demo import estlink2_drag_scenario
    from seawarden.detect.eval.inject import static_rows

    scenario = estlink2_drag_scenario(shared_data)
    static = static_rows(scenario.dragger, np.array([int(scenario.positions["ts"][0].value)]), imo=None, callsign="",
                         name="DEMO DRAGGER (injected)")
    batch = DecodedBatch(positions=scenario.positions, static=static)
    return Input("demo: Estlink 2 drag over real traffic", lambda: MemorySource("demo", batch), fingerprint=DEMO_FINGERPRINT)


@dataclass
class Runtime:
    db: Store
    service: WatchService
    console: Console
    app: object
    pipeline: AlertPipeline
    readers: ReaderPool
    sinks: list = field(default_factory=list)

    def close(self, timeout: float = 30.0) -> bool:
        """Stop ingest (flush detectors and alerts), close sinks and the store. True if the loop ended in time."""
        ended = self.service.stop(timeout)
        with self.service.lock:
            self.pipeline.close()
            self.readers.close()
            if ended:
                self.db.close()
        return ended


def build(db: Store, inputs: list[Input], assets: AssetTable, tokens: TokenRegistry, *, speed: float | None,
          loop: bool = False, registry: AssetRegistry | None = None, detect_config: DetectConfig | None = None,
          alert_settings: AlertSettings | None = None, alerts_jsonl: Path | None = None, webhook: tuple[str, str] | None = None,
          limits: Limits | None = None, flush_interval_s: float = 1.0, evidence_attribution: str | None = None) -> Runtime:
    """Everything wired, nothing started: ``runtime.service.start()`` begins ingest; serve ``runtime.app``."""
    lock = threading.RLock()
    settings = alert_settings or AlertSettings.load()
    hub = LiveHub(settings)
    sinks: list = [hub]
    if alerts_jsonl is not None:
        sinks.append(JsonlSink(alerts_jsonl))
    if webhook is not None:
        sinks.append(WebhookSink(webhook[0], webhook[1], settings))
    pipeline = AlertPipeline(pipeline_store_for(db, hold_s=flush_interval_s), sinks=sinks, config=settings)
    feed = PositionFeed()
    cfg = detect_config or DetectConfig.load()
    state_holder: dict[str, WatchService] = {}
    asset_state = AssetState(assets, registry=registry,
                             on_change=lambda index: state_holder["service"].replace_index(index))
    service = WatchService(db, inputs, pipeline, feed=feed, lock=lock, index=asset_state.index, detect_config=cfg,
                           speed=speed, loop=loop, flush_interval_s=flush_interval_s)
    state_holder["service"] = service
    readers = ReaderPool(db, lock)
    console = Console(readers=readers.get, assets=asset_state, hub=hub, feed=feed, tokens=tokens,
                      actions=PipelineActions(pipeline, lock), alert_settings=settings, detect_config=cfg.raw,
                      limits=limits or Limits(), ingest_stats=service.stream_stats, ais_attribution=evidence_attribution)
    return Runtime(db, service, console, create_app(console), pipeline, readers, sinks)
