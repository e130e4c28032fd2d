"""SOLIDserver's rows as small frozen dataclasses (spaces, networks, addresses, devices, interfaces,
zones, records), the per-version columns of the IPAM services, and address text helpers. Metadata
is decoded into dicts; IPv4 and IPv6 share the same types, with ``version`` telling which services
and columns apply."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from ipamsync.solidserver import metadata as md

Row = dict[str, str]

Metadata = Mapping[str, str]


def _id(value: str | None) -> str | None:
    return None if value in (None, "", "0") else value


def plain_name(value: str | None) -> str:
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
        s = NETWORK_COLUMNS[version]
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
            name=plain_name(row.get(s["name"])),
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
    #: in no subnet (``subnet_id`` "0"): an appliance accepts such an address in a space
    orphan: bool = False

    @classmethod
    def from_row(cls, row: Row, version: int) -> Address:
        """The object a list service's row describes."""
        s = ADDRESS_COLUMNS[version]
        hexval = row.get(s["hex"], "")
        text = addr_from_hex(hexval, version) if hexval else canonical(row["hostaddr"])
        return cls(
            id=row[s["id"]],
            version=version,
            address=text,
            name=plain_name(row.get(s["name"])),
            mac=_mac(row.get(s["mac"])),
            space_id=row.get("site_id", ""),
            subnet_id=_id(row.get(s["subnet"])),
            device_id=_id(row.get("hostdev_id")),
            iface_id=_id(row.get("hostiface_id")),
            metadata=md.decode(row.get(s["params"])),
            orphan=row.get(s["subnet"]) == "0",
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
            name=plain_name(row.get("hostdev_name")),
            class_name=plain_name(row.get("hostdev_class_name")),
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
            name=plain_name(row.get("hostiface_name")),
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
    #: deleted, but still listed until the DNS server applies the change (``delayed_delete_time``
    #: not ``"0"``): it counts as gone
    pending_delete: bool = False

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
            pending_delete=row.get("delayed_delete_time", "0") not in ("", "0"),
        )


# --------------------------------------------------------------------------- service columns per IP version

NETWORK_COLUMNS = {
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

ADDRESS_COLUMNS = {
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


def is_address_row(row: Row, version: int) -> bool:
    """Whether an address list row is an address, not a free range: a live appliance's
    ``ip_address_list`` also answers free ranges — ``type`` containing ``free`` and an id of
    ``"0"`` (gomorpheus/morpheus-efficientip-plugin ``SolidServerProvider.groovy`` drops rows whose
    ``type`` contains ``free``; mathiaswegner/nautobot_ssot_eip_solidserver ``utils/ssutils.py``
    reads ``ip_id`` ``"0"`` with ``type`` ``free`` as unassigned). Either sign excludes the row."""
    ident = row.get(ADDRESS_COLUMNS[version]["id"], "")
    return "free" not in row.get("type", "").lower() and ident not in ("", "0")
