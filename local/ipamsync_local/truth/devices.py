"""Devices and their interfaces.

* A **live** instance (``pending``/``running``/``stopping``/``stopped``): one device named
  ``<hostname>-<instance id>`` (or the instance id without a hostname), its metadata exactly
  README's table (tags as ``aws_tag_<key>``, ``aws_tags_omitted`` counting those left out,
  ``ipamsync_observed_at``/``ipamsync_event_id`` set); one interface ``eth<device index>`` per
  ENI (MAC), on that device and on no other, and no other interface on the device.
* A **terminated** / shutting-down one: a tombstone (``TerminatedPolicy=delete``: it keeps only who
  the instance was, :data:`~.rules.TOMBSTONE_KEYS`) or the device marked terminated and otherwise
  described by EC2's last answer (``retain``); no interface.
* An instance EC2 does not know, after its terminal event: its device only, named after its id
  (or the name it already had).
* Its device may carry ``ipamsync_digest`` (32 hex characters), the digest of the snapshot applied
  last: opaque to the truth (the product computes it), so only its form is checked.
* No lease device (``ipamsync-lease-<instance id>``, with ``ipamsync_lease``) is left once the
  pipeline is idle: a live one is an execution that never gave it back, an expired one an
  execution that failed and was not repaired.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ipamsync.settings import Settings

from .ec2 import primary_ip_of, state_of
from .model import Comparison, Difference, ExpectedInterface, InstanceTruth, metadata_diffs
from .rules import (
    DIGEST,
    EVENT_ID,
    GONE,
    LEASE,
    OBSERVED,
    OWNER,
    TOMBSTONE,
    TOMBSTONE_KEYS,
    base_keys,
    clip,
    eni_keys,
    hostname_label,
    instance_owner,
    items,
    meta,
    mine,
    owner_of,
    resource_of,
    tag_key,
    tags_of,
    timestamp,
)

# --------------------------------------------------------------------------- EC2 → expected devices


def hostname(settings: Settings, tags: Mapping[str, str], private_dns: str | None) -> str | None:
    if settings.hostname_source == "name-tag":
        return hostname_label(tags.get("Name"))
    if settings.hostname_source == "tag":
        return hostname_label(tags.get(settings.hostname_tag_key))
    return hostname_label((private_dns or "").split(".", 1)[0])


def expect_device(
    inst: Mapping[str, Any],
    enis: list[dict[str, Any]],
    settings: Settings,
    account: str,
    region: str,
    cores: Mapping[str, int | None],
) -> InstanceTruth:
    """The truth of an instance EC2 describes, as far as its device goes (``enis``: its ENIs by
    device index, none once it is gone)."""
    iid = inst["InstanceId"]
    owner = owner_of(account, region, iid)
    tags = tags_of(inst.get("Tags"))
    private_dns = inst.get("PrivateDnsName") or None
    name = hostname(settings, tags, private_dns)
    base = base_keys(owner, account, region, iid)
    t = InstanceTruth(
        instance_id=iid,
        owner=owner,
        state="terminated" if state_of(inst) in GONE else state_of(inst),
        known=True,
        hostname=name,
        device_name=f"{name}-{iid}" if name else iid,
        exact=True,
        record_metadata=meta(base),
    )
    primary = enis[0] if enis else None
    primary_ip = primary_ip_of(primary)
    described = meta(
        {
            **base,
            "aws_state": t.state,
            "aws_architecture": inst.get("Architecture"),
            "aws_cpu_cores": (inst.get("CpuOptions") or {}).get("CoreCount")
            or cores.get(inst.get("InstanceType") or ""),
            "aws_instance_type": inst.get("InstanceType"),
            "aws_availability_zone": (inst.get("Placement") or {}).get("AvailabilityZone"),
            "aws_launch_time": timestamp(inst["LaunchTime"]) if inst.get("LaunchTime") else None,
            "aws_name": tags.get("Name"),
            "aws_hostname": name,
            "aws_private_dns_name": private_dns,
            "aws_vpc_id": primary.get("VpcId") if primary else None,
            "aws_subnet_id": primary.get("SubnetId") if primary else None,
            "aws_private_ip": primary_ip.get("PrivateIpAddress") if primary_ip else None,
            "aws_public_ip": (primary_ip.get("Association") or {}).get("PublicIp") if primary_ip else None,
            "aws_eni_count": len(enis) or None,
        }
    )
    for key in sorted(tags):
        if key != "Name":
            t.tags.setdefault(tag_key(key), clip(tags[key]))
    if t.gone and settings.terminated_policy == "delete":
        # README *Lifecycle*: a tombstone, not the instance's description: it keeps who the
        # instance was (TOMBSTONE_KEYS: README does not list them), nothing of what it had.
        t.device_metadata = {k: v for k, v in described.items() if k in TOMBSTONE_KEYS}
        t.tombstone, t.tagged, t.tags = True, False, {}
        return t
    t.device_metadata = described  # TerminatedPolicy=retain: the device stays, described by EC2's last word
    return t


def expect_unknown_gone(
    iid: str, device_name: str, settings: Settings, account: str, region: str
) -> InstanceTruth:
    """An instance EC2 does not know, after its terminal event: its device, nothing else."""
    owner = owner_of(account, region, iid)
    t = InstanceTruth(
        instance_id=iid,
        owner=owner,
        state="terminated",
        known=False,
        hostname=None,
        device_name=device_name,
        tombstone=settings.terminated_policy == "delete",
        tagged=False,
    )
    t.device_metadata = {**base_keys(owner, account, region, iid), "aws_state": "terminated"}
    if settings.terminated_policy == "retain":
        t.device_absent_keys = (TOMBSTONE,)
    return t


def expect_interfaces(t: InstanceTruth, enis: list[dict[str, Any]], base: Mapping[str, str]) -> None:
    """One interface ``eth<device index>`` per ENI of a live instance."""
    for eni in enis:
        index = int((eni.get("Attachment") or {}).get("DeviceIndex", 0))
        mac = str(eni.get("MacAddress", "")).lower()
        t.interfaces[eni["NetworkInterfaceId"]] = ExpectedInterface(
            eni["NetworkInterfaceId"],
            f"eth{index}",
            mac,
            index,
            items({**eni_keys(base, eni), "aws_device_index": index}),
        )


# --------------------------------------------------------------------------- comparison: devices


def check_devices(c: Comparison) -> None:
    """One device per instance (the oldest one counts when there are several), as expected; no
    device for an instance the truth does not describe. Records each device's id for the links."""
    devices_of: dict[str, list[Any]] = defaultdict(list)
    for d in c.inv.devices:
        owner = instance_owner(d.metadata)
        if owner is None:
            continue
        if LEASE in d.metadata:
            if not c.out_of_scope(owner):
                holder = d.metadata.get(LEASE)
                c.diffs.append(
                    Difference(
                        "unexpected",
                        "lease",
                        d.name,
                        actual=f"held by {holder}",
                        instance_id=resource_of(owner),
                    )
                )
            continue
        devices_of[owner].append(d)
    for owner, t in c.checked():
        found = devices_of.get(owner, [])
        if not found:
            c.diffs.append(Difference("missing", "device", t.device_name, instance_id=t.instance_id))
            continue
        if len(found) > 1:
            c.diffs.append(
                Difference(
                    "duplicate",
                    "device",
                    t.device_name,
                    actual=[d.id for d in found],
                    instance_id=t.instance_id,
                )
            )
        dev = min(found, key=lambda d: int(d.id))
        c.device_id_of[owner] = dev.id
        c.diffs += check_device(dev, t)
    for owner, found in c.strangers(devices_of):
        for d in found:
            c.diffs.append(
                Difference(
                    "unexpected", "device", d.name, actual=f"id {d.id}", instance_id=resource_of(owner)
                )
            )


def check_device(dev: Any, t: InstanceTruth) -> list[Difference]:
    """One device against its instance's truth: name, metadata, observation keys, tombstone, tags."""
    diffs: list[Difference] = []

    def wrong(key: str, expected: object, actual: object) -> None:
        diffs.append(Difference("wrong", "device", t.device_name, key, expected, actual, t.instance_id))

    if dev.name != t.device_name:
        wrong("name", t.device_name, dev.name)
    for key, value in t.device_metadata.items():
        if dev.metadata.get(key) != value:
            wrong(key, value, dev.metadata.get(key))
    for key in t.device_absent_keys:
        if key in dev.metadata:
            wrong(key, None, dev.metadata[key])
    for key in (OBSERVED, EVENT_ID):  # the observation applied last
        if not dev.metadata.get(key):
            wrong(key, "<set>", dev.metadata.get(key))
    digest = dev.metadata.get(DIGEST)
    if digest is not None and not re.fullmatch(r"[0-9a-f]{32}", digest):
        wrong(DIGEST, "<32 hex characters>", digest)
    if t.tombstone and not dev.metadata.get(TOMBSTONE):
        wrong(TOMBSTONE, "<expiry>", None)
    if t.exact:
        allowed = {*t.device_metadata, OBSERVED, EVENT_ID, DIGEST}
        if t.tombstone:
            allowed.add(TOMBSTONE)
        for key, value in sorted(dev.metadata.items()):
            tag = t.tagged and (key.startswith("aws_tag_") or key == "aws_tags_omitted")
            if mine(key) and key not in allowed and not tag:
                wrong(key, None, value)
    if not t.tagged:
        return diffs
    present = {k: v for k, v in dev.metadata.items() if k.startswith("aws_tag_")}
    for key, value in present.items():
        if key not in t.tags:
            wrong(key, None, value)
        elif t.tags[key] != value:
            wrong(key, t.tags[key], value)
    omitted = len(set(t.tags) - set(present))
    stated = int(dev.metadata.get("aws_tags_omitted") or 0)
    if omitted != stated:
        wrong("aws_tags_omitted", omitted, stated)
    return diffs


# --------------------------------------------------------------------------- comparison: interfaces


def check_interfaces(c: Comparison) -> None:
    """One interface per ENI of a live instance, on its device, as expected; none for a gone
    instance, an unknown ENI or an instance the truth does not describe; no interface of someone
    else on an instance's device. Records each interface's id for the links (after the devices)."""
    ifaces_of: dict[str, list[Any]] = defaultdict(list)
    for i in c.inv.interfaces:
        owner = instance_owner(i.metadata)
        if owner is not None:
            ifaces_of[owner].append(i)
    for owner, found in ifaces_of.items():
        t = c.by_owner.get(owner)
        if t is None:
            if not c.out_of_scope(owner):
                c.diffs += [
                    Difference(
                        "unexpected",
                        "interface",
                        f"{i.name} {i.metadata.get('aws_eni_id')}",
                        instance_id=resource_of(owner),
                    )
                    for i in found
                ]
        elif t.instance_id not in c.ignored:
            _check_interfaces_of(c, owner, t, found)
    for owner, t in c.checked():
        if t.gone:
            continue
        for eni_id, want in t.interfaces.items():
            if (owner, eni_id) not in c.iface_id_of:
                c.diffs.append(
                    Difference("missing", "interface", f"{want.name} {eni_id}", instance_id=t.instance_id)
                )
    # an instance's device holds its ENIs' interfaces and nothing else (a tombstone: nothing)
    owner_of_device = {dev_id: owner for owner, dev_id in c.device_id_of.items()}
    for i in c.inv.interfaces:
        owner = owner_of_device.get(i.device_id)
        if owner is not None and i.metadata.get(OWNER) != owner:
            c.diffs.append(
                Difference(
                    "unexpected",
                    "interface",
                    f"{i.name} on device {i.device_id}",
                    actual=f"owner {i.metadata.get(OWNER) or '(none)'}",
                    instance_id=c.by_owner[owner].instance_id,
                )
            )


def _check_interfaces_of(c: Comparison, owner: str, t: InstanceTruth, found: list[Any]) -> None:
    """The interfaces an instance owns, ENI by ENI."""
    by_eni: dict[str, list[Any]] = defaultdict(list)
    for i in found:
        by_eni[i.metadata.get("aws_eni_id", "")].append(i)
    for eni_id, same in by_eni.items():
        want = t.interfaces.get(eni_id)
        if want is None or t.gone:
            c.diffs += [
                Difference("unexpected", "interface", f"{i.name} {eni_id}", instance_id=t.instance_id)
                for i in same
            ]
            continue
        if len(same) > 1:
            c.diffs.append(
                Difference("duplicate", "interface", f"{want.name} {eni_id}", instance_id=t.instance_id)
            )
        got = min(same, key=lambda i: int(i.id))
        c.iface_id_of[(owner, eni_id)] = got.id
        key = f"{want.name} {eni_id}"
        for fld, exp, act in (
            ("name", want.name, got.name),
            ("mac", want.mac, got.mac),
            ("device", c.device_id_of.get(owner), got.device_id),
        ):
            if exp != act:
                c.diffs.append(Difference("wrong", "interface", key, fld, exp, act, t.instance_id))
        c.diffs += metadata_diffs("interface", key, dict(want.metadata), got.metadata, t.instance_id)
