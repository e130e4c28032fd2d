"""IPAM networks: VPC CIDRs as blocks, AWS subnets as terminal networks (IPv4 and IPv6).

ipamsync fits into the address plan it finds: a network that already exists with the same
address and size is used as it is (and only modified when ipamsync owns it); a VPC CIDR inside an
existing block becomes a non-terminal subnet of that block instead of a new block. VPC and subnet
networks are never deleted (other instances, or people, may use them).

Public IPv4 addresses need a terminal network too: the /24 around each one (under its /16
block), named "AWS public …", owned by ``aws-public``, in the public space (by default the same
space). Existing networks that contain the address are used first. Ephemeral public IPs come and
go by the hundred, so these networks do not accumulate: when the addresses step frees a public
address, the ipamsync-owned /24 around it is deleted once it holds no address, and the /16 once it
holds no network (:func:`release_public`). An instance that needs one again a moment later finds
it gone and creates it again (:func:`ensure_public`).

Lookups cost one call per (space, IP version): all networks starting at the candidate addresses
(exact matches and every CIDR-aligned supernet) come back in one list.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import OverlappingRange, OwnershipConflict, SolidServerConflict, SolidServerRequestError
from ipamsync.model import Message
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.api import Network
from ipamsync.sync.common import OWNER, PUBLIC_OWNER, Changes, SyncContext, clip_all, object_id

log = logging.getLogger("ipamsync.sync.networks")

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

NAME_MAX = 128


@dataclass(frozen=True)
class Wanted:
    """A network ipamsync needs."""

    cidr: str
    terminal: bool
    name: str
    owner: str
    metadata: dict[str, str]
    public: bool = False

    @property
    def net(self) -> IPNetwork:
        return ipaddress.ip_network(self.cidr)


@dataclass
class NetworksResult:
    """The spaces the instance's addresses go into (``None`` for a gone instance)."""

    space_id: str | None = None
    public_space_id: str | None = None
    changes: Changes = field(default_factory=Changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "space_id": self.space_id,
            "public_space_id": self.public_space_id,
            "changes": self.changes.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NetworksResult:
        return cls(
            space_id=object_id(data.get("space_id"), "networks.space_id"),
            public_space_id=object_id(data.get("public_space_id"), "networks.public_space_id"),
        )


def _label(name: str | None, ident: str) -> str:
    text = f"{name} ({ident})" if name else ident
    return md.clip(text, NAME_MAX)


def _public_wanted(addresses: list[str]) -> list[Wanted]:
    """The /16 block and /24 terminal network around each public IPv4 address."""
    public: list[Wanted] = []
    seen: set[str] = set()
    for address in addresses:
        for prefix, terminal in ((16, False), (24, True)):
            cidr = str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
            if cidr in seen:
                continue
            seen.add(cidr)
            meta = {OWNER: PUBLIC_OWNER, "aws_cidr": cidr}
            public.append(Wanted(cidr, terminal, f"AWS public {cidr}", PUBLIC_OWNER, meta, public=True))
    return public


def wanted_networks(msg: Message) -> tuple[list[Wanted], list[Wanted]]:
    """(private networks, public networks) the instance's addresses need."""
    inst = msg.instance
    base = {"aws_account_id": msg.account, "aws_region": msg.region}
    used_subnets = {e.subnet_id for e in inst.network_interfaces}
    used_vpcs = {e.vpc_id for e in inst.network_interfaces}
    private: list[Wanted] = []
    for vpc in msg.vpcs:
        if vpc.id not in used_vpcs:
            continue
        owner = f"aws:{msg.account}:{msg.region}:{vpc.id}"
        for cidr in (*vpc.cidrs_v4, *vpc.cidrs_v6):
            meta = clip_all(
                {OWNER: owner, **base, "aws_vpc_id": vpc.id, "aws_name": vpc.name, "aws_cidr": cidr}
            )
            private.append(Wanted(cidr, False, _label(vpc.name, vpc.id), owner, meta))
    for sub in msg.subnets:
        if sub.id not in used_subnets:
            continue
        owner = f"aws:{msg.account}:{msg.region}:{sub.id}"
        for cidr in filter(None, (sub.cidr_v4, *sub.cidrs_v6)):
            meta = clip_all(
                {
                    OWNER: owner,
                    **base,
                    "aws_vpc_id": sub.vpc_id,
                    "aws_subnet_id": sub.id,
                    "aws_availability_zone": sub.availability_zone,
                    "aws_name": sub.name,
                    "aws_cidr": cidr,
                }
            )
            private.append(Wanted(cidr, True, _label(sub.name, sub.id), owner, meta))
    public = _public_wanted(
        [ip.public_ip for e in inst.network_interfaces for ip in e.private_ipv4 if ip.public_ip]
    )
    return private, public


def candidate_starts(nets: list[IPNetwork]) -> set[str]:
    """Network addresses of every network that could contain (or equal) one of ``nets``."""
    starts: set[str] = set()
    for net in nets:
        for prefix in range(net.prefixlen + 1):
            starts.add(str(net.supernet(new_prefix=prefix).network_address))
    return starts


class _Plan:
    """Existing networks of one (space, version), growing as ipamsync creates new ones."""

    def __init__(self, ctx: SyncContext, space_id: str, version: int, wanted: list[Wanted]) -> None:
        self.ctx = ctx
        self.space_id = space_id
        self.version = version
        starts = candidate_starts([w.net for w in wanted])
        self.known: list[Network] = ctx.ss.find_networks(version, space_id, starts)

    def exact(self, net: IPNetwork) -> Network | None:
        first, last = int(net.network_address), int(net.broadcast_address)
        return next((n for n in self.known if n.first == first and n.last == last), None)

    def container(self, net: IPNetwork) -> Network | None:
        """The smallest known network strictly containing ``net``."""
        first, last = int(net.network_address), int(net.broadcast_address)
        holders = [
            n for n in self.known if n.contains(first, last) and not (n.first == first and n.last == last)
        ]
        return min(holders, key=lambda n: n.size) if holders else None

    def refresh(self, net: IPNetwork) -> Network | None:
        self.known.extend(self.ctx.ss.find_networks(self.version, self.space_id, [str(net.network_address)]))
        return self.exact(net)


def _vpc_of(metadata: Mapping[str, str]) -> tuple[str, str, str] | None:
    """(account, region, VPC) of a network ipamsync synced for a VPC or subnet, else None."""
    vpc = metadata.get("aws_vpc_id")
    if not vpc or not str(metadata.get(OWNER, "")).startswith("aws:"):
        return None
    return (metadata.get("aws_account_id", ""), metadata.get("aws_region", ""), vpc)


def _overlap(want: Wanted, held: Network | None) -> None:
    """``OverlappingRange`` when ``held`` (the same range, or one containing it) was synced for a VPC
    of another account or region. Nothing is written into the other account's networks. Within one
    account and region a network of another VPC is used as it is (a VPC replaced by a new one with the
    same range; two live VPCs reusing a range need ``per-vpc``)."""
    if held is None or want.public:
        return
    theirs, mine = _vpc_of(held.metadata), _vpc_of(want.metadata)
    if theirs is None or mine is None or theirs[:2] == mine[:2]:
        return
    raise OverlappingRange(
        f"{want.cidr} of {mine[2]} (account {mine[0]}, {mine[1]}) overlaps {held.cidr} of {theirs[2]} "
        f"(account {theirs[0]}, {theirs[1]}) in the same IP space: with reused ranges choose "
        "SpaceStrategy per-account, per-account-region or per-vpc (README, Overlapping ranges)",
        object_type="network",
        key=want.cidr,
        holder=held.metadata.get(OWNER, ""),
    )


def _ensure(plan: _Plan, want: Wanted, changes: Changes) -> Network:
    ss = plan.ctx.ss
    net = want.net
    found = plan.exact(net)
    _overlap(want, found if found is not None else plan.container(net))
    if found is not None:
        if found.terminal != want.terminal:
            kind = "terminal subnet" if want.terminal else "block or non-terminal subnet"
            raise OwnershipConflict(
                f"{want.cidr} exists in the space but is not a {kind}, so ipamsync cannot use it",
                object_type="network",
                key=want.cidr,
                holder=found.metadata.get(OWNER, ""),
            )
        if found.metadata.get(OWNER) == want.owner:
            changed, removed = md.diff(found.metadata, want.metadata)
            new_name = want.name if found.name != want.name else None
            if changed or removed or new_name:
                full, removed = md.edit_set(found.metadata, want.metadata)  # the whole set: merge or replace
                ss.update_network(plan.version, found.id, name=new_name, metadata=full, delete_keys=removed)
                changes.add("updated", "network")
        return found
    parent = plan.container(net)
    if parent is not None and parent.terminal:
        raise OwnershipConflict(
            f"{want.cidr} lies inside terminal network {parent.cidr} ({parent.name or parent.id}); "
            "ipamsync cannot place networks inside a terminal subnet",
            object_type="network",
            key=want.cidr,
            holder=parent.metadata.get(OWNER, ""),
        )
    try:
        new_id = ss.create_network(
            plan.version,
            plan.space_id,
            want.cidr,
            name=want.name,
            terminal=want.terminal,
            parent_id=parent.id if parent else None,
            metadata=want.metadata,
            # EC2 hands out public IPs anywhere in its ranges, x.y.z.0 and x.y.z.255 included: the
            # /24 around them is a container, not a routed subnet with network/broadcast addresses.
            lock_network_broadcast=not want.public,
        )
    except (SolidServerConflict, SolidServerRequestError) as exc:
        # Another execution may have created it a moment ago (instances of a new VPC launch together).
        again = plan.refresh(net)
        if again is not None and again.terminal == want.terminal:
            return again
        if not isinstance(exc, SolidServerConflict):
            raise  # refused for another reason: keep the appliance's own error
        raise OwnershipConflict(
            f"network {want.cidr} cannot be created (it overlaps a network ipamsync does not manage): "
            f"{exc.errmsg or exc}",
            object_type="network",
            key=want.cidr,
        ) from None
    changes.add("created", "network")
    made = Network(
        id=new_id,
        version=plan.version,
        start=str(net.network_address),
        size=net.num_addresses,
        name=want.name,
        terminal=want.terminal,
        parent_id=parent.id if parent else None,
        space_id=plan.space_id,
        metadata=dict(want.metadata),
    )
    plan.known.append(made)
    return made


def _sync_space(ctx: SyncContext, space_id: str, wanted: list[Wanted], changes: Changes) -> None:
    for version in (4, 6):
        items = sorted((w for w in wanted if w.net.version == version), key=lambda w: w.net.prefixlen)
        if not items:
            continue
        plan = _Plan(ctx, space_id, version, items)
        for want in items:
            _ensure(plan, want, changes)


def _one_vpc(msg: Message, strategy: str) -> None:
    """With one space per VPC, an instance's addresses go into its primary VPC's space: one whose
    ENIs are in several VPCs (multi-VPC ENI attachments) cannot be placed and is refused."""
    vpcs = {e.vpc_id for e in msg.instance.network_interfaces}
    if strategy == "per-vpc" and len(vpcs) > 1:
        raise OwnershipConflict(
            f"{msg.instance.id} has ENIs in {len(vpcs)} VPCs ({', '.join(sorted(vpcs))}): with "
            "SpaceStrategy per-vpc its addresses would span spaces; use per-account-region",
            object_type="instance",
            key=msg.instance.id,
        )


def sync_networks(msg: Message, ctx: SyncContext) -> NetworksResult:
    """Make sure every network the instance's addresses need exists (never deletes)."""
    result = NetworksResult()
    private, public = wanted_networks(msg)
    if msg.instance.gone or (not private and not public):
        return result
    settings = ctx.settings
    _one_vpc(msg, settings.space_strategy)
    result.space_id = ctx.space_id(settings.space_for(msg.account, msg.region, msg.vpc_id), create=True)
    by_space: dict[str, list[Wanted]] = {result.space_id: list(private)}
    if public:
        result.public_space_id = ctx.space_id(
            settings.public_space_for(msg.account, msg.region, msg.vpc_id), create=True
        )
        by_space.setdefault(result.public_space_id, []).extend(public)
    for space_id, wanted in by_space.items():  # one lookup per (space, IP version)
        _sync_space(ctx, space_id, wanted, result.changes)
    return result


def ensure_public(ctx: SyncContext, space_id: str, addresses: list[str], changes: Changes) -> None:
    """Make sure the public networks around ``addresses`` exist (again: another instance's
    addresses step may have deleted one it found empty a moment ago)."""
    _sync_space(ctx, space_id, _public_wanted(addresses), changes)


def release_public(ctx: SyncContext, space_id: str, addresses: list[str], changes: Changes) -> None:
    """Delete the ipamsync-owned public /24 around each of ``addresses`` (just freed) once it holds
    no address, then its /16 once it holds no network. Only networks owned by ``aws-public`` are
    touched; one that is in use (checked first, and refused by SOLIDserver if it fills up between
    the check and the delete) stays. Reads: one lookup per call, one check per network."""
    if not addresses:
        return
    wanted = _public_wanted(addresses)
    known = ctx.ss.find_networks(4, space_id, {str(w.net.network_address) for w in wanted})
    for terminal in (True, False):  # the /24s first: a /16 empties when its last /24 goes
        for want in (w for w in wanted if w.terminal == terminal):
            net = want.net
            found = next(
                (
                    n
                    for n in known
                    if n.first == int(net.network_address)
                    and n.last == int(net.broadcast_address)
                    and n.terminal == terminal
                    and n.metadata.get(OWNER) == PUBLIC_OWNER
                ),
                None,
            )
            if found is None or not ctx.ss.network_is_empty(4, found.id, terminal=terminal):
                continue
            try:
                ctx.ss.delete_network(4, found.id)
            except SolidServerRequestError as exc:  # it filled up since the check: it stays
                log.info("public network kept", extra={"cidr": want.cidr, "reason": exc.errmsg or str(exc)})
                continue
            changes.add("deleted", "network")
