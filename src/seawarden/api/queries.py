"""JSON shaping the console's routes share; the questions themselves are Store / AlertStore methods."""

from __future__ import annotations

from typing import Any

from seawarden.alert.model import Alert


def alert_json(a: Alert, **extra: Any) -> dict[str, Any]:
    """The contract's alert object: the stored alert plus id, key, opened, updated and n_events."""
    d = a.to_dict()
    d.update(id=a.alert_id, key={"mmsi": a.mmsi, "asset_id": a.asset_id, "kind": a.kind}, opened=d["created_at"],
             updated=d["updated_at"], n_events=len(a.event_ids))
    d.update(extra)
    return d
