"""Replay dead-lettered events: ``ipamsync redrive``.

Works on boto3 clients, so the same code serves real AWS (``--stack`` or explicit queue URLs)
and the local pipeline (moto). What it reads, and what it does with each entry:

=========================================  ======================================================
dead-letter entry                          replay
=========================================  ======================================================
workflow record (``kind: workflow``)       its message → EventQueue (group = instance id)
EventDeadLetterQueue message (raw body)    the message → EventQueue
enrich failure (Lambda destination record) its ``requestPayload`` (EventBridge event) → enrich
EventBridge delivery failure (raw event)   the event → enrich
=========================================  ======================================================

Replays are safe: the sync is idempotent and refuses observations older than what SOLIDserver
already reflects. The same message dead-lettered several times (each pipe redelivery adds a
workflow record) is replayed once. An entry that can never apply (not valid JSON, not an
ipamsync message or EC2 event: ``InvalidMessage``) is left in its queue and reported. An entry is
deleted from its dead-letter queue only after its replay was accepted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ipamsync.errors import INPUT_ERROR_NAMES, InvalidMessage
from ipamsync.model import Message, parse_message


@dataclass
class Entry:
    queue_url: str
    receipt: str
    kind: str  # "message" | "event" | "invalid" | "refused" (a valid message a step refused as invalid)
    payload: Any = None
    reason: str = ""
    key: str = ""


@dataclass
class RedriveReport:
    read: int = 0
    replayed_messages: int = 0
    replayed_events: int = 0
    duplicates: int = 0
    kept_invalid: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "replayed_messages": self.replayed_messages,
            "replayed_events": self.replayed_events,
            "duplicates_dropped": self.duplicates,
            "kept_invalid": self.kept_invalid,
        }


#: Errors that say the input itself can never be applied (everything else may succeed once its
#: cause — credentials, SOLIDserver configuration, a conflicting object, an outage — is fixed):
#: the product's own list, the one the state machine's contract is built from.
NEVER_APPLIES = frozenset(INPUT_ERROR_NAMES)


def _error_message(cause: Any) -> str:
    try:
        return str(json.loads(cause).get("errorMessage", cause))[:160]
    except (TypeError, ValueError, AttributeError):
        return str(cause or "")[:160]


def classify(body: str) -> tuple[str, Any, str]:
    """(kind, payload, reason) of one dead-letter queue message body."""
    try:
        data = json.loads(body)
    except ValueError:
        return "invalid", None, "not JSON"
    if isinstance(data, dict) and data.get("kind") == "workflow":
        record = data.get("record") or {}
        inner = record.get("body") if isinstance(record, dict) else None
        try:
            msg = parse_message(inner if inner is not None else record.get("message"))
        except (InvalidMessage, AttributeError) as exc:
            return "invalid", None, f"workflow record without a valid message: {exc}"
        error = record.get("error") if isinstance(record.get("error"), dict) else {}
        if error.get("Error") in NEVER_APPLIES:
            # A sync step refused the message itself: replaying it fails the same way.
            return "refused", msg, f"{error['Error']}: {_error_message(error.get('Cause'))}"
        return "message", msg, ""
    if isinstance(data, dict) and "requestPayload" in data and "requestContext" in data:
        return "event", data["requestPayload"], ""
    if isinstance(data, dict) and data.get("source") == "aws.ec2" and "detail" in data:
        return "event", data, ""
    try:
        return "message", parse_message(data), ""
    except InvalidMessage as exc:
        return "invalid", None, str(exc)


def _key(kind: str, payload: Any) -> str:
    if kind in ("message", "refused"):
        m: Message = payload
        return f"m:{m.event.id}:{m.observed_at}"
    if kind == "event":
        return f"e:{payload.get('id')}"
    return ""


def drain(sqs: Any, queue_url: str, *, visibility: int = 60, max_messages: int = 10_000) -> Iterator[Entry]:
    """Every message currently in ``queue_url`` (received, hidden for ``visibility`` seconds)."""
    seen = 0
    while seen < max_messages:
        resp = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=visibility,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        )
        msgs = resp.get("Messages", [])
        if not msgs:
            return
        for m in msgs:
            seen += 1
            kind, payload, reason = classify(m["Body"])
            yield Entry(queue_url, m["ReceiptHandle"], kind, payload, reason, _key(kind, payload))


def send_to_event_queue(sqs: Any, event_queue_url: str, message: Message) -> None:
    digest = hashlib.sha256(f"{message.event.id}|{message.observed_at}|{time.time_ns()}".encode()).hexdigest()
    sqs.send_message(
        QueueUrl=event_queue_url,
        MessageBody=message.to_json(),
        MessageGroupId=message.instance.id,
        MessageDeduplicationId=f"redrive-{digest[:40]}",
    )


def redrive(
    sqs: Any,
    *,
    dead_letter_queue_urls: list[str],
    event_queue_url: str,
    invoke_enrich: Callable[[dict[str, Any]], None],
    dry_run: bool = False,
    out: Callable[[str], None] = lambda s: None,
    visibility: int = 300,
) -> RedriveReport:
    """Replay every entry of the dead-letter queues (see module doc); returns what was done.

    Everything is read first (entries stay hidden for ``visibility`` seconds, so each is read once),
    then decided per event — an event a sync step refused as invalid is kept in every queue that
    holds it — then replayed once and its entries deleted. Kept entries, and every entry of a dry
    run, are made visible again at the end.
    """
    report = RedriveReport()
    entries = [e for url in dead_letter_queue_urls for e in drain(sqs, url, visibility=visibility)]
    report.read = len(entries)
    refused = {e.key: e.reason for e in entries if e.kind == "refused"}
    done: set[str] = set()
    release: list[Entry] = []
    for entry in entries:
        reason = entry.reason if entry.kind == "invalid" else refused.get(entry.key)
        if reason is not None:
            report.kept_invalid.append(reason[:200])
            out(f"kept (cannot apply): {reason[:160]}")
            release.append(entry)
            continue
        if entry.key in done:
            report.duplicates += 1
        elif dry_run:
            out(f"would replay {entry.kind} {entry.key}")
        elif entry.kind == "message":
            send_to_event_queue(sqs, event_queue_url, entry.payload)
            report.replayed_messages += 1
            out(f"replayed message {entry.payload.instance.id} ({entry.payload.instance.state})")
        else:
            invoke_enrich(entry.payload)
            report.replayed_events += 1
            out(f"replayed event {entry.payload.get('id')} → enrich")
        done.add(entry.key)
        if dry_run:
            release.append(entry)
        else:
            sqs.delete_message(QueueUrl=entry.queue_url, ReceiptHandle=entry.receipt)
    for entry in release:
        sqs.change_message_visibility(
            QueueUrl=entry.queue_url, ReceiptHandle=entry.receipt, VisibilityTimeout=0
        )
    return report


def redrive_local(
    aws: Any, *, dry_run: bool = False, out: Callable[[str], None] = lambda s: None
) -> RedriveReport:
    """:func:`redrive` on a :class:`~ipamsync_local.aws.LocalAws` stack (its queues and enrich)."""
    lambdas = aws.lambdas
    assert lambdas is not None, "the local stack has no Lambda service"
    return redrive(
        aws.sqs,
        dead_letter_queue_urls=[
            aws.queue_url("WorkflowDeadLetterQueue"),
            aws.queue_url("EventDeadLetterQueue"),
        ],
        event_queue_url=aws.queue_url("EventQueue"),
        invoke_enrich=lambda event: lambdas.invoke_async("EnrichFunction", event),
        dry_run=dry_run,
        out=out,
    )


# --------------------------------------------------------------------------- CLI


def _stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def _run(args: argparse.Namespace) -> int:
    import boto3

    session = boto3.session.Session(region_name=args.region)
    kw = {"endpoint_url": args.endpoint_url} if args.endpoint_url else {}
    sqs = session.client("sqs", **kw)
    lam = session.client("lambda", **kw)
    urls = {
        "event": args.event_queue_url,
        "dlqs": list(args.dead_letter_queue_url or []),
        "enrich": args.enrich_function,
    }
    if args.stack:
        outputs = _stack_outputs(session.client("cloudformation", **kw), args.stack)
        urls["event"] = urls["event"] or outputs.get("EventQueueUrl")
        urls["dlqs"] = urls["dlqs"] or [
            u
            for u in (outputs.get("WorkflowDeadLetterQueueUrl"), outputs.get("EventDeadLetterQueueUrl"))
            if u
        ]
        urls["enrich"] = urls["enrich"] or outputs.get("EnrichFunctionName")
    if not urls["event"] or not urls["dlqs"] or not urls["enrich"]:
        print(
            "redrive needs --stack, or --event-queue-url, --dead-letter-queue-url and --enrich-function",
            file=sys.stderr,
        )
        return 2

    def invoke_enrich(event: dict[str, Any]) -> None:
        lam.invoke(FunctionName=urls["enrich"], InvocationType="Event", Payload=json.dumps(event).encode())

    report = redrive(
        sqs,
        dead_letter_queue_urls=urls["dlqs"],
        event_queue_url=urls["event"],
        invoke_enrich=invoke_enrich,
        dry_run=args.dry_run,
        out=print,
    )
    print(json.dumps(report.to_dict(), indent=2))
    return 0


def register(subparsers: Any, name: str, help_text: str) -> None:
    p = subparsers.add_parser(name, help=help_text, description=__doc__.split("\n\n")[0])
    p.add_argument("--stack", help="CloudFormation stack deployed from template.yaml (reads its Outputs)")
    p.add_argument("--region", default=None, help="AWS region (default: the SDK's)")
    p.add_argument("--endpoint-url", help="an AWS-compatible endpoint (e.g. a moto server)")
    p.add_argument("--event-queue-url", help="EventQueue to send messages back to (default: from --stack)")
    p.add_argument("--dead-letter-queue-url", action="append", help="repeatable")
    p.add_argument("--enrich-function", help="name or ARN of the enrich Lambda")
    p.add_argument("--dry-run", action="store_true", help="show what would be replayed, change nothing")
    p.set_defaults(func=_run)
