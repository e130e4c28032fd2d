"""The local Lambda service: synchronous results, Lambda's error shape, asynchronous retries with
the OnFailure record, throttling by reserved concurrency, counters."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from ipamsync_local.aws import LocalAws
from local.tests.helpers import EVENTS, Script, device_ok, history, named_error, task_errors

INPUT = json.loads((EVENTS / "statemachine-input-running.json").read_text())


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalAws, Script]]:
    """One runtime (real enrich, scripted sync steps) for the tests of this module."""
    import tempfile

    script = Script()
    with (
        tempfile.TemporaryDirectory() as state,
        LocalAws(state_dir=state, time_scale=0.01, handler_overrides=script.overrides()) as aws,
    ):
        yield aws, script


@pytest.fixture
def aws(shared: tuple[LocalAws, Script], script: Script) -> Iterator[LocalAws]:
    runtime, shared_script = shared
    shared_script.reset()
    yield runtime
    runtime.wait_idle(30)
    runtime.dead_letters("WorkflowDeadLetterQueue", delete=True)
    runtime.dead_letters("EventDeadLetterQueue", delete=True)


@pytest.fixture
def steps(shared: tuple[LocalAws, Script]) -> Script:
    return shared[1]


def test_sync_invoke_returns_the_handler_result(aws: LocalAws, steps: Script) -> None:
    steps.on["networks"] = lambda event, ctx: {"got": event, "space_id": "7"}
    out = aws.lambda_.invoke(
        FunctionName="ipamsync-NetworksFunction", Payload=json.dumps({"body": "{}"}).encode()
    )
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    assert json.loads(out["Payload"].read()) == {"got": {"body": "{}"}, "space_id": "7"}
    assert aws.invoke("networks", {"body": "x"})["got"] == {"body": "x"}


def test_the_context_is_lambda_like(aws: LocalAws, steps: Script) -> None:
    aws.invoke("device", {"body": "{}"})
    (ctx,) = steps.contexts["device"]
    assert ctx.function_name == "ipamsync-DeviceFunction"
    assert (
        ctx.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-DeviceFunction"
    )
    assert ctx.memory_limit_in_mb == 256 and ctx.function_version == "$LATEST"
    assert uuid.UUID(ctx.aws_request_id) and ctx.log_group_name == "/aws/lambda/ipamsync-device"
    assert 29_000 < ctx.get_remaining_time_in_millis() <= 30_000  # the template's Timeout (Globals: 30)


def test_an_exception_comes_back_in_lambdas_error_shape(aws: LocalAws, steps: Script) -> None:
    def boom(event: Any, ctx: Any) -> Any:
        raise named_error("SolidServerTimeout", "SOLIDserver did not answer in time")

    steps.on["addresses"] = boom
    out = aws.lambda_.invoke(FunctionName="ipamsync-AddressesFunction", Payload=b"{}")
    assert out["FunctionError"] == "Unhandled"
    payload = json.loads(out["Payload"].read())
    assert set(payload) == {"errorType", "errorMessage", "requestId", "stackTrace"}
    assert payload["errorType"] == "SolidServerTimeout"
    assert payload["errorMessage"] == "SOLIDserver did not answer in time"
    assert any("boom" in line for line in payload["stackTrace"])
    steps.on["addresses"] = lambda e, c: {1, 2}  # not JSON
    payload = json.loads(
        aws.lambda_.invoke(FunctionName="ipamsync-AddressesFunction", Payload=b"{}")["Payload"].read()
    )
    assert payload["errorType"] == "Runtime.MarshalError"
    with pytest.raises(ClientError) as err:
        aws.lambda_.invoke(FunctionName="ipamsync-AddressesFunction", Payload=b"not json")
    assert err.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_error_types_become_the_states_error_names(aws: LocalAws, steps: Script) -> None:
    calls = {"n": 0}

    def flaky(event: Any, ctx: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise named_error("SolidServerUnavailable")
        return device_ok("i-0a1b2c3d4e5f67890")

    steps.on["device"] = flaky
    summary = aws.execute(INPUT)
    assert summary.status == "SUCCEEDED" and summary.retries == 1
    assert task_errors(history(aws, summary.name)) == ["SolidServerUnavailable"]

    steps.on["dns"] = lambda e, c: (_ for _ in ()).throw(
        named_error("OwnershipConflict", "held by someone else")
    )
    summary = aws.execute(INPUT)
    assert summary.status == "FAILED" and summary.error == "EventDeadLettered" and summary.dead_lettered
    assert task_errors(history(aws, summary.name)) == ["OwnershipConflict"]
    (letter,) = aws.dead_letters("WorkflowDeadLetterQueue", delete=True)
    assert letter["body"]["record"]["error"]["Error"] == "OwnershipConflict"
    assert json.loads(letter["body"]["record"]["error"]["Cause"])["errorMessage"] == "held by someone else"


def test_async_invocation_retries_then_sends_lambdas_on_failure_record(aws: LocalAws) -> None:
    """The real enrich handler, an instance EC2 does not know, a non-terminal state:
    InstanceNotFound, retried twice after 60 s and 120 s (x 0.01), then the OnFailure record."""
    event = json.loads((EVENTS / "ec2-running.json").read_text())
    before = aws.counters()["lambda"]["EnrichFunction"]
    started = time.monotonic()
    event_id = aws.put_event(event)
    aws.wait_idle(30)
    took = time.monotonic() - started
    after = aws.counters()["lambda"]["EnrichFunction"]
    assert after["invocations"] - before["invocations"] == 3
    assert after["async_retries"] - before["async_retries"] == 2
    assert took >= (60 + 120) * 0.01, "Lambda's backoff is waited (scaled), not skipped"
    (entry,) = aws.dead_letters("WorkflowDeadLetterQueue", delete=True)
    record = entry["body"]
    assert list(record) == [
        "version",
        "timestamp",
        "requestContext",
        "requestPayload",
        "responseContext",
        "responsePayload",
    ]
    assert record["version"] == "1.0"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["timestamp"])
    ctx = record["requestContext"]
    assert list(ctx) == ["requestId", "functionArn", "condition", "approximateInvokeCount"]
    assert uuid.UUID(ctx["requestId"])
    assert (
        ctx["functionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:ipamsync-EnrichFunction:$LATEST"
    )
    assert ctx["condition"] == "RetriesExhausted" and ctx["approximateInvokeCount"] == 3
    assert record["requestPayload"]["id"] == event_id
    assert record["requestPayload"]["detail"] == event["detail"]
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    payload = record["responsePayload"]
    assert payload["errorType"] == "InstanceNotFound" and "i-0a1b2c3d4e5f67890" in payload["errorMessage"]
    assert isinstance(payload["stackTrace"], list) and payload["stackTrace"]


def test_counters_and_durations(aws: LocalAws) -> None:
    before = aws.counters()["lambda"]["DeviceFunction"]
    for _ in range(3):
        aws.invoke("device", {"body": "{}"})
    stats = aws.counters()["lambda"]["DeviceFunction"]
    assert stats["invocations"] - before["invocations"] == 3
    assert stats["sync_invocations"] - before["sync_invocations"] == 3
    assert stats["duration_ms_total"] > before["duration_ms_total"] and stats["duration_ms_max"] > 0
    assert stats["in_flight"] == 0
