"""Device Manager: one device per instance, one interface per ENI; the per-instance freshness guard.

The device is looked up first in every execution. It carries ``ipamsync_observed_at``, the time
EC2 was observed for the newest message applied to this instance. A message observed *before*
that time is stale: the execution stops there and nothing is written. After termination the
device stays as a *tombstone* (``ipamsync_tombstone=<expiry>``) so that a late message for the
instance cannot bring it back; :func:`collect_tombstones` removes expired tombstones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ipamsync.errors import InvalidMessage, OwnershipConflict, SolidServerConflict
from ipamsync.model import Message, format_time, parse_time
from ipamsync.naming import device_name, interface_name
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Device, Interface
from ipamsync.solidserver.where import Where
from ipamsync.sync.common import (
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

log = logging.getLogger("ipamsync.sync.device")

#: Device metadata kept on a tombstone (everything else is dropped).
_TOMBSTONE_KEYS = (
    OWNER,
    OBSERVED,
    EVENT_ID,
    TOMBSTONE,
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
    stale: bool = False
    #: "present" (instance exists: networks/addresses/DNS are synced) or "gone" (terminated).
    lifecycle: str = "present"
    device_id: str | None = None
    interfaces: dict[str, str] = field(default_factory=dict)
    changes: Changes = field(default_factory=Changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "stale": self.stale,
            "lifecycle": self.lifecycle,
            "device_id": self.device_id,
            "interfaces": self.interfaces,
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
            lifecycle="gone" if data.get("lifecycle") == "gone" else "present",
            device_id=object_id(data.get("device_id"), "device.device_id"),
            interfaces={
                str(eni): object_id(iface, "device.interfaces") or "" for eni, iface in interfaces.items()
            },
        )


def device_metadata(msg: Message) -> dict[str, str]:
    """Everything ipamsync knows about the instance, within the appliance's 4000-character limit.

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
    tags: dict[str, str] = {}
    for key in sorted(inst.tags):
        if key == "Name":
            continue  # already aws_name
        tags.setdefault(md.key_from(key, "aws_tag_"), md.clip(inst.tags[key]))
    collisions = len(inst.tags) - (1 if "Name" in inst.tags else 0) - len(tags)
    # Keep as many tags as fit: shortest first (a few huge values must not push out many small ones).
    budget = md.DEVICE_PARAMETERS_MAX - md.encoded_length(meta) - len("&aws_tags_omitted=99")
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


def tombstone_metadata(msg: Message, settings_hours: int, now_iso: str) -> dict[str, str]:
    full = device_metadata(msg)
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


def _is_newer(current: Device, msg: Message) -> bool:
    seen = current.metadata.get(OBSERVED)
    if not seen:
        return False
    try:
        return parse_time(seen) > msg.observed
    except ValueError:
        return False


def _find_own_device(ctx: SyncContext, msg: Message, changes: Changes) -> Device | None:
    """The instance's device; duplicates (a create whose answer was lost, then retried) are removed."""
    found = ctx.ss.find_devices(OWNER, msg.owner)
    if not found:
        return None
    keep, *extra = sorted(found, key=lambda d: int(d.id))
    for dup in extra:
        log.warning("removing duplicate device", extra={"device_id": dup.id, "kept": keep.id})
        ctx.ss.delete_device(dup.id)
        changes.add("deleted", "device")
    return keep


def _write_device(
    ctx: SyncContext,
    current: Device | None,
    name: str,
    meta: dict[str, str],
    changes: Changes,
    replace_all: bool = False,
) -> str:
    """Create the device, or update what differs (``replace_all``: drop every key not in ``meta``)."""
    if current is None:
        try:
            device_id = ctx.ss.create_device(name, meta)
        except SolidServerConflict as exc:
            raise OwnershipConflict(
                f"device name {name!r} is taken by a device ipamsync does not manage: {exc.errmsg or exc}",
                object_type="device",
                key=name,
            ) from None
        changes.add("created", "device")
        return device_id
    changed, removed = md.diff(current.metadata, meta)
    if replace_all:
        removed = [k for k in current.metadata if k not in meta]
    new_name = name if current.name != name else None
    if changed or removed or new_name:
        try:
            ctx.ss.update_device(current.id, name=new_name, metadata=changed, delete_keys=removed)
        except SolidServerConflict as exc:
            raise OwnershipConflict(
                f"device cannot be renamed to {name!r}: {exc.errmsg or exc}", object_type="device", key=name
            ) from None
        changes.add("updated", "device")
    return current.id


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
            try:
                result[eni.id] = ctx.ss.create_interface(device_id, name, mac=eni.mac, metadata=meta)
            except SolidServerConflict as exc:
                raise OwnershipConflict(
                    f"interface {name} exists on device {device_id} and is not managed by ipamsync: "
                    f"{exc.errmsg or exc}",
                    object_type="interface",
                    key=name,
                ) from None
            changes.add("created", "interface")
            continue
        iface = found
        changed, removed = md.diff(iface.metadata, meta)
        new_name = name if iface.name != name else None
        new_mac = eni.mac if iface.mac != eni.mac else None
        if changed or removed or new_name or new_mac:
            ctx.ss.update_interface(
                iface.id, device_id, name=new_name, mac=new_mac, metadata=changed, delete_keys=removed
            )
            changes.add("updated", "interface")
        result[eni.id] = iface.id
    return result


def sync_device(msg: Message, ctx: SyncContext) -> DeviceResult:
    """Create/update/tombstone the instance's device and interfaces; tell whether ``msg`` is stale."""
    changes = Changes()
    result = DeviceResult(instance_id=msg.instance.id, changes=changes)
    current = _find_own_device(ctx, msg, changes)
    if current is not None and _is_newer(current, msg):
        log.info(
            "stale message: SOLIDserver reflects a newer observation",
            extra={
                "stored_observed_at": current.metadata.get(OBSERVED),
                "message_observed_at": msg.observed_at,
            },
        )
        result.stale = True
        result.device_id = current.id
        result.lifecycle = "gone" if TOMBSTONE in current.metadata else "present"
        return result

    hostname = msg.instance.hostname
    name = device_name(hostname, msg.instance.id)
    if msg.instance.gone:
        result.lifecycle = "gone"
        if ctx.settings.terminated_policy == "retain":
            # Inventory history: the device stays, described by the termination snapshot; its
            # interfaces go with the ENIs (their addresses are released by the address step).
            meta = device_metadata(msg)
            meta["aws_state"] = "terminated"
            result.device_id = _write_device(ctx, current, name, meta, changes)
            if current is not None:
                _sync_interfaces(
                    ctx, msg, result.device_id, ctx.ss.list_interfaces(result.device_id), changes
                )
            return result
        meta = tombstone_metadata(msg, ctx.settings.tombstone_hours, format_time(ctx.now()))
        if current is not None and TOMBSTONE in current.metadata:
            # Already a tombstone: only move its observation forward (expiry kept).
            meta[TOMBSTONE] = current.metadata[TOMBSTONE]
            result.device_id = _write_device(ctx, current, current.name, meta, changes, replace_all=True)
            return result
        if current is not None:
            # Deleting the device removes its interfaces and unlinks its addresses in one call.
            ctx.ss.delete_device(current.id)
            changes.add("deleted", "device")
        result.device_id = _write_device(ctx, None, name, meta, changes)
        return result

    meta = device_metadata(msg)
    if current is not None and TOMBSTONE in current.metadata:
        # A newer observation of a "terminated" instance cannot be running again: EC2 never
        # reuses instance ids. Treat the message as stale rather than resurrect the instance.
        log.warning("message for a terminated instance ignored", extra={"instance_id": msg.instance.id})
        result.stale = True
        result.lifecycle = "gone"
        result.device_id = current.id
        return result
    created = current is None
    device_id = _write_device(ctx, current, name, meta, changes)
    existing = [] if created else ctx.ss.list_interfaces(device_id)
    result.device_id = device_id
    result.interfaces = _sync_interfaces(ctx, msg, device_id, existing, changes)
    return result


def collect_tombstones(ctx: SyncContext, limit: int = 100) -> int:
    """Delete tombstones whose expiry has passed (oldest first); returns how many were deleted."""
    now = format_time(ctx.now())
    col = f"tag_hostdev_{TOMBSTONE}"
    devices = ctx.ss.list_devices(
        where=Where.ne(col, ""), tags=[f"hostdev.{TOMBSTONE}"], orderby=col, limit=limit
    )
    deleted = 0
    for dev in devices:
        expiry = dev.metadata.get(TOMBSTONE, "")
        if not expiry or not dev.metadata.get(OWNER, "").startswith("aws:"):
            continue
        if expiry > now:
            break  # ordered by expiry: the rest are younger
        ctx.ss.delete_device(dev.id)
        deleted += 1
    return deleted
