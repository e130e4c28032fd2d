"""Text views of SOLIDserver's contents for a network engineer: the IPAM tree, the devices, DNS.

Used by ``make demo`` (final screen) and ``ipamsync local inventory``; input is an
:class:`~ipamsync_local.inventory.Inventory`, so it works on the emulator and a real appliance.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable

from ipamsync.solidserver.api import Address, Network
from ipamsync_local.inventory import OWNER, Inventory


def table(header: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> str:
    body = [tuple("" if c is None else str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(out)


def _owner_label(meta: dict[str, str]) -> str:
    owner = meta.get(OWNER, "")
    if not owner:
        return "(not ipamsync)"
    if owner.startswith("aws:") and owner.count(":") == 3:
        return owner.rsplit(":", 1)[1]
    return owner


def _addr_key(a: Address) -> tuple[int, int]:
    return (a.version, int(ipaddress.ip_address(a.address)))


def ipam_tree(inv: Inventory, *, max_addresses: int | None = None) -> str:
    """space → blocks → subnets (nested) → addresses, with owners and key metadata."""
    lines: list[str] = []
    # IPv4 and IPv6 networks have separate id sequences: key everything by (version, id).
    children: dict[tuple[int, str | None], list[Network]] = defaultdict(list)
    for n in inv.networks:
        children[(n.version, n.parent_id)].append(n)
    addresses: dict[tuple[int, str | None], list[Address]] = defaultdict(list)
    for a in inv.addresses:
        addresses[(a.version, a.subnet_id)].append(a)

    def walk(net: Network, depth: int) -> None:
        pad = "  " * depth
        kind = "subnet" if net.terminal else ("block" if net.parent_id is None else "network")
        extra = net.metadata.get("aws_subnet_id") or net.metadata.get("aws_vpc_id") or ""
        az = net.metadata.get("aws_availability_zone")
        info = ", ".join(x for x in (extra, az, f"owner {_owner_label(net.metadata)}") if x)
        lines.append(f"{pad}{kind:<7} {net.cidr:<24} {net.name}  [{info}]")
        for child in sorted(children.get((net.version, net.id), []), key=lambda n: n.first):
            walk(child, depth + 1)
        addrs = sorted(addresses.get((net.version, net.id), []), key=_addr_key)
        shown = addrs if max_addresses is None else addrs[:max_addresses]
        for a in shown:
            kind_a = a.metadata.get("aws_address_kind", "")
            pub = a.metadata.get("aws_public_ip_kind")
            tags = "/".join(x for x in (kind_a, pub) if x)
            link = a.metadata.get("aws_eni_id", "")
            lines.append(
                f"{pad}  {a.address:<39} {a.name:<34} {a.mac or '-':<17} {tags:<16} "
                f"{link:<22} owner {_owner_label(a.metadata)}"
            )
        if len(shown) < len(addrs):
            lines.append(f"{pad}  … {len(addrs) - len(shown)} more addresses")

    for space in sorted(inv.spaces, key=lambda s: s.name):
        lines.append(f"space {space.name}")
        roots = [n for n in inv.networks if n.space_id == space.id and n.parent_id is None]
        for net in sorted(roots, key=lambda n: (n.version, n.first)):
            walk(net, 1)
    return "\n".join(lines)


DEVICE_KEYS = (
    "aws_state",
    "aws_instance_type",
    "aws_architecture",
    "aws_cpu_cores",
    "aws_availability_zone",
    "aws_launch_time",
)


def devices(inv: Inventory) -> str:
    ifaces = defaultdict(list)
    for i in inv.interfaces:
        ifaces[i.device_id].append(i)
    addr_by_iface = defaultdict(list)
    for a in inv.addresses:
        if a.iface_id:
            addr_by_iface[a.iface_id].append(a.address)
    out: list[str] = []
    for d in sorted(inv.devices, key=lambda d: d.name):
        m = d.metadata
        tomb = " (tombstone until " + m["ipamsync_tombstone"] + ")" if "ipamsync_tombstone" in m else ""
        out.append(f"{d.name}{tomb}")
        facts = "  ".join(f"{k[4:]}={m[k]}" for k in DEVICE_KEYS if k in m)
        if facts:
            out.append(f"    {facts}")
        tags = {k[8:]: v for k, v in m.items() if k.startswith("aws_tag_")}
        if tags:
            out.append("    tags " + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())))
        for i in sorted(ifaces.get(d.id, []), key=lambda i: i.name):
            ips = ", ".join(sorted(addr_by_iface.get(i.id, []), key=lambda x: (":" in x, x)))
            out.append(f"    {i.name:<5} {i.mac or '-':<17} {i.metadata.get('aws_eni_id', ''):<22} {ips}")
    return "\n".join(out)


def dns_records(inv: Inventory) -> str:
    order = {"A": 0, "AAAA": 1, "PTR": 2}
    rows = sorted(inv.records, key=lambda r: (order.get(r.type, 9), r.zone, r.fqdn, r.value))
    return table(
        ("name", "type", "value", "ttl", "zone", "owner"),
        ((r.fqdn, r.type, r.value, r.ttl, r.zone, _owner_label(r.metadata)) for r in rows),
    )


def counts(inv: Inventory) -> dict[str, int]:
    owned = [
        x
        for x in (*inv.networks, *inv.addresses, *inv.devices, *inv.interfaces, *inv.records)
        if x.metadata.get(OWNER)
    ]
    return {
        "spaces": len(inv.spaces),
        "networks": len(inv.networks),
        "addresses": len(inv.addresses),
        "devices": len(inv.devices),
        "interfaces": len(inv.interfaces),
        "dns_records": len(inv.records),
        "owned_by_ipamsync": len(owned),
    }
