"""What SOLIDserver holds, read through the ipamsync client: for tests, the demo and the soak check.

Works against the emulator or a real appliance (only list services are used).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ipamsync.solidserver.api import (
    Address,
    Device,
    Interface,
    Network,
    Record,
    SolidServer,
    Space,
    is_address_row,
)
from ipamsync.solidserver.where import Where

OWNER = "ipamsync_owner"
LEASE = "ipamsync_lease"


@dataclass
class Inventory:
    spaces: list[Space] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    #: lease devices (``ipamsync_lease``): an execution in progress, or one that failed
    leases: list[Device] = field(default_factory=list)
    interfaces: list[Interface] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    # -- views used by assertions ----------------------------------------------------------
    def owned_by(self, owner: str) -> dict[str, list]:
        """Objects whose ``ipamsync_owner`` is ``owner``, by kind."""
        return {
            "devices": [d for d in self.devices if d.metadata.get(OWNER) == owner],
            "leases": [d for d in self.leases if d.metadata.get(OWNER) == owner],
            "interfaces": [i for i in self.interfaces if i.metadata.get(OWNER) == owner],
            "addresses": [a for a in self.addresses if a.metadata.get(OWNER) == owner],
            "records": [r for r in self.records if r.metadata.get(OWNER) == owner],
        }

    def address_map(self) -> dict[str, Address]:
        return {a.address: a for a in self.addresses}

    def device_of(self, instance_id: str) -> Device | None:
        found = [d for d in self.devices if d.metadata.get("aws_instance_id") == instance_id]
        return found[0] if len(found) == 1 else None

    def records_of(self, instance_id: str) -> set[tuple[str, str, str]]:
        return {
            (r.fqdn, r.type, r.value)
            for r in self.records
            if r.metadata.get("aws_instance_id") == instance_id
        }

    def duplicates(self) -> dict[str, list[str]]:
        """Things that must be unique but are not (an address twice in a space, a device twice for
        one instance, the same record twice)."""
        dup: dict[str, list[str]] = {}
        seen: dict[tuple, int] = {}
        for a in self.addresses:
            key = ("address", a.space_id, a.address)
            seen[key] = seen.get(key, 0) + 1
        for d in self.devices:
            if d.metadata.get("aws_instance_id"):
                key = ("device", d.metadata.get(OWNER))
                seen[key] = seen.get(key, 0) + 1
        for r in self.records:
            key = ("record", r.fqdn, r.type, r.value)
            seen[key] = seen.get(key, 0) + 1
        for key, n in seen.items():
            if n > 1:
                dup.setdefault(key[0], []).append(" ".join(str(k) for k in key[1:]))
        return dup


def _all(ss: SolidServer, service: str, where: Where | None = None) -> Iterable[dict[str, str]]:
    return ss.client.list(service, where=where, page_size=1000)


def read_inventory(ss: SolidServer, dns_server: str | None = None) -> Inventory:
    inv = Inventory()
    inv.spaces = [Space.from_row(r) for r in _all(ss, "ip_site_list")]
    for version, service in ((4, "ip_block_subnet_list"), (6, "ip6_block6_subnet6_list")):
        inv.networks += [Network.from_row(r, version) for r in _all(ss, service)]
    for version, service in ((4, "ip_address_list"), (6, "ip6_address6_list")):
        inv.addresses += [
            Address.from_row(r, version) for r in _all(ss, service) if is_address_row(r, version)
        ]
    devices = [Device.from_row(r) for r in _all(ss, "hostdev_list")]
    inv.devices = [d for d in devices if LEASE not in d.metadata]
    inv.leases = [d for d in devices if LEASE in d.metadata]
    inv.interfaces = [Interface.from_row(r) for r in _all(ss, "hostiface_list")]
    where = Where.eq("dns_name", dns_server) if dns_server else None
    records = (
        Record.from_row(r) for r in _all(ss, "dns_rr_list", where) if r.get("rr_type") in ("A", "AAAA", "PTR")
    )
    inv.records = [r for r in records if not r.pending_delete]  # a deletion pending on the DNS server: gone
    return inv
