"""CloudTrail's "AWS API Call via CloudTrail" events for EC2 calls made against moto.

moto's CloudTrail emits nothing, so the local runtime does what a trail with management events
does in AWS: :mod:`.motohook` reports every call of :data:`ipamsync.events.CALLS` that moto's EC2
answers, whoever makes it (the demo, the tests, the CLI, a Lambda environment through moto's
server), as an :class:`Ec2Call`; :class:`CloudTrailSource` puts it on the default bus with
``PutEvents`` (source ``aws.ec2``, detail-type ``AWS API Call via CloudTrail``), where the
template's real rule pattern decides what reaches the enrich Lambda. Failed calls are emitted too
(``errorCode``/``errorMessage``, ``responseElements`` null), as CloudTrail records them; the
pattern's ``"errorCode": [{"exists": false}]`` filters them.

The shape is AWS's, key for key, as the fixtures in ``events/cloudtrail-*.json`` have it
(``local/tests/aws/test_cloudtrail.py`` compares them):

* :func:`request_parameters` — the request in CloudTrail's rendering of EC2's Query API:
  lowerCamel names, lists as ``{"items": [{…}]}`` under EC2's own names (``resourcesSet``,
  ``tagSet``, ``privateIpAddressesSet``, ``ipv6Addresses``), attribute values as ``{"value": …}``;
* :func:`response_elements` — the response: ``requestId``, ``_return``, the call's own elements;
* :func:`api_call_detail` — the event's detail (identity, time, source, request, response, ids);
* :func:`delivered_event` — the envelope EventBridge delivers around it.

The caller is always one local identity (an assumed role ``ipamsync-local``, session ``local``):
moto accepts any credentials, so there is no real principal to record.

Pure functions and a small emitter: nothing here touches moto.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .eventsource import EventSource

DETAIL_TYPE = "AWS API Call via CloudTrail"
SOURCE = "aws.ec2"
EVENT_SOURCE = "ec2.amazonaws.com"
EVENT_VERSION = "1.10"
#: The local caller (an assumed role and its session): moto has no real principal to record.
ROLE_NAME = "ipamsync-local"
SESSION_NAME = "local"
ROLE_ID = "AROALOCALIPAMSYNC0001"
ACCESS_KEY_ID = "ASIALOCALIPAMSYNC001"
SESSION_CREATED = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class Ec2Call:
    """One EC2 API call as moto answered it: its parameters (as boto3 names them), its result
    (``None`` for calls without one, or when it failed) or its error."""

    name: str
    params: Mapping[str, Any]
    result: Mapping[str, Any] | None
    account_id: str
    region: str
    time: dt.datetime
    error_code: str | None = None
    error_message: str | None = None
    #: the error was moto's own (a server-side failure), not a refusal of the request
    server_error: bool = False
    user_agent: str = ""
    source_ip: str = "127.0.0.1"

    @property
    def failed(self) -> bool:
        return self.error_code is not None


# --------------------------------------------------------------------------- requestParameters


def _lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def _items(values: Any, key: str) -> dict[str, Any]:
    return {"items": [{key: v} for v in (values or [])]}


def _generic(value: Any) -> Any:
    """A value CloudTrail would render by EC2's own rules: lowerCamel keys, lists as items."""
    if isinstance(value, Mapping):
        return {_lower(str(k)): _generic(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return {"items": [_generic(v) for v in value]}
    return value


#: Lists CloudTrail renders under EC2's own names: boto3 name → (CloudTrail name, item key).
_LISTS: dict[str, tuple[str, str]] = {
    "Resources": ("resourcesSet", "resourceId"),
    "PrivateIpAddresses": ("privateIpAddressesSet", "privateIpAddress"),
    "Ipv6Addresses": ("ipv6Addresses", "ipv6Address"),
    "Groups": ("groupSet", "groupId"),
}
#: ModifyInstanceAttribute's attribute forms (``{"Value": …}`` → ``{"value": …}``).
_VALUES = frozenset(
    {
        "InstanceType",
        "Kernel",
        "Ramdisk",
        "UserData",
        "DisableApiTermination",
        "DisableApiStop",
        "SourceDestCheck",
        "EbsOptimized",
        "EnaSupport",
        "SriovNetSupport",
        "InstanceInitiatedShutdownBehavior",
    }
)


def request_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The request as CloudTrail records an EC2 call's ``requestParameters`` (``params`` as boto3
    names them, e.g. ``{"Resources": [...], "Tags": [{"Key": …, "Value": …}]}``)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in ("Action", "Version", "DryRun"):
            continue
        if key in _LISTS:
            name, item = _LISTS[key]
            out[name] = _items(value, item)
        elif key == "Tags":
            out["tagSet"] = {
                "items": [
                    {"key": t.get("Key"), **({"value": t["Value"]} if "Value" in t else {})}
                    for t in value or []
                ]
            }
        elif key in _VALUES and isinstance(value, Mapping):
            shown = "<sensitiveDataRemoved>" if key == "UserData" else value.get("Value")
            out[_lower(key)] = {"value": shown}
        elif key == "Value" and params.get("Attribute") == "userData":
            out["value"] = "<sensitiveDataRemoved>"
        else:
            out[_lower(key)] = _generic(value)
    return out


# --------------------------------------------------------------------------- responseElements


def response_elements(name: str, result: Mapping[str, Any] | None, request_id: str) -> dict[str, Any]:
    """The response as CloudTrail records it (a successful call only)."""
    r = result or {}
    out: dict[str, Any] = {"requestId": request_id}
    if name == "AttachNetworkInterface":
        out["attachmentId"] = r.get("AttachmentId")
        out["networkCardIndex"] = int(r.get("NetworkCardIndex") or 0)
    elif name == "AssignIpv6Addresses":
        out["networkInterfaceId"] = r.get("NetworkInterfaceId")
        out["assignedIpv6Addresses"] = _items(r.get("AssignedIpv6Addresses"), "ipv6Address")
    elif name == "UnassignIpv6Addresses":
        out["networkInterfaceId"] = r.get("NetworkInterfaceId")
        out["unassignedIpv6Addresses"] = _items(r.get("UnassignedIpv6Addresses"), "ipv6Address")
    else:
        out["_return"] = True
        if name == "AssociateAddress" and r.get("AssociationId"):
            out["associationId"] = r["AssociationId"]
        elif name == "AssignPrivateIpAddresses":
            out["networkInterfaceId"] = r.get("NetworkInterfaceId")
            out["assignedPrivateIpAddressesSet"] = {
                "assignedPrivateIpAddressSetType": [
                    {"privateIpAddress": a.get("PrivateIpAddress")}
                    for a in r.get("AssignedPrivateIpAddresses") or []
                ]
            }
    return out


# --------------------------------------------------------------------------- the event


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_identity(account_id: str) -> dict[str, Any]:
    """The local caller, as CloudTrail records an assumed role's session."""
    role = f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"
    return {
        "type": "AssumedRole",
        "principalId": f"{ROLE_ID}:{SESSION_NAME}",
        "arn": f"arn:aws:sts::{account_id}:assumed-role/{ROLE_NAME}/{SESSION_NAME}",
        "accountId": account_id,
        "accessKeyId": ACCESS_KEY_ID,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": ROLE_ID,
                "arn": role,
                "accountId": account_id,
                "userName": ROLE_NAME,
            },
            "attributes": {"creationDate": SESSION_CREATED, "mfaAuthenticated": "false"},
        },
    }


def error_code(call: Ec2Call) -> str | None:
    """CloudTrail's ``errorCode`` of an EC2 call: ``Client.<code>`` or ``Server.<code>``."""
    if call.error_code is None:
        return None
    return f"{'Server' if call.server_error else 'Client'}.{call.error_code}"


def api_call_detail(
    call: Ec2Call, *, request_id: str | None = None, event_id: str | None = None
) -> dict[str, Any]:
    """The ``detail`` of the CloudTrail event for ``call`` (field order as CloudTrail's)."""
    request_id = request_id or str(uuid.uuid4())
    detail: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(call.account_id),
        "eventTime": _iso(call.time),
        "eventSource": EVENT_SOURCE,
        "eventName": call.name,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
    }
    if call.failed:
        detail["errorCode"] = error_code(call)
        detail["errorMessage"] = call.error_message or ""
    detail["requestParameters"] = request_parameters(call.params)
    detail["responseElements"] = (
        None if call.failed else response_elements(call.name, call.result, request_id)
    )
    detail.update(
        {
            "requestID": request_id,
            "eventID": event_id or str(uuid.uuid4()),
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": call.account_id,
            "eventCategory": "Management",
            "tlsDetails": {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": f"ec2.{call.region}.amazonaws.com",
            },
        }
    )
    return detail


def delivered_event(event_id: str, detail: Mapping[str, Any], account_id: str, region: str) -> dict[str, Any]:
    """The event EventBridge delivers for a CloudTrail detail (its ``time`` is the call's)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account_id,
        "time": detail["eventTime"],
        "region": region,
        "resources": [],
        "detail": dict(detail),
    }


# --------------------------------------------------------------------------- the emitter


@dataclass(frozen=True)
class EmittedCall:
    """One CloudTrail event put on the bus."""

    id: str
    name: str
    error_code: str | None
    time: str
    event: dict[str, Any] = field(repr=False)

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "time": self.time}
        if self.error_code:
            out["error"] = self.error_code
        return out


class CloudTrailSource(EventSource[EmittedCall]):
    """Turns the EC2 calls :mod:`.motohook` reports into ``PutEvents`` calls on the default bus."""

    def __init__(self, events_client: Any, *, event_bus_name: str = "default") -> None:
        super().__init__(events_client, event_bus_name=event_bus_name)
        #: called with each call before it is emitted; returning False drops it (a test seam: a
        #: trail that misses an event)
        self.filter: Callable[[Ec2Call], bool] | None = None
        self._held: list[Ec2Call] | None = None

    def on_calls(self, calls: list[Ec2Call]) -> None:
        if not self.enabled:
            return
        for call in calls:
            if self.filter is None or self.filter(call):
                with self._lock:
                    if self._held is not None:
                        self._held.append(call)
                        continue
                self.emit(call)

    @contextlib.contextmanager
    def delayed(self) -> Iterator[None]:
        """Hold the events of the calls made meanwhile and emit them, in order, at the end: CloudTrail
        delivers a call's event after the call, often after the calls that follow it (``Fleet.launch``
        associates an Elastic IP with an ENI before ``RunInstances``: its event is emitted once the
        instance exists, so enrich always ties it to the instance)."""
        with self._lock:
            nested = self._held is not None
            if not nested:
                self._held = []
        try:
            yield
        finally:
            if not nested:
                with self._lock:
                    held, self._held = self._held or [], None
                for call in held:
                    self.emit(call)

    def emit(self, call: Ec2Call) -> EmittedCall | None:
        """Put the CloudTrail event of one call on the bus."""
        detail = api_call_detail(call)
        when = call.time.astimezone(dt.UTC).replace(microsecond=0)
        event_id = self._put(SOURCE, DETAIL_TYPE, json.dumps(detail), [], when)
        if event_id is None:
            return None
        event = delivered_event(event_id, detail, call.account_id, call.region)
        return self._record(
            EmittedCall(event["id"], call.name, detail.get("errorCode"), event["time"], event)
        )

    def since(self, mark: int) -> list[EmittedCall]:
        return self._since(mark)
