"""Refresh requests: a new snapshot of an instance whose objects changed hands without its own event.

EC2 moves an Elastic IP or a secondary IP from instance A to B with one call about B (or about an
attachment or association only), and nothing happens to A. Two ways lead to A:

* the addresses step takes an address over from A (``AddressesResult.taken``);
* a lookup (``ipamsync.lookup/1``: ``DetachNetworkInterface``, ``DisassociateAddress``) finds A in
  SOLIDserver by the attachment, association or public IP it names (:func:`lookup_holders`).

Either way the state machine puts one *ipamsync Refresh Request* per instance on the default event
bus (``RequestRefresh``: ``events:PutEvents``, at most :data:`MAX_ENTRIES`), enrich takes a new
snapshot of A, and A's execution corrects A's objects like any other. Nothing waits for A to
change state, and a lost request leaves A as its next event (or the reconcile) finds it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ipamsync.events import REFRESH, REFRESH_SOURCE
from ipamsync.model import ACCOUNT, INSTANCE_ID, REGION, Lookup
from ipamsync.sync.common import ASSOCIATION, ATTACHMENT, OWNER, Changes, SyncContext

#: Entries per ``PutEvents`` call (EventBridge's limit): more holders than this at once are left to
#: their own next event or the reconcile.
MAX_ENTRIES = 10


def holder(owner: str) -> tuple[str, str, str] | None:
    """``(account, region, instance id)`` of an owner value ``aws:<account>:<region>:<instance>``."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[0] != "aws":
        return None
    _, account, region, iid = parts
    if not (ACCOUNT.match(account) and REGION.match(region) and INSTANCE_ID.match(iid)):
        return None
    return account, region, iid


def refresh_entries(owners: Iterable[str], reason: str) -> list[dict[str, Any]]:
    """``PutEvents`` entries asking for a snapshot of each owner's instance (distinct, sorted)."""
    out: list[dict[str, Any]] = []
    for owner in sorted(set(owners)):
        found = holder(owner)
        if found is None:
            continue
        account, region, iid = found
        out.append(
            {
                "Source": REFRESH_SOURCE,
                "DetailType": REFRESH,
                "Detail": {"instance-id": iid, "account": account, "region": region, "reason": reason[:200]},
            }
        )
    return out[:MAX_ENTRIES]


@dataclass
class LookupResult:
    """The device step's answer to a lookup (shaped like its usual result for the state machine)."""

    holders: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": None,
            "stale": False,
            "unchanged": False,
            "complete": False,
            "lifecycle": "lookup",
            "device_id": None,
            "interfaces": {},
            "lease_id": None,
            "holders": self.holders,
            "refresh": {"entries": refresh_entries(self.holders, "lookup")},
            "changes": self.changes.to_dict(),
        }


def lookup_holders(lookup: Lookup, ctx: SyncContext) -> LookupResult:
    """The managed instances (owner values) whose addresses carry the attachment, association or
    public IP the lookup names, in the lookup's account and region. Reads only."""
    owners: set[str] = set()
    prefix = f"aws:{lookup.account}:{lookup.region}:"
    for version in (4, 6):
        rows = ctx.ss.find_addresses_by(
            version,
            metadata={ATTACHMENT: lookup.attachment_ids, ASSOCIATION: lookup.association_ids},
            addresses=lookup.public_ips if version == 4 else (),
            owner_key=OWNER,
        )
        owners |= {r.metadata.get(OWNER, "") for r in rows}
    return LookupResult(holders=sorted(o for o in owners if o.startswith(prefix)))
