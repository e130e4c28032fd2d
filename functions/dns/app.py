"""DNS step: A, AAAA and PTR records for the instance's hostname.

Input: ``{"body": "<message JSON>"}`` or ``{"message": {...}}``. Output: ``{"enabled", "records",
"skipped", "changes"}``.
"""

from ipamsync.lambda_support import sync_step
from ipamsync.sync.dns import sync_dns


@sync_step("dns")
def lambda_handler(message, ctx, event):
    return sync_dns(message, ctx, device=event.get("device")).to_dict()
