"""Subnet step: VPC CIDRs as blocks and AWS subnets as terminal networks (IPv4/IPv6), plus the
networks public addresses need. Never deletes networks.

Input: ``{"body": "<message JSON>"}`` or ``{"message": {...}}``.
Output: ``{"space_id", "public_space_id", "networks", "changes"}``.
"""

from ipamsync.lambda_support import sync_step
from ipamsync.sync.networks import sync_networks


@sync_step("subnet")
def lambda_handler(message, ctx, event):
    return sync_networks(message, ctx).to_dict()
