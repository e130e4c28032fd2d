"""Typed SOLIDserver operations the sync needs (spaces, networks, addresses, devices, DNS).

Every method is one REST call (lists: one call per page) so callers can count and reason about
what they cost. Rows are turned into small frozen dataclasses; metadata is decoded into dicts.
IPv4 and IPv6 share the same types, with ``version`` telling which services and columns apply.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.where import Where

if TYPE_CHECKING:
    from ipamsync.solidserver.client import SolidServerClient

Row = dict[str, str]

Metadata = Mapping[str, str]


def _id(value: str | None) -> str | None:
    return None if value in (None, "", "0") else value


def _name(value: str | None) -> str:
    return "" if value in (None, "#") else value


def hex_v4(addr: str) -> str:
    return ipaddress.IPv4Address(addr).packed.hex()


def hex_v6(addr: str) -> str:
    return ipaddress.IPv6Address(addr).packed.hex()


def addr_from_hex(value: str, version: int) -> str:
    raw = bytes.fromhex(value)
    return str(ipaddress.IPv4Address(raw) if version == 4 else ipaddress.IPv6Address(raw))


def canonical(addr: str) -> str:
    """Compressed, lower-case text of an address (what ipamsync compares)."""
    return str(ipaddress.ip_address(addr))


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Space:
    id: str
    name: str
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row) -> Space:
        """The object a list service's row describes."""
        return cls(row["site_id"], row.get("site_name", ""), md.decode(row.get("site_class_parameters")))


@dataclass(frozen=True)
class Network:
    """A block or subnet. ``size`` is its address count (SOLIDserver networks need not be CIDR-aligned)."""

    id: str
    version: int
    start: str
    size: int
    name: str
    terminal: bool
    parent_id: str | None
    space_id: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> int:
        return int(ipaddress.ip_address(self.start))

    @property
    def last(self) -> int:
        return self.first + self.size - 1

    @property
    def prefix(self) -> int | None:
        """The prefix length when the network is CIDR-aligned, else None."""
        bits = 32 if self.version == 4 else 128
        if self.size <= 0 or self.size & (self.size - 1) or self.first % self.size:
            return None
        return bits - (self.size.bit_length() - 1)

    @property
    def cidr(self) -> str:
        return f"{self.start}/{self.prefix}" if self.prefix is not None else f"{self.start}+{self.size}"

    def contains(self, first: int, last: int) -> bool:
        return self.first <= first and last <= self.last

    @classmethod
    def from_row(cls, row: Row, version: int) -> Network:
        """The object a list service's row describes."""
        s = _NET[version]
        start = addr_from_hex(row[s["start_hex"]], version)
        if version == 4:
            size = int(row.get("subnet_size") or "1")
        else:
            size = 2 ** (128 - int(row.get("subnet6_prefix") or "128"))
        return cls(
            id=row[s["id"]],
            version=version,
            start=start,
            size=size,
            name=_name(row.get(s["name"])),
            terminal=row.get("is_terminal") == "1",
            parent_id=_id(row.get(s["parent"])),
            space_id=row.get("site_id", ""),
            metadata=md.decode(row.get(s["params"])),
        )


@dataclass(frozen=True)
class Address:
    id: str
    version: int
    address: str
    name: str
    mac: str
    space_id: str
    subnet_id: str | None
    device_id: str | None
    iface_id: str | None
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row, version: int) -> Address:
        """The object a list service's row describes."""
        s = _ADDR[version]
        hexval = row.get(s["hex"], "")
        text = addr_from_hex(hexval, version) if hexval else canonical(row["hostaddr"])
        return cls(
            id=row[s["id"]],
            version=version,
            address=text,
            name=_name(row.get(s["name"])),
            mac=_mac(row.get(s["mac"])),
            space_id=row.get("site_id", ""),
            subnet_id=_id(row.get(s["subnet"])),
            device_id=_id(row.get("hostdev_id")),
            iface_id=_id(row.get("hostiface_id")),
            metadata=md.decode(row.get(s["params"])),
        )


@dataclass(frozen=True)
class Device:
    id: str
    name: str
    class_name: str
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row) -> Device:
        """The object a list service's row describes."""
        return cls(
            id=row["hostdev_id"],
            name=_name(row.get("hostdev_name")),
            class_name=_name(row.get("hostdev_class_name")),
            metadata=md.decode(row.get("hostdev_class_parameters")),
        )


@dataclass(frozen=True)
class Interface:
    id: str
    name: str
    device_id: str
    mac: str
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row) -> Interface:
        """The object a list service's row describes."""
        return cls(
            id=row["hostiface_id"],
            name=_name(row.get("hostiface_name")),
            device_id=row.get("hostdev_id", ""),
            mac=_mac(row.get("hostiface_mac")),
            metadata=md.decode(row.get("hostiface_class_parameters")),
        )


@dataclass(frozen=True)
class Zone:
    id: str
    name: str
    server_id: str
    server_name: str
    view: str
    reverse: bool


@dataclass(frozen=True)
class Record:
    id: str
    fqdn: str
    type: str
    value: str
    ttl: int
    zone: str
    server: str
    metadata: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row) -> Record:
        """The object a list service's row describes."""
        rtype = row.get("rr_type", "").upper()
        value = row.get("value1", "")
        if rtype in ("A", "AAAA") and value:
            value = canonical(value)
        elif rtype == "PTR":
            value = value.rstrip(".").lower()
        try:
            ttl = int(row.get("ttl") or row.get("rr_ttl") or 0)
        except ValueError:
            ttl = 0
        return cls(
            id=row["rr_id"],
            fqdn=row.get("rr_full_name", "").rstrip(".").lower(),
            type=rtype,
            value=value,
            ttl=ttl,
            zone=row.get("dnszone_name", "").rstrip(".").lower(),
            server=row.get("dns_name", ""),
            metadata=md.decode(row.get("rr_class_parameters")),
        )


# --------------------------------------------------------------------------- services

_NET = {
    4: {
        "add": "ip_subnet_add",
        "list": "ip_block_subnet_list",
        "delete": "ip_subnet_delete",
        "id": "subnet_id",
        "name": "subnet_name",
        "addr": "subnet_addr",
        "prefix": "subnet_prefix",
        "parent": "parent_subnet_id",
        "params": "subnet_class_parameters",
        "start_hex": "start_ip_addr",
        "tag": "network",
    },
    6: {
        "add": "ip6_subnet6_add",
        "list": "ip6_block6_subnet6_list",
        "delete": "ip6_subnet6_delete",
        "id": "subnet6_id",
        "name": "subnet6_name",
        "addr": "subnet6_addr",
        "prefix": "subnet6_prefix",
        "parent": "parent_subnet6_id",
        "params": "subnet6_class_parameters",
        "start_hex": "start_ip6_addr",
        "tag": "network6",
    },
}

_ADDR = {
    4: {
        "add": "ip_add",
        "list": "ip_address_list",
        "delete": "ip_delete",
        "id": "ip_id",
        "name": "name",
        "mac": "mac_addr",
        "params": "ip_class_parameters",
        "hex": "ip_addr",
        "subnet": "subnet_id",
        "tag": "ip",
    },
    6: {
        "add": "ip6_address6_add",
        "list": "ip6_address6_list",
        "delete": "ip6_address6_delete",
        "id": "ip6_id",
        "name": "ip6_name",
        "mac": "ip6_mac_addr",
        "params": "ip6_class_parameters",
        "hex": "ip6_addr",
        "subnet": "subnet6_id",
        "tag": "ip6",
    },
}


def _mac(value: str | None) -> str:
    """Rows may carry internal placeholders (``EIP:...``) instead of a MAC: treat them as none."""
    if not value or value.upper().startswith("EIP:"):
        return ""
    return value.lower()


def _metadata_edit(
    params: dict[str, object], column: str, metadata: Metadata | None, delete_keys: Iterable[str]
) -> None:
    """Add an edit's metadata change to ``params``: the changed keys (merged by the appliance into
    the object's class parameters) and ``class_parameters_to_delete`` for the removed ones."""
    if metadata:
        params[column] = md.encode(metadata)
    keys = list(delete_keys)
    if keys:
        params["class_parameters_to_delete"] = md.delete_list(keys)


def tag_column(tag_type: str, key: str) -> str:
    return f"tag_{tag_type}_{md.check_key(key)}"


class SolidServer:
    """The operations ipamsync performs, over a :class:`SolidServerClient`."""

    def __init__(self, client: SolidServerClient) -> None:
        self.client = client

    # ------------------------------------------------------------------ spaces
    def find_space(self, name: str) -> Space | None:
        rows = list(self.client.list("ip_site_list", where=Where.eq("site_name", name), max_rows=2))
        return Space.from_row(rows[0]) if rows else None

    def create_space(self, name: str, metadata: Metadata, description: str = "") -> str:
        return self.client.add(
            "ip_site_add",
            {
                "site_name": name,
                "site_description": description,
                "site_class_parameters": md.encode(metadata),
            },
        )

    # ------------------------------------------------------------------ networks
    def find_networks(self, version: int, space_id: str, starts: Iterable[str]) -> list[Network]:
        """Every network (block or subnet) of the space whose first address is in ``starts``.

        One call whatever the number of starts: used to find exact matches *and* candidate
        parents (a CIDR-aligned supernet starts at the network address masked to its prefix).
        """
        s = _NET[version]
        hexes = sorted({(hex_v4 if version == 4 else hex_v6)(a) for a in starts})
        if not hexes:
            return []
        where = Where.eq("site_id", space_id) & Where.any_of(s["start_hex"], hexes)
        return [Network.from_row(r, version) for r in self.client.list(s["list"], where=where)]

    def create_network(
        self,
        version: int,
        space_id: str,
        cidr: str,
        *,
        name: str,
        terminal: bool,
        parent_id: str | None,
        metadata: Metadata,
        lock_network_broadcast: bool = True,
    ) -> str:
        """Create a block or subnet. ``lock_network_broadcast=False`` lets an IPv4 subnet hold its
        first and last addresses (a container of scattered addresses, not a routed subnet)."""
        s = _NET[version]
        net = ipaddress.ip_network(cidr, strict=True)
        params: dict[str, object] = {
            "site_id": space_id,
            s["addr"]: str(net.network_address),
            s["prefix"]: net.prefixlen,
            s["name"]: name,
            "is_terminal": "1" if terminal else "0",
            s["params"]: md.encode(metadata),
        }
        if parent_id:
            params[s["parent"]] = parent_id
        else:
            params["subnet_level"] = "0"
        if version == 4 and not lock_network_broadcast:
            params["lock_network_broadcast"] = "0"
        return self.client.add(s["add"], params)

    def update_network(
        self,
        version: int,
        network_id: str,
        *,
        name: str | None,
        metadata: Metadata,
        delete_keys: Iterable[str] = (),
    ) -> None:
        s = _NET[version]
        params: dict[str, object] = {s["id"]: network_id}
        if name is not None:
            params[s["name"]] = name
        _metadata_edit(params, s["params"], metadata, delete_keys)
        self.client.edit(s["add"], params)

    def network_is_empty(self, version: int, network_id: str, *, terminal: bool) -> bool:
        """A terminal network holds no address, or a block or non-terminal subnet no network
        (conservative: any row at all counts as something held)."""
        if terminal:
            s = _ADDR[version]
            rows = self.client.list(s["list"], where=Where.eq(s["subnet"], network_id), max_rows=1)
        else:
            s = _NET[version]
            rows = self.client.list(s["list"], where=Where.eq(s["parent"], network_id), max_rows=1)
        return next(iter(rows), None) is None

    def delete_network(self, version: int, network_id: str) -> None:
        """Delete a network. No ``validate_warnings``: SOLIDserver's warning about what the network
        still holds is a refusal here, never accepted."""
        s = _NET[version]
        self.client.delete(s["delete"], {s["id"]: network_id})

    # ------------------------------------------------------------------ addresses
    def find_addresses(
        self,
        version: int,
        *,
        owner_key: str,
        owner: str,
        at: Mapping[str, Iterable[str]] | None = None,
    ) -> list[Address]:
        """Addresses owned by ``owner`` plus any address at the given ``{space_id: [addr…]}``.

        One call (per page): ``tag_<ip>_<owner_key>='owner' or (site_id='S' and (hostaddr=…))``.
        """
        s = _ADDR[version]
        tag = f"{s['tag']}.{owner_key}"
        where = Where.eq(tag_column(s["tag"], owner_key), owner)
        for space_id, addrs in (at or {}).items():
            hexes = sorted({(hex_v4 if version == 4 else hex_v6)(a) for a in addrs})
            if hexes:
                where = where | (Where.eq("site_id", space_id) & Where.any_of(s["hex"], hexes))
        rows = self.client.list(s["list"], where=where, tags=[tag])
        return [Address.from_row(r, version) for r in rows if r.get("type", "ip") in ("", "ip")]

    def find_addresses_by(
        self,
        version: int,
        *,
        metadata: Mapping[str, Iterable[str]],
        addresses: Iterable[str] = (),
        owner_key: str,
    ) -> list[Address]:
        """Addresses whose metadata ``key`` has one of the values given for it, or that are one of
        ``addresses`` (in any space). One call (per page)."""
        s = _ADDR[version]
        parts = [
            Where.any_of(tag_column(s["tag"], key), values) for key, values in metadata.items() if values
        ]
        hexes = sorted({(hex_v4 if version == 4 else hex_v6)(a) for a in addresses})
        if hexes:
            parts.append(Where.any_of(s["hex"], hexes))
        if not parts:
            return []
        where = parts[0]
        for part in parts[1:]:
            where = where | part
        tags = [f"{s['tag']}.{k}" for k in (owner_key, *metadata)]
        rows = self.client.list(s["list"], where=where, tags=tags)
        return [Address.from_row(r, version) for r in rows if r.get("type", "ip") in ("", "ip")]

    def create_address(
        self,
        version: int,
        space_id: str,
        address: str,
        *,
        name: str,
        mac: str,
        device_id: str | None,
        iface_id: str | None,
        metadata: Metadata,
    ) -> str:
        s = _ADDR[version]
        params: dict[str, object] = {
            "site_id": space_id,
            "hostaddr": address,
            s["name"]: name,
            s["params"]: md.encode(metadata),
        }
        if mac:
            params[s["mac"]] = mac
        if device_id:
            params["hostdev_id"] = device_id
        if iface_id:
            params["hostiface_id"] = iface_id
        return self.client.add(s["add"], params)

    def update_address(
        self,
        version: int,
        address_id: str,
        *,
        name: str | None = None,
        mac: str | None = None,
        device_id: str | None = None,
        iface_id: str | None = None,
        metadata: Metadata | None = None,
        delete_keys: Iterable[str] = (),
    ) -> None:
        s = _ADDR[version]
        params: dict[str, object] = {s["id"]: address_id}
        if name is not None:
            params[s["name"]] = name
        if mac is not None:
            params[s["mac"]] = mac
        if device_id is not None:
            params["hostdev_id"] = device_id or "0"
        if iface_id is not None:
            params["hostiface_id"] = iface_id or "0"
        _metadata_edit(params, s["params"], metadata, delete_keys)
        self.client.edit(s["add"], params)

    def delete_address(self, version: int, address_id: str) -> None:
        s = _ADDR[version]
        self.client.delete(s["delete"], {s["id"]: address_id})

    # ------------------------------------------------------------------ devices
    def find_devices(self, key: str, value: str, limit: int | None = None) -> list[Device]:
        col = tag_column("hostdev", key)
        rows = self.client.list(
            "hostdev_list",
            where=Where.eq(col, value),
            tags=[f"hostdev.{key}"],
            orderby="hostdev_id",
            max_rows=limit,
        )
        return [Device.from_row(r) for r in rows]

    def list_devices(
        self,
        *,
        where: Where | None,
        tags: list[str] | None = None,
        orderby: str | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> list[Device]:
        rows = self.client.list(
            "hostdev_list", where=where, tags=tags, orderby=orderby, max_rows=limit, page_size=page_size
        )
        return [Device.from_row(r) for r in rows]

    def create_device(self, name: str, metadata: Metadata, class_name: str = "") -> str:
        params: dict[str, object] = {"hostdev_name": name, "hostdev_class_parameters": md.encode(metadata)}
        if class_name:
            params["hostdev_class_name"] = class_name
        return self.client.add("hostdev_add", params)

    def update_device(
        self, device_id: str, *, name: str | None, metadata: Metadata, delete_keys: Iterable[str] = ()
    ) -> None:
        params: dict[str, object] = {"hostdev_id": device_id}
        if name is not None:
            params["hostdev_name"] = name
        _metadata_edit(params, "hostdev_class_parameters", metadata, delete_keys)
        self.client.edit("hostdev_add", params)

    def delete_device(self, device_id: str) -> None:
        self.client.delete("hostdev_delete", {"hostdev_id": device_id})

    # ------------------------------------------------------------------ interfaces
    def list_interfaces(self, device_id: str) -> list[Interface]:
        rows = self.client.list(
            "hostiface_list", where=Where.eq("hostdev_id", device_id), orderby="hostiface_id"
        )
        return [Interface.from_row(r) for r in rows]

    def create_interface(self, device_id: str, name: str, *, mac: str, metadata: Metadata) -> str:
        params: dict[str, object] = {
            "hostdev_id": device_id,
            "hostiface_name": name,
            "hostiface_type": "interface",
            "hostiface_class_parameters": md.encode(metadata),
        }
        if mac:
            params["hostiface_mac"] = mac
        return self.client.add("hostiface_add", params)

    def update_interface(
        self,
        iface_id: str,
        device_id: str,
        *,
        name: str | None,
        mac: str | None,
        metadata: Metadata,
        delete_keys: Iterable[str] = (),
    ) -> None:
        params: dict[str, object] = {"hostiface_id": iface_id, "hostdev_id": device_id}
        if name is not None:
            params["hostiface_name"] = name
        if mac is not None:
            params["hostiface_mac"] = mac
        _metadata_edit(params, "hostiface_class_parameters", metadata, delete_keys)
        self.client.edit("hostiface_add", params)

    def delete_interface(self, iface_id: str) -> None:
        self.client.delete("hostiface_delete", {"hostiface_id": iface_id})

    # ------------------------------------------------------------------ DNS
    def find_dns_server(self, name: str) -> str | None:
        rows = list(self.client.list("dns_server_list", where=Where.eq("dns_name", name), max_rows=1))
        return rows[0]["dns_id"] if rows else None

    def list_zones(self, server: str) -> list[Zone]:
        rows = self.client.list("dns_zone_list", where=Where.eq("dns_name", server))
        return [
            Zone(
                id=r["dnszone_id"],
                name=r.get("dnszone_name", "").rstrip(".").lower(),
                server_id=r.get("dns_id", ""),
                server_name=r.get("dns_name", ""),
                view=_name(r.get("dnsview_name")),
                reverse=r.get("dnszone_is_reverse") == "1",
            )
            for r in rows
        ]

    def find_records(
        self, server: str, *, owner_key: str, owner: str, names: Mapping[str, Iterable[str]]
    ) -> list[Record]:
        """Records on ``server`` owned by ``owner`` plus records named ``names`` (``{fqdn: [types]}``)."""
        tag = f"rr.{owner_key}"
        clause = Where.eq(tag_column("rr", owner_key), owner)
        for fqdn, types in names.items():
            clause = clause | (Where.eq("rr_full_name", fqdn) & Where.any_of("rr_type", types))
        where = Where.eq("dns_name", server) & clause
        rows = self.client.list("dns_rr_list", where=where, tags=[tag])
        return [Record.from_row(r) for r in rows]

    def create_record(
        self, server: str, zone: Zone, fqdn: str, rtype: str, value: str, *, ttl: int, metadata: Metadata
    ) -> str:
        params: dict[str, object] = {
            "dns_name": server,
            "dnszone_name": zone.name,
            "rr_name": fqdn,
            "rr_type": rtype,
            "value1": value,
            "rr_ttl": ttl,
            "rr_class_parameters": md.encode(metadata),
        }
        if zone.view:
            params["dnsview_name"] = zone.view
        return self.client.add("dns_rr_add", params)

    def update_record(
        self, record: Record, *, ttl: int, metadata: Metadata, delete_keys: Iterable[str] = ()
    ) -> None:
        params: dict[str, object] = {
            "rr_id": record.id,
            "rr_name": record.fqdn,
            "rr_type": record.type,
            "value1": record.value,
            "dns_name": record.server,
            "rr_ttl": ttl,
        }
        _metadata_edit(params, "rr_class_parameters", metadata, delete_keys)
        self.client.edit("dns_rr_add", params)

    def delete_record(self, record_id: str) -> None:
        self.client.delete("dns_rr_delete", {"rr_id": record_id})
