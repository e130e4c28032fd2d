"""IP step: private, secondary, IPv6 and public addresses, linked to the device's interfaces.

Input: ``{"body": "<message JSON>", "device": {device step output}, "subnets": {subnet step output}}``
(``device``/``subnets`` optional: without them the step looks spaces up itself and creates
addresses unlinked). Output: ``{"addresses", "changes"}``.
"""

from ipamsync.lambda_support import sync_step
from ipamsync.sync.addresses import sync_addresses


@sync_step("ip")
def lambda_handler(message, ctx, event):
    return sync_addresses(message, ctx, device=event.get("device"), networks=event.get("subnets")).to_dict()
