"""Device step: the instance's guard and its Device Manager objects.

* ``SyncDevice`` — input ``{"message", "execution", "started"}``: is the message stale or already
  applied? If not, take the instance's lease and bring the device and its interfaces to what the
  message describes. Output: ``DeviceResult.to_dict()``. For a lookup (``ipamsync.lookup/1``): the
  instances that held what it names, and refresh requests for them (``LookupResult.to_dict()``).
* ``ReleaseAfterFailure`` — input ``{"release": "failed", "message", "execution"}`` (step
  ``device-release``): give up the lease the execution may hold. ``"release": "succeeded"`` (with
  ``device`` and ``taken``) is what the former last step, ``ReleaseDevice``, sent: the last step is
  now ``SyncDns``, which gives the lease back itself; it is still served, so that executions
  running across an upgrade finish.
* the hourly collection — input ``{"action": "gc"}`` (step ``device-gc``): expired tombstones and
  leases.
"""

from typing import Any

from ipamsync.model import Lookup
from ipamsync.runtime.handler import maintenance_handler, sync_handler
from ipamsync.steps import DeviceInput, ReleaseInput
from ipamsync.sync.common import SyncContext
from ipamsync.sync.device import (
    DeviceResult,
    ReleaseResult,
    collect_tombstones,
    finish,
    give_up,
    sync_device,
)
from ipamsync.sync.refresh import LookupResult, lookup_holders


def sync(inputs: DeviceInput, ctx: SyncContext) -> DeviceResult | LookupResult:
    if isinstance(inputs.message, Lookup):
        return lookup_holders(inputs.message, ctx)
    return sync_device(inputs.message, ctx, holder=inputs.execution, started=inputs.started)


def release(inputs: ReleaseInput, ctx: SyncContext) -> ReleaseResult:
    if inputs.failed:
        return give_up(inputs.message, ctx, holder=inputs.execution)
    return finish(ctx, inputs.message, inputs.device, inputs.taken)


def gc(ctx: SyncContext) -> dict[str, int]:
    return collect_tombstones(ctx)


sync_handler_ = sync_handler("device", DeviceInput.from_event, sync)
release_handler = sync_handler("device-release", ReleaseInput.from_event, release)
gc_handler = maintenance_handler("device-gc", gc)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda's entry: the hourly schedule's ``{"action": "gc"}``, a release, else a sync input."""
    if isinstance(event, dict) and event.get("action") == "gc":
        return gc_handler(event, context)
    if isinstance(event, dict) and "release" in event:
        return release_handler(event, context)
    return sync_handler_(event, context)
