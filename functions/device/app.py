"""Device step: the instance's device and interfaces in Device Manager; the freshness guard.

Input: ``{"body": "<message JSON>"}`` (an SQS record via the state machine) or ``{"message": {...}}``.
Also invoked hourly with ``{"action": "gc"}`` to delete expired tombstones.
Output: ``{"instance_id", "stale", "lifecycle", "device_id", "interfaces", "changes"}``.
"""

from ipamsync.lambda_support import maintenance_step, sync_step
from ipamsync.sync.device import collect_tombstones, sync_device


@sync_step("device")
def _sync(message, ctx, event):
    return sync_device(message, ctx).to_dict()


@maintenance_step("device-gc")
def _gc(ctx, event):
    return {"tombstones_deleted": collect_tombstones(ctx)}


def lambda_handler(event, context):
    if isinstance(event, dict) and event.get("action") == "gc":
        return _gc(event, context)
    return _sync(event, context)
