"""What the truth reads of EC2: ``DescribeInstances`` (every page), ``DescribeAddresses`` (which
public IPs are Elastic IPs), ``DescribeInstanceTypes`` (default core counts), and the facts of an
instance every kind of object needs (its ENIs, the primary private IP)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .rules import GONE


def all_instances(ec2: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Every instance EC2 describes, and the account that owns them (``None`` without any)."""
    found: list[dict[str, Any]] = []
    account = None
    kwargs: dict[str, Any] = {}
    while True:
        page = ec2.describe_instances(**kwargs)
        for res in page.get("Reservations", []):
            account = account or res.get("OwnerId")
            found.extend(res.get("Instances", []))
        token = page.get("NextToken")
        if not token:
            return found, account
        kwargs["NextToken"] = token


def elastic_ips(ec2: Any, instances: Iterable[Mapping[str, Any]]) -> dict[str, str | None]:
    """The instances' public IPv4 addresses that are Elastic IPs (the others are ephemeral), with
    their association ids."""
    publics = sorted(
        {
            (ip.get("Association") or {}).get("PublicIp")
            for inst in instances
            for eni in inst.get("NetworkInterfaces", [])
            for ip in eni.get("PrivateIpAddresses", [])
            if (ip.get("Association") or {}).get("PublicIp")
        }
    )
    if not publics:
        return {}
    resp = ec2.describe_addresses(Filters=[{"Name": "public-ip", "Values": publics}])
    return {a["PublicIp"]: a.get("AssociationId") for a in resp.get("Addresses", [])}


def default_cores(ec2: Any, instances: Iterable[Mapping[str, Any]]) -> dict[str, int | None]:
    """Default core count of the types of the instances that do not state theirs
    (``DescribeInstanceTypes``; unknown type: None)."""
    types = {
        i["InstanceType"]
        for i in instances
        if i.get("InstanceType") and not (i.get("CpuOptions") or {}).get("CoreCount")
    }
    out: dict[str, int | None] = {}
    for name in sorted(types):
        try:
            info = ec2.describe_instance_types(InstanceTypes=[name])["InstanceTypes"][0]["VCpuInfo"]
            out[name] = int(info.get("DefaultCores") or info["DefaultVCpus"])
        except Exception:
            out[name] = None
    return out


def state_of(inst: Mapping[str, Any]) -> str:
    return (inst.get("State") or {}).get("Name", "")


def enis_of(inst: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The instance's ENIs by device index; none once it is gone (a terminal message carries no
    ENI: nothing of the instance's network is described any more)."""
    if state_of(inst) in GONE:
        return []
    return sorted(
        inst.get("NetworkInterfaces", []),
        key=lambda e: int((e.get("Attachment") or {}).get("DeviceIndex", 0)),
    )


def primary_ip_of(eni: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The primary private IPv4 entry of an ENI (its first one if none is marked primary)."""
    if eni is None:
        return None
    ips = eni.get("PrivateIpAddresses", [])
    return next((p for p in ips if p.get("Primary")), ips[0] if ips else None)
