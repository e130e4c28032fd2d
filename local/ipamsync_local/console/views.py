"""SOLIDserver's contents as the console's JSON: the IPAM tree (built by
:func:`ipamsync_local.report.network_forest`, the same tree the demo prints), devices with their
interfaces and addresses, DNS zones with their records, and search.

Values are data, never markup: the page puts every one of them in the DOM as text.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any

from ipamsync.solidserver.api import Address, Device, Record
from ipamsync_local import report
from ipamsync_local.inventory import OWNER, Inventory

INSTANCE = "aws_instance_id"


def instance_names(inv: Inventory) -> dict[str, str]:
    """Instance id → its ``Name`` tag (``aws_name``) as the devices say."""
    return {
        d.metadata[INSTANCE]: d.metadata.get("aws_name", "") for d in inv.devices if d.metadata.get(INSTANCE)
    }


def _instance_of(meta: dict[str, str]) -> str:
    if meta.get(INSTANCE):
        return meta[INSTANCE]
    owner = report.owner_label(meta)
    return owner if owner.startswith("i-") else ""


def _percent(used: int, capacity: int) -> float:
    return round(100.0 * used / capacity, 4) if capacity else 0.0


def _address(a: Address, ifname: dict[str, str], devname: dict[str, str]) -> dict[str, Any]:
    return {
        "id": a.id,
        "address": a.address,
        "version": a.version,
        "name": a.name,
        "kind": report.address_kind(a.metadata),
        "mac": a.mac,
        "interface": ifname.get(a.iface_id or "", ""),
        "device": devname.get(a.device_id or "", ""),
        "owner": report.owner_label(a.metadata),
        "instance_id": _instance_of(a.metadata),
        "metadata": a.metadata,
    }


def ipam(inv: Inventory) -> list[dict[str, Any]]:
    """Spaces → networks (nested) → addresses, each network with its usage."""
    ifname = {i.id: i.name for i in inv.interfaces}
    devname = {d.id: d.name for d in inv.devices}

    def node(n: report.NetworkNode) -> dict[str, Any]:
        net = n.network
        used, capacity = n.usage()
        return {
            "id": f"{net.version}-{net.id}",
            "cidr": net.cidr,
            "kind": n.kind,
            "name": net.name,
            "owner": report.owner_label(net.metadata),
            "zone": net.metadata.get("aws_availability_zone", ""),
            "metadata": net.metadata,
            "used": used,
            "capacity": capacity,
            "percent": _percent(used, capacity),
            "unit": "addresses" if net.terminal else "addresses in subnets",
            "children": [node(c) for c in n.children],
            "addresses": [_address(a, ifname, devname) for a in n.addresses],
        }

    return [
        {"id": s.id, "name": s.name, "metadata": s.metadata, "networks": [node(n) for n in roots]}
        for s, roots in report.network_forest(inv)
    ]


def _ip_key(text: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(text)
    return (ip.version, int(ip))


def devices(inv: Inventory) -> list[dict[str, Any]]:
    """Every device (tombstones included, lease devices not) with its facts, tags, interfaces
    and their addresses."""
    addresses: dict[str, list[Address]] = defaultdict(list)
    for a in inv.addresses:
        if a.iface_id:
            addresses[a.iface_id].append(a)
    interfaces = defaultdict(list)
    for i in inv.interfaces:
        interfaces[i.device_id].append(i)
    out = []
    for d in sorted(inv.devices, key=lambda d: d.name):
        m = d.metadata
        out.append(
            {
                "id": d.id,
                "name": d.name,
                "instance_id": m.get(INSTANCE, ""),
                "instance_name": m.get("aws_name", ""),
                "state": m.get("aws_state", ""),
                "tombstone": m.get("ipamsync_tombstone", ""),
                "owner": report.owner_label(m),
                "facts": {k[4:]: m[k] for k in report.DEVICE_KEYS if k in m},
                "tags": {k[8:]: v for k, v in sorted(m.items()) if k.startswith("aws_tag_")},
                "metadata": m,
                "interfaces": [
                    {
                        "name": i.name,
                        "mac": i.mac,
                        "eni": i.metadata.get("aws_eni_id", ""),
                        "metadata": i.metadata,
                        "addresses": sorted(
                            (
                                {
                                    "address": a.address,
                                    "name": a.name,
                                    "kind": report.address_kind(a.metadata),
                                }
                                for a in addresses.get(i.id, [])
                            ),
                            key=lambda x: _ip_key(x["address"]),
                        ),
                    }
                    for i in sorted(interfaces.get(d.id, []), key=lambda i: i.name)
                ],
            }
        )
    return out


def _record(r: Record) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.fqdn,
        "type": r.type,
        "value": r.value,
        "ttl": r.ttl,
        "zone": r.zone,
        "owner": report.owner_label(r.metadata),
        "instance_id": _instance_of(r.metadata),
        "metadata": r.metadata,
    }


def dns(inv: Inventory, zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each zone (forward first) with its records; records of a zone the list did not name too."""
    order = {"A": 0, "AAAA": 1, "PTR": 2}
    by_zone: dict[str, list[Record]] = defaultdict(list)
    for r in inv.records:
        by_zone[r.zone].append(r)
    named = [dict(z) for z in zones]
    known = {z["name"] for z in named}
    named += [
        {"name": z, "server": "", "reverse": z.endswith(".arpa")} for z in sorted(by_zone) if z not in known
    ]
    for z in named:
        rows = sorted(by_zone.get(z["name"], []), key=lambda r: (order.get(r.type, 9), r.fqdn, r.value))
        z["records"] = [_record(r) for r in rows]
    return named


def _matches(needle: str, *values: Any) -> bool:
    return any(needle in str(v).lower() for v in values if v)


def _device_hit(d: Device, needle: str) -> bool:
    return _matches(needle, d.name, *d.metadata.values())


def _hit(kind: str, label: str, detail: str, instance_id: str, target: str) -> dict[str, str]:
    return {"kind": kind, "label": label, "detail": detail, "instance_id": instance_id, "target": target}


def _tags(meta: dict[str, str]) -> str:
    return ", ".join(f"{k[8:]}={v}" for k, v in sorted(meta.items()) if k.startswith("aws_tag_"))


def search(inv: Inventory, query: str, limit: int = 200) -> list[dict[str, Any]]:
    """Devices, addresses, records and networks matching ``query`` (case-insensitive substring of an
    instance id, a name, an IP, a MAC, a tag or any metadata value); each hit says where to look."""
    needle = query.strip().lower()
    if not needle:
        return []
    hits: list[dict[str, Any]] = []
    for d in sorted(inv.devices, key=lambda d: d.name):
        if _device_hit(d, needle):
            hits.append(_hit("device", d.name, _tags(d.metadata), d.metadata.get(INSTANCE, ""), d.name))
    for a in sorted(inv.addresses, key=lambda a: _ip_key(a.address)):
        if _matches(needle, a.address, a.name, a.mac, *a.metadata.values()):
            detail = f"{a.name}  {report.owner_label(a.metadata)}"
            hits.append(_hit("address", a.address, detail, _instance_of(a.metadata), a.address))
    for r in inv.records:
        if _matches(needle, r.fqdn, r.value, *r.metadata.values()):
            label = f"{r.fqdn} {r.type} {r.value}"
            hits.append(_hit("record", label, r.zone, _instance_of(r.metadata), r.zone))
    for n in inv.networks:
        if _matches(needle, n.cidr, n.name, *(v for k, v in n.metadata.items() if k != OWNER)):
            hits.append(_hit("network", n.cidr, n.name, "", f"{n.version}-{n.id}"))
    return hits[:limit]
