"""The reconcile plan of one account and region: pure, from two complete listings.

Input: EC2's snapshots of every instance of the account and region (the same
:class:`~ipamsync.model.Message` the live path builds) and every device ipamsync owns there
(:class:`Owned`, one per instance: its device, tombstone and lease as listed from SOLIDserver).
Every instance gets one class:

* ``missing`` — EC2 has it, SOLIDserver has no device of it: backfill (a snapshot is queued);
* ``drifted`` — the device's digest is not the digest of EC2's current snapshot, or the instance's
  last execution did not finish (an abandoned lease): a snapshot is queued;
* ``in-sync`` — the digests are equal, or the instance is gone and SOLIDserver knows it (a
  tombstone, a retained terminated device, or no device at all): nothing is queued;
* ``orphaned`` — ipamsync owns a device of an instance EC2 no longer lists and nothing explains it
  (no tombstone, not terminated): a "gone" snapshot is queued (``known: false``, ``terminated``:
  the same message enrich builds for an instance EC2 forgot).

Detecting drift needs no per-instance read: the sync stores the digest of the snapshot it applied
on the device (``ipamsync_digest``, :func:`~ipamsync.sync.device.snapshot_digest`).

A device whose observation is newer than ``listed_at - ORPHAN_GRACE`` (environment
``RECONCILE_ORPHAN_GRACE_SECONDS``, default 900) is never declared orphaned
(it may belong to an instance launched while EC2 was being listed, or that EC2's eventually
consistent API does not list yet): it is ``in-sync`` with the reason, and the next run decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ipamsync.model import (
    GONE_STATES,
    RECONCILE,
    RECONCILE_DEEP,
    RECONCILE_SOURCE,
    EventInfo,
    Instance,
    Message,
    format_observation,
    parse_time,
)
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.sync.common import DIGEST, OBSERVED, TOMBSTONE
from ipamsync.sync.device import device_metadata, snapshot_digest

MISSING = "missing"
DRIFTED = "drifted"
IN_SYNC = "in-sync"
ORPHANED = "orphaned"
CLASSES: tuple[str, ...] = (MISSING, DRIFTED, IN_SYNC, ORPHANED)

#: A device observed less than this before EC2 was listed is never declared orphaned.
ORPHAN_GRACE = timedelta(minutes=15)

#: Device keys a plan reports changes of (ipamsync's own bookkeeping is left out).
_HIDDEN_PREFIXES = ("ipamsync_",)


@dataclass(frozen=True)
class Owned:
    """What SOLIDserver holds of one instance: its device (None when only a lease is left) and
    whether a lease of it was found held (``lease_held``) or abandoned (``lease_expired``)."""

    instance_id: str
    device_id: str | None = None
    name: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict)
    lease_held: bool = False
    lease_expired: bool = False

    @property
    def digest(self) -> str:
        return self.metadata.get(DIGEST, "")

    @property
    def tombstone(self) -> bool:
        return TOMBSTONE in self.metadata

    @property
    def terminated(self) -> bool:
        """The device already says the instance is gone (tombstone, or retained as terminated)."""
        return self.tombstone or self.metadata.get("aws_state") in GONE_STATES

    @property
    def observed_at(self) -> str:
        return self.metadata.get(OBSERVED, "")


@dataclass(frozen=True)
class PlanItem:
    instance_id: str
    name: str
    cls: str
    #: what would change, for a person ("create device, interfaces, addresses and records",
    #: "aws_state: stopped → running", …)
    changes: tuple[str, ...] = ()
    #: the snapshot to queue (None: nothing is queued for this instance)
    message: Message | None = None

    @property
    def queued(self) -> bool:
        return self.message is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "name": self.name,
            "class": self.cls,
            "changes": list(self.changes),
            "queue": (
                None if self.message is None else ("gone" if not self.message.instance.known else "snapshot")
            ),
        }


@dataclass
class Plan:
    account: str
    region: str
    deep: bool = False
    items: list[PlanItem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CLASSES, 0)
        for item in self.items:
            out[item.cls] += 1
        return out

    @property
    def messages(self) -> list[Message]:
        return [i.message for i in self.items if i.message is not None]

    def to_dict(self, *, items: bool = True, limit: int | None = None) -> dict[str, Any]:
        """The plan's summary; with ``items``, every instance that is not in sync (and, in a deep
        run, every queued one), at most ``limit`` of them (``items_omitted`` says how many more)."""
        out: dict[str, Any] = {
            "account": self.account,
            "region": self.region,
            "deep": self.deep,
            "counts": self.counts,
            "queued": len(self.messages),
        }
        if items:
            shown = [i for i in self.items if i.cls != IN_SYNC or i.queued]
            kept = shown if limit is None else shown[:limit]
            out["items"] = [i.to_dict() for i in kept]
            if len(kept) < len(shown):
                out["items_omitted"] = len(shown) - len(kept)
        return out


def reconcile_event(account: str, region: str, run: str, *, deep: bool, time: str) -> EventInfo:
    """The ``event`` of the snapshots one run queues (``run``: the execution's name)."""
    return EventInfo(
        id=f"reconcile:{run}"[:128],
        time=time,
        state="",
        account=account,
        region=region,
        source=RECONCILE_SOURCE,
        detail_type=RECONCILE_DEEP if deep else RECONCILE,
    )


def gone_message(event: EventInfo, instance_id: str, observed_at: datetime) -> Message:
    """What enrich queues for an instance EC2 no longer knows: terminated, ``known: false``."""
    return Message(
        event=replace(event, state="terminated"),
        observed_at=format_observation(observed_at),
        instance=Instance(id=instance_id, state="terminated", known=False),
    )


def _what_changes(owned: Owned, msg: Message, digest: str) -> tuple[str, ...]:
    desired = device_metadata(msg, digest)
    changed, removed = md.diff(dict(owned.metadata), desired)
    out = [
        f"{k}: {owned.metadata.get(k, '∅')} → {v}"
        for k, v in sorted(changed.items())
        if not k.startswith(_HIDDEN_PREFIXES)
    ]
    out += [f"{k}: {owned.metadata[k]} → ∅" for k in sorted(removed) if not k.startswith(_HIDDEN_PREFIXES)]
    if owned.lease_expired:
        out.insert(0, "last execution did not finish")
    if not out:
        out.append("addresses, networks or records (the applied snapshot differs)")
    return tuple(out)


def _classify_listed(msg: Message, owned: Owned | None, settings: Settings, deep: bool) -> PlanItem:
    inst = msg.instance
    name = inst.name or (owned.metadata.get("aws_name", "") if owned else "") or ""
    if owned is None or owned.device_id is None:
        if inst.state in GONE_STATES:
            return PlanItem(inst.id, name, IN_SYNC, ("terminated, nothing in SOLIDserver",))
        changes: tuple[str, ...] = ("create device, interfaces, addresses and records",)
        if owned is not None and owned.lease_expired:
            changes = ("last execution did not finish before its device was written", *changes)
        return PlanItem(inst.id, name, MISSING, changes, msg)
    if owned.tombstone:
        # EC2 never reuses an instance id: a tombstone means the sync applied its termination.
        return PlanItem(inst.id, name, IN_SYNC, ("terminated (tombstone)",))
    if inst.state in GONE_STATES and owned.terminated:
        return PlanItem(inst.id, name, IN_SYNC, ("terminated (device retained)",))
    digest = snapshot_digest(msg, settings)
    if owned.digest != digest or owned.lease_expired:
        return PlanItem(inst.id, name, DRIFTED, _what_changes(owned, msg, digest), msg)
    if deep:
        return PlanItem(inst.id, name, IN_SYNC, ("deep: applied again in full",), msg)
    return PlanItem(inst.id, name, IN_SYNC)


def classify(
    snapshots: Iterable[Message],
    owned: Mapping[str, Owned],
    settings: Settings,
    *,
    account: str,
    region: str,
    listed_at: datetime,
    event: EventInfo,
    deep: bool = False,
    orphan_grace: timedelta = ORPHAN_GRACE,
) -> Plan:
    """The plan from EC2's snapshots (every instance of the account and region, listed from
    ``listed_at`` on) and SOLIDserver's owned devices by instance id. Pure: nothing is read."""
    plan = Plan(account=account, region=region, deep=deep)
    seen: set[str] = set()
    for msg in sorted(snapshots, key=lambda m: m.instance.id):
        if msg.instance.id in seen:
            continue
        seen.add(msg.instance.id)
        plan.items.append(_classify_listed(msg, owned.get(msg.instance.id), settings, deep))
    for iid in sorted(set(owned) - seen):
        plan.items.append(_classify_unlisted(owned[iid], listed_at, event, orphan_grace))
    return plan


def _classify_unlisted(owned: Owned, listed_at: datetime, event: EventInfo, grace: timedelta) -> PlanItem:
    name = owned.metadata.get("aws_name", "")
    iid = owned.instance_id
    if owned.device_id is None:
        return PlanItem(iid, name, IN_SYNC, ("only a lease is left (collected with expired leases)",))
    if owned.terminated:
        return PlanItem(iid, name, IN_SYNC, ("terminated (tombstone)" if owned.tombstone else "terminated",))
    try:
        young = parse_time(owned.observed_at) > listed_at - grace
    except ValueError:
        young = False
    if young:
        return PlanItem(iid, name, IN_SYNC, ("observed recently: orphan check left to the next run",))
    return PlanItem(
        iid,
        name,
        ORPHANED,
        ("EC2 no longer has it: device, interfaces, addresses and records removed",),
        gone_message(event, iid, listed_at),
    )


def owned_from_devices(devices: Sequence[Any], now: datetime) -> dict[str, Owned]:
    """:class:`Owned` by instance id from the devices of one listing (leases included), keeping the
    oldest device of an instance (as the sync does)."""
    from ipamsync.sync import lease as lease_mod

    by_instance: dict[str, Owned] = {}
    for dev in sorted(devices, key=lambda d: int(d.id)):
        owner = dev.metadata.get("ipamsync_owner", "")
        parts = owner.split(":")
        if len(parts) != 4 or parts[0] != "aws":
            continue
        iid = parts[3]
        current = by_instance.get(iid, Owned(instance_id=iid))
        lease = lease_mod.Lease.of(dev)
        if lease is not None:
            expired = lease.expired(now)
            current = replace(
                current,
                lease_held=current.lease_held or not expired,
                lease_expired=current.lease_expired or expired,
            )
        elif current.device_id is None:
            current = replace(current, device_id=dev.id, name=dev.name, metadata=dict(dev.metadata))
        by_instance[iid] = current
    return by_instance
