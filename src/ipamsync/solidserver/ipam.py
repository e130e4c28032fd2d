"""SOLIDserver's IPAM operations: spaces, networks (blocks and subnets) and addresses, IPv4 and IPv6.

Every method is one REST call (lists: one call per page)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from ipamsync.solidserver import metadata as md
from ipamsync.solidserver.base import Operations, metadata_edit, owner_token, tag_column
from ipamsync.solidserver.rows import (
    ADDRESS_COLUMNS,
    NETWORK_COLUMNS,
    Address,
    Metadata,
    Network,
    Space,
    canonical,
    hex_v4,
    hex_v6,
    is_address_row,
)
from ipamsync.solidserver.where import Where


class IpamOperations(Operations):
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
        s = NETWORK_COLUMNS[version]
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
        s = NETWORK_COLUMNS[version]
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
        s = NETWORK_COLUMNS[version]
        params: dict[str, object] = {s["id"]: network_id}
        if name is not None:
            params[s["name"]] = name
        metadata_edit(params, s["params"], metadata, delete_keys)
        self.client.edit(s["add"], params)

    def network_is_empty(self, version: int, network_id: str, *, terminal: bool) -> bool:
        """A terminal network holds no address, or a block or non-terminal subnet no network
        (conservative: any address or network row counts as something held). A live appliance's
        address list also answers free-range rows (:func:`is_address_row`): they are skipped, two
        rows a page, so an empty subnet costs one call (its one free range) and a used one
        usually one too (free ranges and addresses alternate)."""
        if terminal:
            s = ADDRESS_COLUMNS[version]
            rows = self.client.list(s["list"], where=Where.eq(s["subnet"], network_id), page_size=2)
            return not any(is_address_row(r, version) for r in rows)
        s = NETWORK_COLUMNS[version]
        found = self.client.list(s["list"], where=Where.eq(s["parent"], network_id), max_rows=1)
        return next(iter(found), None) is None

    def delete_network(self, version: int, network_id: str) -> None:
        """Delete a network. No ``validate_warnings``: SOLIDserver's warning about what the network
        still holds is a refusal here, never accepted."""
        s = NETWORK_COLUMNS[version]
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
        s = ADDRESS_COLUMNS[version]
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
        s = ADDRESS_COLUMNS[version]
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
        s = ADDRESS_COLUMNS[version]
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
        s = ADDRESS_COLUMNS[version]
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
        s = ADDRESS_COLUMNS[version]
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
        metadata_edit(params, s["params"], metadata, delete_keys)
        self.client.edit(s["add"], params)

    def delete_address(self, version: int, address_id: str) -> None:
        s = ADDRESS_COLUMNS[version]
        self.client.delete(s["delete"], {s["id"]: address_id})
