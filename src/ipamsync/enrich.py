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

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ipamsync.accounts import AccountDirectory, Coverage
from ipamsync.errors import InstanceNotFound, QueueRefused
from ipamsync.events import (
    API_CALL,
    DETAIL_TYPE,
    REFRESH,
    REFRESH_SOURCE,
    ApiCall,
    Event,
    Refresh,
    StateChange,
)
from ipamsync.model import (
    GONE_STATES,
    INSTANCE_ID,
    SCHEMA,
    EventInfo,
    Instance,
    Lookup,
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


#: Ids per ``DescribeInstances`` call (EC2 accepts up to 1,000 ids) and values per filter (200).
INSTANCE_BATCH = 1000
FILTER_BATCH = 200
#: Messages per ``SendMessageBatch`` call, and bytes per batch (SQS's limits).
SEND_BATCH = 10
SEND_BATCH_BYTES = 256 * 1024


def _chunks(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


class Ec2Reader:
    """The EC2 reads enrich needs, on a boto3 EC2 client. Every read of many ids is batched: one
    call per :data:`INSTANCE_BATCH` instances or :data:`FILTER_BATCH` filter values, never one per
    resource."""

    def __init__(self, client: Any) -> None:
        self.ec2 = client
        self._cores: dict[str, int | None] = {}

    def _pages(self, operation: str, key: str, **kwargs: Any) -> list[Described]:
        out: list[Described] = []
        token: str | None = None
        while True:
            resp = getattr(self.ec2, operation)(**kwargs, **({"NextToken": token} if token else {}))
            if key == "Reservations":
                out += [dict(i) for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
            else:
                out += [dict(i) for i in resp.get(key, [])]
            token = resp.get("NextToken")
            if not token:
                return out

    def instance(self, instance_id: str) -> Described | None:
        return self.instances([instance_id]).get(instance_id)

    def instances(self, ids: Iterable[str]) -> dict[str, Described]:
        """The instances EC2 knows among ``ids``, by id (one call per 1,000 ids; when a batch names
        an id EC2 does not know, that batch is asked again by filter, which tolerates them)."""
        wanted = sorted(set(ids))
        found: dict[str, Described] = {}
        for batch in _chunks(wanted, INSTANCE_BATCH):
            found.update(
                {str(r["InstanceId"]): r for r in self._described(batch) if r.get("InstanceId") in batch}
            )
        return found

    def _described(self, batch: list[str]) -> list[Described]:
        """One batch of ids. EC2 refuses a batch that names an id it does not know and names the
        unknown ids in its message: they are left out and the rest asked again (by filter, which
        tolerates unknown ids, if the message does not name them)."""
        for _attempt in range(3):
            if not batch:
                return []
            try:
                return self._pages("describe_instances", "Reservations", InstanceIds=batch)
            except Exception as exc:
                if _code(exc) not in ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
                    raise
                message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
                unknown = set(re.findall(r"i-[0-9a-f]{8,17}", message)) & set(batch)
                if not unknown:
                    break
                batch = [i for i in batch if i not in unknown]
        return self._filtered("describe_instances", "Reservations", "instance-id", batch)

    def _filtered(self, operation: str, key: str, name: str, values: Iterable[str]) -> list[Described]:
        out: list[Described] = []
        for part in _chunks(sorted(set(values)), FILTER_BATCH):
            out += self._pages(operation, key, Filters=[{"Name": name, "Values": part}])
        return out

    def interfaces(self, eni_ids: Iterable[str] = (), attachment_ids: Iterable[str] = ()) -> list[Described]:
        """ENIs by id or by attachment (unknown ones are simply absent)."""
        by_id = self._filtered(
            "describe_network_interfaces", "NetworkInterfaces", "network-interface-id", eni_ids
        )
        by_attachment = self._filtered(
            "describe_network_interfaces", "NetworkInterfaces", "attachment.attachment-id", attachment_ids
        )
        return by_id + by_attachment

    def addresses(
        self,
        allocation_ids: Iterable[str] = (),
        association_ids: Iterable[str] = (),
        public_ips: Iterable[str] = (),
    ) -> list[Described]:
        """Elastic IPs by allocation, association or public IP (unknown ones are simply absent)."""
        return (
            self._filtered("describe_addresses", "Addresses", "allocation-id", allocation_ids)
            + self._filtered("describe_addresses", "Addresses", "association-id", association_ids)
            + self._filtered("describe_addresses", "Addresses", "public-ip", public_ips)
        )

    def one_instance_in(self, name: str, ids: Iterable[str]) -> list[str]:
        """One instance per VPC or subnet (``name``: ``vpc-id``/``subnet-id``) that has any: its
        snapshot carries the VPC's and subnet's names to the networks step."""
        out: list[str] = []
        for value in sorted(set(ids)):
            resp = self.ec2.describe_instances(
                Filters=[
                    {"Name": name, "Values": [value]},
                    {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
                ],
                MaxResults=5,
            )
            found = [i["InstanceId"] for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
            out += sorted(found)[:1]
        return out

    def instance_pages(self, page_size: int = INSTANCE_BATCH) -> Iterator[list[Described]]:
        """Every instance of the region, one ``DescribeInstances`` page (``page_size``, at most
        1,000) at a time; reconcile lists a whole account and region with it."""
        token: str | None = None
        while True:
            resp = self.ec2.describe_instances(
                MaxResults=page_size, **({"NextToken": token} if token else {})
            )
            yield [dict(i) for r in resp.get("Reservations", []) for i in r.get("Instances", [])]
            token = resp.get("NextToken")
            if not token:
                return

    def vpcs(self, ids: Iterable[str]) -> list[Described]:
        return self._filtered("describe_vpcs", "Vpcs", "vpc-id", ids)

    def subnets(self, ids: Iterable[str]) -> list[Described]:
        return self._filtered("describe_subnets", "Subnets", "subnet-id", ids)

    def elastic_ips(self, public_ips: Iterable[str]) -> dict[str, str | None]:
        """The Elastic IPs among ``public_ips``, with their association ids."""
        return {
            str(a["PublicIp"]): (str(a["AssociationId"]) if a.get("AssociationId") else None)
            for a in self._filtered("describe_addresses", "Addresses", "public-ip", public_ips)
            if a.get("PublicIp")
        }

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
    #: the instance's Elastic IPs, with their association ids
    elastic: Mapping[str, str | None] = field(default_factory=dict)
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


def _state(described: Described, default: str = "") -> str:
    return str((described.get("State") or {}).get("Name", default))


def read_views(described: Sequence[Described], reader: Ec2Reader) -> dict[str, Ec2View]:
    """Each described instance with its VPCs, subnets and Elastic IPs, read in one batch for all
    of them (one ``DescribeVpcs``, ``DescribeSubnets`` and ``DescribeAddresses`` per 200 ids)."""
    live = [d for d in described if _state(d) not in GONE_STATES]
    enis = [e for d in live for e in d.get("NetworkInterfaces", [])]
    vpcs = {str(v["VpcId"]): v for v in reader.vpcs({e["VpcId"] for e in enis if e.get("VpcId")})}
    subnets = {
        str(n["SubnetId"]): n for n in reader.subnets({e["SubnetId"] for e in enis if e.get("SubnetId")})
    }
    elastic = reader.elastic_ips({ip for d in live for ip in _public_ips(d)})
    views: dict[str, Ec2View] = {}
    for d in described:
        cores = None if (d.get("CpuOptions") or {}).get("CoreCount") else reader.cores(d.get("InstanceType"))
        iid = str(d["InstanceId"])
        if _state(d) in GONE_STATES:
            views[iid] = Ec2View(instance=d, cores=cores)
            continue
        mine = d.get("NetworkInterfaces", [])
        vpc_ids = sorted({e["VpcId"] for e in mine if e.get("VpcId") in vpcs})
        subnet_ids = sorted({e["SubnetId"] for e in mine if e.get("SubnetId") in subnets})
        views[iid] = Ec2View(
            instance=d,
            vpcs=tuple(vpcs[v] for v in vpc_ids),
            subnets=tuple(subnets[n] for n in subnet_ids),
            elastic={ip: elastic[ip] for ip in _public_ips(d) if ip in elastic},
            cores=cores,
        )
    return views


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
    return read_views([described], reader)[change.instance_id]


def event_info(event: Event, state: str = "") -> EventInfo:
    """What the message says about the event that prompted it."""
    if isinstance(event, StateChange):
        return EventInfo(
            event.id, event.time, event.state, event.account, event.region, "aws.ec2", DETAIL_TYPE
        )
    if isinstance(event, ApiCall):
        return EventInfo(
            event.id, event.time, state, event.account, event.region, "aws.ec2", API_CALL, event.name
        )
    return EventInfo(event.id, event.time, state, event.account, event.region, REFRESH_SOURCE, REFRESH)


# --------------------------------------------------------------------------- calls → instances


@dataclass(frozen=True)
class Resolved:
    """The instances a call affects, and what EC2 can no longer tie to an instance."""

    instance_ids: tuple[str, ...] = ()
    attachment_ids: tuple[str, ...] = ()
    association_ids: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()

    @property
    def lookup_needed(self) -> bool:
        return bool(self.attachment_ids or self.association_ids or self.public_ips)


def resolve(call: ApiCall, reader: Ec2Reader) -> Resolved:
    """The instances ``call`` changed, as EC2 tells them now (batched reads):

    * instance ids as named; ENIs (by id or attachment) → the instance they are attached to;
    * Elastic IPs (by allocation, association or public IP) → the instance now holding them (the
      previous holder of a re-associated address is found by the addresses step, which takes the
      address over and asks for that instance's snapshot);
    * a VPC or subnet (a tag call: names feed network names) → one instance in it;
    * an attachment, association or public IP EC2 no longer ties to anything (``DetachNetworkInterface``,
      ``DisassociateAddress``) → left for a lookup in SOLIDserver, which remembers who held it.
    """
    ids = set(call.instance_ids)
    enis = (
        reader.interfaces(call.eni_ids, call.attachment_ids) if (call.eni_ids or call.attachment_ids) else []
    )
    addresses = (
        reader.addresses(call.allocation_ids, call.association_ids, call.public_ips)
        if (call.allocation_ids or call.association_ids or call.public_ips)
        else []
    )
    via_eni = {
        str(a["NetworkInterfaceId"])
        for a in addresses
        if a.get("NetworkInterfaceId") and not a.get("InstanceId")
    }
    if via_eni - {e.get("NetworkInterfaceId") for e in enis}:
        enis += reader.interfaces(sorted(via_eni))
    for eni in enis:
        holder = (eni.get("Attachment") or {}).get("InstanceId")
        if holder:
            ids.add(str(holder))
    eni_holder = {e.get("NetworkInterfaceId"): (e.get("Attachment") or {}).get("InstanceId") for e in enis}
    for a in addresses:
        holder = a.get("InstanceId") or eni_holder.get(a.get("NetworkInterfaceId"))
        if holder:
            ids.add(str(holder))
    ids.update(reader.one_instance_in("vpc-id", call.vpc_ids) if call.vpc_ids else [])
    ids.update(reader.one_instance_in("subnet-id", call.subnet_ids) if call.subnet_ids else [])
    attached = {
        (e.get("Attachment") or {}).get("AttachmentId")
        for e in enis
        if (e.get("Attachment") or {}).get("InstanceId")
    }
    associated_ids = {a.get("AssociationId") for a in addresses if a.get("AssociationId")}
    associated_ips = {a.get("PublicIp") for a in addresses if a.get("AssociationId")}
    return Resolved(
        instance_ids=tuple(sorted(i for i in ids if INSTANCE_ID.match(i))),
        attachment_ids=tuple(a for a in call.attachment_ids if a not in attached),
        association_ids=tuple(a for a in call.association_ids if a not in associated_ids),
        public_ips=tuple(
            ip for ip in call.public_ips if ip not in associated_ips and call.name == "DisassociateAddress"
        ),
    )


# --------------------------------------------------------------------------- the function


@dataclass(frozen=True)
class Queued:
    """One message put on the queue."""

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


@dataclass(frozen=True)
class Enriched:
    """The enrich function's output: what went onto the queue for one event."""

    event_id: str
    kind: str  # "state-change" | "call" | "refresh"
    queued: tuple[Queued, ...] = ()
    #: a lookup message went onto the queue (a call EC2 cannot tie to an instance any more)
    lookup: bool = False
    #: why nothing was queued (a call that names nothing ipamsync writes about, …)
    ignored: str | None = None
    #: the event's account or region is outside the hub's coverage: dropped, never synced
    out_of_scope: str | None = None
    account: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "event_id": self.event_id,
            "kind": self.kind,
            "queued": [q.to_dict() for q in self.queued],
        }
        if len(self.queued) == 1:  # a state change: its one message, flat, as before
            out.update(self.queued[0].to_dict())
        if self.lookup:
            out["lookup"] = True
        if self.ignored:
            out["ignored"] = self.ignored
        if self.out_of_scope:
            out["out_of_scope"] = self.out_of_scope
            out["account"] = self.account
        return out


Outgoing = Message | Lookup


def _entry(item: Outgoing, dedup: str) -> dict[str, Any]:
    if isinstance(item, Lookup):
        group, state = f"lookup-{item.event.id}", "lookup"
    else:
        group, state = item.instance.id, item.instance.state
    return {
        "MessageBody": item.to_json(),
        "MessageGroupId": group,
        "MessageDeduplicationId": dedup,
        "MessageAttributes": {
            "schema": {"DataType": "String", "StringValue": item.schema},
            "state": {"DataType": "String", "StringValue": state},
        },
    }


def send_messages(
    sqs: Any, queue_url: str, items: Sequence[Outgoing], *, per_instance: bool = False
) -> list[str]:
    """Put the messages on the FIFO queue, ten (and at most 256 KiB) per ``SendMessageBatch``:
    group = instance id (order per instance), deduplication id = event id (+ instance id when one
    event names several, or always with ``per_instance``: a reconcile run is one event across
    several calls). A batch SQS refuses in part raises ``QueueRefused`` (the event is retried
    whole; the copies SQS already took are dropped as duplicates)."""
    several = per_instance or len(items) > 1
    entries = []
    for n, item in enumerate(items):
        key = (
            item.event.id
            if not several
            else f"{item.event.id}:{item.instance.id if isinstance(item, Message) else 'lookup'}"
        )
        entry = _entry(item, key[:128])
        entry["Id"] = str(n)
        entries.append(entry)
    if not entries:
        return []
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for entry in entries:
        entry_size = len(entry["MessageBody"].encode()) + 200
        if batches[-1] and (len(batches[-1]) == SEND_BATCH or size + entry_size > SEND_BATCH_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += entry_size
    ids: dict[str, str] = {}
    for batch in batches:
        resp = sqs.send_message_batch(QueueUrl=queue_url, Entries=batch)
        failed = resp.get("Failed") or []
        if failed:
            codes = ", ".join(sorted({str(f.get("Code", "?")) for f in failed}))
            raise QueueRefused(f"SQS refused {len(failed)} of {len(batch)} messages ({codes[:200]})")
        ids.update({str(ok["Id"]): str(ok["MessageId"]) for ok in resp.get("Successful", [])})
    return [ids[e["Id"]] for e in entries]


def send_message(sqs: Any, queue_url: str, message: Message) -> Queued:
    """Put one message on the FIFO queue (group = instance id, deduplication id = event id)."""
    (message_id,) = send_messages(sqs, queue_url, [message])
    inst = message.instance
    return Queued(inst.id, inst.state, message.observed_at, message_id)


def enrich(
    change: StateChange,
    reader: Ec2Reader,
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Message:
    """Read EC2 and return the message for a state change (raises named errors)."""
    observed_at = clock()
    view = read_ec2(change, reader)
    return snapshot(event_info(change), change.instance_id, view, settings=settings, observed_at=observed_at)


def plan(
    event: Event,
    reader: Ec2Reader,
    settings: Settings,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[list[Outgoing], str | None]:
    """The messages an event calls for (one snapshot per affected instance, and a lookup for what
    EC2 can no longer tie to an instance), or why there are none."""
    if isinstance(event, StateChange):
        return [enrich(event, reader, settings, clock)], None
    observed_at = clock()
    if isinstance(event, Refresh):
        described = reader.instance(event.instance_id)
        view = read_views([described], reader)[event.instance_id] if described else Ec2View(instance=None)
        return [
            snapshot(
                event_info(event, "terminated"),
                event.instance_id,
                view,
                settings=settings,
                observed_at=observed_at,
            )
        ], None
    if event.ignored:
        return [], event.ignored
    if event.empty:
        return [], "the call names no instance, ENI, Elastic IP, VPC or subnet"
    found = resolve(event, reader)
    described = reader.instances(found.instance_ids)
    views = read_views(list(described.values()), reader)
    out: list[Outgoing] = [
        snapshot(
            event_info(event, _state(views[i].instance or {})),
            i,
            views[i],
            settings=settings,
            observed_at=observed_at,
        )
        for i in found.instance_ids
        if i in views
    ]
    if found.lookup_needed:
        out.append(
            Lookup(
                event=event_info(event),
                attachment_ids=found.attachment_ids,
                association_ids=found.association_ids,
                public_ips=found.public_ips,
            )
        )
    return out, (None if out else "EC2 ties the call to no instance")


def _kind(event: Event) -> str:
    return (
        "state-change"
        if isinstance(event, StateChange)
        else "call"
        if isinstance(event, ApiCall)
        else "refresh"
    )


def enrich_covered(
    event: Event,
    coverage: Coverage,
    reader_for: Callable[[str, str], Ec2Reader],
    settings: Settings,
    sqs: Any,
    queue_url: str,
    directory: AccountDirectory | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Enriched:
    """Enrich an event of any covered account and region: EC2 is read in the event's account and
    region (``reader_for(account, region)``; a member through its role). An event from outside the
    coverage (the bus policy should have refused it) is dropped, never synced: ``out_of_scope``
    says why."""
    refused = coverage.refusal(event.account, event.region, directory)
    if refused:
        return Enriched(event.id, _kind(event), out_of_scope=refused, account=event.account)
    return enrich_event(event, reader_for(event.account, event.region), settings, sqs, queue_url, clock)


def enrich_event(
    event: Event,
    reader: Ec2Reader,
    settings: Settings,
    sqs: Any,
    queue_url: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Enriched:
    """The whole enrich step: plan the messages, queue them."""
    kind = _kind(event)
    items, ignored = plan(event, reader, settings, clock)
    if not items:
        return Enriched(event.id, kind, ignored=ignored)
    message_ids = send_messages(sqs, queue_url, items)
    queued = tuple(
        Queued(m.instance.id, m.instance.state, m.observed_at, mid)
        for m, mid in zip(items, message_ids, strict=True)
        if isinstance(m, Message)
    )
    return Enriched(event.id, kind, queued, lookup=any(isinstance(m, Lookup) for m in items))
