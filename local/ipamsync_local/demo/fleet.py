"""The demo's fleet (also the end-to-end tests' network).

* :func:`build_network` creates the demo's VPCs and subnets in (moto's) EC2: ``prod``
  (10.0.0.0/16, two IPv4 subnets) and ``dev`` (172.16.0.0/16 with an Amazon-provided IPv6 /56; one
  dual-stack subnet, one IPv4 subnet).
* :func:`fleet_plan` is the list of instances to launch (the first ``n`` of a list ordered so that
  even a small fleet shows most features: public and Elastic IPs, several ENIs, secondary IPs,
  IPv6, varied tags, a name that needs sanitising, two instances sharing a name, a zone override).
* :func:`phase_plan` says which of them each lifecycle phase touches.

What SOLIDserver must hold for them (the demo's consistency check, the end-to-end tests' exact
assertions) is :mod:`ipamsync_local.truth`'s, computed from EC2 and README's rules.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# --------------------------------------------------------------------------- network and fleet


@dataclass(frozen=True)
class DemoNetwork:
    """Ids of the demo's VPCs and subnets (subnet keys: prod-1, prod-2, dev-1, dev-2)."""

    vpcs: dict[str, str]
    subnets: dict[str, str]
    ipv6_block: str  # the dev VPC's /56

    @property
    def cidrs(self) -> dict[str, str]:
        return {"prod": "10.0.0.0/16", "dev": "172.16.0.0/16"}


def build_network(fleet: Any, ec2: Any) -> DemoNetwork:
    """Create the demo's two VPCs and four subnets (``fleet`` is ``LocalAws.fleet``). Names are set
    as they are created (``TagSpecifications``): no ``CreateTags`` call, no CloudTrail event."""
    prod = fleet.ensure_network("10.0.0.0/16", name="prod", subnets=2, ipv6=False)
    vpc_id = ec2.create_vpc(
        CidrBlock="172.16.0.0/16", AmazonProvidedIpv6CidrBlock=True, **_named("vpc", "dev")
    )["Vpc"]["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    first64 = next(ipaddress.ip_network(block).subnets(new_prefix=64))
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    dev1 = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="172.16.0.0/24",
        Ipv6CidrBlock=str(first64),
        AvailabilityZone=zones[0],
        **_named("subnet", "dev-1"),
    )["Subnet"]["SubnetId"]
    dev2 = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="172.16.1.0/24",
        AvailabilityZone=zones[1 % len(zones)],
        **_named("subnet", "dev-2"),
    )["Subnet"]["SubnetId"]
    return DemoNetwork(
        vpcs={"prod": prod.vpc_id, "dev": vpc_id},
        subnets={"prod-1": prod.subnet_ids[0], "prod-2": prod.subnet_ids[1], "dev-1": dev1, "dev-2": dev2},
        ipv6_block=str(ipaddress.ip_network(block)),
    )


def _named(resource_type: str, name: str) -> dict[str, Any]:
    return {"TagSpecifications": [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]}


def ip6_reverse_zone(block: str) -> str:
    """The ``ip6.arpa`` zone of a nibble-aligned IPv6 prefix (a /56 → 14 nibbles)."""
    net = ipaddress.ip_network(block)
    nibbles = net.prefixlen // 4
    labels = net.network_address.reverse_pointer.split(".")
    return ".".join(labels[32 - nibbles :])


#: A tag value with quotes, a percent sign and non-ASCII characters (metadata is url-encoded twice).
ODD_TAG_VALUE = 'say "hi" & 100% café — ☕'


@dataclass(frozen=True)
class InstanceSpec:
    key: str
    name: str | None
    subnet: str
    tags: dict[str, str] = field(default_factory=dict)
    enis: int = 1
    secondary_ips: int = 0
    ipv6: int = 0
    public_ip: bool = False
    elastic_ip: bool = False
    instance_type: str = "t3.micro"

    def features(self) -> str:
        out = []
        if self.public_ip:
            out.append("public IP")
        if self.elastic_ip:
            out.append("Elastic IP")
        if self.enis > 1:
            out.append(f"{self.enis} ENIs")
        if self.secondary_ips:
            out.append(f"{self.secondary_ips} secondary IP(s)")
        if self.ipv6:
            out.append("IPv6")
        return ", ".join(out)


def _showcase(zone_override: str | None) -> list[InstanceSpec]:
    prod = {"env": "prod"}
    dev = {"env": "dev"}
    metrics_tags = {**prod, "team": "sre", "cost-center": "CC-4100"}
    if zone_override:
        metrics_tags["ipamsync:zone"] = zone_override
    return [
        InstanceSpec(
            "web1",
            "Web Server #1",
            "prod-1",
            {**prod, "team": "web", "cost-center": "CC-1001"},
            public_ip=True,
        ),
        InstanceSpec(
            "api1",
            "api-1",
            "prod-1",
            {**prod, "team": "platform", "cost-center": "CC-1002"},
            enis=2,
            elastic_ip=True,
            instance_type="m5.large",
        ),
        InstanceSpec("app6", "app-v6-1", "dev-1", {**dev, "team": "platform"}, ipv6=1),
        InstanceSpec(
            "worker-a",
            "worker",
            "prod-2",
            {**prod, "team": "batch", "asg": "workers"},
            instance_type="c5.large",
        ),
        InstanceSpec(
            "worker-b",
            "worker",
            "prod-2",
            {**prod, "team": "batch", "asg": "workers"},
            instance_type="c5.large",
        ),
        InstanceSpec(
            "db1",
            "db-1",
            "prod-2",
            {**prod, "team": "data", "cost-center": "CC-2001"},
            secondary_ips=2,
            instance_type="r5.large",
        ),
        InstanceSpec("cache1", "cache-1", "prod-1", {**prod, "team": "web", "note": ODD_TAG_VALUE}),
        InstanceSpec("metrics", "metrics", "prod-2", metrics_tags),
        InstanceSpec("bastion", "bastion", "dev-2", {**dev, "team": "sre"}, public_ip=True),
        InstanceSpec(
            "ci",
            "ci-runner",
            "dev-2",
            {**dev, "team": "devex", "cost-center": "CC-3001"},
            elastic_ip=True,
            instance_type="c5.xlarge",
        ),
        InstanceSpec(
            "app6b", "app-v6-2", "dev-1", {**dev, "team": "platform"}, enis=2, ipv6=2, secondary_ips=1
        ),
        InstanceSpec(
            "web2", "web-2", "prod-1", {**prod, "team": "web", "cost-center": "CC-1001"}, public_ip=True
        ),
    ]


_TEAMS = ("web", "data", "platform", "batch", "sre")
_SUBNETS = ("prod-1", "prod-2", "dev-1", "dev-2")
_TYPES = ("t3.micro", "t3.small", "t3.medium", "m5.large")


def fleet_plan(n: int, *, zone_override: str | None = "apps.example.internal") -> list[InstanceSpec]:
    """``n`` instances: the showcase first, then ``svc-NN`` instances spread over the subnets."""
    if n < 1:
        raise ValueError("the fleet needs at least one instance")
    plan = _showcase(zone_override)[:n]
    for i in range(len(plan), n):
        k = i - 12 + 1
        subnet = _SUBNETS[k % len(_SUBNETS)]
        env = "prod" if subnet.startswith("prod") else "dev"
        plan.append(
            InstanceSpec(
                f"svc{k:02d}",
                f"svc-{k:02d}",
                subnet,
                {"env": env, "team": _TEAMS[k % len(_TEAMS)], "cost-center": f"CC-{5000 + k % 3}"},
                secondary_ips=1 if k % 3 == 0 else 0,
                ipv6=1 if subnet == "dev-1" and k % 2 else 0,
                instance_type=_TYPES[k % len(_TYPES)],
            )
        )
    return plan


@dataclass(frozen=True)
class PhasePlan:
    stop: list[str]
    start: list[str]
    rename: list[tuple[str, str]]
    terminate: list[str]
    #: changes on running instances (plan keys): an Elastic IP failed over from ``failover[0]`` (None:
    #: a new Elastic IP) to ``failover[1]``; an ENI attached to, and a secondary IP assigned to,
    #: ``eni``; an IPv6 address assigned to ``ipv6`` (None: no dual-stack instance in the fleet)
    failover: tuple[str | None, str] = ("", "")
    eni: str = ""
    ipv6: str | None = None


def phase_plan(keys: Iterable[str]) -> PhasePlan:
    """Which instances (plan keys) each lifecycle phase touches; works for any fleet size."""
    have = list(keys)
    present = set(have)

    def pick(wanted: list[str], fallback: int) -> list[str]:
        found = [k for k in wanted if k in present]
        return found or have[fallback % len(have) : fallback % len(have) + 1]

    stop = pick(["web1", "api1", "db1", "bastion", "svc03", "svc07"], 0)
    start = [k for k in stop if k not in ("bastion", "svc07")] or stop[:1]
    renames = {"cache1": "Cache Primary", "app6": "app-v6-main", "svc05": "batch-05"}
    rename_keys = pick(list(renames), 2)
    rename = [(k, renames.get(k, f"renamed-{k}")) for k in rename_keys]
    taken = set(rename_keys)
    terminate = [k for k in ("worker-b", "bastion", "web2", "svc08") if k in present and k not in taken]
    if not terminate:  # a small fleet: the last instance not renamed (or the only one)
        terminate = [k for k in reversed(have) if k not in taken][:1] or have[-1:]
    stay = [k for k in have if k not in terminate] or have

    def first(wanted: list[str], avoid: str | None = None) -> str:
        found = [k for k in [*wanted, *stay, *have] if k in present and k != avoid]
        return found[0] if found else have[0]

    source = next((k for k in ("api1", "ci") if k in present), None)
    target = first(["app6", "cache1", "metrics", "db1"], source)
    ipv6 = next((k for k in ("app6", "app6b") if k in present), None)
    return PhasePlan(
        stop=stop,
        start=start,
        rename=rename,
        terminate=terminate,
        failover=(source, target),
        eni=first(["web1", "cache1", "db1"]),
        ipv6=ipv6,
    )
