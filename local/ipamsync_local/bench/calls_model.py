"""What a correct sync of one event needs, next to what it did (the calls benchmark's model).

* :func:`snapshot` — every object SOLIDserver holds, read before and after an execution;
* :func:`diff` — the objects that changed (created + deleted + modified), without what the
  appliance changes by itself when a device is deleted (its interfaces go, its addresses are
  unlinked): the minimum writes;
* :func:`minimum_reads` — one query per kind of object the event must check, per IP version (REST
  v1 has no multi-service query, and ipamsync's queries already cover all objects of a kind in one
  call): the device (with its interfaces, in one ``hostiface_list`` joined with the device's
  metadata, when the device exists with interfaces), the networks per IP version the instance's VPC
  and subnets use, the addresses per IP version it has *or may already own* (it can only own
  something when its device existed before the event), the device of each other managed instance
  holding an address the instance has now (the newer observation takes it over), the DNS records
  (when DNS is on). A stale event needs only the device. Networks are not needed for a terminated instance.

The derivation is in docs/benchmarks.md ("The minimum a correct sync needs").
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

from ipamsync_local.bench.pipeline import DNS_SERVER

Objects = Mapping[tuple[str, int, str], Any]


def snapshot(ss: Any) -> dict[tuple[str, int, str], Any]:
    """Every object SOLIDserver holds, keyed by (kind, IP version, id)."""
    from ipamsync_local.inventory import read_inventory

    inv = read_inventory(ss, DNS_SERVER)
    objects: dict[tuple[str, int, str], Any] = {}
    for s in inv.spaces:
        objects[("space", 0, s.id)] = s
    for n in inv.networks:
        objects[("network", n.version, n.id)] = n
    for a in inv.addresses:
        objects[("address", a.version, a.id)] = a
    for d in inv.devices:
        objects[("device", 0, d.id)] = d
    for i in inv.interfaces:
        objects[("interface", 0, i.id)] = i
    for r in inv.records:
        objects[("record", 0, r.id)] = r
    return objects


def diff(before: Objects, after: Objects) -> dict[str, int]:
    """Objects created, deleted and modified, without the appliance's own cascades."""
    deleted_devices = {k[2] for k in before if k[0] == "device" and k not in after}
    deleted_ifaces = {k[2] for k in before if k[0] == "interface" and k not in after}
    out: collections.Counter[str] = collections.Counter()
    for key in after:
        if key not in before:
            out[f"created:{key[0]}"] += 1
    for key, obj in before.items():
        if key in after:
            continue
        if key[0] == "interface" and obj.device_id in deleted_devices:
            continue  # deleting a device deletes its interfaces
        out[f"deleted:{key[0]}"] += 1
    for key, old in before.items():
        new = after.get(key)
        if new is None or new == old:
            continue
        if key[0] == "address":
            cascaded = (old.device_id in deleted_devices or old.iface_id in deleted_ifaces) and (
                new.device_id is None and new.iface_id is None
            )
            if cascaded and _same_except_links(old, new):
                continue  # unlinked by the appliance when its device/interface was deleted
        out[f"modified:{key[0]}"] += 1
    return dict(out)


def _same_except_links(old: Any, new: Any) -> bool:
    from dataclasses import replace

    return replace(old, device_id=None, iface_id=None) == replace(new, device_id=None, iface_id=None)


def minimum_reads(message: Mapping[str, Any], before: Objects, *, dns: bool) -> dict[str, int]:
    """The reads a correct sync of ``message`` needs, given what SOLIDserver held before it (see the
    module documentation). Returned per kind so the derivation shows in the results."""
    from ipamsync.model import parse_time

    inst = message.get("instance") or {}
    account = (message.get("event") or {}).get("account", "")
    region = (message.get("event") or {}).get("region", "")
    owner = f"aws:{account}:{region}:{inst.get('id', '')}"
    gone = inst.get("state") in ("shutting-down", "terminated")
    device = next(
        (o for k, o in before.items() if k[0] == "device" and o.metadata.get("ipamsync_owner") == owner), None
    )
    ifaces = [
        o
        for k, o in before.items()
        if k[0] == "interface" and device is not None and o.device_id == device.id
    ]
    tombstone = device is not None and "ipamsync_tombstone" in device.metadata
    reads = {"device": 1}
    if device is not None:
        seen = device.metadata.get("ipamsync_observed_at")
        stale = False
        if seen:
            try:
                stale = parse_time(seen) > parse_time(message["observed_at"])
            except (KeyError, ValueError):
                stale = False
        if stale or (tombstone and not gone):
            return reads
        applied = seen == message.get("observed_at") and bool(device.metadata.get("ipamsync_digest"))
        if applied:
            return reads  # this very observation is applied (its digest is on the device): one lookup
    if not gone and device is not None and not tombstone and not ifaces:
        reads["interfaces"] = 1  # an existing device without interfaces: its interfaces cannot come with it
    enis = inst.get("network_interfaces") or []
    existed = device is not None
    if not gone:
        used_vpcs = {e.get("vpc_id") for e in enis}
        used_subnets = {e.get("subnet_id") for e in enis}
        v4 = any(v.get("cidrs_v4") for v in message.get("vpcs") or [] if v.get("id") in used_vpcs) or any(
            s.get("cidr_v4") for s in message.get("subnets") or [] if s.get("id") in used_subnets
        )
        v6 = any(v.get("cidrs_v6") for v in message.get("vpcs") or [] if v.get("id") in used_vpcs) or any(
            s.get("cidrs_v6") for s in message.get("subnets") or [] if s.get("id") in used_subnets
        )
        public = any(ip.get("public_ip") for e in enis for ip in e.get("private_ipv4") or [])
        if v4 or public:
            reads["networks v4"] = 1
        if v6:
            reads["networks v6"] = 1
    wants_v4 = not gone and any(e.get("private_ipv4") for e in enis)
    wants_v6 = not gone and any(e.get("ipv6") for e in enis)
    if wants_v4 or existed:
        reads["addresses v4"] = 1
    if wants_v6 or existed:
        reads["addresses v6"] = 1
    if not gone:
        # an address another managed instance holds changes hands only to a newer observation: its
        # holder's device (where that instance's observation lives) must be read, one per holder
        wanted = {
            str(v)
            for e in enis
            for ip in e.get("private_ipv4") or []
            for v in (ip.get("address"), ip.get("public_ip"))
            if v
        } | {str(v) for e in enis for v in e.get("ipv6") or []}
        holders = {
            o.metadata.get("ipamsync_owner")
            for k, o in before.items()
            if k[0] == "address" and o.address in wanted
        } - {None, owner}
        if holders:
            reads["holder devices"] = len(holders)
    wants_records = not gone and bool(inst.get("hostname")) and bool(enis)
    if dns and (wants_records or existed):
        reads["dns records"] = 1
    return reads
