"""Addresses: every private IPv4 (``primary`` / ``secondary``), IPv6 (``ipv6``) and public IPv4
(``public``, ``elastic``/``ephemeral``) of a live instance's ENIs, once per space: private ones in
the instance's space, public ones in the public space. Each is in the smallest terminal network of
its space that holds it, named after the FQDN (or hostname, or instance id), with the ENI's MAC
(not for public ones), linked to the device and to the ENI's interface. A gone instance has none;
an address is in a space at most once."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from ipamsync.settings import Settings

from .model import Comparison, Difference, ExpectedAddress, InstanceTruth, metadata_diffs
from .rules import OWNER, eni_keys, instance_owner, items, resource_of

# --------------------------------------------------------------------------- EC2 → expected addresses


def distinct_name(name: str, address: str) -> str:
    """README, "Names": on an appliance that keeps address names unique, an address other than the
    instance's principal one is named with its address, dashed, appended to the first label."""
    label = str(ipaddress.ip_address(address)).replace(".", "-").replace(":", "-")
    host, dot, zone = name.partition(".")
    host = host[: max(1, 62 - len(label))].rstrip("-") or host[:1]
    return f"{host}-{label}{dot}{zone}"


def address_name(settings: Settings, t: InstanceTruth, zone: str | None) -> str:
    """The name of an instance's addresses: its FQDN when DNS applies, else its hostname, else its id."""
    if settings.dns_enabled and zone and t.hostname:
        return f"{t.hostname}.{zone}"
    return t.hostname or t.instance_id


def expect_addresses(
    t: InstanceTruth,
    enis: list[dict[str, Any]],
    base: Mapping[str, str],
    settings: Settings,
    account: str,
    name: str,
    elastic: Mapping[str, str | None],
) -> None:
    """The addresses of a live instance's ENIs (an address two ENIs hold is the first one's)."""
    region = str(base.get("aws_region", ""))
    primary = sorted(enis, key=lambda e: int((e.get("Attachment") or {}).get("DeviceIndex", 0)))
    vpc = str(primary[0].get("VpcId", "")) if primary else ""
    space = settings.space_for(account, region, vpc)
    public_space = settings.public_space_for(account, region, vpc)
    seen: set[tuple[int, str]] = set()
    for eni in enis:
        for version, addr, in_space, mac, kind, public_kind, keys in _of_eni(
            eni, space, public_space, elastic
        ):
            if (version, addr) in seen:
                continue
            seen.add((version, addr))
            attachment = (eni.get("Attachment") or {}).get("AttachmentId")
            metadata = items(
                {**eni_keys(base, eni), "aws_attachment_id": attachment, "aws_address_kind": kind, **keys}
            )
            t.addresses.append(
                ExpectedAddress(
                    version, addr, in_space, name, mac, kind, eni["NetworkInterfaceId"], public_kind, metadata
                )
            )


_Found = tuple[int, str, str, str, str, str | None, dict[str, str]]


def _of_eni(
    eni: Mapping[str, Any], space: str, public_space: str, elastic: Mapping[str, str | None]
) -> Iterator[_Found]:
    """``(version, address, space, MAC, kind, public kind, extra metadata)`` of an ENI's addresses."""
    mac = str(eni.get("MacAddress", "")).lower()
    for ip in eni.get("PrivateIpAddresses", []):
        addr = str(ipaddress.ip_address(ip["PrivateIpAddress"]))
        yield 4, addr, space, mac, "primary" if ip.get("Primary") else "secondary", None, {}
        public = (ip.get("Association") or {}).get("PublicIp")
        if public:
            kind = "elastic" if public in elastic else "ephemeral"
            yield (
                4,
                public,
                public_space,
                "",
                "public",
                kind,
                {
                    "aws_public_ip_kind": kind,
                    "aws_private_ip": addr,
                    "aws_association_id": elastic.get(public),
                },
            )
    for a in eni.get("Ipv6Addresses", []):
        if a.get("Ipv6Address"):
            yield 6, str(ipaddress.ip_address(a["Ipv6Address"])), space, mac, "ipv6", None, {}


# --------------------------------------------------------------------------- comparison


class _Held:
    """What the inventory holds, for the address checks: addresses by (space name, address), those
    each instance owns, the terminal networks of each space, the CIDR of each network."""

    def __init__(self, c: Comparison) -> None:
        self.at: dict[tuple[str, str], list[Any]] = defaultdict(list)
        self.owned: dict[str, list[Any]] = defaultdict(list)
        for a in c.inv.addresses:
            self.at[(c.space_name(a.space_id), a.address)].append(a)
            owner = instance_owner(a.metadata)
            if owner is not None:
                self.owned[owner].append(a)
        self.terminals: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for n in c.inv.networks:
            if n.terminal:
                self.terminals[(n.space_id, n.version)].append(n)
        self.cidr = {(n.version, n.id): n.cidr for n in c.inv.networks}

    def subnet_of(self, space_id: str, version: int, address: str) -> str:
        """The smallest terminal network of the space that holds the address."""
        value = int(ipaddress.ip_address(address))
        holders = [n for n in self.terminals[(space_id, version)] if n.first <= value <= n.last]
        return min(holders, key=lambda n: n.size).cidr if holders else "(no terminal network holds it)"


def check_addresses(c: Comparison) -> None:
    """Each expected address exists in its space, owned by its instance, as expected; nothing twice
    in a space; no other address owned by an instance (a gone one owns none). After the devices and
    interfaces: an address's links must be to the objects they found."""
    held = _Held(c)
    for key, found in held.at.items():
        if len(found) > 1:
            c.diffs.append(
                Difference("duplicate", "address", f"{key[1]} in {key[0]}", actual=[a.id for a in found])
            )
    for owner, t in c.checked():
        wanted = {w.key: w for w in ([] if t.gone else t.addresses)}
        for w in wanted.values():
            _check_address(c, held, owner, t, w)
        for a in held.owned.get(owner, []):
            if (c.space_name(a.space_id), a.address) not in wanted:
                c.diffs.append(
                    Difference(
                        "unexpected",
                        "address",
                        f"{a.address} in {c.space_name(a.space_id)}",
                        instance_id=t.instance_id,
                    )
                )
    for owner, found in c.strangers(held.owned):
        c.diffs += [
            Difference("unexpected", "address", a.address, instance_id=resource_of(owner)) for a in found
        ]


def _check_address(c: Comparison, held: _Held, owner: str, t: InstanceTruth, w: ExpectedAddress) -> None:
    label = f"{w.address} in {w.space}"
    if w.space not in c.space_ids:
        c.diffs.append(
            Difference(
                "missing", "address", label, actual=f"space {w.space} missing", instance_id=t.instance_id
            )
        )
        return
    found = held.at.get(w.key, [])
    if not found:
        c.diffs.append(Difference("missing", "address", label, instance_id=t.instance_id))
        return
    got = found[0]
    holder = got.metadata.get(OWNER, "")
    if holder != owner:
        c.diffs.append(Difference("wrong", "address", label, "owner", owner, holder, t.instance_id))
        return
    name = w.name
    if c.truth.unique_address_names and got.name.lower() == distinct_name(w.name, w.address).lower():
        name = got.name  # the appliance keeps names unique: the distinct name is right too
    checks = [
        ("name", name, got.name),
        ("mac", w.mac, got.mac),
        ("device link", c.device_id_of.get(owner), got.device_id),
        ("interface link", c.iface_id_of.get((owner, w.eni_id)), got.iface_id),
        (
            "subnet",
            held.subnet_of(got.space_id, w.version, w.address),
            held.cidr.get((w.version, got.subnet_id or ""), got.subnet_id),
        ),
    ]
    for fld, exp, act in checks:
        if exp != act:
            c.diffs.append(Difference("wrong", "address", label, fld, exp, act, t.instance_id))
    c.diffs += metadata_diffs("address", label, dict(w.metadata), got.metadata, t.instance_id)
