"""Typed SOLIDserver operations the sync needs (spaces, networks, addresses, devices, DNS).

Every method is one REST call (lists: one call per page) so callers can count and reason about
what they cost. Rows are turned into small frozen dataclasses (:mod:`.rows`); metadata is decoded
into dicts. IPv4 and IPv6 share the same types, with ``version`` telling which services and columns
apply. The operations live by service family — IPAM (:mod:`.ipam`), Device Manager
(:mod:`.devices`), DNS (:mod:`.dns`), over what they share (:mod:`.base`) — and meet here in one
:class:`SolidServer`.
"""

from __future__ import annotations

from ipamsync.solidserver.base import TAG_PROBE_RETRY_SECONDS, owner_token, tag_column
from ipamsync.solidserver.devices import DeviceOperations
from ipamsync.solidserver.dns import DnsOperations
from ipamsync.solidserver.ipam import IpamOperations
from ipamsync.solidserver.rows import (
    Address,
    Device,
    Interface,
    Metadata,
    Network,
    Record,
    Row,
    Space,
    Zone,
    addr_from_hex,
    canonical,
    hex_v4,
    hex_v6,
    is_address_row,
)

__all__ = [
    "TAG_PROBE_RETRY_SECONDS",
    "Address",
    "Device",
    "Interface",
    "Metadata",
    "Network",
    "Record",
    "Row",
    "SolidServer",
    "Space",
    "Zone",
    "addr_from_hex",
    "canonical",
    "hex_v4",
    "hex_v6",
    "is_address_row",
    "owner_token",
    "tag_column",
]


class SolidServer(IpamOperations, DeviceOperations, DnsOperations):
    """The operations ipamsync performs, over a :class:`~ipamsync.solidserver.client.SolidServerClient`."""
