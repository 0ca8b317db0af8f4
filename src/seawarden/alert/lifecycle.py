"""Operator transitions: acknowledge, resolve, dismiss -- each with who, when and (for closing) why."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime

from seawarden.alert.base import AlertStore
from seawarden.alert.model import ACTIONS, AlertChange, LifecycleError, Transition, utc_now

#: action -> the change name sinks receive
PAST = {"acknowledge": "acknowledged", "resolve": "resolved", "dismiss": "dismissed"}


def apply_action(store: AlertStore, alert_id: str, action: str, *, by: str, reason: str | None = None,
                 clock: Callable[[], datetime] = utc_now) -> AlertChange:
    """Move one alert along its lifecycle and record the transition; raise LifecycleError if not allowed."""
    if action not in ACTIONS:
        raise LifecycleError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if not by or not by.strip():
        raise LifecycleError(f"{action} needs who is doing it (--by)")
    if action in ("resolve", "dismiss") and not (reason and reason.strip()):
        raise LifecycleError(f"{action} needs a reason (--reason)")
    alert = store.get(alert_id)
    if alert is None:
        raise LifecycleError(f"no alert with id {alert_id!r}")
    allowed_from, to_status = ACTIONS[action]
    if alert.status not in allowed_from:
        raise LifecycleError(f"alert {alert_id} is {alert.status}; {action} is allowed only from {' or '.join(allowed_from)}")
    now = clock()
    before = alert.status
    alert.status, alert.status_by, alert.status_at, alert.status_reason = to_status, by.strip(), now, reason
    alert.updated_at = now
    tr = Transition(alert.alert_id, store.next_seq(alert.alert_id), now, action, before, to_status, alert.severity,
                    by=by.strip(), reason=reason)
    cas = getattr(store, "commit_transition", None)  # compare-and-set where the store offers it (several operators)
    if cas is not None:
        tr = cas(alert, tr)
    else:
        store.commit([], [alert], [tr])
    return AlertChange(PAST[action], copy.deepcopy(alert), tr)
