"""IPAM rules by object kind: spaces (:mod:`.ipam_spaces`), IPv4/IPv6 networks, blocks and subnets
(:mod:`.ipam_networks`), addresses and the bulk load (:mod:`.ipam_addresses`). The names the
services table and the seed use, in one place.
"""

from __future__ import annotations

from .ipam_addresses import (
    A4,
    A6,
    AddrFields,
    address_add,
    address_delete,
    bulk_add_ipv4,
    find_address,
    ip4_values,
    terminal_subnet_for,
)
from .ipam_networks import V4, V6, Family, network_add, network_delete
from .ipam_spaces import SPACE_EXISTS, resolve_site, site_add, site_delete

__all__ = [
    "A4",
    "A6",
    "SPACE_EXISTS",
    "V4",
    "V6",
    "AddrFields",
    "Family",
    "address_add",
    "address_delete",
    "bulk_add_ipv4",
    "find_address",
    "ip4_values",
    "network_add",
    "network_delete",
    "resolve_site",
    "site_add",
    "site_delete",
    "terminal_subnet_for",
]
