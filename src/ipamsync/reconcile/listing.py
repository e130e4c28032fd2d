"""The two complete listings a reconcile plan is made from, or :class:`ListingIncomplete`.

* SOLIDserver first: every device ipamsync owns in the account and region (owner
  ``aws:<account>:<region>:…``: devices, tombstones and leases), keyset-paged by id, 1,000 rows
  per call (``hostdev_id > last``: rows added or removed meanwhile cannot shift a page).
* EC2 second: every instance, ``DescribeInstances`` pages of 1,000, each page's VPCs, subnets and
  Elastic IPs in batched reads, turned into the same snapshot enrich builds
  (:func:`ipamsync.snapshot.snapshot`). Listing SOLIDserver first means every device listed
  existed before EC2 was listed: an instance launched in between is in EC2's listing.

Any failure part-way is :class:`~ipamsync.errors.ListingIncomplete`: nothing may be planned from
half a listing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ipamsync.ec2 import Ec2Reader, read_views
from ipamsync.errors import ListingIncomplete
from ipamsync.model import EventInfo, Message
from ipamsync.settings import Settings
from ipamsync.snapshot import snapshot
from ipamsync.solidserver.api import Device, SolidServer
from ipamsync.solidserver.where import Where
from ipamsync.sync.common import OWNER

#: Rows per SOLIDserver listing call and instances per DescribeInstances page.
PAGE = 1000


@dataclass
class Listed:
    """What one listing read, and what it cost."""

    calls: int = 0


def owned_devices(ss: SolidServer, account: str, region: str, stats: Listed | None = None) -> list[Device]:
    """Every device (tombstones and leases included) ipamsync owns in ``account``/``region``."""
    col = f"tag_hostdev_{OWNER}"
    scope = Where.startswith(col, f"aws:{account}:{region}:")
    out: list[Device] = []
    last = 0
    try:
        while True:
            page = ss.list_devices(
                where=scope & Where.gt("hostdev_id", last),
                tags=[f"hostdev.{OWNER}"],
                orderby="hostdev_id",
                limit=PAGE,
                page_size=PAGE,
            )
            if stats is not None:
                stats.calls += 1
            out += page
            if len(page) < PAGE:
                return out
            last = max(int(d.id) for d in page)
    except Exception as exc:
        raise ListingIncomplete(
            f"listing the devices of {account}/{region} failed after {len(out)} rows: "
            f"{type(exc).__name__}: {str(exc)[:300]}",
            source="solidserver",
            cause=type(exc).__name__,
        ) from exc


def ec2_snapshots(
    reader: Ec2Reader,
    event: EventInfo,
    settings: Settings,
    clock: Callable[[], datetime],
    stats: Listed | None = None,
) -> list[Message]:
    """A snapshot of every instance EC2 lists in the reader's region, each observed when its page
    was asked for (never later than EC2 described it)."""
    out: list[Message] = []
    try:
        pages = reader.instance_pages(PAGE)
        while True:
            observed = clock()
            page = next(pages, None)
            if page is None:
                return out
            if stats is not None:
                stats.calls += 1
            views = read_views(page, reader)
            out += [
                snapshot(event, iid, view, settings=settings, observed_at=observed)
                for iid, view in sorted(views.items())
            ]
    except Exception as exc:
        raise ListingIncomplete(
            f"listing the instances of {event.account}/{event.region} failed after {len(out)}: "
            f"{type(exc).__name__}: {str(exc)[:300]}",
            source="ec2",
            cause=type(exc).__name__,
        ) from exc
