"""EC2's description of an instance (an :class:`~ipamsync.ec2.Ec2View`) → the instance's snapshot, a
:class:`~ipamsync.model.Message` (pure: no EC2 call here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ipamsync.ec2 import Described, Ec2View
from ipamsync.model import (
    GONE_STATES,
    SCHEMA,
    EventInfo,
    Instance,
    Message,
    NetworkInterface,
    PrivateIPv4,
    Subnet,
    Vpc,
    canonical_cidr,
    canonical_ip,
    format_observation,
    format_time,
)
from ipamsync.naming import hostname_for
from ipamsync.settings import Settings

__all__ = ["snapshot"]


def _associated(item: Mapping[str, Any], key: str) -> bool:
    """A CIDR association in state ``associated`` (absent state: the primary CIDR, associated)."""
    return str((item.get(key) or {}).get("State", "associated")) == "associated"


def _tags(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or [] if "Key" in t}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_time(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def _interface(eni: Described, elastic: Mapping[str, str | None]) -> NetworkInterface:
    private = []
    for ip in eni.get("PrivateIpAddresses", []):
        public = (ip.get("Association") or {}).get("PublicIp")
        private.append(
            PrivateIPv4(
                address=canonical_ip(ip["PrivateIpAddress"], 4),
                primary=bool(ip.get("Primary")),
                public_ip=canonical_ip(public, 4) if public else None,
                elastic=bool(public and public in elastic),
                association_id=elastic.get(public) if public else None,
            )
        )
    return NetworkInterface(
        id=eni["NetworkInterfaceId"],
        device_index=int((eni.get("Attachment") or {}).get("DeviceIndex", 0)),
        mac=str(eni.get("MacAddress", "")).lower(),
        subnet_id=eni["SubnetId"],
        vpc_id=eni["VpcId"],
        private_ipv4=tuple(private),
        ipv6=tuple(
            canonical_ip(a["Ipv6Address"], 6) for a in eni.get("Ipv6Addresses", []) if a.get("Ipv6Address")
        ),
        attachment_id=(eni.get("Attachment") or {}).get("AttachmentId") or None,
    )


def _vpc(v: Described) -> Vpc:
    v4 = [
        a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")
    ] or ([v["CidrBlock"]] if v.get("CidrBlock") else [])
    v6 = [
        a["Ipv6CidrBlock"]
        for a in v.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return Vpc(
        id=v["VpcId"],
        name=_tags(v.get("Tags")).get("Name"),
        cidrs_v4=tuple(canonical_cidr(c, 4) for c in v4),
        cidrs_v6=tuple(canonical_cidr(c, 6) for c in v6),
    )


def _subnet(s: Described) -> Subnet:
    v6 = [
        a["Ipv6CidrBlock"]
        for a in s.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return Subnet(
        id=s["SubnetId"],
        vpc_id=s["VpcId"],
        name=_tags(s.get("Tags")).get("Name"),
        availability_zone=s.get("AvailabilityZone"),
        cidr_v4=canonical_cidr(s["CidrBlock"], 4) if s.get("CidrBlock") else None,
        cidrs_v6=tuple(canonical_cidr(c, 6) for c in v6),
    )


def snapshot(
    event: EventInfo, instance_id: str, view: Ec2View, *, settings: Settings, observed_at: datetime
) -> Message:
    """The message for ``instance_id`` from what EC2 said (``view``) at ``observed_at``; ``event``
    is what prompted it (its ``state`` is the event's, replaced by EC2's when EC2 knows the
    instance)."""
    observed = format_observation(observed_at)
    described = view.instance
    if described is None:
        gone = Instance(id=instance_id, state="terminated", known=False)
        return Message(event=event, observed_at=observed, instance=gone, schema=SCHEMA)
    state = str((described.get("State") or {}).get("Name", event.state))
    if event.source != "aws.ec2" or event.call:
        event = replace(event, state=state)
    tags = _tags(described.get("Tags"))
    private_dns = described.get("PrivateDnsName") or None
    live = state not in GONE_STATES
    instance = Instance(
        id=instance_id,
        state=state,
        known=True,
        architecture=described.get("Architecture"),
        cpu_cores=(described.get("CpuOptions") or {}).get("CoreCount") or view.cores,
        instance_type=described.get("InstanceType"),
        availability_zone=(described.get("Placement") or {}).get("AvailabilityZone"),
        launch_time=_iso(described.get("LaunchTime")),
        private_dns_name=private_dns,
        name=tags.get("Name"),
        hostname=hostname_for(
            source=settings.hostname_source,
            tags=tags,
            tag_key=settings.hostname_tag_key,
            private_dns_name=private_dns,
        ),
        tags=tags,
        network_interfaces=tuple(_interface(e, view.elastic) for e in described.get("NetworkInterfaces", []))
        if live
        else (),
    )
    return Message(
        event=event,
        observed_at=observed,
        instance=instance,
        vpcs=tuple(_vpc(v) for v in view.vpcs) if live else (),
        subnets=tuple(_subnet(s) for s in view.subnets) if live else (),
        schema=SCHEMA,
    )
