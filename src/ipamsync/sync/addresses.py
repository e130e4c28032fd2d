"""IPAM addresses: private (primary and secondary), IPv6 and public IPv4 of every ENI.

Each address carries the instance's name (FQDN when DNS is configured), the ENI's MAC (private
and IPv6 addresses), ownership metadata, and is linked to the instance's device and the ENI's
interface when it is created. Addresses the instance no longer has are removed; on termination
every address it owns is removed.

An address held by something ipamsync does not manage is never overwritten:
:class:`OwnershipConflict` (dead-lettered). An address held by another ipamsync-managed instance
(an Elastic IP moved, a secondary IP reassigned, a private IP reused after a termination) changes
hands by observation: the newer observation that shows it wins, and nothing waits for the older
holder to change state (:func:`~ipamsync.sync.device.contest`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import (
    HeldByAnotherInstance,
    OwnershipConflict,
    SolidServerConflict,
    SolidServerNotFound,
    SolidServerRequestError,
)
from ipamsync.model import Message
from ipamsync.naming import fqdn
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Address
from ipamsync.sync.common import (
    ASSOCIATION,
    ATTACHMENT,
    OWNER,
    Changes,
    SyncContext,
    base_metadata,
    clip_all,
    other_instance,
)
from ipamsync.sync.device import DeviceResult, contest, forget_applied, guarded
from ipamsync.sync.dns import zone_for
from ipamsync.sync.networks import NetworksResult, ensure_public, release_public

log = logging.getLogger("ipamsync.sync.addresses")


@dataclass(frozen=True)
class WantedAddress:
    version: int
    address: str
    public: bool
    name: str
    mac: str
    eni_id: str
    metadata: dict[str, str]


@dataclass
class AddressesResult:
    addresses: list[dict[str, str]] = field(default_factory=list)
    #: addresses left to another managed instance whose newer observation has them
    yielded: list[str] = field(default_factory=list)
    #: the managed instances (owner values) addresses were taken from: the state machine asks for a
    #: new snapshot of each (``RequestRefresh``), so that nothing waits for them to change state
    taken: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "addresses": self.addresses,
            "yielded": self.yielded,
            "taken": self.taken,
            "changes": self.changes.to_dict(),
        }


def address_name(msg: Message, zone: str | None) -> str:
    host = msg.instance.hostname
    if host and zone:
        return fqdn(host, zone)
    return host or msg.instance.id


def wanted_addresses(msg: Message, zone: str | None) -> list[WantedAddress]:
    if msg.instance.gone:
        return []
    name = address_name(msg, zone)
    out: list[WantedAddress] = []
    base = base_metadata(msg)
    for eni in msg.instance.network_interfaces:
        common = {**base, "aws_eni_id": eni.id, "aws_vpc_id": eni.vpc_id, "aws_subnet_id": eni.subnet_id}
        if eni.attachment_id:  # how a later DetachNetworkInterface names the ENI (a lookup finds it)
            common[ATTACHMENT] = eni.attachment_id
        for ip in eni.private_ipv4:
            kind = "primary" if ip.primary else "secondary"
            out.append(
                WantedAddress(
                    4,
                    ip.address,
                    False,
                    name,
                    eni.mac,
                    eni.id,
                    clip_all({**common, "aws_address_kind": kind}),
                )
            )
            if ip.public_ip:
                meta = {
                    **common,
                    "aws_address_kind": "public",
                    "aws_public_ip_kind": "elastic" if ip.elastic else "ephemeral",
                    "aws_private_ip": ip.address,
                }
                if ip.association_id:  # how a later DisassociateAddress names it
                    meta[ASSOCIATION] = ip.association_id
                out.append(WantedAddress(4, ip.public_ip, True, name, "", eni.id, clip_all(meta)))
        for addr in eni.ipv6:
            out.append(
                WantedAddress(
                    6, addr, False, name, eni.mac, eni.id, clip_all({**common, "aws_address_kind": "ipv6"})
                )
            )
    # The same public IP cannot sit on two private IPs; keep the first mention of any address.
    unique: dict[tuple[int, str], WantedAddress] = {}
    for w in out:
        unique.setdefault((w.version, w.address), w)
    return list(unique.values())


def _space_of(w: WantedAddress, space_id: str | None, public_space_id: str | None) -> str:
    sid = public_space_id if w.public else space_id
    if not sid:
        raise OwnershipConflict(
            f"no IPAM space resolved for {w.address}", object_type="address", key=w.address
        )
    return sid


def sync_addresses(
    msg: Message,
    ctx: SyncContext,
    *,
    device: DeviceResult | None = None,
    networks: NetworksResult | None = None,
) -> AddressesResult:
    """Bring the instance's addresses in SOLIDserver to what ``msg`` describes.

    ``device`` links the addresses to the device and its interfaces; ``networks`` names the spaces
    (without it, e.g. run on its own, the spaces are looked up and the addresses left unlinked).
    """
    result = AddressesResult()
    with guarded(ctx, msg, device) as go:
        if go:
            _sync(msg, ctx, device, networks, result)
    return result


def _sync(
    msg: Message,
    ctx: SyncContext,
    device: DeviceResult | None,
    networks: NetworksResult | None,
    result: AddressesResult,
) -> None:
    changes = result.changes
    settings = ctx.settings
    zone = zone_for(msg, settings.forward_zone, settings.zone_tag_key) if settings.dns_enabled else None
    wanted = wanted_addresses(msg, zone)
    device_id = device.device_id if device else None
    ifaces: Mapping[str, str] = device.interfaces if device else {}
    space_id = public_space_id = None
    if wanted:
        space_id = (networks.space_id if networks else None) or ctx.space_id(
            settings.space_for(msg.account, msg.region, msg.vpc_id), create=False
        )
        if any(w.public for w in wanted):
            public_space_id = (networks.public_space_id if networks else None) or ctx.space_id(
                settings.public_space_for(msg.account, msg.region, msg.vpc_id), create=False
            )

    for version in (4, 6):
        mine = [w for w in wanted if w.version == version]
        at: dict[str, list[str]] = {}
        for w in mine:
            at.setdefault(_space_of(w, space_id, public_space_id), []).append(w.address)
        rows = ctx.ss.find_addresses(version, owner_key=OWNER, owner=msg.owner, at=at)
        owned = [r for r in rows if r.metadata.get(OWNER) == msg.owner]
        wanted_keys = {(_space_of(w, space_id, public_space_id), w.address) for w in mine}
        # 1. Free what the instance no longer has (also lets an address move between spaces).
        freed_public: dict[str, list[str]] = {}
        for row in owned:
            if (row.space_id, row.address) not in wanted_keys:
                ctx.ss.delete_address(version, row.id)
                changes.add("deleted", "address")
                if row.metadata.get("aws_address_kind") == "public" and row.space_id:
                    freed_public.setdefault(row.space_id, []).append(row.address)
        by_key = {(r.space_id, r.address): r for r in rows}
        # 2. Create, take over or update what it has.
        for w in mine:
            sid = _space_of(w, space_id, public_space_id)
            existing = by_key.get((sid, w.address))
            placed = _place(
                ctx, msg, w, sid, existing, device_id, ifaces.get(w.eni_id), changes, result.taken
            )
            if placed is None:
                if not result.yielded:
                    forget_applied(ctx, device_id)  # this snapshot is not applied in full
                result.yielded.append(w.address)
            else:
                result.addresses.append({"address": w.address, "id": placed})
        # 3. Public networks left empty by the addresses freed go too (they would accumulate).
        for sid, freed in freed_public.items():
            release_public(ctx, sid, freed, changes)


def _place(
    ctx: SyncContext,
    msg: Message,
    w: WantedAddress,
    space_id: str,
    existing: Address | None,
    device_id: str | None,
    iface_id: str | None,
    changes: Changes,
    taken: list[str],
) -> str | None:
    """The id of ``w`` in SOLIDserver once it is the instance's, or None when it was yielded to a
    newer holder. An address held by another managed instance changes hands by observation
    (:func:`~ipamsync.sync.device.contest`): the old row is deleted by its id and the address
    created anew, so that exactly one of two racing claims can win (an add is atomic)."""
    for _attempt in range(3):
        if existing is not None and existing.metadata.get(OWNER) != msg.owner:
            holder = existing.metadata.get(OWNER, "")
            if not other_instance(existing.metadata):
                raise OwnershipConflict(
                    f"address {w.address} already exists in SOLIDserver (id {existing.id}, name "
                    f"{existing.name!r}) and is not managed by ipamsync",
                    object_type="address",
                    key=w.address,
                    holder=holder or "(not ipamsync)",
                )
            verdict = contest(ctx, msg, holder, f"address {w.address}")
            if not verdict.take:
                log.info("address yielded to a newer holder", extra={"address": w.address, "holder": holder})
                return None
            log.info("address taken over", extra={"address": w.address, "from": holder})
            ctx.ss.delete_address(w.version, existing.id)
            changes.add("deleted", "address")
            forget_applied(ctx, verdict.holder_device_id)
            if holder not in taken:
                taken.append(holder)
            existing = None
        if existing is not None:
            try:
                _update(ctx, existing, w, device_id, iface_id, changes)
                return existing.id
            except SolidServerNotFound:
                pass  # it changed hands since the lookup: look again
        else:
            try:
                new_id = ctx.ss.create_address(
                    w.version,
                    space_id,
                    w.address,
                    name=w.name,
                    mac=w.mac,
                    device_id=device_id,
                    iface_id=iface_id,
                    metadata=w.metadata,
                )
                changes.add("created", "address")
                return new_id
            except SolidServerConflict:
                pass  # it appeared since the lookup (our own add whose answer was lost, or not)
            except SolidServerRequestError:
                # No terminal network holds it. For a public address that is another instance's
                # addresses step having just deleted the /24 it found empty: create it again, once.
                # Any other refusal propagates as is.
                if not w.public or _attempt > 0:
                    raise
                ensure_public(ctx, space_id, [w.address], changes)
                continue
        again = ctx.ss.find_addresses(w.version, owner_key=OWNER, owner=msg.owner, at={space_id: [w.address]})
        existing = next((r for r in again if (r.space_id, r.address) == (space_id, w.address)), None)
    raise HeldByAnotherInstance(
        f"address {w.address} keeps changing hands", object_type="address", key=w.address, holder=""
    )


def _update(
    ctx: SyncContext,
    row: Address,
    w: WantedAddress,
    device_id: str | None,
    iface_id: str | None,
    changes: Changes,
) -> None:
    changed, removed = md.diff(row.metadata, w.metadata)
    kw: dict[str, Any] = {}
    if row.name != w.name:
        kw["name"] = w.name
    if row.mac != w.mac.lower() and (w.mac or row.mac):
        kw["mac"] = w.mac
    if device_id and row.device_id != device_id:
        kw["device_id"] = device_id
    if device_id and iface_id and row.iface_id != iface_id:
        kw["iface_id"] = iface_id
    if changed or removed or kw:
        ctx.ss.update_address(row.version, row.id, metadata=changed, delete_keys=removed, **kw)
        changes.add("updated", "address")
