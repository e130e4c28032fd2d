"""Networks: the live instances' VPC CIDRs (blocks), their subnets (terminal, inside the VPC's
network) and, per public IPv4 address, ``AWS public a.b.c.0/24`` under ``a.b.0.0/16`` (README
*What ipamsync writes*). Those ipamsync owns are named ``<Name tag> (<id>)`` with their metadata;
someone else's network, or an earlier VPC's, is used as it is. Networks are never deleted."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ipamsync.settings import Settings

from .model import Comparison, Difference, ExpectedNetwork, metadata_diffs
from .rules import NAME_MAX, OWNER, PUBLIC_OWNER, clip, items, owner_of, resource_of, tags_of

# --------------------------------------------------------------------------- EC2 → expected networks


def _associated(item: Mapping[str, Any], key: str) -> bool:
    state = str((item.get(key) or {}).get("State", "associated"))
    return "associated" in state and "disassociat" not in state


def vpc_cidrs(v: Mapping[str, Any]) -> list[str]:
    """Associated IPv4 then IPv6 CIDRs of a VPC, in canonical text."""
    cidrs = [
        a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")
    ] or ([v["CidrBlock"]] if v.get("CidrBlock") else [])
    cidrs += [
        a["Ipv6CidrBlock"]
        for a in v.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return [str(ipaddress.ip_network(c)) for c in cidrs]


def subnet_cidrs(s: Mapping[str, Any]) -> list[str]:
    cidrs = [s["CidrBlock"]] if s.get("CidrBlock") else []
    cidrs += [
        a["Ipv6CidrBlock"]
        for a in s.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return [str(ipaddress.ip_network(c)) for c in cidrs]


def _label(name: str | None, ident: str) -> str:
    """A network's name: ``<Name tag> (<id>)``, or the id alone."""
    return clip(f"{name} ({ident})" if name else ident, NAME_MAX)


class NetworkTruth:
    """The networks the live instances need, collected instance by instance."""

    def __init__(
        self,
        settings: Settings,
        account: str,
        region: str,
        vpcs: Mapping[str, Mapping[str, Any]],
        subnets: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.account, self.region = account, region
        self.settings = settings
        self.space = settings.space_for(account, region)
        self.public_space = settings.public_space_for(account, region)
        self.vpcs, self.subnets = vpcs, subnets
        self.base = {"aws_account_id": account, "aws_region": region}
        self.found: set[ExpectedNetwork] = set()

    def of_instance(self, inst: Mapping[str, Any]) -> None:
        enis = inst.get("NetworkInterfaces", [])
        primary = sorted(enis, key=lambda e: int((e.get("Attachment") or {}).get("DeviceIndex", 0)))
        vpc = str(primary[0].get("VpcId", "")) if primary else ""
        self.space = self.settings.space_for(self.account, self.region, vpc)
        self.public_space = self.settings.public_space_for(self.account, self.region, vpc)
        for vpc_id in {e.get("VpcId") for e in enis if e.get("VpcId")}:
            self.of_vpc(vpc_id)
        for subnet_id in {e.get("SubnetId") for e in enis if e.get("SubnetId")}:
            self.of_subnet(subnet_id)
        for e in enis:
            for ip in e.get("PrivateIpAddresses", []):
                public = (ip.get("Association") or {}).get("PublicIp")
                if public:
                    self.of_public(public)

    def of_vpc(self, vpc_id: str) -> None:
        v = self.vpcs.get(vpc_id) or {}
        owner = owner_of(self.account, self.region, vpc_id)
        name = tags_of(v.get("Tags")).get("Name")
        for cidr in vpc_cidrs(v):
            meta = {OWNER: owner, **self.base, "aws_vpc_id": vpc_id, "aws_name": name, "aws_cidr": cidr}
            self.found.add(
                ExpectedNetwork(self.space, cidr, False, owner, _label(name, vpc_id), items(meta), None)
            )

    def of_subnet(self, subnet_id: str) -> None:
        s = self.subnets.get(subnet_id)
        if s is None:
            return
        vpc_id = s.get("VpcId", "")
        self.of_vpc(vpc_id)
        in_vpc = [ipaddress.ip_network(c) for c in vpc_cidrs(self.vpcs.get(vpc_id) or {})]
        owner = owner_of(self.account, self.region, subnet_id)
        name = tags_of(s.get("Tags")).get("Name")
        for cidr in subnet_cidrs(s):
            net = ipaddress.ip_network(cidr)
            parent = next(
                (str(c) for c in in_vpc if c.version == net.version and net.subnet_of(c)),  # type: ignore[arg-type]
                None,
            )
            meta = {
                OWNER: owner,
                **self.base,
                "aws_vpc_id": vpc_id,
                "aws_subnet_id": subnet_id,
                "aws_availability_zone": s.get("AvailabilityZone"),
                "aws_name": name,
                "aws_cidr": cidr,
            }
            self.found.add(
                ExpectedNetwork(self.space, cidr, True, owner, _label(name, subnet_id), items(meta), parent)
            )

    def of_public(self, address: str) -> None:
        b16 = str(ipaddress.ip_network(f"{address}/16", strict=False))
        b24 = str(ipaddress.ip_network(f"{address}/24", strict=False))
        for cidr, terminal, parent in ((b16, False, None), (b24, True, b16)):
            meta = items({OWNER: PUBLIC_OWNER, "aws_cidr": cidr})
            self.found.add(
                ExpectedNetwork(
                    self.public_space, cidr, terminal, PUBLIC_OWNER, f"AWS public {cidr}", meta, parent
                )
            )


# --------------------------------------------------------------------------- comparison


def check_networks(c: Comparison) -> None:
    """Each expected network exists once in its space, terminal or not as expected; those owned as
    expected have their name, metadata and parent; ipamsync's networks of a VPC or subnet EC2 does
    not know (or of a CIDR it no longer has) are unexpected."""
    nets: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for n in c.inv.networks:
        nets[(c.space_name(n.space_id), n.cidr)].append(n)
    for key, found in nets.items():
        if len(found) > 1:
            c.diffs.append(
                Difference("duplicate", "network", f"{key[1]} in {key[0]}", actual=[n.id for n in found])
            )
    by_id = {(n.version, n.id): n for n in c.inv.networks}
    for want in sorted(c.truth.networks, key=lambda w: (w.space, w.cidr, w.owner)):
        label = f"{want.cidr} in {want.space}"
        found = nets.get((want.space, want.cidr), [])
        if not found:
            c.diffs.append(Difference("missing", "network", label))
            continue
        got = found[0]
        if got.terminal != want.terminal:
            c.diffs.append(Difference("wrong", "network", label, "terminal", want.terminal, got.terminal))
        if got.metadata.get(OWNER) != want.owner:
            continue  # somebody else's network, or an earlier VPC's: used as it is
        if got.name != want.name:
            c.diffs.append(Difference("wrong", "network", label, "name", want.name, got.name))
        c.diffs += metadata_diffs("network", label, dict(want.metadata), got.metadata, None)
        if want.parent is not None:
            parent = by_id.get((got.version, got.parent_id or ""))
            actual = parent.cidr if parent else None
            if actual != want.parent:
                c.diffs.append(Difference("wrong", "network", label, "parent", want.parent, actual))
    for n in c.inv.networks:
        owner = n.metadata.get(OWNER, "")
        if not owner.startswith("aws:"):
            continue
        resource = resource_of(owner)
        if resource.startswith(("vpc-", "subnet-")) and n.cidr not in c.truth.known_network_cidrs.get(
            resource, set()
        ):
            c.diffs.append(Difference("unexpected", "network", f"{n.cidr} ({resource})"))
