"""Networks step (``SyncNetworks``): the IP space, VPC CIDRs as blocks and AWS subnets as terminal
networks (IPv4/IPv6), plus the networks public addresses need. Never deletes networks.

Input: ``{"message"}``. Output: ``NetworksResult.to_dict()`` (``space_id``, ``public_space_id``).
"""

from ipamsync.runtime.handler import sync_handler
from ipamsync.steps import MessageInput
from ipamsync.sync.common import SyncContext
from ipamsync.sync.networks import NetworksResult, sync_networks


def sync(inputs: MessageInput, ctx: SyncContext) -> NetworksResult:
    return sync_networks(inputs.message, ctx)


lambda_handler = sync_handler("networks", MessageInput.from_event, sync)
