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

Appliances differ (``docs/solidserver.md``, "Appliances differ"):

* *Unique address names.* Some appliances refuse a name another address already has ("Name …
  already used by <address>"). Every address of an instance is named after it, so on such an
  appliance the first refusal switches the container to :func:`distinct_name` for every address but
  the *principal* one (the primary IPv4 of the primary ENI, the one the A record points to), and
  for that one too when its own name is refused (instances sharing a name).
* *Orphan addresses.* An appliance accepts an address outside every terminal subnet (``subnet_id``
  0). ipamsync never leaves its own that way: it creates addresses only after the networks step
  made their networks (or, run on its own, after checking a terminal network holds them), and an
  orphan it owns is deleted and created again. A public address is the exception to trusting the
  networks step: its /24 may be deleted by another instance's step that found it empty
  (``networks.release_public``), so each public address created is looked up once more; an orphan
  gets its /24 made again and, if the appliance does not take it in, is created again inside it.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import (
    ConfigurationError,
    HeldByAnotherInstance,
    OwnershipConflict,
    SolidServerConflict,
    SolidServerError,
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
from ipamsync.sync.networks import NetworksResult, candidate_starts, ensure_public, release_public

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
    #: the primary IPv4 of the primary ENI: the address the instance's A record points to
    principal: bool = False


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


def distinct_name(name: str, address: str) -> str:
    """The name of an address on an appliance that keeps address names unique: the address, dashed,
    appended to the first label (``web-1.zone`` + ``10.20.1.16`` → ``web-1-10-20-1-16.zone``;
    IPv6 compressed, ``:`` → ``-``), the label cut to 63 characters."""
    label = str(ipaddress.ip_address(address)).replace(".", "-").replace(":", "-")
    host, dot, zone = name.partition(".")
    host = host[: max(1, 62 - len(label))].rstrip("-") or host[:1]
    return f"{host}-{label}{dot}{zone}"


def wanted_addresses(msg: Message, zone: str | None) -> list[WantedAddress]:
    if msg.instance.gone:
        return []
    name = address_name(msg, zone)
    out: list[WantedAddress] = []
    base = base_metadata(msg)
    primary_eni = msg.instance.primary_interface
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
                    principal=eni is primary_eni and ip.address == primary_eni.primary_ipv4,
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

    # The networks step of this execution made a terminal network for every address: trust it.
    # Run on its own, the step checks that a terminal network holds an address before creating it.
    networks_made = networks is not None and networks.space_id is not None
    for version in (4, 6):
        mine = [w for w in wanted if w.version == version]
        at: dict[str, list[str]] = {}
        for w in mine:
            at.setdefault(_space_of(w, space_id, public_space_id), []).append(w.address)
        rows = ctx.ss.find_addresses(version, owner_key=OWNER, owner=msg.owner, at=at)
        owned = [r for r in rows if r.metadata.get(OWNER) == msg.owner]
        wanted_keys = {(_space_of(w, space_id, public_space_id), w.address) for w in mine}
        # 1. Free what the instance no longer has (also lets an address move between spaces), and
        #    its own orphans (no subnet): created again below, inside the subnet made for them.
        gone: set[str] = set()
        freed_public: dict[str, list[str]] = {}
        for row in owned:
            orphan = row.orphan
            if (row.space_id, row.address) not in wanted_keys or orphan:
                if orphan:
                    log.warning("re-creating an orphan address", extra={"address": row.address})
                ctx.ss.delete_address(version, row.id)
                changes.add("deleted", "address")
                gone.add(row.id)
                if not orphan and row.metadata.get("aws_address_kind") == "public" and row.space_id:
                    freed_public.setdefault(row.space_id, []).append(row.address)
        by_key = {(r.space_id, r.address): r for r in rows if r.id not in gone}
        # 2. Create, take over or update what it has.
        for w in mine:
            sid = _space_of(w, space_id, public_space_id)
            existing = by_key.get((sid, w.address))
            placed = _place(
                ctx,
                msg,
                w,
                sid,
                existing,
                device_id,
                ifaces.get(w.eni_id),
                changes,
                result.taken,
                checked=networks_made,
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


def _in_subnet(ctx: SyncContext, w: WantedAddress, address_id: str) -> bool:
    """Whether the address just created as ``address_id`` is in a terminal subnet (not an orphan,
    ``subnet_id`` 0). One lookup. Once it is in one, that subnet cannot be deleted under it (a
    network that holds addresses is refused: ``networks.release_public``). An address gone
    meanwhile counts as in one (whoever removed it is not this step's concern)."""
    rows = ctx.ss.find_address_anywhere(w.version, w.address)
    return all(not r.orphan for r in rows if r.id == address_id)


def _check_network(ctx: SyncContext, w: WantedAddress, space_id: str) -> None:
    """A terminal network of the space must hold ``w`` (an appliance would accept it as an orphan)."""
    net = ipaddress.ip_network(w.address)
    found = ctx.ss.find_networks(w.version, space_id, candidate_starts([net]))
    first = last = int(net.network_address)
    if not any(n.terminal and n.contains(first, last) for n in found):
        raise ConfigurationError(
            f"no terminal network of IPAM space {space_id} holds {w.address}: ipamsync does not create "
            "orphan addresses (run the networks step first)"
        )


def name_in_use(exc: SolidServerError, w: WantedAddress) -> bool:
    """Whether SOLIDserver refused the address because another address has its name: the error
    object names that other address in ``ip_addr`` (a public PowerShell client of SOLIDserver words
    it "Name … already used by <ip_addr>": iAmSaugata/EfficientIP-Management-for-PowerShell
    ``EfficientIP-Management.ps1``), or the message speaks of the name [guess]."""
    other = exc.details.get("ip_addr") or exc.details.get("ip6_addr")
    if other:
        return _address_of(other) != ipaddress.ip_address(w.address)
    text = (exc.errmsg or "").lower()
    return "name" in text and any(h in text for h in ("already used", "already exist", "in use", "unique"))


def _address_of(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as error objects and rows give it: text, or 8/32 hex digits."""
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return ipaddress.ip_address(raw) if len(raw) in (4, 16) else None


def _name_for(ctx: SyncContext, w: WantedAddress, current: str | None = None) -> str:
    """The name ``w`` gets: its instance's name, or :func:`distinct_name` on an appliance known to
    keep names unique (the principal address keeps the instance's name until refused). A current
    name that is either of the two is kept (no renaming back and forth)."""
    fallback = distinct_name(w.name, w.address)
    if current is not None and current.lower() in (w.name.lower(), fallback.lower()):
        return current
    return fallback if ctx.unique_names and not w.principal else w.name


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
    checked: bool = False,
) -> str | None:
    """The id of ``w`` in SOLIDserver once it is the instance's, or None when it was yielded to a
    newer holder (``checked``: a terminal network holds it, else that is checked before a create).
    An address held by another managed instance changes hands by observation
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
                if not checked and not w.public:
                    _check_network(ctx, w, space_id)
                    checked = True
                new_id = _create(ctx, w, space_id, device_id, iface_id, changes)
            except SolidServerConflict:
                pass  # it appeared since the lookup (our own add whose answer was lost, or not)
            except SolidServerRequestError:
                # An appliance that refuses an address no terminal network holds. For a public
                # address that is another instance's addresses step having just deleted the /24 it
                # found empty: create it again, once. Any other refusal propagates as is.
                if not w.public or _attempt > 0:
                    raise
                ensure_public(ctx, space_id, [w.address], changes)
                continue
            else:
                if not w.public or _attempt > 0 or _in_subnet(ctx, w, new_id):
                    return new_id
                # An appliance accepts an orphan: the /24 went between the networks step (or
                # nothing) and this add. Make it again; an address it does not take in is created
                # again inside it.
                ensure_public(ctx, space_id, [w.address], changes)
                if _in_subnet(ctx, w, new_id):
                    return new_id
                log.warning("re-creating an orphan address", extra={"address": w.address})
                ctx.ss.delete_address(w.version, new_id)
                changes.add("deleted", "address")
                continue
        again = ctx.ss.find_addresses(w.version, owner_key=OWNER, owner=msg.owner, at={space_id: [w.address]})
        existing = next((r for r in again if (r.space_id, r.address) == (space_id, w.address)), None)
    raise HeldByAnotherInstance(
        f"address {w.address} keeps changing hands", object_type="address", key=w.address, holder=""
    )


def _create(
    ctx: SyncContext,
    w: WantedAddress,
    space_id: str,
    device_id: str | None,
    iface_id: str | None,
    changes: Changes,
) -> str:
    name = _name_for(ctx, w)
    for _attempt in range(2):
        try:
            new_id = ctx.ss.create_address(
                w.version,
                space_id,
                w.address,
                name=name,
                mac=w.mac,
                device_id=device_id,
                iface_id=iface_id,
                metadata=w.metadata,
            )
            changes.add("created", "address")
            return new_id
        except SolidServerRequestError as exc:
            name = _after_name_refusal(ctx, exc, w, name)
    raise AssertionError("unreachable")  # pragma: no cover


def _after_name_refusal(ctx: SyncContext, exc: SolidServerRequestError, w: WantedAddress, name: str) -> str:
    """The name to try after ``exc``, when it refused ``name`` as used by another address; else
    ``exc`` is raised again."""
    fallback = distinct_name(w.name, w.address)
    if not name_in_use(exc, w) or name.lower() == fallback.lower():
        raise exc
    if not ctx.unique_names:
        log.warning(
            "SOLIDserver keeps address names unique: distinct names from now on",
            extra={"address": w.address, "refused_name": name, "errmsg": exc.errmsg},
        )
        ctx.unique_names = True
    return fallback


def _update(
    ctx: SyncContext,
    row: Address,
    w: WantedAddress,
    device_id: str | None,
    iface_id: str | None,
    changes: Changes,
) -> None:
    """Bring an address the instance owns to ``w``. An edit sends the whole state ipamsync keeps —
    name, MAC, links, every class parameter (``metadata.edit_set``) — so that it is right whether
    the appliance merges or replaces what an edit leaves out."""
    changed, removed = md.diff(row.metadata, w.metadata)
    name = _name_for(ctx, w, row.name)
    dev = device_id or row.device_id
    iface = iface_id if device_id and iface_id else (row.iface_id if dev == row.device_id else None)
    stale = (
        name != row.name
        or (row.mac != w.mac.lower() and bool(w.mac or row.mac))
        or dev != row.device_id
        or iface != row.iface_id
    )
    if not (changed or removed or stale):
        return
    full, removed = md.edit_set(row.metadata, w.metadata)
    for _attempt in range(2):
        try:
            ctx.ss.update_address(
                row.version,
                row.id,
                name=name,
                mac=w.mac if (w.mac or row.mac) else None,
                device_id=dev or "",
                iface_id=iface or "",
                metadata=full,
                delete_keys=removed,
            )
            changes.add("updated", "address")
            return
        except SolidServerRequestError as exc:
            if isinstance(exc, SolidServerNotFound):
                raise
            name = _after_name_refusal(ctx, exc, w, name)
