"""Rules and schedules: the functions' EventBridge rules (pattern, target, retry policy, DLQ) and
``Schedule`` events in moto. Events put on the bus are routed by moto's matcher to the local Lambda
service (:mod:`.motohook`); schedules are created but never fired by moto: :func:`find_schedule`
picks one for :meth:`LocalAws.invoke_schedule <ipamsync_local.aws.runtime.LocalAws.invoke_schedule>`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from .template import FunctionSpec, RuleSpec, ScheduleSpec


def create_rules(
    events: Any, functions: Mapping[str, FunctionSpec]
) -> tuple[list[RuleSpec], list[ScheduleSpec]]:
    rule_specs = [r for f in functions.values() for r in f.rules]
    schedule_specs = [s for f in functions.values() for s in f.schedules]
    for bus in sorted({r.event_bus_name for r in rule_specs} - {"default"}):
        ensure_bus(events, bus)
    for rule in rule_specs:
        events.put_rule(
            Name=rule.name,
            EventPattern=json.dumps(rule.pattern),
            State=rule.state,
            EventBusName=rule.event_bus_name,
        )
        target: dict[str, Any] = {"Id": rule.target_id, "Arn": functions[rule.function_logical_id].arn}
        if rule.input is not None:
            target["Input"] = rule.input
        if rule.input_path is not None:
            target["InputPath"] = rule.input_path
        if rule.retry_policy:
            target["RetryPolicy"] = rule.retry_policy
        if rule.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": rule.dead_letter_arn}
        events.put_targets(Rule=rule.name, EventBusName=rule.event_bus_name, Targets=[target])
    for sched in schedule_specs:
        # Created for inspection; moto does not fire schedules: invoke_schedule() does.
        events.put_rule(
            Name=sched.name,
            ScheduleExpression=sched.expression,
            State="ENABLED" if sched.enabled else "DISABLED",
            Description=sched.description,
        )
        target = {"Id": f"{sched.logical_id}LambdaTarget", "Arn": functions[sched.function_logical_id].arn}
        if sched.input is not None:
            target["Input"] = sched.input
        events.put_targets(Rule=sched.name, Targets=[target])
    return rule_specs, schedule_specs


def ensure_bus(events: Any, name: str) -> str:
    """The custom event bus ``name`` (template.yaml's ``IpamsyncEventBus``), created when missing;
    its ARN."""
    try:
        return str(events.describe_event_bus(Name=name)["Arn"])
    except Exception as exc:
        if "ResourceNotFound" not in type(exc).__name__ + str(getattr(exc, "response", "")):
            raise
    return str(events.create_event_bus(Name=name)["EventBusArn"])


def put_event(events: Any, event: Mapping[str, Any]) -> str:
    """Put an EventBridge event (an ``events/ec2-*.json`` style document) on the default bus."""
    entry: dict[str, Any] = {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event.get("detail") or {}),
        "Resources": list(event.get("resources") or []),
    }
    if event.get("time"):
        entry["Time"] = dt.datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    result = events.put_events(Entries=[entry])["Entries"][0]
    if "EventId" not in result:
        raise ValueError(f"PutEvents refused the event: {result}")
    return str(result["EventId"])


def find_schedule(schedules: list[ScheduleSpec], name: str, short_name: Callable[[str], str]) -> ScheduleSpec:
    """The schedule called ``name``: its logical id, event name, rule name, ``"<function> <action>"``
    (e.g. ``"device gc"``) or a function's short name when it has one schedule.
    ``short_name(function_logical_id)`` gives e.g. ``device``."""
    wanted = name.strip()
    words = wanted.split()
    match = []
    for sched in schedules:
        fn = short_name(sched.function_logical_id)
        action = ""
        try:
            action = str(json.loads(sched.input or "{}").get("action", ""))
        except (ValueError, AttributeError):
            pass
        keys = {sched.logical_id, sched.event_name, sched.name, f"{fn} {action}".strip()}
        if wanted in keys or (len(words) == 1 and words[0] == fn):
            match.append(sched)
    if len(match) != 1:
        known = [s.event_name for s in schedules]
        raise KeyError(f"schedule {name!r}: {len(match)} match (known: {known})")
    return match[0]
