"""Device Manager: one device per instance, one interface per ENI; the per-instance freshness guard.

The device is looked up first in every execution. It carries ``ipamsync_observed_at``, the time
EC2 was observed for the newest message applied to this instance. A message observed *before*
that time is stale: the execution stops there and nothing is written. After termination the
device stays as a *tombstone* (``ipamsync_tombstone=<expiry>``) so that a late message for the
instance cannot bring it back; :func:`collect_tombstones` removes expired tombstones.

Over 600 lines because the freshness guard, the lease contest (:func:`guarded`, :func:`contest`)
and the tombstones all read and write the device's own metadata in one place; it is left whole
while the concurrency fix in this module and ``dns.py`` lands (a split would collide with it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ipamsync.errors import HeldByAnotherInstance, InvalidMessage, OwnershipConflict, SolidServerConflict
from ipamsync.model import Message, format_time, parse_time
from ipamsync.naming import device_name, interface_name, same_name
from ipamsync.settings import Settings
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Device, Interface
from ipamsync.solidserver.where import Where
from ipamsync.sync import lease as lease_mod
from ipamsync.sync.common import (
    DIGEST,
    EVENT_ID,
    OBSERVED,
    OWNER,
    TOMBSTONE,
    Changes,
    SyncContext,
    base_metadata,
    clip_all,
    object_id,
)
from ipamsync.sync.lease import Lease
from ipamsync.sync.refresh import refresh_entries

log = logging.getLogger("ipamsync.sync.device")

#: Bumped whenever what the sync writes for a snapshot changes: every digest changes with it, so
#: the next message of every instance is applied in full (README, "Reconcile"). 2: the digest is
#: two halves (:func:`snapshot_digest`).
MAPPING_VERSION = 2

#: Characters of the digest's first half: what the later steps (networks, addresses, DNS) write.
_LATER_STEPS = 16

#: Device metadata kept on a tombstone (everything else is dropped).
_TOMBSTONE_KEYS = (
    OWNER,
    OBSERVED,
    EVENT_ID,
    TOMBSTONE,
    DIGEST,
    "aws_account_id",
    "aws_region",
    "aws_instance_id",
    "aws_state",
    "aws_name",
    "aws_hostname",
    "aws_instance_type",
    "aws_launch_time",
)


@dataclass
class DeviceResult:
    instance_id: str
    #: SOLIDserver reflects a newer observation (or a termination): nothing was written.
    stale: bool = False
    #: SOLIDserver already holds what this message describes: nothing else to do.
    unchanged: bool = False
    #: "present" (instance exists: networks/addresses/DNS are synced) or "gone" (terminated).
    lifecycle: str = "present"
    device_id: str | None = None
    interfaces: dict[str, str] = field(default_factory=dict)
    #: The instance's lease this execution holds (given back by its last step), if any.
    lease_id: str | None = None
    #: Only what the device step writes changed (the state, the type, a tag…): it was written, the
    #: lease given back, and the later steps have nothing to do.
    complete: bool = False
    changes: Changes = field(default_factory=Changes)

    @property
    def done(self) -> bool:
        return self.stale or self.unchanged or self.complete

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "stale": self.stale,
            "unchanged": self.unchanged,
            "complete": self.complete,
            "lifecycle": self.lifecycle,
            "device_id": self.device_id,
            "interfaces": self.interfaces,
            "lease_id": self.lease_id,
            "refresh": {"entries": []},
            "changes": self.changes.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeviceResult:
        """What later steps read of the device step's output (``interfaces``: ENI id → interface id)."""
        interfaces = data.get("interfaces") or {}
        if not isinstance(interfaces, Mapping):
            raise InvalidMessage("invalid step input: device.interfaces must be an object")
        return cls(
            instance_id=str(data.get("instance_id") or ""),
            stale=data.get("stale") is True,
            unchanged=data.get("unchanged") is True,
            lifecycle="gone" if data.get("lifecycle") == "gone" else "present",
            device_id=object_id(data.get("device_id"), "device.device_id"),
            lease_id=object_id(data.get("lease_id"), "device.lease_id"),
            interfaces={
                str(eni): object_id(iface, "device.interfaces") or "" for eni, iface in interfaces.items()
            },
        )


@dataclass
class ReleaseResult:
    released: int = 0
    #: ``PutEvents`` entries asking for snapshots of the instances addresses were taken from
    refresh: list[dict[str, Any]] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def to_dict(self) -> dict[str, Any]:
        return {"released": self.released, "refresh": {"entries": self.refresh}}


def device_metadata(msg: Message, digest: str = "", room: int = 0) -> dict[str, str]:
    """Everything ipamsync knows about the instance, within the appliance's 4000-character limit
    (less ``room``: what the device's other keys take, since an edit resends them).

    Tags become ``aws_tag_<key>`` (key lower-cased, other characters → ``_``). When everything
    does not fit, the longest tags are left out and ``aws_tags_omitted`` says how many.
    """
    inst = msg.instance
    primary = inst.primary_interface
    primary_ip = primary.private_ipv4[0] if primary and primary.private_ipv4 else None
    for ip in primary.private_ipv4 if primary else ():
        if ip.primary:
            primary_ip = ip
    meta = clip_all(
        {
            **base_metadata(msg),
            OBSERVED: msg.observed_at,
            EVENT_ID: msg.event.id,
            DIGEST: digest,
            "aws_state": inst.state,
            "aws_architecture": inst.architecture,
            "aws_cpu_cores": inst.cpu_cores,
            "aws_instance_type": inst.instance_type,
            "aws_availability_zone": inst.availability_zone,
            "aws_launch_time": inst.launch_time,
            "aws_name": inst.name,
            "aws_hostname": inst.hostname,
            "aws_private_dns_name": inst.private_dns_name,
            "aws_vpc_id": primary.vpc_id if primary else None,
            "aws_subnet_id": primary.subnet_id if primary else None,
            "aws_private_ip": primary_ip.address if primary_ip else None,
            "aws_public_ip": primary_ip.public_ip if primary_ip else None,
            "aws_eni_count": len(inst.network_interfaces) if inst.network_interfaces else None,
        }
    )
    # The Name tag is the only free text of the base fields: it gives way first, so that the base
    # fields alone always fit (with room for aws_tags_omitted).
    reserve = len("&aws_tags_omitted=99") + room
    meta = md.fit(meta, "aws_name", md.DEVICE_PARAMETERS_MAX - reserve)
    tags: dict[str, str] = {}
    for key in sorted(inst.tags):
        if key == "Name":
            continue  # already aws_name
        tags.setdefault(md.key_from(key, "aws_tag_"), md.clip(inst.tags[key]))
    collisions = len(inst.tags) - (1 if "Name" in inst.tags else 0) - len(tags)
    # Keep as many tags as fit: shortest first (a few huge values must not push out many small ones).
    budget = md.DEVICE_PARAMETERS_MAX - md.encoded_length(meta) - reserve
    kept: dict[str, str] = {}
    for key, value in sorted(tags.items(), key=lambda kv: (md.encoded_length({kv[0]: kv[1]}), kv[0])):
        cost = md.encoded_length({key: value}) + 1
        if cost <= budget:
            kept[key] = value
            budget -= cost
    out = {**meta, **kept}
    omitted = collisions + len(tags) - len(kept)
    if omitted:
        out["aws_tags_omitted"] = str(omitted)
    return out


def tombstone_metadata(msg: Message, settings_hours: int, now_iso: str, digest: str = "") -> dict[str, str]:
    full = device_metadata(msg, digest)
    expiry = format_time(parse_time(now_iso) + timedelta(hours=settings_hours))
    meta = {k: v for k, v in full.items() if k in _TOMBSTONE_KEYS}
    meta["aws_state"] = "terminated"
    meta[TOMBSTONE] = expiry
    return meta


def interface_metadata(msg: Message, eni_id: str, subnet_id: str, vpc_id: str, index: int) -> dict[str, str]:
    return clip_all(
        {
            **base_metadata(msg),
            "aws_eni_id": eni_id,
            "aws_subnet_id": subnet_id,
            "aws_vpc_id": vpc_id,
            "aws_device_index": index,
        }
    )


def snapshot_digest(msg: Message, settings: Settings) -> str:
    """A digest of everything the sync writes for ``msg``: the snapshot (not the event that carried
    it, nor when it was observed), the settings, and the version of the mapping. Equal digests mean
    SOLIDserver already holds what this message would write.

    Two halves of 16 hex characters: the first covers what the later steps read (:func:`_later_part`:
    the networks, the interfaces and their addresses, the names), the second everything. When only
    the second differs, only the device changed (its state, type, tags…): the device step writes it
    and the execution ends there (:attr:`DeviceResult.complete`)."""
    data = msg.to_dict()
    snapshot = {
        "account": msg.account,
        "region": msg.region,
        "instance": data["instance"],
        "vpcs": data["vpcs"],
        "subnets": data["subnets"],
        "settings": asdict(settings),
        "mapping": MAPPING_VERSION,
    }
    return _hash(_later_part(msg, settings, data))[:_LATER_STEPS] + _hash(snapshot)[: 32 - _LATER_STEPS]


def _later_part(msg: Message, settings: Settings, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the networks, addresses and DNS steps read of ``msg`` (``wanted_networks``,
    ``wanted_addresses``, ``wanted_records``): everything but the device's own fields (state,
    architecture, cores, type, zone, launch time, private DNS name, tags) — except the zone tag
    (DNS reads it), and whether the instance is gone, or stopped under ``STOPPED_POLICY=remove-dns``
    (its records go then)."""
    inst = msg.instance
    return {
        "account": msg.account,
        "region": msg.region,
        "vpcs": data["vpcs"],
        "subnets": data["subnets"],
        "settings": asdict(settings),
        "mapping": MAPPING_VERSION,
        "instance": {
            "id": inst.id,
            "known": inst.known,
            "gone": inst.gone,
            "dns_removed": settings.stopped_policy == "remove-dns" and inst.state in ("stopping", "stopped"),
            "name": inst.name,
            "hostname": inst.hostname,
            "zone_tag": inst.tags.get(settings.zone_tag_key),
            "network_interfaces": data["instance"].get("network_interfaces"),
        },
    }


def _hash(data: Mapping[str, Any]) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def only_device_changed(stored: str, digest: str) -> bool:
    """Does ``digest`` differ from the ``stored`` one (a device's ``ipamsync_digest``) in the
    device's own fields alone? (A digest deleted by :func:`forget_applied`, or of an older mapping,
    tells nothing: everything is applied.)"""
    return len(stored) == len(digest) and stored != digest and stored[:_LATER_STEPS] == digest[:_LATER_STEPS]


def _is_newer(current: Device, msg: Message) -> bool:
    seen = current.metadata.get(OBSERVED)
    if not seen:
        return False
    try:
        return parse_time(seen) > msg.observed
    except ValueError:
        return False


def _stale_or_unchanged(device: Device | None, msg: Message, digest: str) -> str | None:
    """ "stale" (SOLIDserver reflects a newer observation, or the instance was terminated),
    "unchanged" (this very observation is already applied), or None (work to do)."""
    if device is None:
        return None
    if _is_newer(device, msg):
        return "stale"
    if TOMBSTONE in device.metadata and not msg.instance.gone:
        # EC2 never reuses instance ids: a terminated instance cannot be running again.
        return "stale"
    same = device.metadata.get(OBSERVED) == msg.observed_at and device.metadata.get(DIGEST) == digest
    return "unchanged" if same and not msg.deep else None


def _find(ctx: SyncContext, msg: Message) -> tuple[list[Device], list[Lease]]:
    return lease_mod.split(ctx.ss.find_devices(OWNER, msg.owner))


def _own_device(ctx: SyncContext, devices: list[Device], changes: Changes) -> Device | None:
    """The instance's device; duplicates (made by an older ipamsync, or by hand) are removed."""
    if not devices:
        return None
    keep, *extra = sorted(devices, key=lambda d: int(d.id))
    for dup in extra:
        log.warning("removing duplicate device", extra={"device_id": dup.id, "kept": keep.id})
        ctx.ss.delete_device(dup.id)
        changes.add("deleted", "device")
    return keep


def _create_device(ctx: SyncContext, msg: Message, name: str, meta: dict[str, str], changes: Changes) -> str:
    """Create the device; an "already exists" for a device of this very instance (an earlier add
    whose answer was lost after the appliance committed it) is recognised and reused."""
    try:
        device_id = ctx.ss.create_device(name, meta)
    except SolidServerConflict as exc:
        same = [
            d
            for d in ctx.ss.find_devices(OWNER, msg.owner)
            if same_name(d.name, name) and not lease_mod.is_lease(d)
        ]
        if not same:
            raise OwnershipConflict(
                f"device name {name!r} is taken by a device ipamsync does not manage: {exc.errmsg or exc}",
                object_type="device",
                key=name,
            ) from None
        _update_device(ctx, same[0], name, meta, changes, replace_all=True)
        return same[0].id
    changes.add("created", "device")
    return device_id


def _update_device(
    ctx: SyncContext,
    current: Device,
    name: str,
    meta: dict[str, str],
    changes: Changes,
    replace_all: bool = False,
) -> None:
    """Update what differs: every key of ipamsync's that is not in ``meta`` goes; the edit resends
    the device's whole class-parameter set (``metadata.edit_set``). Names compare without letter
    case, as the appliance keeps device names unique (``replace_all`` is kept for the callers that
    say so: the rule is the same)."""
    changed, removed = md.diff(current.metadata, meta)
    new_name = name if not same_name(current.name, name) else None
    if not (changed or removed or new_name):
        return
    full, removed = md.edit_set(current.metadata, meta)
    try:
        ctx.ss.update_device(current.id, name=new_name, metadata=full, delete_keys=removed)
    except SolidServerConflict as exc:
        raise OwnershipConflict(
            f"device cannot be renamed to {name!r}: {exc.errmsg or exc}", object_type="device", key=name
        ) from None
    changes.add("updated", "device")


def _sync_interfaces(
    ctx: SyncContext, msg: Message, device_id: str, existing: list[Interface], changes: Changes
) -> dict[str, str]:
    by_eni = {i.metadata.get("aws_eni_id"): i for i in existing if i.metadata.get(OWNER) == msg.owner}
    wanted = {eni.id: eni for eni in msg.instance.network_interfaces}
    result: dict[str, str] = {}
    # Remove interfaces of ENIs the instance no longer has (only ours).
    for eni_id, iface in by_eni.items():
        if eni_id not in wanted:
            ctx.ss.delete_interface(iface.id)
            changes.add("deleted", "interface")
    for eni in sorted(wanted.values(), key=lambda e: e.device_index):
        name = interface_name(eni.device_index)
        meta = interface_metadata(msg, eni.id, eni.subnet_id, eni.vpc_id, eni.device_index)
        found = by_eni.get(eni.id)
        if found is None:
            result[eni.id] = _create_interface(ctx, msg, device_id, name, eni.mac, meta, changes)
            continue
        changed, removed = md.diff(found.metadata, meta)
        new_name = name if not same_name(found.name, name) else None
        new_mac = eni.mac if found.mac != eni.mac else None
        if changed or removed or new_name or new_mac:
            full, removed = md.edit_set(found.metadata, meta)
            ctx.ss.update_interface(
                found.id, device_id, name=new_name, mac=new_mac, metadata=full, delete_keys=removed
            )
            changes.add("updated", "interface")
        result[eni.id] = found.id
    return result


def _create_interface(
    ctx: SyncContext,
    msg: Message,
    device_id: str,
    name: str,
    mac: str,
    meta: dict[str, str],
    changes: Changes,
) -> str:
    try:
        iface_id = ctx.ss.create_interface(device_id, name, mac=mac, metadata=meta)
    except SolidServerConflict as exc:
        again = [
            i
            for i in ctx.ss.list_interfaces(device_id)
            if i.name == name
            and i.metadata.get(OWNER) == msg.owner
            and i.metadata.get("aws_eni_id") == meta["aws_eni_id"]
        ]
        if not again:
            raise OwnershipConflict(
                f"interface {name} exists on device {device_id} and is not managed by ipamsync: "
                f"{exc.errmsg or exc}",
                object_type="interface",
                key=name,
            ) from None
        return again[0].id  # our own add, whose answer was lost
    changes.add("created", "interface")
    return iface_id


def _terminate(
    ctx: SyncContext, msg: Message, current: Device | None, meta: dict[str, str], changes: Changes
) -> str:
    """The device becomes its tombstone in one edit (never delete-then-create: at no point can
    the instance be left with neither its device nor its tombstone); then its interfaces go."""
    if current is None:
        return _create_device(ctx, msg, device_name(msg.instance.hostname, msg.instance.id), meta, changes)
    if TOMBSTONE in current.metadata:
        meta[TOMBSTONE] = current.metadata[TOMBSTONE]  # already a tombstone: its expiry is kept
    name = device_name(msg.instance.hostname, msg.instance.id)  # as EC2 last described it
    _update_device(ctx, current, name, meta, changes, replace_all=True)
    for iface in ctx.ss.list_interfaces(current.id):
        if iface.metadata.get(OWNER) == msg.owner:
            ctx.ss.delete_interface(iface.id)
            changes.add("deleted", "interface")
    return current.id


def _room(current: Device | None) -> int:
    """What the device's keys that are not ipamsync's take in its class parameters (an edit
    resends them, and the whole must stay within the 4000-character limit)."""
    if current is None:
        return 0
    foreign = {k: v for k, v in current.metadata.items() if not md.is_own(k)}
    return len(md.encode_set(foreign)) + 1 if foreign else 0


def _apply(ctx: SyncContext, msg: Message, current: Device | None, digest: str, result: DeviceResult) -> None:
    changes = result.changes
    name = device_name(msg.instance.hostname, msg.instance.id)
    if msg.instance.gone:
        result.lifecycle = "gone"
        if ctx.settings.terminated_policy == "delete":
            meta = tombstone_metadata(msg, ctx.settings.tombstone_hours, format_time(ctx.now()), digest)
            result.device_id = _terminate(ctx, msg, current, meta, changes)
            return
        # retain: the device stays, described by the termination snapshot; its interfaces go
        # with the ENIs (their addresses are released by the addresses step).
        meta = {**device_metadata(msg, digest, _room(current)), "aws_state": "terminated"}
    else:
        meta = device_metadata(msg, digest, _room(current))
    if current is None:
        result.device_id = _create_device(ctx, msg, name, meta, changes)
        existing: list[Interface] = []
    else:
        _update_device(ctx, current, name, meta, changes)
        result.device_id = current.id
        existing = ctx.ss.list_interfaces(current.id)
    result.interfaces = _sync_interfaces(ctx, msg, result.device_id, existing, changes)


def sync_device(
    msg: Message, ctx: SyncContext, *, holder: str, started: datetime | None = None
) -> DeviceResult:
    """The execution's first step: is ``msg`` stale or already applied? If not, take the instance's
    lease for ``holder`` (an execution that ``started`` then; default: now) and bring the device and
    its interfaces to what ``msg`` describes. The lease is returned in the result (``lease_id``)
    for the last step to give back (:func:`finish`); when nothing else is left to do (``unchanged``,
    or only the device changed: ``complete``), it is given back here."""
    result = DeviceResult(instance_id=msg.instance.id, lifecycle="gone" if msg.instance.gone else "present")
    digest = snapshot_digest(msg, ctx.settings)
    devices, leases = _find(ctx, msg)
    current = min(devices, key=lambda d: int(d.id)) if devices else None
    verdict = _stale_or_unchanged(current, msg, digest)
    if verdict is not None and (verdict == "stale" or not leases):
        return _skipped(result, current, verdict)
    now = ctx.now()
    expires = lease_mod.expiry(started or now, ctx.settings.lease_seconds, now)
    taken = lease_mod.acquire(ctx, msg, holder, expires, leases)
    lease = taken.lease
    try:
        devices, _ = _find(ctx, msg)  # what the previous holder left
        current = _own_device(ctx, devices, result.changes)
        verdict = _stale_or_unchanged(current, msg, digest)
        if verdict == "unchanged" and taken.after_failure:
            verdict = None  # the last execution did not finish: apply everything again
        if verdict is not None:
            lease_mod.release(ctx, lease.id)
            return _skipped(result, current, verdict)
        applied = current.metadata.get(DIGEST, "") if current is not None and not taken.after_failure else ""
        device_only = applied == digest or only_device_changed(applied, digest)
        if current is not None and device_only and not msg.deep:
            _device_only(ctx, msg, current, digest, result)
            lease_mod.release(ctx, lease.id)
            return result
        _apply(ctx, msg, current, digest, result)
    except BaseException:
        _abandon_quietly(ctx, lease)
        raise
    result.lease_id = lease.id
    return result


def _device_only(ctx: SyncContext, msg: Message, current: Device, digest: str, result: DeviceResult) -> None:
    """What SOLIDserver holds of the instance's networks, interfaces, addresses and names is what
    ``msg`` describes: only the device is written, and the execution ends after this step.

    * the same digest: a newer observation of what is already there (a reconcile's, say): only
      the observation time moves on (``unchanged``);
    * only the device's own fields changed (its state, type, tags…): the device is written
      (``complete``)."""
    result.device_id = current.id
    if current.metadata.get(DIGEST) == digest:
        _update_device(ctx, current, current.name, {**current.metadata, **_stamp(msg)}, result.changes)
        result.unchanged = True
        return
    name = device_name(msg.instance.hostname, msg.instance.id)
    _update_device(ctx, current, name, device_metadata(msg, digest, _room(current)), result.changes)
    result.complete = True
    log.debug("only the device changed: the later steps have nothing to do")


def _stamp(msg: Message) -> dict[str, str]:
    return {OBSERVED: msg.observed_at, EVENT_ID: msg.event.id}


def _skipped(result: DeviceResult, current: Device | None, verdict: str) -> DeviceResult:
    if verdict == "stale":
        log.info(
            "stale message: SOLIDserver reflects a newer observation",
            extra={"stored_observed_at": current.metadata.get(OBSERVED) if current else None},
        )
        result.stale = True
    else:
        log.info("unchanged: SOLIDserver already reflects this observation")
        result.unchanged = True
    if current is not None:
        result.device_id = current.id
        result.lifecycle = "gone" if TOMBSTONE in current.metadata else result.lifecycle
    return result


def _abandon_quietly(ctx: SyncContext, lease: Lease) -> None:
    """Give the lease up after a failure (:func:`~ipamsync.sync.lease.abandon`); if that fails
    too, it expires on its own."""
    try:
        lease_mod.abandon(ctx, lease)
    except Exception as exc:
        log.warning("lease not given up (it will expire)", extra={"error": type(exc).__name__})


@contextlib.contextmanager
def guarded(ctx: SyncContext, msg: Message, device: DeviceResult | None) -> Iterator[bool]:
    """Run a later step (addresses, DNS) under the instance's lease: the execution's, taken by
    ``SyncDevice`` and named in ``device``; or, for a step invoked on its own, one of its own, held
    for the step's duration. Yields False when ``msg`` turns out stale (write nothing then)."""
    if device is not None and device.lease_id is not None:
        yield True
        return
    devices, leases = _find(ctx, msg)
    holder = f"step-{uuid.uuid4().hex}"
    expires = lease_mod.expiry(ctx.now(), ctx.settings.lease_seconds)
    lease = lease_mod.acquire(ctx, msg, holder, expires, leases).lease
    try:
        devices, _ = _find(ctx, msg)
        current = min(devices, key=lambda d: int(d.id)) if devices else None
        yield _stale_or_unchanged(current, msg, "") != "stale"
    except BaseException:
        _abandon_quietly(ctx, lease)
        raise
    lease_mod.release(ctx, lease.id)


@dataclass(frozen=True)
class Contest:
    """The outcome of :func:`contest`: does the message take the object over, and the holder's
    device (whose digest no longer tells what it holds once something was taken from it)."""

    take: bool
    holder_device_id: str | None = None


def contest(ctx: SyncContext, msg: Message, holder: str, what: str) -> Contest:
    """Does ``msg`` outrank another managed instance (owner value ``holder``) that holds ``what``?

    EC2 lets one holder have an address at a time, so the holder whose newest observation includes
    it is right. The holder's device tells its newest observation (one lookup, with its lease):

    * the holder's execution is running (a live lease) → ``HeldByAnotherInstance`` (transient:
      decided once that execution ends; its release could otherwise free what was just taken);
    * the holder is unknown or terminated, or ``msg`` is at least as new as the holder's newest
      observation, or the holder's last execution did not finish (an expired lease: its own next
      message reclaims ``what`` if its snapshot has it) → take it over;
    * the holder is newer and idle: its applied snapshot has ``what`` → yield it.
    """
    devices, leases = lease_mod.split(ctx.ss.find_devices(OWNER, holder))
    current = min(devices, key=lambda d: int(d.id)) if devices else None
    now = ctx.now()
    if any(not lease.expired(now) for lease in leases):
        # The holder's execution is running (a termination releasing its addresses, say): it may
        # have listed ``what`` as its own and be about to free it. Taking it over now could lose it
        # to that release; decided once that execution ends (transient, retried).
        raise HeldByAnotherInstance(
            f"{what} is held by {holder}, whose execution is running",
            object_type="address",
            key=what,
            holder=holder,
        )
    if current is None or TOMBSTONE in current.metadata:
        return Contest(take=True)
    if not _is_newer(current, msg):
        return Contest(take=True, holder_device_id=current.id)
    # an abandoned lease: the holder's newest snapshot was never applied in full
    return Contest(take=bool(leases), holder_device_id=current.id)


def forget_applied(ctx: SyncContext, device_id: str | None) -> None:
    """The device's instance no longer holds everything its applied snapshot says (an object was
    yielded to, or taken by, another instance): drop its digest, so that its next message is
    applied in full rather than recognised as already applied. Only that key is deleted.

    This is the one edit of a device whose lease the caller may not hold (another instance's):
    resending its whole class-parameter set could overwrite a newer observation its holder writes
    at the same moment, so it sends none — ``keep_class_parameters=1`` with
    ``class_parameters_to_delete=ipamsync_digest`` (the Terraform provider's way to leave class
    parameters alone: ``resource_ip_mac.go``). That deletions still apply under
    ``keep_class_parameters`` is a guess; if they did not, the digest would stay and that instance's
    next identical snapshot would be taken as applied (reconcile reports it as drifted)."""
    if device_id is not None:
        ctx.ss.update_device(device_id, name=None, metadata={}, delete_keys=[DIGEST])


def give_up(msg: Message, ctx: SyncContext, *, holder: str) -> ReleaseResult:
    """After a failure (``ReleaseAfterFailure``), give up the lease ``holder`` may hold: marked
    expired, kept as the mark of an unfinished execution (:func:`~ipamsync.sync.lease.abandon`).
    A finished execution gives its lease back with :func:`finish`."""
    return ReleaseResult(released=lease_mod.abandon_held_by(ctx, msg, holder))


def still_held(ctx: SyncContext, msg: Message, device: DeviceResult | None) -> bool:
    """Is the lease named in ``device`` still there? A retried last step asks (one read): when an
    earlier attempt gave the lease back, the snapshot was applied in full and its answer was lost."""
    if device is None or device.lease_id is None:
        return True
    _devices, leases = _find(ctx, msg)
    return any(lease.id == device.lease_id for lease in leases)


def finish(
    ctx: SyncContext, msg: Message, device: DeviceResult | None, taken: Iterable[str]
) -> ReleaseResult:
    """The execution's last step is done: give the instance's lease back, and name the refresh
    requests for the instances addresses were ``taken`` from. A release that fails is logged, not
    raised: the snapshot is applied, and the lease expires on its own (the instance's next
    execution then applies its snapshot in full, as after any unfinished execution)."""
    result = ReleaseResult(refresh=refresh_entries(taken, f"address taken by {msg.instance.id}"))
    lease_id = device.lease_id if device is not None else None
    if lease_id is None:
        return result
    try:
        lease_mod.release(ctx, lease_id)
        result.released = 1
    except Exception as exc:
        log.warning("lease not given back (it will expire)", extra={"error": type(exc).__name__})
    return result


def collect_tombstones(ctx: SyncContext, limit: int = 100) -> dict[str, int]:
    """Delete tombstones whose expiry has passed, and leases expired longer than tombstones are
    kept (an expired lease marks an execution that did not finish); oldest first, ``limit`` each."""
    keep = timedelta(hours=ctx.settings.tombstone_hours)
    return {
        "tombstones_deleted": _collect(ctx, TOMBSTONE, limit),
        "leases_deleted": _collect(ctx, lease_mod.EXPIRES, limit, older_than=keep),
    }


def _collect(ctx: SyncContext, key: str, limit: int, older_than: timedelta = timedelta(0)) -> int:
    now = format_time(ctx.now() - older_than)
    col = f"tag_hostdev_{key}"
    devices = ctx.ss.list_devices(where=Where.ne(col, ""), tags=[f"hostdev.{key}"], orderby=col, limit=limit)
    deleted = 0
    for dev in devices:
        expiry = dev.metadata.get(key, "")
        if not expiry or not dev.metadata.get(OWNER, "").startswith("aws:"):
            continue
        if expiry > now:
            break  # ordered by expiry: the rest are younger
        if key == lease_mod.EXPIRES:
            # the mark of an unfinished execution goes: its instance's digest goes first
            lease_mod.forget_digests(ctx, dev.metadata[OWNER])
        ctx.ss.delete_device(dev.id)
        deleted += 1
    return deleted
