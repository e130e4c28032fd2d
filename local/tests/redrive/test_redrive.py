"""``redrive`` on the dead-letter queues themselves (moto SQS, no pipeline): each entry is read once,
an entry that can never apply is kept and reported once, a replay happens once per event.

The pipeline-level proofs (an outage redriven to convergence) are in test_outage.py and
test_partial.py; these pin down the redrive contract README promises, entry by entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ipamsync_local import redrive as redrive_module
from ipamsync_local.redrive import redrive
from tests.helpers import message

#: drain() reads at most this many messages per queue here (10,000 by default): a redrive that
#: reads an entry again and again shows up as 50 reads instead of 1, without a minute of receives.
READ_CAP = 50


@pytest.fixture
def queues(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setattr(redrive_module.drain, "__kwdefaults__", {"visibility": 60, "max_messages": READ_CAP})
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        fifo = {"FifoQueue": "true", "ContentBasedDeduplication": "false"}
        yield {
            "sqs": sqs,
            "workflow": sqs.create_queue(QueueName="wf-dlq")["QueueUrl"],
            "event_dlq": sqs.create_queue(QueueName="ev-dlq.fifo", Attributes=fifo)["QueueUrl"],
            "events": sqs.create_queue(QueueName="events.fifo", Attributes=fifo)["QueueUrl"],
            "enriched": [],
        }


def _run(q: dict[str, Any], *, dry_run: bool = False) -> Any:
    return redrive(
        q["sqs"],
        dead_letter_queue_urls=[q["workflow"], q["event_dlq"]],
        event_queue_url=q["events"],
        invoke_enrich=q["enriched"].append,
        dry_run=dry_run,
    )


def _workflow_record(body: str, error: str = "SolidServerUnavailable", cause: str = "503") -> str:
    return json.dumps(
        {
            "kind": "workflow",
            "record": {"messageId": "m-1", "body": body, "error": {"Error": error, "Cause": cause}},
            "execution_arn": "arn:aws:states:us-east-1:123456789012:execution:sm:x",
            "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:sm",
            "dead_lettered_at": "2026-11-27T07:00:00Z",
        }
    )


def _put(q: dict[str, Any], queue: str, body: str, group: str = "g") -> None:
    kw: dict[str, Any] = {"QueueUrl": q[queue], "MessageBody": body}
    if queue == "event_dlq":
        kw.update(MessageGroupId=group, MessageDeduplicationId=str(abs(hash(body))))
    q["sqs"].send_message(**kw)


def _count(q: dict[str, Any], queue: str) -> int:
    attrs = q["sqs"].get_queue_attributes(QueueUrl=q[queue], AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_each_event_is_replayed_once_and_its_entries_deleted(queues: dict[str, Any]) -> None:
    msg = message("i-0a1b2c3d4e5f60001").to_json()
    for _ in range(3):  # one workflow record per failed delivery
        _put(queues, "workflow", _workflow_record(msg))
    _put(queues, "event_dlq", msg)
    event = {
        "id": "e-1",
        "source": "aws.ec2",
        "detail": {"instance-id": "i-0a1b2c3d4e5f60002", "state": "running"},
    }
    _put(
        queues, "workflow", json.dumps({"requestContext": {}, "requestPayload": event, "responsePayload": {}})
    )
    report = _run(queues)
    assert (report.read, report.replayed_messages, report.replayed_events, report.duplicates) == (5, 1, 1, 3)
    assert queues["enriched"] == [event]
    assert _count(queues, "workflow") == _count(queues, "event_dlq") == 0
    assert _count(queues, "events") == 1
    assert _run(queues).read == 0


def test_a_dry_run_reads_each_entry_once_and_leaves_it(queues: dict[str, Any]) -> None:
    msg = message("i-0a1b2c3d4e5f60003").to_json()
    _put(queues, "workflow", _workflow_record(msg))
    _put(queues, "event_dlq", msg)
    report = _run(queues, dry_run=True)
    assert report.read == 2 and report.replayed_messages == 0
    assert _count(queues, "workflow") == _count(queues, "event_dlq") == 1
    assert _count(queues, "events") == 0


def test_an_entry_that_cannot_apply_is_kept_and_reported_once(queues: dict[str, Any]) -> None:
    _put(queues, "event_dlq", "{not json")
    report = _run(queues)
    assert report.read == 1
    assert report.kept_invalid == ["not JSON"]
    assert _count(queues, "event_dlq") == 1


def test_an_event_the_sync_refused_as_invalid_is_kept_with_its_reason(queues: dict[str, Any]) -> None:
    msg = message("i-0a1b2c3d4e5f60004", tags={"ipamsync:zone": "not a zone"}).to_json()
    cause = json.dumps(
        {"errorType": "InvalidMessage", "errorMessage": "tag 'ipamsync:zone' = 'not a zone' ..."}
    )
    for _ in range(3):
        _put(queues, "workflow", _workflow_record(msg, "InvalidMessage", cause))
    _put(queues, "event_dlq", msg)
    report = _run(queues)
    assert report.replayed_messages == 0 and _count(queues, "events") == 0
    assert report.kept_invalid and all("InvalidMessage" in r or "zone" in r for r in report.kept_invalid)
    assert _count(queues, "event_dlq") == 1
