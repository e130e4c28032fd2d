"""EC2 → the truth: what SOLIDserver must hold for every instance EC2 describes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from ipamsync.settings import Settings

from . import addresses, devices, dns
from .ec2 import all_instances, default_cores, elastic_ips, enis_of
from .model import InstanceTruth, Truth
from .networks import NetworkTruth, subnet_cidrs, vpc_cidrs
from .rules import base_keys, tags_of


def compute_truth(
    ec2: Any,
    settings: Settings,
    *,
    zones: Iterable[tuple[str, bool]] = (),
    account: str | None = None,
    region: str | None = None,
    unknown_terminated: Iterable[str] | Mapping[str, str] = (),
    extra_subnets: Iterable[str] = (),
    networks_before: Iterable[tuple[str, str]] = (),
    unique_address_names: bool = False,
) -> Truth:
    """What SOLIDserver must hold for every instance EC2 describes (see the package doc).

    ``zones``: ``(name, reverse)`` of the configured DNS server's zones (:func:`~.dns.zones_of`).
    ``unknown_terminated``: instance ids EC2 does not know that received a terminal event (their
    messages carry ``known: false``): each leaves a tombstone named after the id, or, given as a
    mapping id → device name, under the name its device already had (a tombstone keeps its name).
    ``extra_subnets``: subnet ids whose networks (and their VPC's) must exist although no live
    instance uses them any more (networks are never deleted).
    ``networks_before``: ``(VPC or subnet id, CIDR)`` of networks ipamsync made before this EC2
    existed (an earlier run's): they stay, although EC2 does not know their VPC or subnet.
    ``unique_address_names``: the appliance refuses a name another address has (addresses may then
    carry their distinct names).
    """
    instances, owner_id = all_instances(ec2)
    account = account or owner_id or "000000000000"
    region = region or ec2.meta.region_name
    zone_list = [(z.rstrip(".").lower(), bool(r)) for z, r in zones]
    truth = Truth(settings, account, region, unique_address_names=unique_address_names)

    vpcs = {v["VpcId"]: v for v in ec2.describe_vpcs().get("Vpcs", [])}
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets().get("Subnets", [])}
    for vpc_id, v in vpcs.items():
        truth.known_network_cidrs[vpc_id] = set(vpc_cidrs(v))
    for subnet_id, s in subnets.items():
        truth.known_network_cidrs[subnet_id] = set(subnet_cidrs(s))
    for resource, cidr in networks_before:
        truth.known_network_cidrs.setdefault(resource, set()).add(str(ipaddress.ip_network(cidr)))

    elastic = elastic_ips(ec2, instances)
    cores = default_cores(ec2, instances)
    nets = NetworkTruth(settings, account, region, vpcs, subnets)
    for inst in instances:
        t = _instance_truth(inst, settings, account, region, zone_list, elastic, cores)
        truth.instances[t.instance_id] = t
        if not t.gone:
            nets.of_instance(inst)
    for subnet_id in extra_subnets:
        nets.of_subnet(subnet_id)
    truth.networks = nets.found
    names = unknown_terminated if isinstance(unknown_terminated, Mapping) else {}
    for iid in unknown_terminated:
        if iid not in truth.instances:
            truth.instances[iid] = devices.expect_unknown_gone(
                iid, names.get(iid) or iid, settings, account, region
            )
    return truth


def _instance_truth(
    inst: Mapping[str, Any],
    settings: Settings,
    account: str,
    region: str,
    zones: list[tuple[str, bool]],
    elastic: Mapping[str, str | None],
    cores: Mapping[str, int | None],
) -> InstanceTruth:
    """One instance: its device; while it lives, its interfaces, addresses and records too."""
    enis = enis_of(inst)
    t = devices.expect_device(inst, enis, settings, account, region, cores)
    if t.gone:
        return t
    base = base_keys(t.owner, account, region, t.instance_id)
    zone = dns.instance_zone(settings, tags_of(inst.get("Tags")), t)
    devices.expect_interfaces(t, enis, base)
    name = addresses.address_name(settings, t, zone)
    addresses.expect_addresses(t, enis, base, settings, account, name, elastic)
    dns.expect_records(t, settings, zone, zones, enis)
    return t
