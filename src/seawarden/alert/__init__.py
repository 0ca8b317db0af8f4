"""alert: detector events -> scored, deduplicated alerts with a lifecycle, persisted and fanned out.

    store = DuckDBAlertStore(duckdb_store)            # seawarden.store.alerts_duckdb
    pipe = AlertPipeline(store, [JsonlSink(path), WebhookSink(url, secret), hub])
    changes = pipe.handle(engine.process(batch))      # never blocks on sinks
"""

from seawarden.alert.base import EVENT_LOG, AlertStore, KnownEvent
from seawarden.alert.config import AlertSettings
from seawarden.alert.model import Alert, AlertChange, AlertKey, LifecycleError, Transition
from seawarden.alert.pipeline import AlertPipeline
from seawarden.alert.sinks import JsonlSink, LiveHub, WebhookSink, sign, verify

__all__ = ["EVENT_LOG", "Alert", "AlertChange", "AlertKey", "AlertPipeline", "AlertSettings", "AlertStore", "JsonlSink",
           "KnownEvent", "LifecycleError", "LiveHub", "Transition", "WebhookSink", "sign", "verify"]
