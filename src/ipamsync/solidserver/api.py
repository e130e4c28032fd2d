"""Typed SOLIDserver operations the sync needs (spaces, networks, addresses, devices, DNS).

Every method is one REST call (lists: one call per page) so callers can count and reason about
what they cost. Rows are turned into small frozen dataclasses; metadata is decoded into dicts.
IPv4 and IPv6 share the same types, with ``version`` telling which services and columns apply.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ipamsync.errors import SolidServerRequestError
from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.where import Where

if TYPE_CHECKING:
    from ipamsync.solidserver.client import SolidServerClient

log = logging.getLogger("ipamsync.solidserver")

Row = dict[str, str]

Metadata = Mapping[str, str]

#: How long a tag probe that could not decide (no object carries the key yet) is trusted before
#: probing again: meanwhile lookups take the path that does not need the tag.
TAG_PROBE_RETRY_SECONDS = 300.0


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
    #: in no subnet (``subnet_id`` "0"): an appliance accepts such an address in a space
    orphan: bool = False

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


def is_address_row(row: Row, version: int) -> bool:
    """Whether an address list row is an address, not a free range: a live appliance's
    ``ip_address_list`` also answers free ranges — ``type`` containing ``free`` and an id of
    ``"0"`` (gomorpheus/morpheus-efficientip-plugin ``SolidServerProvider.groovy`` drops rows whose
    ``type`` contains ``free``; mathiaswegner/nautobot_ssot_eip_solidserver ``utils/ssutils.py``
    reads ``ip_id`` ``"0"`` with ``type`` ``free`` as unassigned). Either sign excludes the row."""
    ident = row.get(_ADDR[version]["id"], "")
    return "free" not in row.get("type", "").lower() and ident not in ("", "0")


def _metadata_edit(
    params: dict[str, object], column: str, metadata: Metadata | None, delete_keys: Iterable[str]
) -> None:
    """Add an edit's metadata to ``params``.

    ``metadata`` is the object's *whole* class-parameter set after the edit (see
    :func:`~ipamsync.solidserver.metadata.edit_set`), sent every time — EfficientIP's clients
    resend the full set on every edit (SOLIDserverRest ``adv/class_params.py``
    ``prepare_class_params``; the Terraform provider's ``Update`` functions) — so that the result is
    right whether the appliance merges the keys sent into its set or replaces its set with them;
    ``class_parameters_to_delete`` removes ``delete_keys``. An edit that sends no class parameters
    says ``keep_class_parameters=1``, as the Terraform provider does when it leaves them out
    (``resource_ip_mac.go``)."""
    if metadata:
        params[column] = md.encode_set(metadata)
    else:
        params["keep_class_parameters"] = "1"
    keys = list(delete_keys)
    if keys:
        params["class_parameters_to_delete"] = md.delete_list(keys)


_TOKEN = re.compile(r"[A-Za-z0-9._~-]+")


def owner_token(owner: str) -> str:
    """The longest part of an owner value that URL encoding never changes (``i-0abc…`` of
    ``aws:123:us-east-1:i-0abc…``): what a lookup on the class-parameter column searches for,
    whatever percent-encoding the appliance answers its class parameters with."""
    parts: list[str] = _TOKEN.findall(owner)
    if not parts:
        raise ValueError(f"no searchable text in owner {owner!r}")
    return max(parts, key=len)


def tag_column(tag_type: str, key: str) -> str:
    return f"tag_{tag_type}_{md.check_key(key)}"


class SolidServer:
    """The operations ipamsync performs, over a :class:`SolidServerClient`."""

    def __init__(self, client: SolidServerClient) -> None:
        self.client = client
        self._tags: dict[tuple[str, str, str], tuple[bool | None, float]] = {}
        self._tags_lock = threading.Lock()

    # ------------------------------------------------------------------ tag types
    def tag_supported(self, service: str, tag_type: str, key: str, params_column: str) -> bool | None:
        """Does ``service`` expose ``TAGS=<tag_type>.<key>`` as the object's own class parameter?

        Only the ``hostdev.`` and ``network.`` tag types have public evidence; ipamsync's address
        and record lookups need ``ip.``, ``ip6.`` and ``rr.``. So each is probed once per container
        with ``TAGS=<type>.<key>&WHERE=tag_<type>_<key>!=''&limit=1``: True when the answered row
        has the ``tag_<type>_<key>`` column and it equals the key in the row's own
        ``params_column``; False when the appliance refuses the query or answers a row without that
        column or with another value; None (retried after ``TAG_PROBE_RETRY_SECONDS``) when no
        object carries the key yet. Callers use the tag only on True."""
        cache_key = (service, tag_type, key)
        now = time.monotonic()
        with self._tags_lock:
            known = self._tags.get(cache_key)
            if known is not None and (known[0] is not None or now - known[1] < TAG_PROBE_RETRY_SECONDS):
                return known[0]
        column = tag_column(tag_type, key)
        verdict: bool | None
        try:
            rows = self.client.get(
                service, {"TAGS": f"{tag_type}.{key}", "WHERE": f"{column}!=''", "limit": 1, "offset": 0}
            )
        except SolidServerRequestError as exc:
            rows, verdict = [], False
            reason = f"refused ({exc.status}, errno {exc.errno})"
        else:
            verdict, reason = None, "no object carries the key yet"
            if rows:
                row = rows[0]
                own = md.decode(row.get(params_column)).get(key)
                verdict = column in row and row[column] != "" and row[column] == own
                reason = "column answered" if verdict else "column absent or not the object's own"
        with self._tags_lock:
            self._tags[cache_key] = (verdict, now)
        path = {True: "tag", False: "class-parameter column", None: "class-parameter column (undecided)"}
        log_at = log.info if verdict is not False else log.warning
        log_at(
            "SOLIDserver tag type probed",
            extra={
                "sds_service": service,
                "tag": f"{tag_type}.{key}",
                "lookup": path[verdict],
                "reason": reason,
            },
        )
        return verdict

    # ------------------------------------------------------------------ spaces
    def find_space(self, name: str) -> Space | None:
        """The space ``name``. The appliance may compare names without letter case (the Terraform
        provider looks spaces up by their lower-cased name: ``solidserver-helper.go``): the row
        spelled exactly as asked is preferred."""
        rows = list(self.client.list("ip_site_list", where=Where.eq("site_name", name), max_rows=2))
        exact = [r for r in rows if r.get("site_name") == name]
        return Space.from_row((exact or rows)[0]) if rows else None

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
        (conservative: any address or network row counts as something held). A live appliance's
        address list also answers free-range rows (:func:`is_address_row`): they are skipped, two
        rows a page, so an empty subnet costs one call (its one free range) and a used one
        usually one too (free ranges and addresses alternate)."""
        if terminal:
            s = _ADDR[version]
            rows = self.client.list(s["list"], where=Where.eq(s["subnet"], network_id), page_size=2)
            return not any(is_address_row(r, version) for r in rows)
        s = _NET[version]
        found = self.client.list(s["list"], where=Where.eq(s["parent"], network_id), max_rows=1)
        return next(iter(found), None) is None

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

        One call (per page): ``tag_<ip>_<owner_key>='owner' or (site_id='S' and (ip_addr=…))`` when
        the appliance exposes the tag type (:meth:`tag_supported`), else the same with
        ``<ip>_class_parameters like '%<owner token>%'`` (:func:`owner_token`) instead of the tag;
        the caller keeps what the decoded metadata says it owns. Free-range rows are left out.
        """
        s = _ADDR[version]
        tagged = self.tag_supported(s["list"], s["tag"], owner_key, s["params"])
        if tagged:
            owned = Where.eq(tag_column(s["tag"], owner_key), owner)
        else:
            owned = Where.contains(s["params"], owner_token(owner))
        where = owned
        for space_id, addrs in (at or {}).items():
            hexes = sorted({(hex_v4 if version == 4 else hex_v6)(a) for a in addrs})
            if hexes:
                where = where | (Where.eq("site_id", space_id) & Where.any_of(s["hex"], hexes))
        tags = [f"{s['tag']}.{owner_key}"] if tagged else None
        rows = self.client.list(s["list"], where=where, tags=tags)
        return [Address.from_row(r, version) for r in rows if is_address_row(r, version)]

    def find_address_anywhere(self, version: int, address: str) -> list[Address]:
        """Every address object with this value, in any space (no tag needed)."""
        s = _ADDR[version]
        value = (hex_v4 if version == 4 else hex_v6)(address)
        rows = self.client.list(s["list"], where=Where.eq(s["hex"], value))
        return [Address.from_row(r, version) for r in rows if is_address_row(r, version)]

    def find_addresses_by(
        self,
        version: int,
        *,
        metadata: Mapping[str, Iterable[str]],
        addresses: Iterable[str] = (),
        owner_key: str,
    ) -> list[Address]:
        """Addresses whose metadata ``key`` has one of the values given for it, or that are one of
        ``addresses`` (in any space). One call (per page), plus a tag probe per key the first time
        (:meth:`tag_supported`): a key whose tag type the appliance does not expose is looked up on
        the class-parameter column (``like '%<value>%'``) and the decoded metadata decides.
        ``owner_key`` is kept for the callers (the owner is read from the decoded metadata)."""
        del owner_key
        s = _ADDR[version]
        wanted = {key: set(values) for key, values in metadata.items() if values}
        hexes = sorted({(hex_v4 if version == 4 else hex_v6)(a) for a in addresses})
        parts: list[Where] = []
        tags: list[str] = []
        for key, values in wanted.items():
            if self.tag_supported(s["list"], s["tag"], key, s["params"]):
                parts.append(Where.any_of(tag_column(s["tag"], key), sorted(values)))
                tags.append(f"{s['tag']}.{key}")
            else:
                parts.extend(Where.contains(s["params"], owner_token(v)) for v in sorted(values))
        if hexes:
            parts.append(Where.any_of(s["hex"], hexes))
        if not parts:
            return []
        where = parts[0]
        for part in parts[1:]:
            where = where | part
        rows = self.client.list(s["list"], where=where, tags=tags or None)
        found = [Address.from_row(r, version) for r in rows if is_address_row(r, version)]
        named = {canonical(a) for a in addresses}
        return [
            a
            for a in found
            if a.address in named or any(a.metadata.get(k) in values for k, values in wanted.items())
        ]

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
        # "" unlinks: what the Terraform provider sends without a device (resource_ip_address.go)
        if device_id is not None:
            params["hostdev_id"] = device_id
        if iface_id is not None:
            params["hostiface_id"] = iface_id
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
        """Records on ``server`` owned by ``owner`` plus records named ``names`` (``{fqdn: [types]}``),
        found by server, name, type (and the caller checks the value) — never by a kept ``rr_id``:
        the ids of records change (the Terraform provider's ``resource_dns_rr.go``: "We do not rely
        on the ID that may change due to DNS behavior"). Like :meth:`find_addresses`, by tag when
        ``rr.`` tags work, else by ``rr_class_parameters``. Records pending deletion are gone."""
        tagged = self.tag_supported("dns_rr_list", "rr", owner_key, "rr_class_parameters")
        if tagged:
            clause = Where.eq(tag_column("rr", owner_key), owner)
        else:
            clause = Where.contains("rr_class_parameters", owner_token(owner))
        for fqdn, types in names.items():
            clause = clause | (Where.eq("rr_full_name", fqdn) & Where.any_of("rr_type", types))
        where = Where.eq("dns_name", server) & clause
        tags = [f"rr.{owner_key}"] if tagged else None
        rows = self.client.list("dns_rr_list", where=where, tags=tags)
        return [rec for rec in map(Record.from_row, rows) if not rec.pending_delete]

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
        self,
        record: Record,
        *,
        ttl: int,
        metadata: Metadata,
        delete_keys: Iterable[str] = (),
        value: str | None = None,
    ) -> str:
        """Edit a record (``value``: a new ``value1``); answers its id after the edit (an appliance
        may give it a new one)."""
        params: dict[str, object] = {
            "rr_id": record.id,
            "rr_name": record.fqdn,
            "rr_type": record.type,
            "value1": record.value if value is None else value,
            "dns_name": record.server,
            "rr_ttl": ttl,
        }
        _metadata_edit(params, "rr_class_parameters", metadata, delete_keys)
        return self.client.edit("dns_rr_add", params)

    def delete_record(self, record_id: str) -> None:
        self.client.delete("dns_rr_delete", {"rr_id": record_id})
