"""Text views for a network engineer: SOLIDserver's IPAM tree, devices and DNS records, and tables.

The views are the final screen of ``make demo``; their input is an
:class:`~ipamsync_local.inventory.Inventory`, so they work on the emulator and a real appliance.
:func:`table` is also the benchmarks' (``ipamsync bench``).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ipamsync.solidserver.api import Address, Network, Space
from ipamsync_local.inventory import OWNER, Inventory


def table(header: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> str:
    body = [tuple("" if c is None else str(c) for c in r) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body]
    return "\n".join(out)


def owner_label(meta: dict[str, str]) -> str:
    """Who owns an object: the resource id of an AWS owner (``aws:…:i-0abc`` → ``i-0abc``), another
    owner as it is (``aws-public``), or ``(not ipamsync)``."""
    owner = meta.get(OWNER, "")
    if not owner:
        return "(not ipamsync)"
    if owner.startswith("aws:") and owner.count(":") == 3:
        return owner.rsplit(":", 1)[1]
    return owner


def _addr_key(a: Address) -> tuple[int, int]:
    return (a.version, int(ipaddress.ip_address(a.address)))


def address_kind(meta: dict[str, str]) -> str:
    """``primary``, ``secondary``, ``ipv6`` or ``public (elastic|ephemeral)``."""
    kind = meta.get("aws_address_kind", "")
    public = meta.get("aws_public_ip_kind")
    return f"{kind} ({public})" if public else kind


@dataclass
class NetworkNode:
    """A network of the IPAM tree with its child networks and its addresses, both sorted."""

    network: Network
    children: list[NetworkNode] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)

    @property
    def kind(self) -> str:
        net = self.network
        return "subnet" if net.terminal else ("block" if net.parent_id is None else "network")

    def usage(self) -> tuple[int, int]:
        """(used, capacity): a subnet's addresses against its usable addresses (IPv4 without the
        network and broadcast addresses), another network's child networks against its size."""
        net = self.network
        if net.terminal:
            capacity = net.size - 2 if net.version == 4 and net.size > 2 else net.size
            return len(self.addresses), capacity
        return sum(c.network.size for c in self.children), net.size


def network_forest(inv: Inventory) -> list[tuple[Space, list[NetworkNode]]]:
    """Each space (by name) with its root networks (IPv4 first, by address), nested."""
    # IPv4 and IPv6 networks have separate id sequences: key everything by (version, id).
    children: dict[tuple[int, str | None], list[Network]] = defaultdict(list)
    for net in inv.networks:
        children[(net.version, net.parent_id)].append(net)
    addresses: dict[tuple[int, str | None], list[Address]] = defaultdict(list)
    for a in inv.addresses:
        addresses[(a.version, a.subnet_id)].append(a)

    def node(net: Network) -> NetworkNode:
        kids = sorted(children.get((net.version, net.id), []), key=lambda n: n.first)
        found = sorted(addresses.get((net.version, net.id), []), key=_addr_key)
        return NetworkNode(net, [node(k) for k in kids], found)

    forest = []
    for space in sorted(inv.spaces, key=lambda s: s.name):
        roots = [n for n in inv.networks if n.space_id == space.id and n.parent_id is None]
        forest.append((space, [node(n) for n in sorted(roots, key=lambda n: (n.version, n.first))]))
    return forest


def ipam_tree(inv: Inventory) -> str:
    """space → blocks → subnets (nested) → addresses; a network with its kind, name, availability
    zone and owner (when not an AWS resource), an address with its name, kind, interface, MAC and
    owner, in aligned columns."""
    ifname = {i.id: i.name for i in inv.interfaces}
    rows: list[tuple[str, tuple[str, ...]]] = []  # (first column, the others)

    def walk(node: NetworkNode, depth: int) -> None:
        net = node.network
        extra = [net.metadata["aws_availability_zone"]] if net.metadata.get("aws_availability_zone") else []
        if not net.metadata.get(OWNER, "").startswith("aws:"):
            extra.append(f"owner {owner_label(net.metadata)}")
        detail = f"{node.kind:<6}  {net.name}" + (f"  · {' · '.join(extra)}" if extra else "")
        rows.append(("  " * depth + net.cidr, (detail,)))
        for child in node.children:
            walk(child, depth + 1)
        for a in node.addresses:
            iface = ifname.get(a.iface_id or "", "-")
            row = (a.name or "-", address_kind(a.metadata), iface, a.mac or "-", owner_label(a.metadata))
            rows.append(("  " * (depth + 1) + a.address, row))

    out: list[str] = []
    for space, roots in network_forest(inv):
        rows.clear()
        for root in roots:
            walk(root, 1)
        out.append(f"space {space.name}")
        out += _aligned(rows)
    return "\n".join(out)


def _aligned(rows: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    """The tree's rows: the first column as wide as its widest; a network's detail as it is, an
    address's columns each as wide as its widest."""
    first = max((len(r[0]) for r in rows), default=0)
    columns = [r[1] for r in rows if len(r[1]) > 1]
    widths = [max((len(c[i]) for c in columns), default=0) for i in range(5)]
    out = []
    for head, rest in rows:
        if len(rest) == 1:
            out.append(f"{head:<{first}}  {rest[0]}")
        else:
            cells = "  ".join(f"{c:<{w}}" for c, w in zip(rest, widths, strict=True))
            out.append(f"{head:<{first}}  {cells.rstrip()}")
    return out


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
        ((r.fqdn, r.type, r.value, r.ttl, r.zone, owner_label(r.metadata)) for r in rows),
    )
