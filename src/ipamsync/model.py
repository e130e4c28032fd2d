"""The enriched instance message (schema ``ipamsync.instance/1``), parsed strictly.

The enrich Lambda builds it from an EventBridge event and the EC2 API; the four sync Lambdas
parse it with :func:`parse_message`. Its documentation is ``docs/message-schema.md`` and its JSON
Schema ``docs/message.schema.json`` (a test keeps the three in agreement).

Parsing never trusts its input: every field is type-checked, ids and addresses are validated, and
the first problem raises :class:`~ipamsync.errors.InvalidMessage` naming the field.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ipamsync.errors import InvalidMessage

SCHEMA = "ipamsync.instance/1"

STATES = ("pending", "running", "stopping", "stopped", "shutting-down", "terminated")
GONE_STATES = frozenset({"shutting-down", "terminated"})

#: The ``event`` of a snapshot queued by reconcile (``ipamsync.reconcile``): its source, and the
#: detail types of an ordinary and of a deep run (a deep snapshot is applied in full even when the
#: device's digest says SOLIDserver already holds it: hand-made damage is repaired).
RECONCILE_SOURCE = "ipamsync.reconcile"
RECONCILE = "ipamsync Reconcile"
RECONCILE_DEEP = "ipamsync Reconcile (deep)"

INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
ENI_ID = re.compile(r"^eni-[0-9a-f]{8,17}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
ATTACHMENT_ID = re.compile(r"^eni-attach-[0-9a-f]{8,17}$")
ASSOCIATION_ID = re.compile(r"^eipassoc-[0-9a-f]{8,17}$")
CALL = re.compile(r"^[A-Za-z0-9]{1,64}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
ACCOUNT = re.compile(r"^\d{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
EVENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

#: How far in the future an observation may claim to be (clock skew between Lambdas is milliseconds;
#: a later time would make every real message after it look stale).
MAX_FUTURE = timedelta(minutes=5)

#: Most ENIs / addresses / tags a message may carry (EC2's own limits are lower).
MAX_ENIS = 32
MAX_ADDRESSES_PER_ENI = 256
MAX_TAGS = 64


# --------------------------------------------------------------------------- helpers


def _fail(path: str, why: str) -> InvalidMessage:
    return InvalidMessage(f"invalid message: {path}: {why}")


def _obj(data: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _fail(path, "must be an object")
    return data


def _str(
    data: Mapping[str, Any],
    key: str,
    path: str,
    *,
    pattern: re.Pattern[str] | None = None,
    optional: bool = False,
    max_len: int = 1024,
) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if optional:
            return None
        raise _fail(f"{path}.{key}", "is required")
    if not isinstance(value, str):
        raise _fail(f"{path}.{key}", "must be a string")
    if len(value) > max_len:
        raise _fail(f"{path}.{key}", f"longer than {max_len} characters")
    if pattern is not None and not pattern.match(value):
        raise _fail(f"{path}.{key}", f"{value[:80]!r} is not valid")
    return value


def _req(data: Mapping[str, Any], key: str, path: str, **kw: Any) -> str:
    value = _str(data, key, path, **kw)
    assert value is not None
    return value


def _time(data: Mapping[str, Any], key: str, path: str, optional: bool = False) -> str | None:
    value = _str(data, key, path, optional=optional, max_len=40)
    if value is None:
        return None
    try:
        parse_time(value)
    except ValueError:
        raise _fail(f"{path}.{key}", f"{value!r} is not an ISO 8601 time") from None
    return value


def parse_time(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("time without zone")
    return dt.astimezone(UTC)


def format_time(dt: datetime) -> str:
    """``2026-11-27T07:14:34.123Z``: fixed width, so text order is time order."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def format_observation(dt: datetime) -> str:
    """``2026-11-27T07:14:34.123456Z``: an observation time, to the microsecond (two snapshots of
    one instance taken by concurrent enrich invocations must not tie); fixed width as well."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_ip(value: str, version: int) -> str:
    """The compressed text of an IPv``version`` address (``ValueError`` otherwise)."""
    addr = ipaddress.ip_address(value)
    if addr.version != version:
        raise ValueError(f"not an IPv{version} address")
    if getattr(addr, "scope_id", None) is not None:  # "fe80::1%eth0": EC2 never reports zones
        raise ValueError("an IPv6 address with a scope id")
    return str(addr)


def canonical_cidr(value: str, version: int) -> str:
    """The compressed text of an IPv``version`` network in strict CIDR notation (``ValueError``)."""
    net = ipaddress.ip_network(value, strict=True)
    if net.version != version:
        raise ValueError(f"not an IPv{version} network")
    if getattr(net.network_address, "scope_id", None) is not None:
        raise ValueError("an IPv6 network with a scope id")
    return str(net)


def _ip(value: Any, path: str, version: int) -> str:
    if not isinstance(value, str):
        raise _fail(path, "must be an address string")
    try:
        return canonical_ip(value, version)
    except ValueError:
        raise _fail(path, f"{value[:60]!r} is not an IPv{version} address") from None


def _cidr(value: Any, path: str, version: int) -> str:
    if not isinstance(value, str):
        raise _fail(path, "must be a CIDR string")
    try:
        return canonical_cidr(value, version)
    except ValueError:
        raise _fail(path, f"{value[:60]!r} is not an IPv{version} network in CIDR notation") from None


def _list(data: Mapping[str, Any], key: str, path: str, limit: int) -> list[Any]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(f"{path}.{key}", "must be an array")
    if len(value) > limit:
        raise _fail(f"{path}.{key}", f"more than {limit} items")
    return value


def _bool(data: Mapping[str, Any], key: str, path: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{path}.{key}", "must be true or false")
    return value


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class PrivateIPv4:
    address: str
    primary: bool = False
    public_ip: str | None = None
    elastic: bool = False
    #: the Elastic IP's association (``eipassoc-…``): how a later ``DisassociateAddress`` names it
    association_id: str | None = None


@dataclass(frozen=True)
class NetworkInterface:
    id: str
    device_index: int
    mac: str
    subnet_id: str
    vpc_id: str
    private_ipv4: tuple[PrivateIPv4, ...] = ()
    ipv6: tuple[str, ...] = ()
    #: the ENI's attachment (``eni-attach-…``): how a later ``DetachNetworkInterface`` names it
    attachment_id: str | None = None

    @property
    def primary_ipv4(self) -> str | None:
        for ip in self.private_ipv4:
            if ip.primary:
                return ip.address
        return self.private_ipv4[0].address if self.private_ipv4 else None


@dataclass(frozen=True)
class Vpc:
    id: str
    name: str | None = None
    cidrs_v4: tuple[str, ...] = ()
    cidrs_v6: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    name: str | None = None
    availability_zone: str | None = None
    cidr_v4: str | None = None
    cidrs_v6: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventInfo:
    id: str
    time: str
    state: str
    account: str
    region: str
    source: str = "aws.ec2"
    detail_type: str = "EC2 Instance State-change Notification"
    #: the EC2 call (CloudTrail ``eventName``) that prompted the snapshot, when one did
    call: str | None = None


@dataclass(frozen=True)
class Instance:
    id: str
    state: str
    known: bool = True
    architecture: str | None = None
    cpu_cores: int | None = None
    instance_type: str | None = None
    availability_zone: str | None = None
    launch_time: str | None = None
    private_dns_name: str | None = None
    name: str | None = None
    hostname: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    network_interfaces: tuple[NetworkInterface, ...] = ()

    @property
    def gone(self) -> bool:
        return self.state in GONE_STATES

    @property
    def primary_interface(self) -> NetworkInterface | None:
        enis = sorted(self.network_interfaces, key=lambda e: e.device_index)
        return enis[0] if enis else None


class _OfAnEvent:
    """The account and region of what an event observed (a snapshot, a lookup)."""

    event: EventInfo

    @property
    def account(self) -> str:
        return self.event.account

    @property
    def region(self) -> str:
        return self.event.region


@dataclass(frozen=True)
class Message(_OfAnEvent):
    event: EventInfo
    observed_at: str
    instance: Instance
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    schema: str = SCHEMA

    @property
    def owner(self) -> str:
        """Ownership value written on every object this instance owns."""
        return f"aws:{self.account}:{self.region}:{self.instance.id}"

    @property
    def vpc_id(self) -> str:
        """The instance's VPC: its primary ENI's (the lowest device index); "" without ENIs."""
        enis = sorted(self.instance.network_interfaces, key=lambda e: e.device_index)
        return enis[0].vpc_id if enis else ""

    @property
    def observed(self) -> datetime:
        return parse_time(self.observed_at)

    @property
    def deep(self) -> bool:
        """Queued by a deep reconcile: apply in full, whatever the device's digest says."""
        return self.event.source == RECONCILE_SOURCE and self.event.detail_type == RECONCILE_DEEP

    def vpc(self, vpc_id: str) -> Vpc | None:
        return next((v for v in self.vpcs if v.id == vpc_id), None)

    def subnet(self, subnet_id: str) -> Subnet | None:
        return next((s for s in self.subnets if s.id == subnet_id), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)


# --------------------------------------------------------------------------- parsing


def _parse_eni(data: Any, path: str) -> NetworkInterface:
    d = _obj(data, path)
    index = d.get("device_index", 0)
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 256:
        raise _fail(f"{path}.device_index", "must be an integer 0-255")
    mac = _req(d, "mac", path, max_len=17).lower()
    if not MAC.match(mac):
        raise _fail(f"{path}.mac", f"{mac!r} is not a MAC address")
    private: list[PrivateIPv4] = []
    for i, item in enumerate(_list(d, "private_ipv4", path, MAX_ADDRESSES_PER_ENI)):
        p = f"{path}.private_ipv4[{i}]"
        ip = _obj(item, p)
        public = ip.get("public_ip")
        private.append(
            PrivateIPv4(
                address=_ip(ip.get("address"), f"{p}.address", 4),
                primary=_bool(ip, "primary", p),
                public_ip=None if public in (None, "") else _ip(public, f"{p}.public_ip", 4),
                elastic=_bool(ip, "elastic", p),
                association_id=_str(ip, "association_id", p, optional=True, pattern=ASSOCIATION_ID),
            )
        )
    if sum(1 for p in private if p.primary) > 1:
        raise _fail(f"{path}.private_ipv4", "more than one primary address")
    ipv6 = tuple(
        _ip(v, f"{path}.ipv6[{i}]", 6) for i, v in enumerate(_list(d, "ipv6", path, MAX_ADDRESSES_PER_ENI))
    )
    return NetworkInterface(
        id=_req(d, "id", path, pattern=ENI_ID),
        device_index=index,
        mac=mac,
        subnet_id=_req(d, "subnet_id", path, pattern=SUBNET_ID),
        vpc_id=_req(d, "vpc_id", path, pattern=VPC_ID),
        private_ipv4=tuple(private),
        ipv6=ipv6,
        attachment_id=_str(d, "attachment_id", path, optional=True, pattern=ATTACHMENT_ID),
    )


def _parse_tags(data: Mapping[str, Any], path: str) -> dict[str, str]:
    tags = data.get("tags") or {}
    if not isinstance(tags, Mapping):
        raise _fail(f"{path}.tags", "must be an object of strings")
    if len(tags) > MAX_TAGS:
        raise _fail(f"{path}.tags", f"more than {MAX_TAGS} tags")
    out: dict[str, str] = {}
    for k, v in tags.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise _fail(f"{path}.tags", "keys and values must be strings")
        out[k] = v
    return out


def _parse_instance(data: Any, path: str) -> Instance:
    d = _obj(data, path)
    state = _req(d, "state", path)
    if state not in STATES:
        raise _fail(f"{path}.state", f"{state!r} is not one of {', '.join(STATES)}")
    cores = d.get("cpu_cores")
    if cores is not None and (not isinstance(cores, int) or isinstance(cores, bool) or not 0 < cores < 4096):
        raise _fail(f"{path}.cpu_cores", "must be a positive integer")
    hostname = _str(d, "hostname", path, optional=True, max_len=63)
    if hostname is not None and not LABEL.match(hostname):
        raise _fail(f"{path}.hostname", f"{hostname!r} is not a DNS label (a-z, 0-9, '-', 1-63 chars)")
    enis = tuple(
        _parse_eni(e, f"{path}.network_interfaces[{i}]")
        for i, e in enumerate(_list(d, "network_interfaces", path, MAX_ENIS))
    )
    if len({e.id for e in enis}) != len(enis):
        raise _fail(f"{path}.network_interfaces", "duplicate ENI id")
    return Instance(
        id=_req(d, "id", path, pattern=INSTANCE_ID),
        state=state,
        known=_bool(d, "known", path, default=True),
        architecture=_str(d, "architecture", path, optional=True, max_len=32),
        cpu_cores=cores,
        instance_type=_str(d, "instance_type", path, optional=True, max_len=64),
        availability_zone=_str(d, "availability_zone", path, optional=True, max_len=64),
        launch_time=_time(d, "launch_time", path, optional=True),
        private_dns_name=_str(d, "private_dns_name", path, optional=True, max_len=255),
        name=_str(d, "name", path, optional=True, max_len=4096),
        hostname=hostname,
        tags=_parse_tags(d, path),
        network_interfaces=enis,
    )


def _parse_vpc(data: Any, path: str) -> Vpc:
    d = _obj(data, path)
    return Vpc(
        id=_req(d, "id", path, pattern=VPC_ID),
        name=_str(d, "name", path, optional=True, max_len=4096),
        cidrs_v4=tuple(
            _cidr(c, f"{path}.cidrs_v4[{i}]", 4) for i, c in enumerate(_list(d, "cidrs_v4", path, 16))
        ),
        cidrs_v6=tuple(
            _cidr(c, f"{path}.cidrs_v6[{i}]", 6) for i, c in enumerate(_list(d, "cidrs_v6", path, 16))
        ),
    )


def _parse_subnet(data: Any, path: str) -> Subnet:
    d = _obj(data, path)
    cidr = d.get("cidr_v4")
    return Subnet(
        id=_req(d, "id", path, pattern=SUBNET_ID),
        vpc_id=_req(d, "vpc_id", path, pattern=VPC_ID),
        name=_str(d, "name", path, optional=True, max_len=4096),
        availability_zone=_str(d, "availability_zone", path, optional=True, max_len=64),
        cidr_v4=None if cidr in (None, "") else _cidr(cidr, f"{path}.cidr_v4", 4),
        cidrs_v6=tuple(
            _cidr(c, f"{path}.cidrs_v6[{i}]", 6) for i, c in enumerate(_list(d, "cidrs_v6", path, 16))
        ),
    )


def parse_message(data: Any, *, now: datetime | None = None) -> Message:
    """A :class:`Message` from a dict or JSON text, or :class:`InvalidMessage` saying what is wrong.

    ``now`` (default: the clock) bounds ``observed_at``: more than :data:`MAX_FUTURE` ahead is refused.
    """
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidMessage(f"invalid message: not JSON ({exc.__class__.__name__})") from None
    d = _obj(data, "$")
    schema = d.get("schema")
    if schema != SCHEMA:
        raise _fail("$.schema", f"expected {SCHEMA!r}, got {str(schema)[:60]!r}")
    ev = _obj(d.get("event"), "$.event")
    state = _req(ev, "state", "$.event")
    if state not in STATES:
        raise _fail("$.event.state", f"{state!r} is not an EC2 instance state")
    event = EventInfo(
        id=_req(ev, "id", "$.event", pattern=EVENT_ID),
        time=_time(ev, "time", "$.event") or "",
        state=state,
        account=_req(ev, "account", "$.event", pattern=ACCOUNT),
        region=_req(ev, "region", "$.event", pattern=REGION),
        source=_str(ev, "source", "$.event", optional=True) or "aws.ec2",
        detail_type=_str(ev, "detail_type", "$.event", optional=True)
        or "EC2 Instance State-change Notification",
        call=_str(ev, "call", "$.event", optional=True, pattern=CALL),
    )
    instance = _parse_instance(d.get("instance"), "$.instance")
    vpcs = tuple(_parse_vpc(v, f"$.vpcs[{i}]") for i, v in enumerate(_list(d, "vpcs", "$", 16)))
    subnets = tuple(_parse_subnet(s, f"$.subnets[{i}]") for i, s in enumerate(_list(d, "subnets", "$", 64)))
    observed_at = _time(d, "observed_at", "$") or ""
    if parse_time(observed_at) > (now or datetime.now(UTC)) + MAX_FUTURE:
        raise _fail("$.observed_at", f"{observed_at!r} is in the future")
    msg = Message(
        event=event,
        observed_at=observed_at,
        instance=instance,
        vpcs=vpcs,
        subnets=subnets,
    )
    known_subnets = {s.id for s in subnets}
    for i, eni in enumerate(instance.network_interfaces):
        if eni.subnet_id not in known_subnets:
            raise _fail(
                f"$.instance.network_interfaces[{i}].subnet_id", f"{eni.subnet_id} is not in $.subnets"
            )
        if msg.vpc(eni.vpc_id) is None:
            raise _fail(f"$.instance.network_interfaces[{i}].vpc_id", f"{eni.vpc_id} is not in $.vpcs")
    return msg


# --------------------------------------------------------------------------- lookups

LOOKUP_SCHEMA = "ipamsync.lookup/1"
#: Most ids one lookup may carry (a call names a handful; a bound keeps a forged one cheap).
MAX_LOOKUP_IDS = 100


@dataclass(frozen=True)
class Lookup(_OfAnEvent):
    """A call whose resources EC2 can no longer tie to an instance (schema ``ipamsync.lookup/1``).

    ``DetachNetworkInterface`` names only the attachment, ``DisassociateAddress`` only the
    association (or the public IP); once the call is made EC2 forgets both. SOLIDserver remembers
    them (``aws_attachment_id``/``aws_association_id`` on the addresses ipamsync wrote): the device
    step finds the instances that held them there and asks for a new snapshot of each.
    """

    event: EventInfo
    attachment_ids: tuple[str, ...] = ()
    association_ids: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    schema: str = LOOKUP_SCHEMA

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)


def parse_lookup(data: Any) -> Lookup:
    """A :class:`Lookup` from a dict or JSON text, or :class:`InvalidMessage` saying what is wrong."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidMessage(f"invalid message: not JSON ({exc.__class__.__name__})") from None
    d = _obj(data, "$")
    if d.get("schema") != LOOKUP_SCHEMA:
        raise _fail("$.schema", f"expected {LOOKUP_SCHEMA!r}, got {str(d.get('schema'))[:60]!r}")
    ev = _obj(d.get("event"), "$.event")
    event = EventInfo(
        id=_req(ev, "id", "$.event", pattern=EVENT_ID),
        time=_time(ev, "time", "$.event") or "",
        state=_str(ev, "state", "$.event", optional=True, max_len=32) or "",
        account=_req(ev, "account", "$.event", pattern=ACCOUNT),
        region=_req(ev, "region", "$.event", pattern=REGION),
        source=_str(ev, "source", "$.event", optional=True) or "aws.ec2",
        detail_type=_str(ev, "detail_type", "$.event", optional=True) or "AWS API Call via CloudTrail",
        call=_str(ev, "call", "$.event", optional=True, pattern=CALL),
    )

    def ids(key: str, pattern: re.Pattern[str]) -> tuple[str, ...]:
        values = _list(d, key, "$", MAX_LOOKUP_IDS)
        for i, v in enumerate(values):
            if not isinstance(v, str) or not pattern.match(v):
                raise _fail(f"$.{key}[{i}]", f"{str(v)[:80]!r} is not valid")
        return tuple(values)

    lookup = Lookup(
        event=event,
        attachment_ids=ids("attachment_ids", ATTACHMENT_ID),
        association_ids=ids("association_ids", ASSOCIATION_ID),
        public_ips=tuple(
            _ip(v, f"$.public_ips[{i}]", 4) for i, v in enumerate(_list(d, "public_ips", "$", MAX_LOOKUP_IDS))
        ),
    )
    if not (lookup.attachment_ids or lookup.association_ids or lookup.public_ips):
        raise _fail("$", "a lookup names no attachment, association or public IP")
    return lookup


def parse_any(data: Any, *, now: datetime | None = None) -> Message | Lookup:
    """A :class:`Message` or a :class:`Lookup`, told apart by ``schema``."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidMessage(f"invalid message: not JSON ({exc.__class__.__name__})") from None
    if isinstance(data, Mapping) and data.get("schema") == LOOKUP_SCHEMA:
        return parse_lookup(data)
    return parse_message(data, now=now)
