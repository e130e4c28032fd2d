"""The truth: what SOLIDserver must hold, computed from EC2, and a comparison with what it holds.

ipamsync's promise is that SOLIDserver ends up describing EC2 as EC2 is *now*, whatever happened on
the way (duplicates, disorder, faults, outages, redrives). This module states that end state
independently of the sync code: it reads EC2 (``DescribeInstances``, ``DescribeVpcs``,
``DescribeSubnets``, ``DescribeAddresses``) and the settings in force, applies the documented rules
(README, ``docs/message-schema.md``, ``docs/solidserver.md``), and yields the objects SOLIDserver
must hold; :func:`compare` lists every difference with an :class:`~ipamsync_local.inventory.Inventory`
read from SOLIDserver.

Rules, per instance EC2 describes:

* **live** (``pending``/``running``/``stopping``/``stopped``): one device named
  ``<hostname>-<instance id>`` (or the instance id without a hostname); one interface
  ``eth<device index>`` per ENI (MAC), on that device and on no other; every private IPv4
  (``primary`` / ``secondary``), IPv6 (``ipv6``) and public IPv4 (``public``,
  ``elastic``/``ephemeral``) as an address in its space, in the smallest terminal network there
  that holds it, named after the FQDN (or hostname, or instance id), with the ENI's MAC (not for
  public ones), linked to the device and the ENI's interface; DNS (when a DNS server is configured,
  the instance has a hostname and a forward zone): ``A`` = primary private IPv4 of the primary ENI,
  ``AAAA`` = its first IPv6, a ``PTR`` for each when a reverse zone of the server holds it, all with
  the configured TTL; none while stopped under ``remove-dns``. Instances sharing a hostname each own
  their own records. The networks its addresses need exist: its VPC's CIDRs, its subnets (terminal,
  inside the VPC's network) and, per public IPv4, ``AWS public a.b.c.0/24`` under ``a.b.0.0/16``;
  those ipamsync owns are named ``<Name tag> (<id>)`` with their metadata (someone else's network,
  or an earlier VPC's, is used as it is).
* **terminated / shutting-down**: a tombstone device (``TerminatedPolicy=delete``: it keeps only
  who the instance was, :data:`TOMBSTONE_KEYS`) or the device marked terminated and otherwise
  described by EC2's last answer (``retain``), and nothing else: no interface, address or record.
* every object owned by an instance's owner value that is not listed above is *unexpected*; two
  objects for one key are a *duplicate*.

Metadata is exact within ipamsync's namespaces (``aws_*``, ``ipamsync_*``: a missing, extra or other
value is a difference; keys a person added are kept and not checked): the device's (README's table,
tags as ``aws_tag_<key>`` with ``aws_tags_omitted``, ``ipamsync_observed_at``/``ipamsync_event_id``
set), the interfaces', addresses', records' and networks'.

Hostnames are sanitised as documented: lower case, accents folded to ASCII, every run of other
characters → ``-``, ``-`` trimmed at both ends, at most 63 characters; nothing left → no hostname.

Usage::

    truth = compute_truth(ec2_client, settings, zones=zones_of(ss, settings.dns_server))
    diffs = compare(read_inventory(ss, settings.dns_server), truth)
    assert not diffs, format_differences(diffs)

Objects SOLIDserver holds that ipamsync does not own can be checked too: take
:func:`foreign_snapshot` before the run and pass it to :func:`compare` (``foreign_before=``).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ipamsync.settings import Settings
from ipamsync_local.inventory import Inventory

OWNER = "ipamsync_owner"
OBSERVED = "ipamsync_observed_at"
EVENT_ID = "ipamsync_event_id"
TOMBSTONE = "ipamsync_tombstone"
PUBLIC_OWNER = "aws-public"
GONE = frozenset({"shutting-down", "terminated"})
VALUE_MAX = 255
NAME_MAX = 128
#: Prefixes of ipamsync's metadata keys; other keys are a person's (kept, never checked).
NAMESPACES = ("aws_", "ipamsync_")
#: What a tombstone keeps of the device's metadata (besides the observation keys): who it was.
TOMBSTONE_KEYS = frozenset(
    {
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
)

#: Template parameter → environment variable of the functions (what Settings.from_env reads).
PARAMETER_ENV = {
    "SpaceStrategy": "IPAM_SPACE_STRATEGY",
    "SpaceName": "IPAM_SPACE_NAME",
    "PublicSpaceName": "IPAM_PUBLIC_SPACE_NAME",
    "DnsServerName": "DNS_SERVER_NAME",
    "DnsForwardZone": "DNS_FORWARD_ZONE",
    "DnsZoneTagKey": "DNS_ZONE_TAG_KEY",
    "DnsReverse": "DNS_REVERSE",
    "DnsTtl": "DNS_TTL",
    "HostnameSource": "HOSTNAME_SOURCE",
    "HostnameTagKey": "HOSTNAME_TAG_KEY",
    "StoppedPolicy": "STOPPED_POLICY",
    "TerminatedPolicy": "TERMINATED_POLICY",
    "TombstoneRetentionHours": "TOMBSTONE_RETENTION_HOURS",
}


def settings_from_parameters(parameters: Mapping[str, Any]) -> Settings:
    """The settings the functions run with, from template parameter overrides (defaults otherwise)."""
    env = {PARAMETER_ENV[k]: str(v) for k, v in parameters.items() if k in PARAMETER_ENV}
    return Settings.from_env(env)


# --------------------------------------------------------------------------- documented rules

_NOT_LABEL = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")
_KEY_CHARS = re.compile(r"[^a-z0-9_]+")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def hostname_label(text: str | None) -> str | None:
    """The documented hostname sanitisation (README/docs: "Names")."""
    if not text:
        return None
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    label = _DASHES.sub("-", _NOT_LABEL.sub("-", ascii_text)).strip("-")[:63].rstrip("-")
    return label or None


def clip(value: object, limit: int = VALUE_MAX) -> str:
    """Metadata values: control characters → spaces, cut to ``limit`` characters ending with ``…``."""
    text = "".join(ch if ch >= " " and ch != "\x7f" else " " for ch in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tag_key(key: str) -> str:
    """``aws_tag_<key>``: lower case, other characters → ``_``, at most 64 characters."""
    body = _KEY_CHARS.sub("_", key.lower()).strip("_") or "x"
    return ("aws_tag_" + body)[:64].rstrip("_")


def is_zone_name(name: str) -> bool:
    labels = name.split(".")
    return len(name) <= 253 and len(labels) >= 2 and all(_LABEL.match(x) for x in labels)


def reverse_pointer(address: str) -> str:
    return ipaddress.ip_address(address).reverse_pointer.lower()


def owner_of(account: str, region: str, resource_id: str) -> str:
    return f"aws:{account}:{region}:{resource_id}"


# --------------------------------------------------------------------------- expected objects

Items = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ExpectedInterface:
    eni_id: str
    name: str
    mac: str
    device_index: int
    #: its ``aws_*``/``ipamsync_*`` metadata, exactly
    metadata: Items


@dataclass(frozen=True)
class ExpectedAddress:
    version: int
    address: str
    space: str
    name: str
    mac: str
    kind: str  # primary | secondary | ipv6 | public
    eni_id: str
    public_kind: str | None  # elastic | ephemeral (public addresses)
    #: its ``aws_*``/``ipamsync_*`` metadata, exactly
    metadata: Items

    @property
    def key(self) -> tuple[str, str]:
        return (self.space, self.address)


@dataclass(frozen=True)
class ExpectedRecord:
    fqdn: str
    type: str
    value: str


@dataclass
class InstanceTruth:
    instance_id: str
    owner: str
    state: str
    known: bool
    hostname: str | None
    device_name: str
    #: metadata values the device must carry (exact), and keys it must not carry
    device_metadata: dict[str, str] = field(default_factory=dict)
    device_absent_keys: tuple[str, ...] = ()
    tombstone: bool = False
    #: the device's ``aws_*``/``ipamsync_*`` keys are exactly the expected ones (an instance EC2
    #: describes; of one it does not know only some keys can be told)
    exact: bool = False
    #: expected ``aws_tag_*`` values (the device may leave some out, counted in aws_tags_omitted)
    tags: dict[str, str] = field(default_factory=dict)
    #: whether the device carries the tags (not a tombstone's)
    tagged: bool = True
    interfaces: dict[str, ExpectedInterface] = field(default_factory=dict)
    addresses: list[ExpectedAddress] = field(default_factory=list)
    records: set[ExpectedRecord] = field(default_factory=set)
    #: the ``aws_*``/``ipamsync_*`` metadata of each of its DNS records, exactly
    record_metadata: dict[str, str] = field(default_factory=dict)
    #: why records are missing on purpose (no zone, no reverse zone...): for the report
    notes: list[str] = field(default_factory=list)

    @property
    def gone(self) -> bool:
        return self.state in GONE


@dataclass(frozen=True)
class ExpectedNetwork:
    space: str
    cidr: str
    terminal: bool
    owner: str
    #: name, ``aws_*``/``ipamsync_*`` metadata and parent CIDR, checked when the network is owned
    #: by ``owner`` (someone else's network, or an earlier VPC's, is used as it is)
    name: str
    metadata: Items
    parent: str | None  # None: not checked (a block, or inside whatever block exists)


@dataclass
class Truth:
    settings: Settings
    account: str
    region: str
    instances: dict[str, InstanceTruth] = field(default_factory=dict)
    #: networks that must exist (the live instances' VPC CIDRs, subnets, public /16 and /24)
    networks: set[ExpectedNetwork] = field(default_factory=set)
    #: VPC/subnet id → its CIDRs in EC2 (an ipamsync network for an unknown id or CIDR is unexpected)
    known_network_cidrs: dict[str, set[str]] = field(default_factory=dict)
    #: True when the truth describes only some instances (see :meth:`restrict`)
    restricted: bool = False

    def owners(self) -> dict[str, InstanceTruth]:
        return {t.owner: t for t in self.instances.values()}

    def restrict(self, instance_ids: Iterable[str]) -> Truth:
        """The same truth about a subset of the instances (tests sharing one EC2 between scenarios)."""
        keep = set(instance_ids)
        out = Truth(
            self.settings,
            self.account,
            self.region,
            known_network_cidrs=self.known_network_cidrs,
            restricted=True,
        )
        out.instances = {k: v for k, v in self.instances.items() if k in keep}
        out.networks = set(self.networks)
        return out

    def summary(self) -> dict[str, int]:
        live = [t for t in self.instances.values() if not t.gone]
        return {
            "instances": len(self.instances),
            "live": len(live),
            "terminated": len(self.instances) - len(live),
            "interfaces": sum(len(t.interfaces) for t in live),
            "addresses": sum(len(t.addresses) for t in live),
            "records": sum(len(t.records) for t in live),
            "networks": len(self.networks),
        }


# --------------------------------------------------------------------------- EC2 → truth


def _tags(items: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in items or [] if "Key" in t}


def _meta(items: Mapping[str, object]) -> dict[str, str]:
    """Metadata as written: empty values left out, the others clipped."""
    return {k: clip(v) for k, v in items.items() if v is not None and v != ""}


def _items(items: Mapping[str, object]) -> Items:
    return tuple(sorted(_meta(items).items()))


def _associated(item: Mapping[str, Any], key: str) -> bool:
    state = str((item.get(key) or {}).get("State", "associated"))
    return "associated" in state and "disassociat" not in state


def _vpc_cidrs(v: Mapping[str, Any]) -> list[str]:
    """Associated IPv4 then IPv6 CIDRs of a VPC, in canonical text."""
    cidrs = [
        a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", []) if _associated(a, "CidrBlockState")
    ] or ([v["CidrBlock"]] if v.get("CidrBlock") else [])
    cidrs += [
        a["Ipv6CidrBlock"]
        for a in v.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return [str(ipaddress.ip_network(c)) for c in cidrs]


def _subnet_cidrs(s: Mapping[str, Any]) -> list[str]:
    cidrs = [s["CidrBlock"]] if s.get("CidrBlock") else []
    cidrs += [
        a["Ipv6CidrBlock"]
        for a in s.get("Ipv6CidrBlockAssociationSet", [])
        if _associated(a, "Ipv6CidrBlockState")
    ]
    return [str(ipaddress.ip_network(c)) for c in cidrs]


def _all_instances(ec2: Any) -> tuple[list[dict[str, Any]], str | None]:
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


def _default_cores(ec2: Any, instance_types: Iterable[str]) -> dict[str, int | None]:
    """Default core count of each instance type (``DescribeInstanceTypes``; unknown type: None)."""
    out: dict[str, int | None] = {}
    for name in sorted(set(instance_types)):
        try:
            info = ec2.describe_instance_types(InstanceTypes=[name])["InstanceTypes"][0]["VCpuInfo"]
            out[name] = int(info.get("DefaultCores") or info["DefaultVCpus"])
        except Exception:
            out[name] = None
    return out


def zones_of(ss: Any, dns_server: str) -> list[tuple[str, bool]]:
    """``(zone name, is reverse)`` of a DNS server, read through a :class:`SolidServer`."""
    if not dns_server:
        return []
    return [(z.name, z.reverse) for z in ss.list_zones(dns_server)]


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
) -> Truth:
    """What SOLIDserver must hold for every instance EC2 describes (see the module doc).

    ``zones``: ``(name, reverse)`` of the configured DNS server's zones (:func:`zones_of`).
    ``unknown_terminated``: instance ids EC2 does not know that received a terminal event (their
    messages carry ``known: false``): each leaves a tombstone named after the id, or, given as a
    mapping id → device name, under the name its device already had (a tombstone keeps its name).
    ``extra_subnets``: subnet ids whose networks (and their VPC's) must exist although no live
    instance uses them any more (networks are never deleted).
    ``networks_before``: ``(VPC or subnet id, CIDR)`` of networks ipamsync made before this EC2
    existed (an earlier run's): they stay, although EC2 does not know their VPC or subnet.
    """
    instances, owner_id = _all_instances(ec2)
    account = account or owner_id or "000000000000"
    region = region or ec2.meta.region_name
    zone_list = [(z.rstrip(".").lower(), bool(r)) for z, r in zones]
    truth = Truth(settings, account, region)

    vpcs = {v["VpcId"]: v for v in ec2.describe_vpcs().get("Vpcs", [])}
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets().get("Subnets", [])}
    for vpc_id, v in vpcs.items():
        truth.known_network_cidrs[vpc_id] = set(_vpc_cidrs(v))
    for subnet_id, s in subnets.items():
        truth.known_network_cidrs[subnet_id] = set(_subnet_cidrs(s))
    for resource, cidr in networks_before:
        truth.known_network_cidrs.setdefault(resource, set()).add(str(ipaddress.ip_network(cidr)))

    publics = sorted(
        {
            (ip.get("Association") or {}).get("PublicIp")
            for inst in instances
            for eni in inst.get("NetworkInterfaces", [])
            for ip in eni.get("PrivateIpAddresses", [])
            if (ip.get("Association") or {}).get("PublicIp")
        }
    )
    elastic: set[str] = set()
    if publics:
        resp = ec2.describe_addresses(Filters=[{"Name": "public-ip", "Values": publics}])
        elastic = {a["PublicIp"] for a in resp.get("Addresses", [])}
    cores = _default_cores(
        ec2,
        (
            i["InstanceType"]
            for i in instances
            if i.get("InstanceType") and not (i.get("CpuOptions") or {}).get("CoreCount")
        ),
    )

    nets = _Networks(settings, account, region, vpcs, subnets)
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
            truth.instances[iid] = _unknown_gone(iid, names.get(iid) or iid, settings, account, region)
    return truth


def _hostname(settings: Settings, tags: Mapping[str, str], private_dns: str | None) -> str | None:
    if settings.hostname_source == "name-tag":
        return hostname_label(tags.get("Name"))
    if settings.hostname_source == "tag":
        return hostname_label(tags.get(settings.hostname_tag_key))
    return hostname_label((private_dns or "").split(".", 1)[0])


def timestamp(value: Any) -> str:
    """An EC2 time as ipamsync writes it: UTC, milliseconds, ``Z`` (``2026-11-27T07:14:34.123Z``)."""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


def _base(owner: str, account: str, region: str, iid: str) -> dict[str, str]:
    """Keys every object of an instance carries."""
    return {OWNER: owner, "aws_account_id": account, "aws_region": region, "aws_instance_id": iid}


def _unknown_gone(iid: str, device_name: str, settings: Settings, account: str, region: str) -> InstanceTruth:
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
    t.device_metadata = {**_base(owner, account, region, iid), "aws_state": "terminated"}
    if settings.terminated_policy == "retain":
        t.device_absent_keys = (TOMBSTONE,)
    return t


def _instance_truth(
    inst: Mapping[str, Any],
    settings: Settings,
    account: str,
    region: str,
    zones: list[tuple[str, bool]],
    elastic: set[str],
    cores: Mapping[str, int | None],
) -> InstanceTruth:
    iid = inst["InstanceId"]
    owner = owner_of(account, region, iid)
    state = (inst.get("State") or {}).get("Name", "")
    tags = _tags(inst.get("Tags"))
    private_dns = inst.get("PrivateDnsName") or None
    hostname = _hostname(settings, tags, private_dns)
    gone = state in GONE
    # A terminal message carries no ENI: nothing of the instance's network is described any more.
    enis = (
        []
        if gone
        else sorted(
            inst.get("NetworkInterfaces", []),
            key=lambda e: int((e.get("Attachment") or {}).get("DeviceIndex", 0)),
        )
    )
    base = _base(owner, account, region, iid)
    t = InstanceTruth(
        instance_id=iid,
        owner=owner,
        state="terminated" if gone else state,
        known=True,
        hostname=hostname,
        device_name=f"{hostname}-{iid}" if hostname else iid,
        exact=True,
        record_metadata=_meta(base),
    )
    primary = enis[0] if enis else None
    primary_ip = None
    if primary is not None:
        ips = primary.get("PrivateIpAddresses", [])
        primary_ip = next((p for p in ips if p.get("Primary")), ips[0] if ips else None)
    meta = _meta(
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
            "aws_hostname": hostname,
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
    if gone and settings.terminated_policy == "delete":
        # README *Lifecycle*: a tombstone, not the instance's description: it keeps who the
        # instance was (TOMBSTONE_KEYS: README does not list them), nothing of what it had.
        t.device_metadata = {k: v for k, v in meta.items() if k in TOMBSTONE_KEYS}
        t.tombstone, t.tagged, t.tags = True, False, {}
        return t
    t.device_metadata = meta  # TerminatedPolicy=retain: the device stays, described by EC2's last word
    if gone:
        return t

    # zone of the instance: its zone tag (must be a zone name), else the configured forward zone
    zone = None
    raw_zone = tags.get(settings.zone_tag_key)
    if raw_zone is not None and raw_zone.strip():
        zone = raw_zone.strip().rstrip(".").lower()
        if not is_zone_name(zone):
            t.notes.append(f"zone tag {raw_zone[:60]!r} is not a zone name: addresses and DNS cannot apply")
    elif settings.forward_zone:
        zone = settings.forward_zone
    name = hostname or iid
    if settings.dns_enabled and zone and hostname:
        name = f"{hostname}.{zone}"

    space = settings.space_for(account)
    public_space = settings.public_space_for(account)
    seen: set[tuple[int, str]] = set()
    for eni in enis:
        eni_id = eni["NetworkInterfaceId"]
        index = int((eni.get("Attachment") or {}).get("DeviceIndex", 0))
        mac = str(eni.get("MacAddress", "")).lower()
        common = {
            **base,
            "aws_eni_id": eni_id,
            "aws_vpc_id": eni.get("VpcId"),
            "aws_subnet_id": eni.get("SubnetId"),
        }
        t.interfaces[eni_id] = ExpectedInterface(
            eni_id, f"eth{index}", mac, index, _items({**common, "aws_device_index": index})
        )
        for ip in eni.get("PrivateIpAddresses", []):
            addr = str(ipaddress.ip_address(ip["PrivateIpAddress"]))
            if (4, addr) not in seen:
                seen.add((4, addr))
                kind = "primary" if ip.get("Primary") else "secondary"
                t.addresses.append(
                    ExpectedAddress(
                        4,
                        addr,
                        space,
                        name,
                        mac,
                        kind,
                        eni_id,
                        None,
                        _items({**common, "aws_address_kind": kind}),
                    )
                )
            public = (ip.get("Association") or {}).get("PublicIp")
            if public and (4, public) not in seen:
                seen.add((4, public))
                public_kind = "elastic" if public in elastic else "ephemeral"
                t.addresses.append(
                    ExpectedAddress(
                        4,
                        public,
                        public_space,
                        name,
                        "",
                        "public",
                        eni_id,
                        public_kind,
                        _items(
                            {
                                **common,
                                "aws_address_kind": "public",
                                "aws_public_ip_kind": public_kind,
                                "aws_private_ip": addr,
                            }
                        ),
                    )
                )
        for a in eni.get("Ipv6Addresses", []):
            if not a.get("Ipv6Address"):
                continue
            addr = str(ipaddress.ip_address(a["Ipv6Address"]))
            if (6, addr) not in seen:
                seen.add((6, addr))
                t.addresses.append(
                    ExpectedAddress(
                        6,
                        addr,
                        space,
                        name,
                        mac,
                        "ipv6",
                        eni_id,
                        None,
                        _items({**common, "aws_address_kind": "ipv6"}),
                    )
                )

    # DNS
    if not settings.dns_enabled:
        return t
    if not hostname:
        t.notes.append("no hostname: no DNS records")
        return t
    if settings.stopped_policy == "remove-dns" and state in ("stopping", "stopped"):
        t.notes.append("stopped under remove-dns: no DNS records")
        return t
    if not zone or not is_zone_name(zone):
        t.notes.append("no forward zone: no DNS records")
        return t
    if (zone, False) not in zones:
        t.notes.append(f"zone {zone} does not exist on {settings.dns_server}: DNS cannot apply")
        return t
    if primary is None:
        return t
    fqdn = f"{hostname}.{zone}"
    v4 = primary_ip.get("PrivateIpAddress") if primary_ip else None
    v6s = [a["Ipv6Address"] for a in primary.get("Ipv6Addresses", []) if a.get("Ipv6Address")]
    for rtype, raw in (("A", v4), ("AAAA", v6s[0] if v6s else None)):
        if not raw:
            continue
        address = str(ipaddress.ip_address(raw))
        t.records.add(ExpectedRecord(fqdn, rtype, address))
        if settings.reverse_dns:
            ptr = reverse_pointer(address)
            owning = [z for z, rev in zones if rev and (ptr == z or ptr.endswith("." + z))]
            if owning:
                t.records.add(ExpectedRecord(ptr, "PTR", fqdn))
            else:
                t.notes.append(f"PTR {ptr}: no reverse zone")
    return t


def _label(name: str | None, ident: str) -> str:
    """A network's name: ``<Name tag> (<id>)``, or the id alone."""
    return clip(f"{name} ({ident})" if name else ident, NAME_MAX)


class _Networks:
    """The networks the live instances need: their VPCs' CIDRs, their subnets, and for each public
    IPv4 address the ``/24`` around it under its ``/16`` (README *What ipamsync writes*)."""

    def __init__(
        self,
        settings: Settings,
        account: str,
        region: str,
        vpcs: Mapping[str, Mapping[str, Any]],
        subnets: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self.account, self.region = account, region
        self.space = settings.space_for(account)
        self.public_space = settings.public_space_for(account)
        self.vpcs, self.subnets = vpcs, subnets
        self.base = {"aws_account_id": account, "aws_region": region}
        self.found: set[ExpectedNetwork] = set()

    def of_instance(self, inst: Mapping[str, Any]) -> None:
        enis = inst.get("NetworkInterfaces", [])
        for vpc_id in {e.get("VpcId") for e in enis if e.get("VpcId")}:
            self.of_vpc(vpc_id)
        for subnet_id in {e.get("SubnetId") for e in enis if e.get("SubnetId")}:
            self.of_subnet(subnet_id)
        for e in enis:
            for ip in e.get("PrivateIpAddresses", []):
                public = (ip.get("Association") or {}).get("PublicIp")
                if public:
                    self.of_public(public)

    def of_vpc(self, vpc_id: str) -> None:
        v = self.vpcs.get(vpc_id) or {}
        owner = owner_of(self.account, self.region, vpc_id)
        name = _tags(v.get("Tags")).get("Name")
        for cidr in _vpc_cidrs(v):
            meta = {OWNER: owner, **self.base, "aws_vpc_id": vpc_id, "aws_name": name, "aws_cidr": cidr}
            self.found.add(
                ExpectedNetwork(self.space, cidr, False, owner, _label(name, vpc_id), _items(meta), None)
            )

    def of_subnet(self, subnet_id: str) -> None:
        s = self.subnets.get(subnet_id)
        if s is None:
            return
        vpc_id = s.get("VpcId", "")
        self.of_vpc(vpc_id)
        vpc_cidrs = [ipaddress.ip_network(c) for c in _vpc_cidrs(self.vpcs.get(vpc_id) or {})]
        owner = owner_of(self.account, self.region, subnet_id)
        name = _tags(s.get("Tags")).get("Name")
        for cidr in _subnet_cidrs(s):
            net = ipaddress.ip_network(cidr)
            parent = next(
                (str(c) for c in vpc_cidrs if c.version == net.version and net.subnet_of(c)),  # type: ignore[arg-type]
                None,
            )
            meta = {
                OWNER: owner,
                **self.base,
                "aws_vpc_id": vpc_id,
                "aws_subnet_id": subnet_id,
                "aws_availability_zone": s.get("AvailabilityZone"),
                "aws_name": name,
                "aws_cidr": cidr,
            }
            self.found.add(
                ExpectedNetwork(self.space, cidr, True, owner, _label(name, subnet_id), _items(meta), parent)
            )

    def of_public(self, address: str) -> None:
        b16 = str(ipaddress.ip_network(f"{address}/16", strict=False))
        b24 = str(ipaddress.ip_network(f"{address}/24", strict=False))
        for cidr, terminal, parent in ((b16, False, None), (b24, True, b16)):
            meta = _items({OWNER: PUBLIC_OWNER, "aws_cidr": cidr})
            self.found.add(
                ExpectedNetwork(
                    self.public_space, cidr, terminal, PUBLIC_OWNER, f"AWS public {cidr}", meta, parent
                )
            )


# --------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Difference:
    kind: str  # missing | unexpected | wrong | duplicate | foreign
    object_type: str  # device | interface | address | record | network | space | <foreign type>
    key: str
    field: str | None = None
    expected: object = None
    actual: object = None
    instance_id: str | None = None

    def __str__(self) -> str:
        who = f" [{self.instance_id}]" if self.instance_id else ""
        if self.kind == "wrong":
            return (
                f"wrong      {self.object_type} {self.key}{who}: "
                f"{self.field} = {self.actual!r}, expected {self.expected!r}"
            )
        extra = f" ({self.actual})" if self.actual not in (None, "") else ""
        return f"{self.kind:<10} {self.object_type} {self.key}{who}{extra}"


def _ipamsync_owned(meta: Mapping[str, str]) -> bool:
    owner = meta.get(OWNER, "")
    return owner.startswith("aws:") or owner in (PUBLIC_OWNER, "ipamsync")


def _instance_owner(meta: Mapping[str, str]) -> str | None:
    owner = meta.get(OWNER, "")
    return owner if owner.startswith("aws:") and owner.count(":") == 3 and ":i-" in owner else None


def foreign_snapshot(inv: Inventory) -> dict[tuple[str, str], tuple[Any, ...]]:
    """Everything SOLIDserver holds that ipamsync does not own: ``(type, id) → its fields``."""
    snap: dict[tuple[str, str], tuple[Any, ...]] = {}
    for s in inv.spaces:
        if not _ipamsync_owned(s.metadata):
            snap[("space", s.id)] = (s.name, tuple(sorted(s.metadata.items())))
    for n in inv.networks:
        if not _ipamsync_owned(n.metadata):
            snap[(f"network{n.version}", n.id)] = (
                n.cidr,
                n.name,
                n.terminal,
                tuple(sorted(n.metadata.items())),
            )
    for a in inv.addresses:
        if not _ipamsync_owned(a.metadata):
            snap[(f"address{a.version}", a.id)] = (
                a.address,
                a.name,
                a.mac,
                a.device_id,
                a.iface_id,
                tuple(sorted(a.metadata.items())),
            )
    for d in inv.devices:
        if not _ipamsync_owned(d.metadata):
            snap[("device", d.id)] = (d.name, tuple(sorted(d.metadata.items())))
    for i in inv.interfaces:
        if not _ipamsync_owned(i.metadata):
            snap[("interface", i.id)] = (i.name, i.mac, i.device_id, tuple(sorted(i.metadata.items())))
    for r in inv.records:
        if not _ipamsync_owned(r.metadata):
            snap[("record", r.id)] = (r.fqdn, r.type, r.value, r.ttl, tuple(sorted(r.metadata.items())))
    return snap


def _mine(key: str) -> bool:
    return key.startswith(NAMESPACES)


def _metadata_diffs(
    object_type: str, key: str, want: Mapping[str, str], got: Mapping[str, str], instance_id: str | None
) -> list[Difference]:
    """Every ``aws_*``/``ipamsync_*`` key whose value is not the expected one (missing, extra, other)."""
    return [
        Difference("wrong", object_type, key, k, want.get(k), got.get(k), instance_id)
        for k in sorted(set(want) | {k for k in got if _mine(k)})
        if want.get(k) != got.get(k)
    ]


def compare(
    inv: Inventory,
    truth: Truth,
    *,
    foreign_before: Mapping[tuple[str, str], tuple[Any, ...]] | None = None,
    ignore_instances: Iterable[str] = (),
) -> list[Difference]:
    """Every difference between what SOLIDserver holds (``inv``) and what it must hold (``truth``).

    Objects owned by instances the truth does not describe are reported as unexpected unless the
    truth was :meth:`~Truth.restrict`-ed (then they are someone else's scenario) or listed in
    ``ignore_instances``.
    """
    diffs: list[Difference] = []
    ignored = set(ignore_instances)
    by_owner = truth.owners()
    spaces = {s.name: s.id for s in inv.spaces}
    space_names = {s.id: s.name for s in inv.spaces}
    scoped = truth.restricted

    def out_of_scope(owner: str | None) -> bool:
        if owner is None:
            return True
        iid = owner.rsplit(":", 1)[1]
        return iid in ignored or (scoped and owner not in by_owner)

    # ---- devices
    devices_of: dict[str, list[Any]] = defaultdict(list)
    for d in inv.devices:
        owner = _instance_owner(d.metadata)
        if owner is not None:
            devices_of[owner].append(d)
    device_id_of: dict[str, str] = {}
    for owner, t in by_owner.items():
        if t.instance_id in ignored:
            continue
        found = devices_of.get(owner, [])
        if not found:
            diffs.append(Difference("missing", "device", t.device_name, instance_id=t.instance_id))
            continue
        if len(found) > 1:
            diffs.append(
                Difference(
                    "duplicate",
                    "device",
                    t.device_name,
                    actual=[d.id for d in found],
                    instance_id=t.instance_id,
                )
            )
        dev = min(found, key=lambda d: int(d.id))
        device_id_of[owner] = dev.id
        diffs += _check_device(dev, t)
    for owner, found in devices_of.items():
        if owner not in by_owner and not out_of_scope(owner):
            for d in found:
                diffs.append(
                    Difference(
                        "unexpected",
                        "device",
                        d.name,
                        actual=f"id {d.id}",
                        instance_id=owner.rsplit(":", 1)[1],
                    )
                )

    # ---- interfaces
    ifaces_of: dict[str, list[Any]] = defaultdict(list)
    for i in inv.interfaces:
        owner = _instance_owner(i.metadata)
        if owner is not None:
            ifaces_of[owner].append(i)
    iface_id_of: dict[tuple[str, str], str] = {}
    for owner, found in ifaces_of.items():
        t = by_owner.get(owner)
        if t is None:
            if not out_of_scope(owner):
                diffs += [
                    Difference(
                        "unexpected",
                        "interface",
                        f"{i.name} {i.metadata.get('aws_eni_id')}",
                        instance_id=owner.rsplit(":", 1)[1],
                    )
                    for i in found
                ]
            continue
        if t.instance_id in ignored:
            continue
        by_eni: dict[str, list[Any]] = defaultdict(list)
        for i in found:
            by_eni[i.metadata.get("aws_eni_id", "")].append(i)
        for eni_id, items in by_eni.items():
            want = t.interfaces.get(eni_id)
            if want is None or t.gone:
                diffs += [
                    Difference("unexpected", "interface", f"{i.name} {eni_id}", instance_id=t.instance_id)
                    for i in items
                ]
                continue
            if len(items) > 1:
                diffs.append(
                    Difference("duplicate", "interface", f"{want.name} {eni_id}", instance_id=t.instance_id)
                )
            got = min(items, key=lambda i: int(i.id))
            iface_id_of[(owner, eni_id)] = got.id
            key = f"{want.name} {eni_id}"
            for fld, exp, act in (
                ("name", want.name, got.name),
                ("mac", want.mac, got.mac),
                ("device", device_id_of.get(owner), got.device_id),
            ):
                if exp != act:
                    diffs.append(Difference("wrong", "interface", key, fld, exp, act, t.instance_id))
            diffs += _metadata_diffs("interface", key, dict(want.metadata), got.metadata, t.instance_id)
    for owner, t in by_owner.items():
        if t.gone or t.instance_id in ignored:
            continue
        for eni_id, want in t.interfaces.items():
            if (owner, eni_id) not in iface_id_of:
                diffs.append(
                    Difference("missing", "interface", f"{want.name} {eni_id}", instance_id=t.instance_id)
                )
    # an instance's device holds its ENIs' interfaces and nothing else (a tombstone: nothing)
    owner_of_device = {dev_id: owner for owner, dev_id in device_id_of.items()}
    for i in inv.interfaces:
        owner = owner_of_device.get(i.device_id)
        if owner is not None and i.metadata.get(OWNER) != owner:
            diffs.append(
                Difference(
                    "unexpected",
                    "interface",
                    f"{i.name} on device {i.device_id}",
                    actual=f"owner {i.metadata.get(OWNER) or '(none)'}",
                    instance_id=by_owner[owner].instance_id,
                )
            )

    # ---- addresses
    at: dict[tuple[str, str], list[Any]] = defaultdict(list)
    owned_addresses: dict[str, list[Any]] = defaultdict(list)
    for a in inv.addresses:
        at[(space_names.get(a.space_id, a.space_id), a.address)].append(a)
        owner = _instance_owner(a.metadata)
        if owner is not None:
            owned_addresses[owner].append(a)
    for key, items in at.items():
        if len(items) > 1:
            diffs.append(
                Difference("duplicate", "address", f"{key[1]} in {key[0]}", actual=[a.id for a in items])
            )
    terminals: dict[tuple[str, int], list[Any]] = defaultdict(list)
    for n in inv.networks:
        if n.terminal:
            terminals[(n.space_id, n.version)].append(n)
    network_cidr = {(n.version, n.id): n.cidr for n in inv.networks}
    for owner, t in by_owner.items():
        if t.instance_id in ignored:
            continue
        wanted = {w.key: w for w in ([] if t.gone else t.addresses)}
        for w in wanted.values():
            label = f"{w.address} in {w.space}"
            if w.space not in spaces:
                diffs.append(
                    Difference(
                        "missing",
                        "address",
                        label,
                        actual=f"space {w.space} missing",
                        instance_id=t.instance_id,
                    )
                )
                continue
            items = at.get(w.key, [])
            if not items:
                diffs.append(Difference("missing", "address", label, instance_id=t.instance_id))
                continue
            got = items[0]
            holder = got.metadata.get(OWNER, "")
            if holder != owner:
                diffs.append(Difference("wrong", "address", label, "owner", owner, holder, t.instance_id))
                continue
            # in the smallest terminal network of its space that holds it
            value = int(ipaddress.ip_address(w.address))
            holders = [n for n in terminals[(got.space_id, w.version)] if n.first <= value <= n.last]
            subnet = min(holders, key=lambda n: n.size) if holders else None
            checks = [
                ("name", w.name, got.name),
                ("mac", w.mac, got.mac),
                ("device link", device_id_of.get(owner), got.device_id),
                ("interface link", iface_id_of.get((owner, w.eni_id)), got.iface_id),
                (
                    "subnet",
                    subnet.cidr if subnet else "(no terminal network holds it)",
                    network_cidr.get((w.version, got.subnet_id or ""), got.subnet_id),
                ),
            ]
            for fld, exp, act in checks:
                if exp != act:
                    diffs.append(Difference("wrong", "address", label, fld, exp, act, t.instance_id))
            diffs += _metadata_diffs("address", label, dict(w.metadata), got.metadata, t.instance_id)
        for a in owned_addresses.get(owner, []):
            if (space_names.get(a.space_id, a.space_id), a.address) not in wanted:
                diffs.append(
                    Difference(
                        "unexpected",
                        "address",
                        f"{a.address} in {space_names.get(a.space_id, a.space_id)}",
                        instance_id=t.instance_id,
                    )
                )
    for owner, items in owned_addresses.items():
        if owner not in by_owner and not out_of_scope(owner):
            diffs += [
                Difference("unexpected", "address", a.address, instance_id=owner.rsplit(":", 1)[1])
                for a in items
            ]

    # ---- DNS records
    dns_server = truth.settings.dns_server
    records_of: dict[str, dict[tuple[str, str, str], list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in inv.records:
        if dns_server and r.server and r.server != dns_server:
            continue
        owner = _instance_owner(r.metadata)
        if owner is not None:
            records_of[owner][(r.fqdn, r.type, r.value)].append(r)
    for owner, t in by_owner.items():
        if t.instance_id in ignored:
            continue
        want = {(x.fqdn, x.type, x.value) for x in ([] if t.gone else t.records)}
        got = records_of.get(owner, {})
        for rec in sorted(want - set(got)):
            diffs.append(Difference("missing", "record", " ".join(rec), instance_id=t.instance_id))
        for rec in sorted(set(got) - want):
            diffs.append(Difference("unexpected", "record", " ".join(rec), instance_id=t.instance_id))
        for rec, items in sorted(got.items()):
            label = " ".join(rec)
            if len(items) > 1:
                diffs.append(
                    Difference(
                        "duplicate", "record", label, actual=f"{len(items)} times", instance_id=t.instance_id
                    )
                )
            if rec not in want:
                continue
            for r in items:
                if r.ttl != truth.settings.ttl:
                    diffs.append(
                        Difference("wrong", "record", label, "ttl", truth.settings.ttl, r.ttl, t.instance_id)
                    )
                diffs += _metadata_diffs("record", label, t.record_metadata, r.metadata, t.instance_id)
    for owner, got in records_of.items():
        if owner not in by_owner and not out_of_scope(owner):
            diffs += [
                Difference("unexpected", "record", " ".join(rec), instance_id=owner.rsplit(":", 1)[1])
                for rec in got
            ]
    seen_records: Counter[tuple[str, str, str]] = Counter(
        (r.fqdn, r.type, r.value)
        for r in inv.records
        if not dns_server or not r.server or r.server == dns_server
    )
    for rec, n in sorted(seen_records.items()):
        if n > 1 and not any(len(records_of[o].get(rec, ())) > 1 for o in records_of):
            diffs.append(Difference("duplicate", "record", " ".join(rec), actual=f"{n} times"))

    # ---- networks
    nets: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for n in inv.networks:
        nets[(space_names.get(n.space_id, n.space_id), n.cidr)].append(n)
    for key, items in nets.items():
        if len(items) > 1:
            diffs.append(
                Difference("duplicate", "network", f"{key[1]} in {key[0]}", actual=[n.id for n in items])
            )
    by_id = {(n.version, n.id): n for n in inv.networks}
    for want in sorted(truth.networks, key=lambda w: (w.space, w.cidr, w.owner)):
        label = f"{want.cidr} in {want.space}"
        items = nets.get((want.space, want.cidr), [])
        if not items:
            diffs.append(Difference("missing", "network", label))
            continue
        got = items[0]
        if got.terminal != want.terminal:
            diffs.append(Difference("wrong", "network", label, "terminal", want.terminal, got.terminal))
        if got.metadata.get(OWNER) != want.owner:
            continue  # somebody else's network, or an earlier VPC's: used as it is
        if got.name != want.name:
            diffs.append(Difference("wrong", "network", label, "name", want.name, got.name))
        diffs += _metadata_diffs("network", label, dict(want.metadata), got.metadata, None)
        if want.parent is not None:
            parent = by_id.get((got.version, got.parent_id or ""))
            actual = parent.cidr if parent else None
            if actual != want.parent:
                diffs.append(Difference("wrong", "network", label, "parent", want.parent, actual))
    for n in inv.networks:
        owner = n.metadata.get(OWNER, "")
        if not owner.startswith("aws:"):
            continue
        resource = owner.rsplit(":", 1)[1]
        if resource.startswith(("vpc-", "subnet-")) and n.cidr not in truth.known_network_cidrs.get(
            resource, set()
        ):
            diffs.append(Difference("unexpected", "network", f"{n.cidr} ({resource})"))

    # ---- objects ipamsync does not own
    if foreign_before is not None:
        after = foreign_snapshot(inv)
        for key, before in foreign_before.items():
            if key not in after:
                diffs.append(Difference("foreign", key[0], key[1], actual=f"deleted (was {before[:2]})"))
            elif after[key] != before:
                diffs.append(
                    Difference("foreign", key[0], key[1], actual=f"changed: {before} -> {after[key]}")
                )
    return diffs


def _check_device(dev: Any, t: InstanceTruth) -> list[Difference]:
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
    if t.tombstone and not dev.metadata.get(TOMBSTONE):
        wrong(TOMBSTONE, "<expiry>", None)
    if t.exact:
        allowed = {*t.device_metadata, OBSERVED, EVENT_ID}
        if t.tombstone:
            allowed.add(TOMBSTONE)
        for key, value in sorted(dev.metadata.items()):
            tag = t.tagged and (key.startswith("aws_tag_") or key == "aws_tags_omitted")
            if _mine(key) and key not in allowed and not tag:
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


def format_differences(diffs: list[Difference], limit: int = 60) -> str:
    """A readable report: counts by kind, then one line per difference (at most ``limit``)."""
    if not diffs:
        return "SOLIDserver matches the truth."
    counts = Counter(d.kind for d in diffs)
    head = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    lines = [f"{len(diffs)} difference(s): {head}"]
    lines += [f"  {d}" for d in diffs[:limit]]
    if len(diffs) > limit:
        lines.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(lines)
