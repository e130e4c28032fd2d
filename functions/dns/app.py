"""DNS step (``SyncDns``), the execution's last: A, AAAA and PTR records for the instance's
hostname, then the instance's lease given back and the refresh requests named.

Input: ``{"message", "device", "finish", "taken", "retry"}`` (``device``: the device step's result,
which names the lease the execution holds; ``finish``: give it back afterwards; without ``device``
the step holds a lease of its own). Output: ``DnsResult.to_dict()`` (with ``released`` and
``refresh.entries`` when finishing).
"""

from ipamsync.runtime.handler import sync_handler
from ipamsync.steps import DnsInput
from ipamsync.sync.common import SyncContext
from ipamsync.sync.dns import DnsResult, sync_dns, sync_dns_and_finish


def sync(inputs: DnsInput, ctx: SyncContext) -> DnsResult:
    if not inputs.finish:
        return sync_dns(inputs.message, ctx, device=inputs.device)
    return sync_dns_and_finish(
        inputs.message, ctx, device=inputs.device, taken=inputs.taken, retried=inputs.retry > 0
    )


lambda_handler = sync_handler("dns", DnsInput.from_event, sync)
