"""The typed input of each sync step, parsed once from the event Lambda receives.

The state machine (``statemachine/sync.asl.json``) passes each step the enriched message — the SQS
record's ``body``, a JSON string, as ``message`` (a JSON object is accepted too: the fixtures in
``events/`` and ``sam local invoke``) — and the results of earlier steps that it needs, as their
``to_dict`` shapes (trimmed by the ASL's ``ResultSelector``). Each step reads exactly these:

==============  ==================================================================================
step            input
==============  ==================================================================================
SyncDevice      ``{"message", "execution", "started", "batch"}`` (the execution's name and start
                time: the holder and the expiry of the instance's lease; the number of records
                in the execution's input, which must be 1); ``message`` may be a lookup
                (``ipamsync.lookup/1``)
SyncNetworks    ``{"message"}``
SyncAddresses   ``{"message", "device": DeviceResult, "networks": NetworksResult}``
SyncDns         ``{"message", "device": DeviceResult, "finish": true, "taken", "retry"}`` (the
                execution's last step: it gives the lease back; ``taken``: the owners the
                addresses step took addresses from; ``retry``: ``$$.State.RetryCount``)
ReleaseAfterFailure ``{"release": "failed", "message", "execution"}``; ``"release": "succeeded"``
                (with ``device`` and ``taken``) is what the former last step, ``ReleaseDevice``,
                sent: still accepted, so that executions running across an upgrade finish
==============  ==================================================================================

Invoked on its own (``sam local invoke``, no ``execution``), a step holds the instance's lease for
its own duration (see ``ipamsync.sync.lease``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ipamsync.errors import ConfigurationError, InvalidMessage
from ipamsync.model import Lookup, Message, parse_any, parse_message, parse_time
from ipamsync.sync.device import DeviceResult
from ipamsync.sync.networks import NetworksResult

#: Step Functions execution names: 1-80 characters of letters, digits, ``-`` and ``_``.
EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def _event(event: Any) -> Mapping[str, Any]:
    if not isinstance(event, Mapping):
        raise InvalidMessage("invalid step input: not a JSON object")
    return event


def _message(event: Mapping[str, Any]) -> Message:
    if "message" not in event:
        raise InvalidMessage("invalid step input: message is required")
    return parse_message(event["message"])


def _part(event: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = event.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidMessage(f"invalid step input: {key} must be an object")
    return value


def _execution(event: Mapping[str, Any]) -> str:
    """The execution's name (the lease holder); a step invoked on its own gets a name of its own."""
    value = event.get("execution")
    if value is None:
        return f"invoke-{uuid.uuid4().hex}"
    if not isinstance(value, str) or not EXECUTION_NAME.match(value):
        raise InvalidMessage("invalid step input: execution must be a Step Functions execution name")
    return value


def _started(event: Mapping[str, Any]) -> datetime | None:
    """When the execution started (``$$.Execution.StartTime``); None when invoked on its own."""
    raw = event.get("started")
    if raw is None:
        return None
    try:
        return parse_time(str(raw))
    except ValueError:
        raise InvalidMessage("invalid step input: started must be an ISO 8601 time") from None


def _taken(event: Mapping[str, Any]) -> tuple[str, ...]:
    """The owners the addresses step took addresses from (at most 100 are kept)."""
    taken = event.get("taken") or []
    if not isinstance(taken, list) or not all(isinstance(t, str) and len(t) < 256 for t in taken):
        raise InvalidMessage("invalid step input: taken must be a list of owner values")
    return tuple(taken[:100])


@dataclass(frozen=True)
class DeviceInput:
    """Input of ``SyncDevice``: the message, and the execution that takes the instance's lease."""

    message: Message | Lookup
    execution: str
    started: datetime | None = None

    @classmethod
    def from_event(cls, event: Any) -> DeviceInput:
        data = _event(event)
        batch = data.get("batch", 1)
        if batch != 1:
            # every step reads record 0 of the execution's input: a larger batch would leave the
            # others unapplied, yet the pipe would delete them with the succeeded execution
            raise ConfigurationError(
                f"the pipe delivered {batch} records in one execution: its BatchSize must be 1"
            )
        if "message" not in data:
            raise InvalidMessage("invalid step input: message is required")
        return cls(parse_any(data["message"]), _execution(data), _started(data))


@dataclass(frozen=True)
class ReleaseInput:
    """Input of ``ReleaseAfterFailure`` (and of the former ``ReleaseDevice``): the execution whose
    lease is given back, and (when ``SyncDevice`` succeeded) its result, which names the lease."""

    message: Message
    execution: str
    device: DeviceResult | None = None
    #: after a failure (``"release": "failed"``) rather than the last step (``"succeeded"``)
    failed: bool = False
    #: owners the addresses step took addresses from (they get a refresh request)
    taken: tuple[str, ...] = ()

    @classmethod
    def from_event(cls, event: Any) -> ReleaseInput:
        data = _event(event)
        outcome = data.get("release")
        if outcome not in ("succeeded", "failed"):
            raise InvalidMessage('invalid step input: release must be "succeeded" or "failed"')
        device = _part(data, "device")
        return cls(
            _message(data),
            _execution(data),
            DeviceResult.from_dict(device) if device else None,
            failed=outcome == "failed",
            taken=_taken(data),
        )


@dataclass(frozen=True)
class MessageInput:
    """Input of the networks step: the message alone."""

    message: Message

    @classmethod
    def from_event(cls, event: Any) -> MessageInput:
        return cls(_message(_event(event)))


@dataclass(frozen=True)
class DnsInput:
    """Input of the DNS step, the execution's last: the message, what the device step found (its
    lease), and what the execution's end needs (``taken``: the owners the addresses step took
    addresses from; ``retry``: ``$$.State.RetryCount``). ``finish`` is set by the state machine:
    the step then gives the lease back (a step invoked on its own holds a lease of its own)."""

    message: Message
    device: DeviceResult | None = None
    finish: bool = False
    taken: tuple[str, ...] = ()
    retry: int = 0

    @classmethod
    def from_event(cls, event: Any) -> DnsInput:
        data = _event(event)
        device = _part(data, "device")
        retry = data.get("retry", 0)
        if not isinstance(retry, int) or isinstance(retry, bool) or retry < 0:
            raise InvalidMessage("invalid step input: retry must be a count")
        return cls(
            _message(data),
            DeviceResult.from_dict(device) if device is not None else None,
            finish=data.get("finish") is True,
            taken=_taken(data),
            retry=retry,
        )


@dataclass(frozen=True)
class AddressesInput:
    """Input of the addresses step: the message and what the device and networks steps found."""

    message: Message
    device: DeviceResult | None = None
    networks: NetworksResult | None = None

    @classmethod
    def from_event(cls, event: Any) -> AddressesInput:
        data = _event(event)
        device = _part(data, "device")
        networks = _part(data, "networks")
        return cls(
            message=_message(data),
            device=DeviceResult.from_dict(device) if device is not None else None,
            networks=NetworksResult.from_dict(networks) if networks is not None else None,
        )
