"""Enrich: an EC2 state change → the instance's snapshot, a :class:`~ipamsync.model.Message`.

The message describes the instance *as EC2 reports it when enriched* (``observed_at``), not only
the state the event carried: applying messages in any order therefore converges on what EC2 last
said, and the sync steps compare ``observed_at`` to refuse older observations.

EC2 calls per event: ``DescribeInstances``; for a live instance also ``DescribeVpcs`` and
``DescribeSubnets`` (its ENIs' VPCs and subnets), ``DescribeAddresses`` when it has public IPs
(tells Elastic from ephemeral), and ``DescribeInstanceTypes`` once per type per container when
``CpuOptions`` is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ipamsync.errors import InstanceNotFound
from ipamsync.events import DETAIL_TYPE, StateChange
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

Described = Mapping[str, Any]


class Ec2Reader:
    """The EC2 reads enrich needs, on a boto3 EC2 client."""

    def __init__(self, client: Any) -> None:
        self.ec2 = client
        self._cores: dict[str, int | None] = {}

    def instance(self, instance_id: str) -> Described | None:
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
                    return dict(inst)
        return None

    def vpcs(self, ids: list[str]) -> list[Described]:
        return list(self.ec2.describe_vpcs(VpcIds=ids)["Vpcs"]) if ids else []

    def subnets(self, ids: list[str]) -> list[Described]:
        return list(self.ec2.describe_subnets(SubnetIds=ids)["Subnets"]) if ids else []

    def elastic_ips(self, public_ips: list[str]) -> set[str]:
        if not public_ips:
            return set()
        resp = self.ec2.describe_addresses(Filters=[{"Name": "public-ip", "Values": public_ips}])
        return {a["PublicIp"] for a in resp.get("Addresses", []) if a.get("PublicIp")}

    def cores(self, instance_type: str | None) -> int | None:
        """Default core count of an instance type (looked up once per type per container)."""
        if not instance_type:
            return None
        if instance_type not in self._cores:
            try:
                resp = self.ec2.describe_instance_types(InstanceTypes=[instance_type])
                info = resp["InstanceTypes"][0]["VCpuInfo"]
                self._cores[instance_type] = int(info.get("DefaultCores") or info["DefaultVCpus"])
            except Exception:  # an unknown type must not stop the sync: cores stay unknown
                self._cores[instance_type] = None
        return self._cores[instance_type]


@dataclass(frozen=True)
class Ec2View:
    """What EC2 said about one instance: the instance and, when it is live, its VPCs and subnets."""

    instance: Described | None
    vpcs: tuple[Described, ...] = ()
    subnets: tuple[Described, ...] = ()
    elastic: frozenset[str] = frozenset()
    cores: int | None = None


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


def _public_ips(described: Described) -> list[str]:
    return sorted(
        {
            str(ip["Association"]["PublicIp"])
            for eni in described.get("NetworkInterfaces", [])
            for ip in eni.get("PrivateIpAddresses", [])
            if (ip.get("Association") or {}).get("PublicIp")
        }
    )


def _interface(eni: Described, elastic: frozenset[str]) -> NetworkInterface:
    private = []
    for ip in eni.get("PrivateIpAddresses", []):
        public = (ip.get("Association") or {}).get("PublicIp")
        private.append(
            PrivateIPv4(
                address=canonical_ip(ip["PrivateIpAddress"], 4),
                primary=bool(ip.get("Primary")),
                public_ip=canonical_ip(public, 4) if public else None,
                elastic=bool(public and public in elastic),
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


def snapshot(change: StateChange, view: Ec2View, *, settings: Settings, observed_at: datetime) -> Message:
    """The message for ``change`` from what EC2 said (``view``) at ``observed_at``."""
    event = EventInfo(
        id=change.id,
        time=change.time,
        state=change.state,
        account=change.account,
        region=change.region,
        source="aws.ec2",
        detail_type=DETAIL_TYPE,
    )
    observed = format_observation(observed_at)
    described = view.instance
    if described is None:
        gone = Instance(id=change.instance_id, state="terminated", known=False)
        return Message(event=event, observed_at=observed, instance=gone, schema=SCHEMA)
    state = str((described.get("State") or {}).get("Name", change.state))
    tags = _tags(described.get("Tags"))
    private_dns = described.get("PrivateDnsName") or None
    live = state not in GONE_STATES
    instance = Instance(
        id=change.instance_id,
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


def read_ec2(change: StateChange, reader: Ec2Reader) -> Ec2View:
    """Everything EC2 has to say about the instance of ``change`` (raises ``InstanceNotFound``
    when EC2 does not know a live instance yet: its API is eventually consistent after launch)."""
    described = reader.instance(change.instance_id)
    if described is None:
        if change.state not in GONE_STATES:
            raise InstanceNotFound(
                f"EC2 does not know {change.instance_id} (event state {change.state}); "
                "retried by Lambda, then dead-lettered"
            )
        return Ec2View(instance=None)
    state = (described.get("State") or {}).get("Name", change.state)
    cores = (
        None
        if (described.get("CpuOptions") or {}).get("CoreCount")
        else reader.cores(described.get("InstanceType"))
    )
    if state in GONE_STATES:
        return Ec2View(instance=described, cores=cores)
    enis = described.get("NetworkInterfaces", [])
    return Ec2View(
        instance=described,
        vpcs=tuple(reader.vpcs(sorted({e["VpcId"] for e in enis if e.get("VpcId")}))),
        subnets=tuple(reader.subnets(sorted({e["SubnetId"] for e in enis if e.get("SubnetId")}))),
        elastic=frozenset(reader.elastic_ips(_public_ips(described))),
        cores=cores,
    )


def enrich(
    change: StateChange,
    reader: Ec2Reader,
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Message:
    """Read EC2 and return the message (raises named errors)."""
    observed_at = clock()
    return snapshot(change, read_ec2(change, reader), settings=settings, observed_at=observed_at)


@dataclass(frozen=True)
class Queued:
    """The enrich function's output: what went onto the queue."""

    instance_id: str
    state: str
    observed_at: str
    message_id: str

    def to_dict(self) -> dict[str, str]:
        return {
            "instance_id": self.instance_id,
            "state": self.state,
            "observed_at": self.observed_at,
            "message_id": self.message_id,
        }


def send_message(sqs: Any, queue_url: str, message: Message) -> Queued:
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
    inst = message.instance
    return Queued(inst.id, inst.state, message.observed_at, str(resp["MessageId"]))
