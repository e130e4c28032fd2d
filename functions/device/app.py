"""Device step (``SyncDevice``): the instance's device and interfaces in Device Manager; the
freshness guard. Also the hourly tombstone collection (``{"action": "gc"}``, step ``device-gc``).

Input: ``{"message"}`` (see ``ipamsync.steps``). Output: ``DeviceResult.to_dict()``.
"""

from typing import Any

from ipamsync.runtime.handler import maintenance_handler, sync_handler
from ipamsync.steps import MessageInput
from ipamsync.sync.common import SyncContext
from ipamsync.sync.device import DeviceResult, collect_tombstones, sync_device


def sync(inputs: MessageInput, ctx: SyncContext) -> DeviceResult:
    return sync_device(inputs.message, ctx)


def gc(ctx: SyncContext) -> dict[str, int]:
    return {"tombstones_deleted": collect_tombstones(ctx)}


sync_handler_ = sync_handler("device", MessageInput.from_event, sync)
gc_handler = maintenance_handler("device-gc", gc)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda's entry: the hourly schedule's ``{"action": "gc"}``, else a sync input."""
    if isinstance(event, dict) and event.get("action") == "gc":
        return gc_handler(event, context)
    return sync_handler_(event, context)
