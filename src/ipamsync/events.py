"""The EventBridge events ipamsync consumes, parsed once at the edge into types.

:class:`StateChange` is an "EC2 Instance State-change Notification". Anything else — another
source or detail-type, a missing or malformed field — is :class:`~ipamsync.errors.InvalidMessage`
naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ipamsync.errors import InvalidMessage
from ipamsync.model import ACCOUNT, EVENT_ID, INSTANCE_ID, REGION, STATES, parse_time

DETAIL_TYPE = "EC2 Instance State-change Notification"


@dataclass(frozen=True)
class StateChange:
    """A validated EventBridge EC2 state-change event."""

    id: str
    time: str
    account: str
    region: str
    instance_id: str
    state: str


def _bad(why: str) -> InvalidMessage:
    return InvalidMessage(f"invalid EC2 state-change event: {why}")


def parse_event(event: Any) -> StateChange:
    if not isinstance(event, Mapping):
        raise _bad("not a JSON object")
    if event.get("source") != "aws.ec2" or event.get("detail-type") != DETAIL_TYPE:
        raise _bad(f"source/detail-type must be aws.ec2 / {DETAIL_TYPE!r}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise _bad("detail is missing")

    def field(data: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None, label: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value or len(value) > 128:
            raise _bad(f"{label} is missing or not a string")
        if pattern is not None and not pattern.match(value):
            raise _bad(f"{label} {value[:80]!r} is not valid")
        return value

    state = field(detail, "state", None, "detail.state")
    if state not in STATES:
        raise _bad(f"detail.state {state[:40]!r} is not an EC2 instance state")
    when = field(event, "time", None, "time")
    try:
        parse_time(when)
    except ValueError:
        raise _bad(f"time {when[:40]!r} is not ISO 8601") from None
    return StateChange(
        id=field(event, "id", EVENT_ID, "id"),
        time=when,
        account=field(event, "account", ACCOUNT, "account"),
        region=field(event, "region", REGION, "region"),
        instance_id=field(detail, "instance-id", INSTANCE_ID, "detail.instance-id"),
        state=state,
    )
