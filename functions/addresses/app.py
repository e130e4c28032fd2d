"""Addresses step (``SyncAddresses``): private, secondary, IPv6 and public addresses, linked to the
device's interfaces.

Input: ``{"message", "device", "networks"}`` (``device``/``networks`` optional: without them the
step looks the spaces up itself and leaves the addresses unlinked). Output:
``AddressesResult.to_dict()``.
"""

from ipamsync.runtime.handler import sync_handler
from ipamsync.steps import AddressesInput
from ipamsync.sync.addresses import AddressesResult, sync_addresses
from ipamsync.sync.common import SyncContext


def sync(inputs: AddressesInput, ctx: SyncContext) -> AddressesResult:
    return sync_addresses(inputs.message, ctx, device=inputs.device, networks=inputs.networks)


lambda_handler = sync_handler("addresses", AddressesInput.from_event, sync)
