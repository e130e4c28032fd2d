"""DNS records, on the configured DNS server, when one is configured, the instance has a hostname
and a forward zone (its zone tag, which must name a zone, else ``DnsForwardZone``) that exists
there: ``A`` = the primary private IPv4 of the primary ENI, ``AAAA`` = its first IPv6, a ``PTR``
for each when a reverse zone of the server holds it, all with the configured TTL and the
instance's keys as metadata. None while stopped under ``remove-dns``, none once gone. Instances
sharing a hostname each own their own records; a record exists once."""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from ipamsync.settings import Settings

from .ec2 import primary_ip_of
from .model import Comparison, Difference, ExpectedRecord, InstanceTruth, metadata_diffs
from .rules import instance_owner, is_zone_name, resource_of, reverse_pointer

# --------------------------------------------------------------------------- EC2 → expected records


def zones_of(ss: Any, dns_server: str) -> list[tuple[str, bool]]:
    """``(zone name, is reverse)`` of a DNS server, read through a :class:`SolidServer`."""
    if not dns_server:
        return []
    return [(z.name, z.reverse) for z in ss.list_zones(dns_server)]


def instance_zone(settings: Settings, tags: Mapping[str, str], t: InstanceTruth) -> str | None:
    """The instance's forward zone: its zone tag (noted when it is no zone name), else the
    configured forward zone."""
    raw_zone = tags.get(settings.zone_tag_key)
    if raw_zone is not None and raw_zone.strip():
        zone = raw_zone.strip().rstrip(".").lower()
        if not is_zone_name(zone):
            t.notes.append(f"zone tag {raw_zone[:60]!r} is not a zone name: addresses and DNS cannot apply")
        return zone
    return settings.forward_zone or None


def expect_records(
    t: InstanceTruth,
    settings: Settings,
    zone: str | None,
    zones: list[tuple[str, bool]],
    enis: list[dict[str, Any]],
) -> None:
    """The records of a live instance (``zones``: the server's, ``(name, is reverse)``)."""
    if not settings.dns_enabled:
        return
    if not t.hostname:
        t.notes.append("no hostname: no DNS records")
        return
    if settings.stopped_policy == "remove-dns" and t.state in ("stopping", "stopped"):
        t.notes.append("stopped under remove-dns: no DNS records")
        return
    if not zone or not is_zone_name(zone):
        t.notes.append("no forward zone: no DNS records")
        return
    if (zone, False) not in zones:
        t.notes.append(f"zone {zone} does not exist on {settings.dns_server}: DNS cannot apply")
        return
    if not enis:
        return
    primary = enis[0]
    fqdn = f"{t.hostname}.{zone}"
    primary_ip = primary_ip_of(primary)
    v4 = primary_ip.get("PrivateIpAddress") if primary_ip else None
    v6s = [a["Ipv6Address"] for a in primary.get("Ipv6Addresses", []) if a.get("Ipv6Address")]
    for rtype, raw in (("A", v4), ("AAAA", v6s[0] if v6s else None)):
        if not raw:
            continue
        address = str(ipaddress.ip_address(raw))
        t.records.add(ExpectedRecord(fqdn, rtype, address))
        if settings.reverse_dns:
            ptr = reverse_pointer(address)
            owning = [z for z, rev in zones if rev and (ptr == z or ptr.endswith("." + z))]
            if owning:
                t.records.add(ExpectedRecord(ptr, "PTR", fqdn))
            else:
                t.notes.append(f"PTR {ptr}: no reverse zone")


# --------------------------------------------------------------------------- comparison

_Key = tuple[str, str, str]  # (name, type, value)


def check_records(c: Comparison) -> None:
    """Each instance owns exactly its expected records (TTL, metadata), each once; an instance the
    truth does not describe owns none; no record exists twice, whoever owns it. Records of another
    DNS server than the configured one are not judged."""
    dns_server = c.truth.settings.dns_server

    def judged(r: Any) -> bool:
        return not dns_server or not r.server or r.server == dns_server

    records_of: dict[str, dict[_Key, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in c.inv.records:
        owner = instance_owner(r.metadata)
        if judged(r) and owner is not None:
            records_of[owner][(r.fqdn, r.type, r.value)].append(r)
    for owner, t in c.checked():
        _check_records_of(c, t, records_of.get(owner, {}))
    for owner, got in c.strangers(records_of):
        c.diffs += [
            Difference("unexpected", "record", " ".join(rec), instance_id=resource_of(owner)) for rec in got
        ]
    seen: Counter[_Key] = Counter((r.fqdn, r.type, r.value) for r in c.inv.records if judged(r))
    for rec, n in sorted(seen.items()):
        if n > 1 and not any(len(records_of[o].get(rec, ())) > 1 for o in records_of):
            c.diffs.append(Difference("duplicate", "record", " ".join(rec), actual=f"{n} times"))


def _check_records_of(c: Comparison, t: InstanceTruth, got: Mapping[_Key, list[Any]]) -> None:
    want = {(x.fqdn, x.type, x.value) for x in ([] if t.gone else t.records)}
    for rec in sorted(want - set(got)):
        c.diffs.append(Difference("missing", "record", " ".join(rec), instance_id=t.instance_id))
    for rec in sorted(set(got) - want):
        c.diffs.append(Difference("unexpected", "record", " ".join(rec), instance_id=t.instance_id))
    ttl = c.truth.settings.ttl
    for rec, same in sorted(got.items()):
        label = " ".join(rec)
        if len(same) > 1:
            c.diffs.append(
                Difference(
                    "duplicate", "record", label, actual=f"{len(same)} times", instance_id=t.instance_id
                )
            )
        if rec not in want:
            continue
        for r in same:
            if r.ttl != ttl:
                c.diffs.append(Difference("wrong", "record", label, "ttl", ttl, r.ttl, t.instance_id))
            c.diffs += metadata_diffs("record", label, t.record_metadata, r.metadata, t.instance_id)
