"""DNS step (``SyncDns``): A, AAAA and PTR records for the instance's hostname.

Input: ``{"message"}``. Output: ``DnsResult.to_dict()``.
"""

from ipamsync.runtime.handler import sync_handler
from ipamsync.steps import MessageInput
from ipamsync.sync.common import SyncContext
from ipamsync.sync.dns import DnsResult, sync_dns


def sync(inputs: MessageInput, ctx: SyncContext) -> DnsResult:
    return sync_dns(inputs.message, ctx)


lambda_handler = sync_handler("dns", MessageInput.from_event, sync)
