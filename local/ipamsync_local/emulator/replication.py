"""IPAM -> DNS replication, as an appliance that has it on does: an address's name makes its A/AAAA
record and PTR in the longest zones that hold them, linked to the address (removed with it)."""

from __future__ import annotations

import sqlite3

from . import addr, dns
from .store import Store


def replicate(store: Store, ip_table: str, ip_id: int) -> None:
    """``ipam_dns_replication``: the records the appliance makes from an address's name.

    An address named with an FQDN that a forward zone of a DNS server owns gets an A (IPv4) or AAAA
    (IPv6) record of that name, and a PTR in the longest reverse zone of the same server owning its
    reverse name — created without class parameters, linked to the address, replaced when its name
    changes and removed with it (EfficientIP-Labs/terraform-provider-solidserver issue #11: an
    address named with an FQDN gets its DNS entry from the appliance). Which server, the TTL and
    the link are choices: on an appliance it is the space/subnet's DNS settings [guess].
    An existing record with the same name, type and value is left alone (not duplicated)."""
    if not store.profile.ipam_dns_replication:
        return
    unreplicate(store, ip_table, ip_id)
    v4 = ip_table == "ip4"
    row = store.one(
        f"SELECT {'name' if v4 else 'ip6_name'} AS name, {'addr' if v4 else 'addr_hex'} AS value"
        f" FROM {ip_table} WHERE {'ip_id' if v4 else 'ip6_id'} = ?",
        (ip_id,),
    )
    if row is None or not row["name"]:
        return
    name = dns.normalize_name(row["name"])
    value = int(row["value"]) if v4 else int(row["value"], 16)
    forward = _longest_zone(store, name, reverse=False)
    if forward is None:
        return
    link = f"{ip_table}:{ip_id}"
    host = addr.dotted4(value) if v4 else addr.expanded6(value)
    _replica(store, forward, name, "A" if v4 else "AAAA", host, link)
    ptr = addr.reverse_name_v4(value) if v4 else addr.reverse_name_v6(value)
    reverse = _longest_zone(store, ptr, reverse=True, dns_id=forward["dns_id"])
    if reverse is not None:
        _replica(store, reverse, ptr, "PTR", name, link)


def unreplicate(store: Store, ip_table: str, ip_id: int) -> None:
    """Remove the records the appliance made for an address (its name changed, or it is gone)."""
    link = f"{ip_table}:{ip_id}"
    for row in store.all(f"SELECT rr_id FROM dns_rr WHERE ipam_link = ? AND {dns.LIVE}", (link,)):
        dns.remove_record(store, row["rr_id"])


def _longest_zone(store: Store, name: str, *, reverse: bool, dns_id: int | None = None) -> sqlite3.Row | None:
    zones = [
        z
        for z in store.all(
            "SELECT * FROM dns_zone WHERE dnszone_is_reverse = ? ORDER BY dns_id, dnszone_id", (int(reverse),)
        )
        if dns.owns(z["dnszone_name"], name) and (dns_id is None or z["dns_id"] == dns_id)
    ]
    return max(zones, key=lambda z: len(z["dnszone_name"])) if zones else None


def _replica(store: Store, zone: sqlite3.Row, name: str, rr_type: str, value: str, link: str) -> None:
    if store.one(
        "SELECT 1 FROM dns_rr WHERE dns_id = ? AND rr_full_name = ? AND rr_type = ? AND value1 = ?"
        f" AND {dns.LIVE}",
        (zone["dns_id"], name, rr_type, value),
    ):
        return
    values = {"value1": value}
    name_ip = dns.check_zone_kind(rr_type, name, zone)
    store.insert(
        "dns_rr",
        {
            "dns_id": zone["dns_id"],
            "dnszone_id": zone["dnszone_id"],
            "rr_full_name": name,
            "rr_type": rr_type,
            **values,
            **dns.derived(rr_type, name, zone["dnszone_name"], values),
            "rr_name_ip_addr": name_ip,
            "ttl": dns.DEFAULT_TTL,
            "last_update": store.now(),
            "ipam_link": link,
        },
    )
