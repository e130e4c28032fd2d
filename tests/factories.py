"""Build enriched messages for tests (valid by construction; parse_message checks them)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from ipamsync.model import SCHEMA, Message, format_time, parse_message

ACCOUNT = "123456789012"
REGION = "us-east-1"
_clock = itertools.count(1)
BASE = datetime(2026, 11, 27, 7, 0, 0, tzinfo=UTC)

VPC = {"id": "vpc-0f1e2d3c4b5a69788", "name": "prod", "cidrs_v4": ["10.20.0.0/16"], "cidrs_v6": []}
SUBNET_A = {
    "id": "subnet-0aa11bb22cc33dd44",
    "vpc_id": VPC["id"],
    "name": "prod-app-a",
    "availability_zone": "us-east-1a",
    "cidr_v4": "10.20.1.0/24",
    "cidrs_v6": [],
}
SUBNET_B = {
    "id": "subnet-0bb22cc33dd44ee55",
    "vpc_id": VPC["id"],
    "name": "prod-data-a",
    "availability_zone": "us-east-1a",
    "cidr_v4": "10.20.2.0/24",
    "cidrs_v6": [],
}
VPC6 = {
    "id": "vpc-0c6c6c6c6c6c6c6c6",
    "name": "dualstack",
    "cidrs_v4": ["10.30.0.0/16"],
    "cidrs_v6": ["2600:1f18:4a3:6900::/56"],
}
SUBNET6 = {
    "id": "subnet-0c6c6c6c6c6c6c6c6",
    "vpc_id": VPC6["id"],
    "name": "dualstack-a",
    "availability_zone": "us-east-1b",
    "cidr_v4": "10.30.1.0/24",
    "cidrs_v6": ["2600:1f18:4a3:6901::/64"],
}


def tick() -> str:
    """A strictly increasing observation time."""
    return format_time(BASE + timedelta(seconds=next(_clock)))


def eni(
    n: int,
    ips: list[str],
    *,
    subnet: dict = SUBNET_A,
    public: dict[str, tuple[str, bool]] | None = None,
    ipv6: list[str] | None = None,
    mac: str | None = None,
) -> dict[str, Any]:
    public = public or {}
    return {
        "id": f"eni-0{n:016x}",
        "device_index": n % 100,
        "mac": mac or f"0e:00:00:00:{n // 256:02x}:{n % 256:02x}",
        "subnet_id": subnet["id"],
        "vpc_id": subnet["vpc_id"],
        "private_ipv4": [
            {
                "address": ip,
                "primary": i == 0,
                "public_ip": public.get(ip, (None, False))[0],
                "elastic": public.get(ip, (None, False))[1],
            }
            for i, ip in enumerate(ips)
        ],
        "ipv6": ipv6 or [],
    }


def message(
    iid: str = "i-0a1b2c3d4e5f67890",
    state: str = "running",
    *,
    name: str | None = "web-1",
    hostname: str | None = "",
    enis: list[dict] | None = None,
    tags: dict[str, str] | None = None,
    vpcs: list[dict] | None = None,
    subnets: list[dict] | None = None,
    observed_at: str | None = None,
    known: bool = True,
    event_id: str | None = None,
) -> Message:
    gone = state in ("shutting-down", "terminated")
    if enis is None:
        enis = [] if gone else [eni(0, ["10.20.1.15"])]
    if gone:
        enis = []
    tags = dict(tags or {})
    if name is not None:
        tags.setdefault("Name", name)
    host = (name.lower() if name else None) if hostname == "" else hostname
    if vpcs is None:
        used_vpcs = {e["vpc_id"] for e in enis}
        vpcs = [v for v in (VPC, VPC6) if v["id"] in used_vpcs]
    if subnets is None:
        used = {e["subnet_id"] for e in enis}
        subnets = [s for s in (SUBNET_A, SUBNET_B, SUBNET6) if s["id"] in used]
    instance: dict[str, Any] = {"id": iid, "state": state, "known": known}
    if known:
        instance.update(
            {
                "architecture": "arm64",
                "cpu_cores": 2,
                "instance_type": "t4g.medium",
                "availability_zone": "us-east-1a",
                "launch_time": "2026-11-27T06:59:58.000Z",
                "private_dns_name": "ip-10-20-1-15.ec2.internal",
                "name": name,
                "hostname": host,
                "tags": tags,
                "network_interfaces": enis,
            }
        )
    data = {
        "schema": SCHEMA,
        "event": {
            "id": event_id or f"evt-{iid}-{state}-{next(_clock)}",
            "time": "2026-11-27T07:00:00Z",
            "state": state,
            "account": ACCOUNT,
            "region": REGION,
        },
        "observed_at": observed_at or tick(),
        "instance": instance,
        "vpcs": [] if gone else vpcs,
        "subnets": [] if gone else subnets,
    }
    return parse_message(data)
