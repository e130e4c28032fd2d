"""Enrich: EventBridge "EC2 Instance State-change Notification" → :class:`~ipamsync.model.Message`.

The message describes the instance *as EC2 reports it when enriched* (``observed_at``), not only
the state the event carried: applying messages in any order therefore converges on what EC2 last
said, and the sync steps compare ``observed_at`` to refuse older observations.

EC2 calls per event: ``DescribeInstances``; for a live instance also ``DescribeVpcs`` and
``DescribeSubnets`` (its ENIs' VPCs and subnets), ``DescribeAddresses`` when it has public IPs
(tells Elastic from ephemeral), and ``DescribeInstanceTypes`` once per type per container when
``CpuOptions`` is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ipamsync.errors import InstanceNotFound, InvalidMessage
from ipamsync.model import (
    ACCOUNT,
    EVENT_ID,
    GONE_STATES,
    INSTANCE_ID,
    REGION,
    SCHEMA,
    STATES,
    Message,
    format_time,
    parse_message,
    parse_time,
)
from ipamsync.naming import hostname_for
from ipamsync.settings import Settings

DETAIL_TYPE = "EC2 Instance State-change Notification"


@dataclass(frozen=True)
class StateChange:
    """A validated EventBridge EC2 state-change event."""

    id: str
    time: str
    account: str
    region: str
    instance_id: str
    state: str


def _bad(why: str) -> InvalidMessage:
    return InvalidMessage(f"invalid EC2 state-change event: {why}")


def parse_event(event: Any) -> StateChange:
    if not isinstance(event, Mapping):
        raise _bad("not a JSON object")
    if event.get("source") != "aws.ec2" or event.get("detail-type") != DETAIL_TYPE:
        raise _bad(f"source/detail-type must be aws.ec2 / {DETAIL_TYPE!r}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise _bad("detail is missing")

    def field(data: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None, label: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value or len(value) > 128:
            raise _bad(f"{label} is missing or not a string")
        if pattern is not None and not pattern.match(value):
            raise _bad(f"{label} {value[:80]!r} is not valid")
        return value

    state = field(detail, "state", None, "detail.state")
    if state not in STATES:
        raise _bad(f"detail.state {state[:40]!r} is not an EC2 instance state")
    when = field(event, "time", None, "time")
    try:
        parse_time(when)
    except ValueError:
        raise _bad(f"time {when[:40]!r} is not ISO 8601") from None
    return StateChange(
        id=field(event, "id", EVENT_ID, "id"),
        time=when,
        account=field(event, "account", ACCOUNT, "account"),
        region=field(event, "region", REGION, "region"),
        instance_id=field(detail, "instance-id", INSTANCE_ID, "detail.instance-id"),
        state=state,
    )


class Ec2Reader:
    """The EC2 reads enrich needs, on a boto3 EC2 client (real AWS or moto)."""

    _cores_cache: dict[str, int | None] = {}

    def __init__(self, client: Any) -> None:
        self.ec2 = client

    def instance(self, instance_id: str) -> dict[str, Any] | None:
        try:
            resp = self.ec2.describe_instances(InstanceIds=[instance_id])
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code in ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
                return None
            raise
        for res in resp.get("Reservations", []):
            for inst in res.get("Instances", []):
                if inst.get("InstanceId") == instance_id:
                    return inst
        return None

    def vpcs(self, ids: list[str]) -> list[dict[str, Any]]:
        return self.ec2.describe_vpcs(VpcIds=ids)["Vpcs"] if ids else []

    def subnets(self, ids: list[str]) -> list[dict[str, Any]]:
        return self.ec2.describe_subnets(SubnetIds=ids)["Subnets"] if ids else []

    def elastic_ips(self, public_ips: list[str]) -> set[str]:
        if not public_ips:
            return set()
        resp = self.ec2.describe_addresses(Filters=[{"Name": "public-ip", "Values": public_ips}])
        return {
            a["PublicIp"] for a in resp.get("Addresses", []) if a.get("AllocationId") or a.get("PublicIp")
        }

    def cores(self, instance_type: str | None) -> int | None:
        if not instance_type:
            return None
        if instance_type not in self._cores_cache:
            try:
                resp = self.ec2.describe_instance_types(InstanceTypes=[instance_type])
                info = resp["InstanceTypes"][0]["VCpuInfo"]
                self._cores_cache[instance_type] = int(info.get("DefaultCores") or info["DefaultVCpus"])
            except Exception:  # an unknown type must not stop the sync: cores stay unknown
                self._cores_cache[instance_type] = None
        return self._cores_cache[instance_type]


def _associated(item: Mapping[str, Any], key: str) -> bool:
    """A CIDR association in state ``associated``. (moto 5.2.5 reports subnet IPv6 states as the
    text of a dict, ``"{'State': 'associated'}"``; the substring test accepts both.)"""
    state = str((item.get(key) or {}).get("State", "associated"))
    return "associated" in state and "disassociat" not in state


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or [] if "Key" in t}


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_time(value if value.tzinfo else value.replace(tzinfo=UTC))
    return str(value)


def build_message(
    change: StateChange,
    described: Mapping[str, Any] | None,
    *,
    settings: Settings,
    observed_at: datetime,
    vpcs: list[dict[str, Any]] = (),  # type: ignore[assignment]
    subnets: list[dict[str, Any]] = (),  # type: ignore[assignment]
    elastic: set[str] = frozenset(),  # type: ignore[assignment]
    cores: int | None = None,
) -> Message:
    event = {
        "id": change.id,
        "time": change.time,
        "state": change.state,
        "account": change.account,
        "region": change.region,
        "source": "aws.ec2",
        "detail_type": DETAIL_TYPE,
    }
    if described is None:
        instance: dict[str, Any] = {"id": change.instance_id, "state": "terminated", "known": False}
        return parse_message(
            {
                "schema": SCHEMA,
                "event": event,
                "observed_at": format_time(observed_at),
                "instance": instance,
                "vpcs": [],
                "subnets": [],
            }
        )
    state = described.get("State", {}).get("Name", change.state)
    tags = _tags(described.get("Tags"))
    private_dns = described.get("PrivateDnsName") or None
    cpu = described.get("CpuOptions") or {}
    instance = {
        "id": change.instance_id,
        "state": state,
        "known": True,
        "architecture": described.get("Architecture"),
        "cpu_cores": cpu.get("CoreCount") or cores,
        "instance_type": described.get("InstanceType"),
        "availability_zone": (described.get("Placement") or {}).get("AvailabilityZone"),
        "launch_time": _iso(described.get("LaunchTime")),
        "private_dns_name": private_dns,
        "name": tags.get("Name"),
        "hostname": hostname_for(
            source=settings.hostname_source,
            tags=tags,
            tag_key=settings.hostname_tag_key,
            private_dns_name=private_dns,
        ),
        "tags": tags,
        "network_interfaces": [],
    }
    out_vpcs: list[dict[str, Any]] = []
    out_subnets: list[dict[str, Any]] = []
    if state not in GONE_STATES:
        for eni in described.get("NetworkInterfaces", []):
            private = []
            for ip in eni.get("PrivateIpAddresses", []):
                public = (ip.get("Association") or {}).get("PublicIp")
                private.append(
                    {
                        "address": ip["PrivateIpAddress"],
                        "primary": bool(ip.get("Primary")),
                        "public_ip": public,
                        "elastic": bool(public and public in elastic),
                    }
                )
            instance["network_interfaces"].append(
                {
                    "id": eni["NetworkInterfaceId"],
                    "device_index": int((eni.get("Attachment") or {}).get("DeviceIndex", 0)),
                    "mac": eni.get("MacAddress", "").lower(),
                    "subnet_id": eni["SubnetId"],
                    "vpc_id": eni["VpcId"],
                    "private_ipv4": private,
                    "ipv6": [a["Ipv6Address"] for a in eni.get("Ipv6Addresses", []) if a.get("Ipv6Address")],
                }
            )
        for v in vpcs:
            out_vpcs.append(
                {
                    "id": v["VpcId"],
                    "name": _tags(v.get("Tags")).get("Name"),
                    "cidrs_v4": [
                        a["CidrBlock"]
                        for a in v.get("CidrBlockAssociationSet", [])
                        if _associated(a, "CidrBlockState")
                    ]
                    or ([v["CidrBlock"]] if v.get("CidrBlock") else []),
                    "cidrs_v6": [
                        a["Ipv6CidrBlock"]
                        for a in v.get("Ipv6CidrBlockAssociationSet", [])
                        if _associated(a, "Ipv6CidrBlockState")
                    ],
                }
            )
        for s in subnets:
            out_subnets.append(
                {
                    "id": s["SubnetId"],
                    "vpc_id": s["VpcId"],
                    "name": _tags(s.get("Tags")).get("Name"),
                    "availability_zone": s.get("AvailabilityZone"),
                    "cidr_v4": s.get("CidrBlock"),
                    "cidrs_v6": [
                        a["Ipv6CidrBlock"]
                        for a in s.get("Ipv6CidrBlockAssociationSet", [])
                        if _associated(a, "Ipv6CidrBlockState")
                    ],
                }
            )
    return parse_message(
        {
            "schema": SCHEMA,
            "event": event,
            "observed_at": format_time(observed_at),
            "instance": instance,
            "vpcs": out_vpcs,
            "subnets": out_subnets,
        }
    )


def enrich(
    raw_event: Any,
    reader: Ec2Reader,
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Message:
    """Validate the event, read EC2, return the message (raises named errors)."""
    change = parse_event(raw_event)
    observed_at = clock()
    described = reader.instance(change.instance_id)
    if described is None:
        if change.state not in GONE_STATES:
            raise InstanceNotFound(
                f"EC2 does not know {change.instance_id} (event state {change.state}); "
                "retried by Lambda, then dead-lettered"
            )
        return build_message(change, None, settings=settings, observed_at=observed_at)
    state = described.get("State", {}).get("Name", change.state)
    vpcs: list[dict[str, Any]] = []
    subnets: list[dict[str, Any]] = []
    elastic: set[str] = set()
    if state not in GONE_STATES:
        enis = described.get("NetworkInterfaces", [])
        vpcs = reader.vpcs(sorted({e["VpcId"] for e in enis if e.get("VpcId")}))
        subnets = reader.subnets(sorted({e["SubnetId"] for e in enis if e.get("SubnetId")}))
        publics = sorted(
            {
                (ip.get("Association") or {}).get("PublicIp")
                for e in enis
                for ip in e.get("PrivateIpAddresses", [])
                if (ip.get("Association") or {}).get("PublicIp")
            }
        )
        elastic = reader.elastic_ips(publics)
    cores = (
        None
        if (described.get("CpuOptions") or {}).get("CoreCount")
        else reader.cores(described.get("InstanceType"))
    )
    return build_message(
        change,
        described,
        settings=settings,
        observed_at=observed_at,
        vpcs=vpcs,
        subnets=subnets,
        elastic=elastic,
        cores=cores,
    )


def send_message(sqs: Any, queue_url: str, message: Message) -> str:
    """Put the message on the FIFO queue: group = instance id (order), dedup = EventBridge event id."""
    resp = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=message.to_json(),
        MessageGroupId=message.instance.id,
        MessageDeduplicationId=message.event.id,
        MessageAttributes={
            "schema": {"DataType": "String", "StringValue": SCHEMA},
            "state": {"DataType": "String", "StringValue": message.instance.state},
        },
    )
    return str(resp["MessageId"])


def summarize(message: Message) -> str:
    return json.dumps(
        {
            "instance_id": message.instance.id,
            "state": message.instance.state,
            "observed_at": message.observed_at,
            "enis": len(message.instance.network_interfaces),
        }
    )
