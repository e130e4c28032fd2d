"""DNS step (``SyncDns``): A, AAAA and PTR records for the instance's hostname.

Input: ``{"message", "device"}`` (``device``: the device step's result, which names the lease the
execution holds; without it the step holds the lease itself). Output: ``DnsResult.to_dict()``.
"""

from ipamsync.runtime.handler import sync_handler
from ipamsync.steps import DnsInput
from ipamsync.sync.common import SyncContext
from ipamsync.sync.dns import DnsResult, sync_dns


def sync(inputs: DnsInput, ctx: SyncContext) -> DnsResult:
    return sync_dns(inputs.message, ctx, device=inputs.device)


lambda_handler = sync_handler("dns", DnsInput.from_event, sync)
