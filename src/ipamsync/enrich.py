"""Enrich: an EC2 state change → the instance's snapshot, a :class:`~ipamsync.model.Message`.

The message describes the instance *as EC2 reports it when enriched* (``observed_at``), not only
the state the event carried: applying messages in any order therefore converges on what EC2 last
said, and the sync steps compare ``observed_at`` to refuse older observations.

What EC2 is asked lives in :mod:`ipamsync.ec2`; how its answer becomes a message in
:mod:`ipamsync.snapshot`. This module resolves calls to instances, plans and sends the messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ipamsync.accounts import AccountDirectory, Coverage
from ipamsync.ec2 import Ec2Reader, Ec2View, instance_state, read_ec2, read_views
from ipamsync.errors import QueueRefused
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
from ipamsync.model import INSTANCE_ID, EventInfo, Lookup, Message
from ipamsync.settings import Settings
from ipamsync.snapshot import snapshot

#: Messages per ``SendMessageBatch`` call, and bytes per batch (SQS's limits).
SEND_BATCH = 10
SEND_BATCH_BYTES = 256 * 1024


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
            event_info(event, instance_state(views[i].instance or {})),
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
