"""The demo data every local run starts from: a space, a DNS server and its zones (idempotent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import dns, ipam
from .request import Req
from .store import Store

DEFAULT_SPACE = "AWS"
DEFAULT_DNS_SERVER = "ns.ipamsync.local"
DEFAULT_FORWARD_ZONES = ("ec2.example.internal",)
DEFAULT_REVERSE_ZONES = ("10.in-addr.arpa", "16.172.in-addr.arpa", "168.192.in-addr.arpa")


@dataclass(frozen=True)
class SeedOptions:
    space: str = DEFAULT_SPACE
    dns_server: str = DEFAULT_DNS_SERVER
    forward_zones: tuple[str, ...] = DEFAULT_FORWARD_ZONES
    reverse_zones: tuple[str, ...] = DEFAULT_REVERSE_ZONES

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeedOptions:
        def names(key: str, default: Sequence[str]) -> tuple[str, ...]:
            value = data.get(key)
            if value is None:
                return tuple(default)
            if isinstance(value, str):
                return (value,)
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{key} must be a list of zone names")
            return tuple(value)

        unknown = set(data) - {"space", "dns_server", "forward_zones", "reverse_zones"}
        if unknown:
            raise ValueError(f"unknown seed options: {sorted(unknown)}")
        return cls(
            space=str(data.get("space") or DEFAULT_SPACE),
            dns_server=str(data.get("dns_server") or DEFAULT_DNS_SERVER),
            forward_zones=names("forward_zones", DEFAULT_FORWARD_ZONES),
            reverse_zones=names("reverse_zones", DEFAULT_REVERSE_ZONES),
        )


def seed(store: Store, options: SeedOptions | None = None) -> dict[str, Any]:
    """Create what is missing; answer the ids of everything (created or already there)."""
    options = options or SeedOptions()
    with store.transaction():
        row = store.one("SELECT site_id FROM site WHERE site_name = ?", (options.space,))
        if row is None:
            result = ipam.site_add(store, Req({"site_name": options.space, "add_flag": "new_only"}, "POST"))
            site_id = int(result.rows[0]["ret_oid"])
        else:
            site_id = int(row["site_id"])
        dns_id, _ = dns.add_server(store, options.dns_server)
        zones: dict[str, str] = {}
        for reverse, names in ((False, options.forward_zones), (True, options.reverse_zones)):
            for zone in names:
                zone_id, _ = dns.add_zone(store, options.dns_server, zone, reverse=reverse)
                zones[dns.normalize_name(zone)] = str(zone_id)
    return {
        "space": {"site_name": options.space, "site_id": str(site_id)},
        "dns_server": {"dns_name": dns.normalize_name(options.dns_server), "dns_id": str(dns_id)},
        "zones": zones,
    }
