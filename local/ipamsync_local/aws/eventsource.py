"""What both local event sources share — the CloudTrail source (:class:`.cloudtrail.CloudTrailSource`)
and the EC2 state-change source (:class:`.ec2events.Ec2EventSource`): a ``PutEvents`` per event on one
bus (one at a time keeps AWS's order), what was emitted and what the bus refused, an on/off switch
and marks to read what was emitted since."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

Emitted = TypeVar("Emitted")

__all__ = ["EventSource"]


class EventSource(Generic[Emitted]):
    """One ``PutEvents`` per event on ``event_bus_name``; ``emitted`` and ``failed`` in order."""

    def __init__(self, events_client: Any, *, event_bus_name: str = "default") -> None:
        self.events = events_client
        self.event_bus_name = event_bus_name
        self.emitted: list[Emitted] = []
        self.failed: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.enabled = True

    def _put(
        self, source: str, detail_type: str, detail: str, resources: list[str], when: dt.datetime
    ) -> str | None:
        """Put one event; its id, or None when the bus refused it (kept in ``failed``)."""
        entry = {
            "Source": source,
            "DetailType": detail_type,
            "Detail": detail,
            "Resources": resources,
            "Time": when,
            "EventBusName": self.event_bus_name,
        }
        result: Mapping[str, Any] = self.events.put_events(Entries=[entry])["Entries"][0]
        if "EventId" not in result:
            with self._lock:
                self.failed.append({"entry": entry, "result": result})
            return None
        return str(result["EventId"])

    def _record(self, emitted: Emitted) -> Emitted:
        with self._lock:
            self.emitted.append(emitted)
        return emitted

    def mark(self) -> int:
        with self._lock:
            return len(self.emitted)

    def _since(self, mark: int) -> list[Emitted]:
        with self._lock:
            return self.emitted[mark:]
