"""Helpers for the local AWS runtime tests (``tests/aws``)."""

from __future__ import annotations

import copy
import json
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
EVENTS = REPO / "events"
SYNC_STEPS = ("device", "subnet", "ip", "dns")

DEVICE_OK = {
    "instance_id": "i-0",
    "stale": False,
    "lifecycle": "present",
    "device_id": "1",
    "interfaces": {},
    "changes": {},
}
SUBNET_OK = {"space_id": "1", "public_space_id": "1", "networks": [], "changes": {}}
IP_OK = {"addresses": [], "changes": {}}
DNS_OK = {"enabled": False, "records": [], "skipped": [], "changes": {}}
DEFAULTS = {"device": DEVICE_OK, "subnet": SUBNET_OK, "ip": IP_OK, "dns": DNS_OK}


def named_error(name: str, message: str = "scripted failure") -> Exception:
    """An exception whose class is called ``name`` (Lambda's errorType is the class name)."""
    return type(name, (Exception,), {})(message)


def body_of(event: dict[str, Any]) -> dict[str, Any]:
    return json.loads(event["body"]) if "body" in event else event.get("message", {})


class Script:
    """Handler overrides for the four sync functions: record every call, answer OK by default.

    ``script.on["device"] = fn`` makes ``fn(event, context)`` answer instead (raise to fail).
    """

    def __init__(self) -> None:
        self.on: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self.calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.contexts: dict[str, list[Any]] = defaultdict(list)
        self.lock = threading.Lock()

    def reset(self) -> None:
        with self.lock:
            self.on.clear()
            self.calls.clear()
            self.contexts.clear()

    def handler(self, step: str) -> Callable[[dict[str, Any], Any], Any]:
        def handle(event: dict[str, Any], context: Any) -> Any:
            with self.lock:
                self.calls[step].append(event)
                self.contexts[step].append(context)
                fn = self.on.get(step)
            if fn is not None:
                return fn(event, context)
            result = copy.deepcopy(DEFAULTS[step])
            if step == "device":
                result["instance_id"] = body_of(event).get("instance", {}).get("id", "i-0")
            return result

        handle.__name__ = f"scripted_{step}"
        return handle

    def overrides(
        self, steps: tuple[str, ...] = SYNC_STEPS
    ) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
        return {step: self.handler(step) for step in steps}


def message(
    instance_id: str, state: str = "running", *, seq: int = 0, event_id: str | None = None
) -> dict[str, Any]:
    """An ipamsync message (``events/message-running.json``) for another instance / state."""
    doc = json.loads((EVENTS / "message-running.json").read_text())["message"]
    doc["event"]["id"] = event_id or f"evt-{instance_id}-{state}-{seq}"
    doc["event"]["state"] = state
    doc["instance"]["id"] = instance_id
    doc["instance"]["state"] = state
    doc["seq"] = seq  # extra field: the model ignores it, the scripted handlers read it
    return doc


def template_copy(tmp_path: Path, edit: Callable[[str], str]) -> Path:
    """template.yaml edited into ``tmp_path`` (functions/, statemachine/ and src/ linked beside it)."""
    text = TEMPLATE.read_text()
    edited = edit(text)
    assert edited != text, "the edit changed nothing"
    for name in ("functions", "statemachine", "src"):
        (tmp_path / name).symlink_to(REPO / name, target_is_directory=True)
    path = tmp_path / "template.yaml"
    path.write_text(edited)
    return path


def history(aws: Any, name_or_arn: str) -> list[dict[str, Any]]:
    return aws.executions.get(name_or_arn)[1]


def task_errors(events: list[dict[str, Any]]) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
