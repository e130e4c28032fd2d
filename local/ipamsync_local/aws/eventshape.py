"""EventBridge's delivered event shape (what a Lambda target receives) and the ``$.a.b`` subset of
JSONPath an ``InputPath`` uses. Pure functions: :mod:`.motohook` applies them to moto's events."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _iso_seconds(value: Any) -> str:
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(float(value), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def aws_event_shape(event: Mapping[str, Any]) -> dict[str, Any]:
    """moto's event message → the event EventBridge delivers (field order and types as in AWS)."""
    shaped: dict[str, Any] = {
        "version": str(event.get("version", "0")),
        "id": event.get("id"),
        "detail-type": event.get("detail-type"),
        "source": event.get("source"),
        "account": event.get("account"),
        "time": _iso_seconds(event.get("time")),
        "region": event.get("region"),
        "resources": list(event.get("resources") or []),
        "detail": copy.deepcopy(event.get("detail") or {}),
    }
    for key, value in event.items():  # anything else moto may add later, except its own field
        if key not in shaped and key != "ingestion-time":
            shaped[key] = copy.deepcopy(value)
    return shaped


def json_path(document: Any, path: str) -> Any:
    """The ``$.a.b`` subset of JSONPath EventBridge's InputPath uses."""
    if path in ("$", ""):
        return document
    node = document
    for part in path.removeprefix("$.").split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@dataclass(frozen=True)
class RuleInfo:
    name: str
    arn: str
    event_bus_name: str
    target_id: str


@dataclass(frozen=True)
class Transition:
    """One EC2 instance state change, as EC2 reports it in its EventBridge event."""

    instance_id: str
    state: str
    previous_state: str
    account_id: str
    region: str
    time: dt.datetime
