"""The typed input of each sync step, parsed once from the event Lambda receives.

The state machine (``statemachine/sync.asl.json``) passes each step the enriched message — the SQS
record's ``body``, a JSON string, as ``message`` (a JSON object is accepted too: the fixtures in
``events/`` and ``sam local invoke``) — and the results of earlier steps that it needs, as their
``to_dict`` shapes (trimmed by the ASL's ``ResultSelector``). Each step reads exactly these:

=========  ===========================================================
step       input
=========  ===========================================================
device     ``{"message"}``
networks   ``{"message"}``
addresses  ``{"message", "device": DeviceResult, "networks": NetworksResult}``
dns        ``{"message"}``
=========  ===========================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ipamsync.errors import InvalidMessage
from ipamsync.model import Message, parse_message
from ipamsync.sync.device import DeviceResult
from ipamsync.sync.networks import NetworksResult


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


@dataclass(frozen=True)
class MessageInput:
    """Input of the device, networks and dns steps: the message alone."""

    message: Message

    @classmethod
    def from_event(cls, event: Any) -> MessageInput:
        return cls(_message(_event(event)))


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
