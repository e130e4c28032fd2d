"""The pipe: FIFO order per group (moto's group locking), the batch's shape, delete on success,
redelivery after the (scaled) visibility timeout, the dead-letter queue after maxReceiveCount,
and concurrency without loss."""

from __future__ import annotations

import itertools
import json
import random
import re
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.pipe import render_input
from local.tests.helpers import Script, body_of, device_ok, message, named_error

SCALE = 0.001  # VisibilityTimeout 360 s → 0.36 s before a failed message is received again


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalAws, Script]]:
    script = Script()
    with (
        tempfile.TemporaryDirectory() as state,
        LocalAws(
            state_dir=state, time_scale=SCALE, pipe_workers=8, handler_overrides=script.overrides()
        ) as aws,
    ):
        yield aws, script


@pytest.fixture
def aws(shared: tuple[LocalAws, Script]) -> Iterator[LocalAws]:
    runtime, script = shared
    script.reset()
    runtime.wait_idle(30)
    runtime.executions.clear()
    assert runtime.recorder is not None
    runtime.recorder.summaries.clear()
    yield runtime
    runtime.pipe.resume()
    runtime.wait_idle(60)
    runtime.dead_letters("WorkflowDeadLetterQueue", delete=True)
    runtime.dead_letters("EventDeadLetterQueue", delete=True)


@pytest.fixture
def steps(shared: tuple[LocalAws, Script]) -> Script:
    return shared[1]


def test_moto_enforces_fifo_group_locking(aws: LocalAws) -> None:
    """What the pipe relies on for per-instance order: no message of a group is handed out while
    another one of that group is in flight."""
    aws.pipe.pause()
    url = aws.queue_url("EventQueue")
    for group, seq in (("g1", 0), ("g1", 1), ("g2", 0)):
        aws.sqs.send_message(
            QueueUrl=url,
            MessageBody=f"{group}-{seq}",
            MessageGroupId=group,
            MessageDeduplicationId=f"{group}-{seq}",
        )

    def one() -> dict[str, Any] | None:
        msgs = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        return msgs[0] if msgs else None

    first, second, third = one(), one(), one()
    assert first and first["Body"] == "g1-0"
    assert second and second["Body"] == "g2-0", "g1-1 waits while g1-0 is in flight"
    assert third is None
    aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    fourth = one()
    assert fourth and fourth["Body"] == "g1-1"
    for m in (second, fourth):
        aws.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_batch_shape_and_delete_on_success(aws: LocalAws, steps: Script) -> None:
    """The pipe receives SQS records in the shape AWS delivers them and starts the execution with
    the template's InputTemplate applied to each: the message id, the receive count and the body
    as JSON (the pipes' implicit body parsing)."""
    seen: list[dict[str, Any]] = []
    observe = aws.pipe.on_execution
    aws.pipe.on_execution = lambda status, records, summary: (
        seen.extend(records),
        observe(status, records, summary) if observe else None,
    )
    msg = message("i-0aaaaaaaaaaaaaaa1", seq=0)
    aws.send_message(msg)
    aws.wait_idle(30)
    (summary,) = aws.executions.list()
    assert summary.status == "SUCCEEDED" and summary.source == "pipe"
    assert re.fullmatch(r"i-0aaaaaaaaaaaaaaa1-running-[0-9a-f]{8}", summary.name)
    assert summary.receive_count == 1
    events = aws.executions.get(summary.name)[1]
    (given,) = json.loads(events[0]["executionStartedEventDetails"]["input"])
    (record,) = seen
    assert given == {"messageId": record["messageId"], "receiveCount": "1", "body": msg}
    assert list(record) == [
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    ]
    assert json.loads(record["body"]) == msg
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount",
        "SentTimestamp",
        "SequenceNumber",
        "MessageGroupId",
        "SenderId",
        "MessageDeduplicationId",
        "ApproximateFirstReceiveTimestamp",
    ]
    assert record["attributes"]["MessageGroupId"] == "i-0aaaaaaaaaaaaaaa1"
    assert record["attributes"]["MessageDeduplicationId"] == msg["event"]["id"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["state"] == {
        "stringValue": "running",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:ipamsync-EventQueue.fifo"
    assert re.fullmatch(r"[0-9a-f]{32}", record["md5OfBody"])
    assert body_of(steps.calls["device"][0]) == msg
    assert aws.queue_depth("EventQueue") == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_input_template_as_pipes_renders_it() -> None:
    """Quoted variables are text, unquoted ones JSON; a JSON body is parsed, any other stays text;
    the reserved aws.pipes variables are known."""
    record = {"messageId": "m-1", "body": '{"a": [1, 2]}', "attributes": {"ApproximateReceiveCount": "2"}}
    template = (
        '{"id": "<$.messageId>", "n": "<$.attributes.ApproximateReceiveCount>", "body": <$.body>, '
        '"a": <$.body.a>, "pipe": "<aws.pipes.pipe-name>"}'
    )
    variables = {"aws.pipes.pipe-name": "ipamsync-pipe"}
    assert render_input(template, record, variables) == {
        "id": "m-1",
        "n": "2",
        "body": {"a": [1, 2]},
        "a": [1, 2],
        "pipe": "ipamsync-pipe",
    }
    text = {"messageId": "m-2", "body": 'not "json"'}
    assert render_input('{"body": <$.body>}', text, {}) == {"body": 'not "json"'}
    assert render_input('{"body": "<$.body>"}', text, {}) == {"body": 'not "json"'}


def test_failure_redelivers_then_dead_letters_after_max_receive_count(aws: LocalAws, steps: Script) -> None:
    steps.on["device"] = lambda e, c: (_ for _ in ()).throw(named_error("ConfigurationError", "nope"))
    aws.send_message(message("i-0bbbbbbbbbbbbbbb2"))
    aws.wait_idle(30)
    failed = sorted(aws.executions.list(status="FAILED"), key=lambda s: s.receive_count)
    max_receive = aws.queue_specs["EventQueue"].redrive.max_receive_count
    assert [s.receive_count for s in failed] == list(range(1, max_receive + 1))
    assert all(s.error == "EventDeadLettered" and s.dead_lettered for s in failed)
    visibility = aws.queue_specs["EventQueue"].visibility_timeout * SCALE
    starts = [datetime.fromisoformat(s.start.replace("Z", "+00:00")) for s in failed]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert all(gap >= visibility * 0.9 for gap in gaps), (gaps, visibility)
    (dead,) = aws.dead_letters("EventDeadLetterQueue")
    assert dead["body"]["instance"]["id"] == "i-0bbbbbbbbbbbbbbb2"
    # moto keeps the count when it moves the message; peeking at the DLQ is one more receive
    assert int(dead["attributes"]["ApproximateReceiveCount"]) == max_receive + 1
    workflow = aws.dead_letters("WorkflowDeadLetterQueue")
    assert len(workflow) == max_receive and {w["body"]["record"]["error"]["Error"] for w in workflow} == {
        "ConfigurationError"
    }
    assert aws.queue_depth("EventQueue") == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_order_per_instance_and_no_loss_under_concurrency(aws: LocalAws, steps: Script) -> None:
    """20 instances x 4 events, each event's execution failing 0-2 times at random (seeded), 8 pipe
    workers: every event succeeds exactly once, in order per instance, and nothing is dead-lettered.

    (20 x 4 rather than 50 x 4: moto's interpreter costs ~0.1 s of CPU per execution.)"""
    instances, per_instance = 20, 4
    rng = random.Random(20261127)
    plan = {
        (f"i-{i:017x}", seq): rng.choices([0, 1, 2], weights=[7, 2, 1])[0]
        for i in range(instances)
        for seq in range(per_instance)
    }
    attempts: Counter[tuple[str, int]] = Counter()
    succeeded: dict[str, list[int]] = defaultdict(list)
    lock = threading.Lock()

    def device(event: dict[str, Any], ctx: Any) -> dict[str, Any]:
        body = body_of(event)
        key = (body["instance"]["id"], body["seq"])
        with lock:
            attempts[key] += 1
            if attempts[key] <= plan[key]:
                raise named_error("SolidServerRequestError", f"planned failure {attempts[key]}")
            succeeded[key[0]].append(key[1])
        return device_ok(key[0])

    steps.on["device"] = device
    aws.pipe.pause()
    for seq in range(per_instance):
        for i in range(instances):
            aws.send_message(message(f"i-{i:017x}", seq=seq))
    aws.pipe.resume()
    aws.wait_idle(120)

    assert dict(succeeded) == {f"i-{i:017x}": list(range(per_instance)) for i in range(instances)}
    assert dict(attempts) == {key: n + 1 for key, n in plan.items()}
    assert aws.dead_letters("EventDeadLetterQueue") == []
    assert len(aws.dead_letters("WorkflowDeadLetterQueue")) == sum(plan.values())
    summaries = aws.executions.list()
    assert Counter(s.status for s in summaries) == {"SUCCEEDED": len(plan), "FAILED": sum(plan.values())}
    assert aws.pipe.stats.max_in_flight > 1, "batches of different instances ran concurrently"
