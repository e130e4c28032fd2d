"""The EventBridge events ipamsync consumes, parsed once at the edge into types.

* :class:`StateChange` — an "EC2 Instance State-change Notification" (``aws.ec2``).
* :class:`ApiCall` — an "AWS API Call via CloudTrail" from ``ec2.amazonaws.com`` for a call that
  changes what ipamsync writes for running instances (:data:`CALLS`): Elastic IPs, ENIs, secondary
  and IPv6 addresses, tags, the instance type. It names resources, not instances: enrich resolves
  them (``ipamsync.enrich``).
* :class:`Refresh` — "ipamsync Refresh Request" (source ``ipamsync``): the state machine asks for
  a new snapshot of an instance it took an address or a record from.

A malformed event (a field missing or of the wrong type, an unknown source or detail-type) is
:class:`~ipamsync.errors.InvalidMessage` naming the field. A well-formed call that names nothing
ipamsync writes about (a tag on a volume) parses into an :class:`ApiCall` with no resources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ipamsync.errors import InvalidMessage
from ipamsync.model import ACCOUNT, EVENT_ID, INSTANCE_ID, REGION, STATES, parse_time

DETAIL_TYPE = "EC2 Instance State-change Notification"
API_CALL = "AWS API Call via CloudTrail"
REFRESH = "ipamsync Refresh Request"
REFRESH_SOURCE = "ipamsync"

#: The EC2 calls that change what ipamsync writes for an instance (the rule's ``eventName`` list in
#: template.yaml is this tuple; a test keeps them equal).
CALLS: tuple[str, ...] = (
    "AssociateAddress",
    "DisassociateAddress",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
    "AssignIpv6Addresses",
    "UnassignIpv6Addresses",
    "CreateTags",
    "DeleteTags",
    "ModifyInstanceAttribute",
)

ENI_ID = re.compile(r"^eni-[0-9a-f]{8,17}$")
ATTACHMENT_ID = re.compile(r"^eni-attach-[0-9a-f]{8,17}$")
ASSOCIATION_ID = re.compile(r"^eipassoc-[0-9a-f]{8,17}$")
ALLOCATION_ID = re.compile(r"^eipalloc-[0-9a-f]{8,17}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
#: Most resources one call may name (CreateTags accepts up to 1,000).
MAX_RESOURCES = 1000


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class StateChange:
    """A validated EventBridge EC2 state-change event."""

    id: str
    time: str
    account: str
    region: str
    instance_id: str
    state: str


@dataclass(frozen=True)
class ApiCall:
    """A successful EC2 API call, with the resources it names, by kind."""

    id: str
    time: str
    account: str
    region: str
    name: str
    instance_ids: tuple[str, ...] = ()
    eni_ids: tuple[str, ...] = ()
    attachment_ids: tuple[str, ...] = ()
    association_ids: tuple[str, ...] = ()
    allocation_ids: tuple[str, ...] = ()
    public_ips: tuple[str, ...] = ()
    vpc_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    #: why the call changes nothing ipamsync writes (it failed, or it is not one of :data:`CALLS`):
    #: the rule filters such calls out; one that arrives anyway is counted and ignored
    ignored: str | None = None

    @property
    def empty(self) -> bool:
        """It names nothing ipamsync writes about (a tag on a volume, say)."""
        return not (
            self.instance_ids
            or self.eni_ids
            or self.attachment_ids
            or self.association_ids
            or self.allocation_ids
            or self.public_ips
            or self.vpc_ids
            or self.subnet_ids
        )


@dataclass(frozen=True)
class Refresh:
    """A request for a new snapshot of one instance."""

    id: str
    time: str
    account: str
    region: str
    instance_id: str
    reason: str


Event = StateChange | ApiCall | Refresh


# --------------------------------------------------------------------------- helpers


def _bad(kind: str, why: str) -> InvalidMessage:
    return InvalidMessage(f"invalid {kind}: {why}")


def _field(data: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None, label: str, kind: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > 128:
        raise _bad(kind, f"{label} is missing or not a string")
    if pattern is not None and not pattern.match(value):
        raise _bad(kind, f"{label} {value[:80]!r} is not valid")
    return value


def _envelope(event: Any, kind: str) -> tuple[Mapping[str, Any], dict[str, str]]:
    """The detail and the envelope's id, time, account and region, validated."""
    if not isinstance(event, Mapping):
        raise _bad(kind, "not a JSON object")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise _bad(kind, "detail is missing or not an object")
    when = _field(event, "time", None, "time", kind)
    try:
        parse_time(when)
    except ValueError:
        raise _bad(kind, f"time {when[:40]!r} is not ISO 8601") from None
    return detail, {
        "id": _field(event, "id", EVENT_ID, "id", kind),
        "time": when,
        "account": _field(event, "account", ACCOUNT, "account", kind),
        "region": _field(event, "region", REGION, "region", kind),
    }


# --------------------------------------------------------------------------- parsing


def parse_event(event: Any) -> Event:
    """The typed event, or ``InvalidMessage`` naming what is wrong."""
    if not isinstance(event, Mapping):
        raise _bad("event", "not a JSON object")
    source, detail_type = event.get("source"), event.get("detail-type")
    if source == "aws.ec2" and detail_type == DETAIL_TYPE:
        return parse_state_change(event)
    if source == "aws.ec2" and detail_type == API_CALL:
        return parse_api_call(event)
    if source == REFRESH_SOURCE and detail_type == REFRESH:
        return parse_refresh(event)
    raise _bad(
        "event",
        f"source/detail-type {str(source)[:40]!r}/{str(detail_type)[:60]!r} is not one ipamsync consumes",
    )


def parse_state_change(event: Any) -> StateChange:
    kind = "EC2 state-change event"
    detail, env = _envelope(event, kind)
    state = _field(detail, "state", None, "detail.state", kind)
    if state not in STATES:
        raise _bad(kind, f"detail.state {state[:40]!r} is not an EC2 instance state")
    return StateChange(
        **env, instance_id=_field(detail, "instance-id", INSTANCE_ID, "detail.instance-id", kind), state=state
    )


def parse_refresh(event: Any) -> Refresh:
    kind = "refresh request"
    detail, env = _envelope(event, kind)
    reason = detail.get("reason", "")
    return Refresh(
        id=env["id"],
        time=env["time"],
        # the instance's own account and region (a hub's bus receives requests for every account)
        account=_field(detail, "account", ACCOUNT, "detail.account", kind),
        region=_field(detail, "region", REGION, "detail.region", kind),
        instance_id=_field(detail, "instance-id", INSTANCE_ID, "detail.instance-id", kind),
        reason=str(reason)[:200] if isinstance(reason, str) else "",
    )


def _items(value: Any, key: str) -> list[Mapping[str, Any]]:
    """CloudTrail's EC2 lists: ``{"items": [{key: …}, …]}`` (or a bare list, or one item)."""
    if isinstance(value, Mapping):
        value = value.get("items", [value])
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping) and key in item]


def _ids(values: Iterable[Any], pattern: re.Pattern[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for v in values:
        if isinstance(v, str) and pattern.match(v):
            seen.setdefault(v, None)
    return tuple(seen)


def _ignored(env: Mapping[str, str], name: str, why: str) -> ApiCall:
    return ApiCall(env["id"], env["time"], env["account"], env["region"], name, ignored=why)


def parse_api_call(event: Any) -> ApiCall:
    """The call and the resources it names. Another service's event, or one without its fields, is
    ``InvalidMessage``; a failed call (``errorCode``) or a call ipamsync does not follow is an
    ``ApiCall`` with ``ignored`` set (the rule filters them out; one that arrives anyway changes
    nothing, so it is counted and dropped rather than dead-lettered)."""
    kind = "CloudTrail EC2 call"
    detail, env = _envelope(event, kind)
    if detail.get("eventSource") != "ec2.amazonaws.com":
        source = str(detail.get("eventSource"))[:60]
        raise _bad(kind, f"detail.eventSource {source!r} is not ec2.amazonaws.com")
    name = _field(detail, "eventName", re.compile(r"^[A-Za-z0-9]{1,64}$"), "detail.eventName", kind)
    if name not in CALLS:
        return _ignored(env, name, f"{name} is not a call ipamsync follows")
    if detail.get("errorCode"):
        return _ignored(env, name, f"the call failed ({str(detail.get('errorCode'))[:60]})")
    request = detail.get("requestParameters")
    if not isinstance(request, Mapping):
        raise _bad(kind, "detail.requestParameters is missing or not an object")
    response = detail.get("responseElements")
    response = response if isinstance(response, Mapping) else {}
    kinds = ("i", "eni", "attach", "assoc", "alloc", "ip", "vpc", "subnet")
    ids: dict[str, list[Any]] = {k: [] for k in kinds}
    if name in ("CreateTags", "DeleteTags"):
        resources = [item.get("resourceId") for item in _items(request.get("resourcesSet"), "resourceId")]
        if len(resources) > MAX_RESOURCES:
            raise _bad(kind, f"more than {MAX_RESOURCES} resources")
        for rid in resources:
            for prefix, key in (("i-", "i"), ("eni-", "eni"), ("vpc-", "vpc"), ("subnet-", "subnet")):
                if isinstance(rid, str) and rid.startswith(prefix):
                    ids[key].append(rid)
    else:
        ids["i"].append(request.get("instanceId"))
        ids["eni"].append(request.get("networkInterfaceId"))
        ids["attach"] += [request.get("attachmentId"), response.get("attachmentId")]
        ids["assoc"] += [request.get("associationId"), response.get("associationId")]
        ids["alloc"].append(request.get("allocationId"))
        ids["ip"].append(request.get("publicIp"))
    return ApiCall(
        **env,
        name=name,
        instance_ids=_ids(ids["i"], INSTANCE_ID),
        eni_ids=_ids(ids["eni"], ENI_ID),
        attachment_ids=_ids(ids["attach"], ATTACHMENT_ID),
        association_ids=_ids(ids["assoc"], ASSOCIATION_ID),
        allocation_ids=_ids(ids["alloc"], ALLOCATION_ID),
        public_ips=_ids(ids["ip"], re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")),
        vpc_ids=_ids(ids["vpc"], VPC_ID),
        subnet_ids=_ids(ids["subnet"], SUBNET_ID),
    )
