"""The demo's fleet, and what SOLIDserver must hold for it: the truth computed from EC2.

* :func:`build_network` creates the demo's VPCs and subnets in (moto's) EC2: ``prod``
  (10.0.0.0/16, two IPv4 subnets) and ``dev`` (172.16.0.0/16 with an Amazon-provided IPv6 /56; one
  dual-stack subnet, one IPv4 subnet).
* :func:`fleet_plan` is the list of instances to launch (the first ``n`` of a list ordered so that
  even a small fleet shows most features: public and Elastic IPs, several ENIs, secondary IPs,
  IPv6, varied tags, a name that needs sanitising, two instances sharing a name, a zone override).
* :func:`expected_state` reads EC2 (any boto3 EC2 client) and says, per instance, which device,
  interfaces, addresses and DNS records SOLIDserver must hold, with their exact metadata, following
  the rules README documents (*Names*, *Limits*, *Lifecycle*). It is written from those rules and
  from EC2's answers only — no ipamsync sync code — so it checks the product instead of repeating it.
* :func:`compare` holds an :class:`~ipamsync_local.inventory.Inventory` against that truth and
  lists every difference (the demo's consistency check; the end-to-end tests' exact assertions).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ipamsync_local.inventory import OWNER, Inventory

OBSERVED = "ipamsync_observed_at"
EVENT_ID = "ipamsync_event_id"
TOMBSTONE = "ipamsync_tombstone"
PUBLIC_OWNER = "aws-public"
GONE = ("shutting-down", "terminated")
VALUE_MAX = 255

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
    """Create the demo's two VPCs and four subnets (``fleet`` is ``LocalAws.fleet``)."""
    prod = fleet.ensure_network("10.0.0.0/16", name="prod", subnets=2, ipv6=False)
    vpc_id = ec2.create_vpc(CidrBlock="172.16.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "dev"}])
    block = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    first64 = next(ipaddress.ip_network(block).subnets(new_prefix=64))
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    dev1 = ec2.create_subnet(
        VpcId=vpc_id, CidrBlock="172.16.0.0/24", Ipv6CidrBlock=str(first64), AvailabilityZone=zones[0]
    )["Subnet"]["SubnetId"]
    dev2 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="172.16.1.0/24", AvailabilityZone=zones[1 % len(zones)])[
        "Subnet"
    ]["SubnetId"]
    ec2.create_tags(Resources=[dev1], Tags=[{"Key": "Name", "Value": "dev-1"}])
    ec2.create_tags(Resources=[dev2], Tags=[{"Key": "Name", "Value": "dev-2"}])
    return DemoNetwork(
        vpcs={"prod": prod.vpc_id, "dev": vpc_id},
        subnets={"prod-1": prod.subnet_ids[0], "prod-2": prod.subnet_ids[1], "dev-1": dev1, "dev-2": dev2},
        ipv6_block=str(ipaddress.ip_network(block)),
    )


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
    return PhasePlan(stop=stop, start=start, rename=rename, terminate=terminate)


# --------------------------------------------------------------------------- naming rules (README)

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_KEY_CHARS = re.compile(r"[^a-z0-9_]+")


def hostname_of(text: str | None) -> str | None:
    """README *Names*: lower case, accents folded, other runs → ``-``, trimmed, ≤ 63 characters."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    label = re.sub("-+", "-", _NOT_LABEL.sub("-", folded)).strip("-")[:63].rstrip("-")
    return label or None


def clip(value: object) -> str:
    """README *Limits*: control characters → spaces, at most 255 characters (cut ones end with …)."""
    text = "".join(ch if ch >= " " and ch != "\x7f" else " " for ch in str(value))
    return text if len(text) <= VALUE_MAX else text[: VALUE_MAX - 1] + "…"


def tag_key(key: str) -> str:
    body = _KEY_CHARS.sub("_", key.lower()).strip("_") or "x"
    return ("aws_tag_" + body)[:64].rstrip("_")


def iso_ms(value: Any) -> str:
    if isinstance(value, datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def _meta(items: Mapping[str, object]) -> dict[str, str]:
    return {k: clip(v) for k, v in items.items() if v is not None and v != ""}


# --------------------------------------------------------------------------- the truth


@dataclass(frozen=True)
class Settings:
    """What the expectations depend on (the template parameters of the run and the DNS zones)."""

    account: str
    region: str
    space: str = "AWS"
    public_space: str = ""
    dns_server: str = ""
    forward_zone: str = ""
    zone_tag_key: str = "ipamsync:zone"
    reverse_zones: tuple[str, ...] = ()
    ttl: int = 300
    stopped_policy: str = "keep"
    terminated_policy: str = "delete"

    def owner(self, resource_id: str) -> str:
        return f"aws:{self.account}:{self.region}:{resource_id}"

    @property
    def owner_prefix(self) -> str:
        return f"aws:{self.account}:{self.region}:i-"


@dataclass
class ExpectedAddress:
    version: int
    address: str
    space: str
    name: str
    mac: str
    eni_id: str
    metadata: dict[str, str]


@dataclass
class ExpectedInstance:
    instance_id: str
    state: str
    gone: bool
    owner: str
    device_name: str
    device_metadata: dict[str, str]
    interfaces: dict[str, dict[str, Any]] = field(default_factory=dict)  # eni id → name, mac, metadata
    addresses: list[ExpectedAddress] = field(default_factory=list)
    records: set[tuple[str, str, str]] = field(default_factory=set)
    name: str | None = None


@dataclass(frozen=True)
class ExpectedNetwork:
    cidr: str
    space: str
    terminal: bool
    owner: str
    name: str
    metadata: dict[str, str]
    parent: str | None  # CIDR of the network it must sit in (None: a block)


@dataclass
class Truth:
    settings: Settings
    instances: dict[str, ExpectedInstance]
    networks: list[ExpectedNetwork]


def _tags(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or []}


def _reverse_zone(ptr: str, zones: Iterable[str]) -> str | None:
    best = None
    for z in zones:
        if (ptr == z or ptr.endswith("." + z)) and (best is None or len(z) > len(best)):
            best = z
    return best


class Ec2View:
    """Everything EC2 says that the expectations need, read once."""

    def __init__(self, ec2: Any) -> None:
        self.instances = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
        self.vpcs = {v["VpcId"]: v for v in ec2.describe_vpcs()["Vpcs"]}
        self.subnets = {s["SubnetId"]: s for s in ec2.describe_subnets()["Subnets"]}
        self.elastic = {a["PublicIp"] for a in ec2.describe_addresses()["Addresses"] if a.get("AllocationId")}
        types = sorted({i.get("InstanceType", "") for i in self.instances} - {""})
        self.cores: dict[str, int] = {}
        if types:
            for t in ec2.describe_instance_types(InstanceTypes=types)["InstanceTypes"]:
                info = t.get("VCpuInfo") or {}
                self.cores[t["InstanceType"]] = int(info.get("DefaultCores") or info.get("DefaultVCpus") or 0)


def _v4_cidrs(vpc: Mapping[str, Any]) -> list[str]:
    found = [
        a["CidrBlock"]
        for a in vpc.get("CidrBlockAssociationSet", [])
        if "associated" in str((a.get("CidrBlockState") or {}).get("State", "associated"))
    ]
    return [
        str(ipaddress.ip_network(c)) for c in found or ([vpc["CidrBlock"]] if vpc.get("CidrBlock") else [])
    ]


def _v6_cidrs(item: Mapping[str, Any]) -> list[str]:
    """Associated IPv6 CIDRs, in canonical text (moto writes e.g. ``2400:6500:0ad2:…``)."""
    return [
        str(ipaddress.ip_network(a["Ipv6CidrBlock"]))
        for a in item.get("Ipv6CidrBlockAssociationSet", [])
        if "disassociat" not in str((a.get("Ipv6CidrBlockState") or {}).get("State", "associated"))
    ]


def _label(name: str | None, ident: str) -> str:
    text = f"{name} ({ident})" if name else ident
    return text if len(text) <= 128 else text[:127] + "…"


def expected_networks(
    view: Ec2View, s: Settings, subnet_ids: Iterable[str], public_ips: Iterable[str]
) -> list[ExpectedNetwork]:
    """Networks for the given subnets (VPC blocks, subnets) and public IPv4 addresses (/16 + /24)."""
    out: list[ExpectedNetwork] = []
    base = {"aws_account_id": s.account, "aws_region": s.region}
    vpcs_done: set[str] = set()
    for sid in sorted(set(subnet_ids)):
        sub = view.subnets.get(sid)
        if sub is None:
            continue
        vpc = view.vpcs[sub["VpcId"]]
        vname = _tags(vpc.get("Tags")).get("Name")
        vpc_cidrs = [*_v4_cidrs(vpc), *_v6_cidrs(vpc)]
        if vpc["VpcId"] not in vpcs_done:
            vpcs_done.add(vpc["VpcId"])
            for cidr in vpc_cidrs:
                meta = _meta(
                    {
                        OWNER: s.owner(vpc["VpcId"]),
                        **base,
                        "aws_vpc_id": vpc["VpcId"],
                        "aws_name": vname,
                        "aws_cidr": cidr,
                    }
                )
                out.append(
                    ExpectedNetwork(
                        cidr, s.space, False, meta[OWNER], _label(vname, vpc["VpcId"]), meta, None
                    )
                )
        sname = _tags(sub.get("Tags")).get("Name")
        v4 = [str(ipaddress.ip_network(sub["CidrBlock"]))] if sub.get("CidrBlock") else []
        for cidr in [*v4, *_v6_cidrs(sub)]:
            net = ipaddress.ip_network(cidr)
            parent = next(
                (
                    c
                    for c in vpc_cidrs
                    if ipaddress.ip_network(c).version == net.version
                    and net.subnet_of(ipaddress.ip_network(c))
                ),  # type: ignore[arg-type]
                None,
            )
            meta = _meta(
                {
                    OWNER: s.owner(sid),
                    **base,
                    "aws_vpc_id": vpc["VpcId"],
                    "aws_subnet_id": sid,
                    "aws_availability_zone": sub.get("AvailabilityZone"),
                    "aws_name": sname,
                    "aws_cidr": cidr,
                }
            )
            out.append(ExpectedNetwork(cidr, s.space, True, meta[OWNER], _label(sname, sid), meta, parent))
    for ip in sorted(set(public_ips)):
        b16 = str(ipaddress.ip_network(f"{ip}/16", strict=False))
        b24 = str(ipaddress.ip_network(f"{ip}/24", strict=False))
        space = s.public_space or s.space
        for cidr, terminal, parent in ((b16, False, None), (b24, True, b16)):
            if not any(n.cidr == cidr for n in out):
                out.append(
                    ExpectedNetwork(
                        cidr,
                        space,
                        terminal,
                        PUBLIC_OWNER,
                        f"AWS public {cidr}",
                        {OWNER: PUBLIC_OWNER, "aws_cidr": cidr},
                        parent,
                    )
                )
    return out


def expected_instance(inst: Mapping[str, Any], view: Ec2View, s: Settings) -> ExpectedInstance:
    """What SOLIDserver must hold for one instance EC2 describes (see README *Lifecycle*)."""
    iid = inst["InstanceId"]
    state = inst["State"]["Name"]
    tags = _tags(inst.get("Tags"))
    hostname = hostname_of(tags.get("Name"))
    owner = s.owner(iid)
    gone = state in GONE
    base = {OWNER: owner, "aws_account_id": s.account, "aws_region": s.region, "aws_instance_id": iid}
    enis = (
        []
        if gone
        else sorted(
            inst.get("NetworkInterfaces", []),
            key=lambda e: int((e.get("Attachment") or {}).get("DeviceIndex", 0)),
        )
    )
    primary = enis[0] if enis else None
    primary_ip = None
    if primary is not None:
        ips = primary.get("PrivateIpAddresses", [])
        primary_ip = next((p for p in ips if p.get("Primary")), ips[0] if ips else None)
    cpu = (
        (inst.get("CpuOptions") or {}).get("CoreCount")
        or view.cores.get(inst.get("InstanceType", ""))
        or None
    )
    meta = _meta(
        {
            **base,
            "aws_state": state,
            "aws_architecture": inst.get("Architecture"),
            "aws_cpu_cores": cpu,
            "aws_instance_type": inst.get("InstanceType"),
            "aws_availability_zone": (inst.get("Placement") or {}).get("AvailabilityZone"),
            "aws_launch_time": iso_ms(inst["LaunchTime"]) if inst.get("LaunchTime") else None,
            "aws_name": tags.get("Name"),
            "aws_hostname": hostname,
            "aws_private_dns_name": inst.get("PrivateDnsName"),
            "aws_vpc_id": primary["VpcId"] if primary else None,
            "aws_subnet_id": primary["SubnetId"] if primary else None,
            "aws_private_ip": primary_ip["PrivateIpAddress"] if primary_ip else None,
            "aws_public_ip": ((primary_ip or {}).get("Association") or {}).get("PublicIp"),
            "aws_eni_count": len(enis) or None,
        }
    )
    for key in sorted(tags):
        if key != "Name":
            meta.setdefault(tag_key(key), clip(tags[key]))
    device_name = f"{hostname}-{iid}" if hostname else iid
    if gone:
        meta["aws_state"] = "terminated"
        if s.terminated_policy == "delete":
            keep = {
                OWNER,
                "aws_account_id",
                "aws_region",
                "aws_instance_id",
                "aws_state",
                "aws_name",
                "aws_hostname",
                "aws_instance_type",
                "aws_launch_time",
            }
            meta = {k: v for k, v in meta.items() if k in keep}
        return ExpectedInstance(iid, state, True, owner, device_name, meta, name=tags.get("Name"))

    zone = (tags.get(s.zone_tag_key) or "").strip().rstrip(".").lower() or s.forward_zone
    dns = bool(s.dns_server)
    addr_name = f"{hostname}.{zone}" if (hostname and zone and dns) else (hostname or iid)
    exp = ExpectedInstance(iid, state, False, owner, device_name, meta, name=tags.get("Name"))
    seen: set[tuple[int, str]] = set()

    def add(version: int, address: str, space: str, mac: str, eni_id: str, m: dict[str, str]) -> None:
        address = str(ipaddress.ip_address(address))
        if (version, address) not in seen:
            seen.add((version, address))
            exp.addresses.append(ExpectedAddress(version, address, space, addr_name, mac, eni_id, m))

    for eni in enis:
        idx = int((eni.get("Attachment") or {}).get("DeviceIndex", 0))
        mac = eni.get("MacAddress", "").lower()
        common = {
            **base,
            "aws_eni_id": eni["NetworkInterfaceId"],
            "aws_vpc_id": eni["VpcId"],
            "aws_subnet_id": eni["SubnetId"],
        }
        exp.interfaces[eni["NetworkInterfaceId"]] = {
            "name": f"eth{idx}",
            "mac": mac,
            "metadata": _meta({**common, "aws_device_index": idx}),
        }
        for ip in eni.get("PrivateIpAddresses", []):
            kind = "primary" if ip.get("Primary") else "secondary"
            add(
                4,
                ip["PrivateIpAddress"],
                s.space,
                mac,
                eni["NetworkInterfaceId"],
                _meta({**common, "aws_address_kind": kind}),
            )
            public = (ip.get("Association") or {}).get("PublicIp")
            if public:
                add(
                    4,
                    public,
                    s.public_space or s.space,
                    "",
                    eni["NetworkInterfaceId"],
                    _meta(
                        {
                            **common,
                            "aws_address_kind": "public",
                            "aws_public_ip_kind": "elastic" if public in view.elastic else "ephemeral",
                            "aws_private_ip": ip["PrivateIpAddress"],
                        }
                    ),
                )
        for a in eni.get("Ipv6Addresses", []):
            add(
                6,
                a["Ipv6Address"],
                s.space,
                mac,
                eni["NetworkInterfaceId"],
                _meta({**common, "aws_address_kind": "ipv6"}),
            )

    keep_dns = not (s.stopped_policy == "remove-dns" and state in ("stopping", "stopped"))
    if dns and hostname and zone and keep_dns and primary is not None:
        fqdn = f"{hostname}.{zone}".lower()
        v6 = [a["Ipv6Address"] for a in primary.get("Ipv6Addresses", [])]
        for rtype, raw in (
            ("A", primary_ip["PrivateIpAddress"] if primary_ip else None),
            ("AAAA", v6[0] if v6 else None),
        ):
            if not raw:
                continue
            value = str(ipaddress.ip_address(raw))
            exp.records.add((fqdn, rtype, value))
            ptr = ipaddress.ip_address(value).reverse_pointer
            if _reverse_zone(ptr, s.reverse_zones):
                exp.records.add((ptr, "PTR", fqdn))
    return exp


def expected_state(ec2: Any, settings: Settings, *, extra_subnets: Iterable[str] = ()) -> Truth:
    """The truth for every instance EC2 describes (terminated ones included) and the networks the
    live ones need (plus ``extra_subnets``: networks are never deleted)."""
    view = Ec2View(ec2)
    instances = {i["InstanceId"]: expected_instance(i, view, settings) for i in view.instances}
    subnets = set(extra_subnets)
    publics: set[str] = set()
    for exp in instances.values():
        for a in exp.addresses:
            if a.metadata.get("aws_address_kind") == "public":
                publics.add(a.address)
            else:
                subnets.add(a.metadata["aws_subnet_id"])
    return Truth(settings, instances, expected_networks(view, settings, subnets, publics))


# --------------------------------------------------------------------------- comparison


def _net_of(address: str, networks: Iterable[Any]) -> Any | None:
    value = int(ipaddress.ip_address(address))
    version = ipaddress.ip_address(address).version
    holders = [n for n in networks if n.version == version and n.terminal and n.first <= value <= n.last]
    return min(holders, key=lambda n: n.size) if holders else None


def _same_meta(
    what: str, got: Mapping[str, str], want: Mapping[str, str], volatile: Iterable[str] = ()
) -> list[str]:
    problems = []
    volatile = set(volatile)
    for key in sorted(set(got) | set(want)):
        if key in volatile:
            if not got.get(key):
                problems.append(f"{what}: metadata {key} is missing")
            continue
        if got.get(key) != want.get(key):
            problems.append(f"{what}: metadata {key} is {got.get(key)!r}, expected {want.get(key)!r}")
    return problems


def compare_instance(exp: ExpectedInstance, inv: Inventory, truth: Truth) -> list[str]:
    """Every difference between what SOLIDserver holds for one instance and the truth."""
    s = truth.settings
    problems: list[str] = []
    label = f"{exp.instance_id} ({exp.name or 'no name'}, {exp.state})"
    owned = inv.owned_by(exp.owner)
    spaces = {sp.name: sp.id for sp in inv.spaces}
    devices = owned["devices"]
    if len(devices) != 1:
        return [f"{label}: {len(devices)} device(s) owned in SOLIDserver, expected 1"]
    dev = devices[0]
    if dev.name != exp.device_name:
        problems.append(f"{label}: device is named {dev.name!r}, expected {exp.device_name!r}")
    volatile = [OBSERVED, EVENT_ID]
    if exp.gone and s.terminated_policy == "delete":
        volatile.append(TOMBSTONE)
    problems += _same_meta(f"{label} device", dev.metadata, exp.device_metadata, volatile)
    if not exp.gone and TOMBSTONE in dev.metadata:
        problems.append(f"{label}: live instance has a tombstone device")

    ifaces = {i.metadata.get("aws_eni_id"): i for i in owned["interfaces"]}
    on_device = [i for i in inv.interfaces if i.device_id == dev.id]
    if exp.gone:
        if on_device:
            problems.append(f"{label}: terminated, but its device still has {len(on_device)} interface(s)")
    else:
        if set(ifaces) != set(exp.interfaces):
            problems.append(
                f"{label}: interfaces for ENIs {sorted(map(str, ifaces))}, expected {sorted(exp.interfaces)}"
            )
        if len(on_device) != len(exp.interfaces):
            problems.append(
                f"{label}: device has {len(on_device)} interface(s), expected {len(exp.interfaces)}"
            )
        for eni_id, want in exp.interfaces.items():
            got = ifaces.get(eni_id)
            if got is None:
                continue
            if (got.name, got.mac, got.device_id) != (want["name"], want["mac"], dev.id):
                problems.append(
                    f"{label}: interface {eni_id} is {got.name}/{got.mac} on device {got.device_id}, "
                    f"expected {want['name']}/{want['mac']} on {dev.id}"
                )
            problems += _same_meta(f"{label} interface {eni_id}", got.metadata, want["metadata"])

    got_addrs = {(a.space_id, a.address): a for a in owned["addresses"]}
    want_addrs = {(spaces.get(a.space, f"<space {a.space}>"), a.address): a for a in exp.addresses}
    for key in sorted(set(got_addrs) - set(want_addrs)):
        problems.append(f"{label}: address {key[1]} is still in SOLIDserver")
    for key in sorted(set(want_addrs) - set(got_addrs)):
        problems.append(f"{label}: address {key[1]} is missing from space {want_addrs[key].space}")
    for key in sorted(set(want_addrs) & set(got_addrs)):
        got_a, want_a = got_addrs[key], want_addrs[key]
        what = f"{label} address {want_a.address}"
        if got_a.name != want_a.name:
            problems.append(f"{what}: name {got_a.name!r}, expected {want_a.name!r}")
        if got_a.mac != want_a.mac:
            problems.append(f"{what}: MAC {got_a.mac!r}, expected {want_a.mac!r}")
        iface = ifaces.get(want_a.eni_id)
        if got_a.device_id != dev.id or got_a.iface_id != (iface.id if iface else None):
            problems.append(
                f"{what}: linked to device {got_a.device_id} interface {got_a.iface_id}, "
                f"expected {dev.id} / {iface.id if iface else None}"
            )
        holder = _net_of(want_a.address, [n for n in inv.networks if n.space_id == key[0]])
        if holder is None or got_a.subnet_id != holder.id:
            problems.append(
                f"{what}: in network {got_a.subnet_id}, expected the terminal subnet holding it "
                f"({holder.cidr if holder else 'none'})"
            )
        problems += _same_meta(what, got_a.metadata, want_a.metadata)

    records = owned["records"]
    got_recs = {(r.fqdn, r.type, r.value) for r in records}
    for rec in sorted(got_recs - exp.records):
        problems.append(f"{label}: DNS record {' '.join(rec)} should not exist")
    for rec in sorted(exp.records - got_recs):
        problems.append(f"{label}: DNS record {' '.join(rec)} is missing")
    for r in records:
        if r.ttl != s.ttl:
            problems.append(f"{label}: DNS record {r.fqdn} {r.type} has TTL {r.ttl}, expected {s.ttl}")
        want_meta = {
            OWNER: exp.owner,
            "aws_account_id": s.account,
            "aws_region": s.region,
            "aws_instance_id": exp.instance_id,
        }
        problems += _same_meta(f"{label} record {r.fqdn} {r.type}", r.metadata, want_meta)
    return problems


def compare_networks(truth: Truth, inv: Inventory) -> list[str]:
    problems = []
    spaces = {sp.name: sp.id for sp in inv.spaces}
    for want in truth.networks:
        net = ipaddress.ip_network(want.cidr)
        sid = spaces.get(want.space)
        found = [
            n
            for n in inv.networks
            if n.space_id == sid
            and n.version == net.version
            and n.first == int(net.network_address)
            and n.size == net.num_addresses
        ]
        if len(found) != 1:
            problems.append(f"network {want.cidr}: {len(found)} in space {want.space}, expected 1")
            continue
        got = found[0]
        if got.terminal != want.terminal:
            problems.append(f"network {want.cidr}: terminal={got.terminal}, expected {want.terminal}")
        if want.parent is not None:
            parent = next(
                (n for n in inv.networks if n.id == got.parent_id and n.version == got.version), None
            )
            if parent is None or parent.cidr != want.parent:
                problems.append(
                    f"network {want.cidr}: inside {parent.cidr if parent else 'nothing'}, "
                    f"expected inside {want.parent}"
                )
        if got.metadata.get(OWNER) != want.owner:
            continue  # somebody else's network (or one from an earlier VPC): used as it is
        if got.name != want.name:
            problems.append(f"network {want.cidr}: named {got.name!r}, expected {want.name!r}")
        problems += _same_meta(f"network {want.cidr}", got.metadata, want.metadata)
    return problems


def compare(truth: Truth, inv: Inventory) -> list[str]:
    """All differences between SOLIDserver and the truth (empty: SOLIDserver matches EC2).

    Beyond the instances EC2 describes, every device owned by an instance of this account and
    region that EC2 does not know (an earlier run's) must be a tombstone with nothing else left.
    """
    problems: list[str] = []
    for exp in sorted(truth.instances.values(), key=lambda e: e.instance_id):
        problems += compare_instance(exp, inv, truth)
    prefix = truth.settings.owner_prefix
    known = {e.owner for e in truth.instances.values()}
    for kind, objects in (
        ("device", inv.devices),
        ("interface", inv.interfaces),
        ("address", inv.addresses),
        ("DNS record", inv.records),
    ):
        for obj in objects:
            owner = obj.metadata.get(OWNER, "")
            if not owner.startswith(prefix) or owner in known:
                continue
            if (
                kind == "device"
                and TOMBSTONE in obj.metadata
                and truth.settings.terminated_policy == "delete"
            ):
                continue
            if (
                kind == "device"
                and truth.settings.terminated_policy == "retain"
                and obj.metadata.get("aws_state") == "terminated"
            ):
                continue
            problems.append(f"{kind} owned by {owner.rsplit(':', 1)[1]} (unknown to EC2) is still live")
    problems += compare_networks(truth, inv)
    for kind, keys in inv.duplicates().items():
        problems += [f"duplicate {kind}: {k}" for k in keys]
    return problems
