"""Run statemachine/sync.asl.json in moto's Step Functions interpreter with scripted Lambda results.

Proves what the static checks cannot: the paths, ResultSelectors, Choice rules, the
results' shape, and that a failure really lands in the workflow dead-letter queue and fails the
execution. The Lambda seam is moto's private ``LambdaSimpleBackend.invoke`` (moto is pinned;
``test_lambda_seam_canary`` fails first if it moves).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ipamsync.errors import PERMANENT_ERROR_NAMES
from tests.infrastructure.helpers import ASL, REPO

moto = pytest.importorskip("moto")
from moto.awslambda_simple.models import LambdaSimpleBackend  # noqa: E402

FUNCTION_NAMES = {
    "DeviceFunctionArn": "device",
    "NetworksFunctionArn": "networks",
    "AddressesFunctionArn": "addresses",
    "DnsFunctionArn": "dns",
}
INPUT = json.loads((REPO / "events" / "statemachine-input-running.json").read_text())

DEVICE_OK = {
    "instance_id": "i-0a1b2c3d4e5f67890",
    "stale": False,
    "unchanged": False,
    "complete": False,
    "lifecycle": "running",
    "device_id": "42",
    "interfaces": {"eni-0123456789abcdef0": "7"},
    "lease_id": "43",
    "refresh": {"entries": []},
    "changes": {"created": 1},
}
NETWORKS_OK = {"space_id": "3", "public_space_id": "4", "changes": {}}
ADDRESSES_OK = {
    "addresses": [{"address": "10.20.1.15", "id": "11"}],
    "yielded": [],
    "taken": [],
    "changes": {"created": 1},
}
OTHER = "aws:123456789012:us-east-1:i-0fedcba9876543210"


def refresh_entry(owner: str = OTHER) -> dict[str, Any]:
    _, account, region, iid = owner.split(":")
    return {
        "Source": "ipamsync",
        "DetailType": "ipamsync Refresh Request",
        "Detail": {"instance-id": iid, "account": account, "region": region, "reason": "test"},
    }


DNS_OK = {"enabled": True, "records": ["web-1.aws.example.com"], "skipped": False, "changes": {}}

Script = dict[str, list[Any]]  # function -> results in call order (dict = payload, str = error name)


@dataclass
class Harness:
    sfn: Any
    sqs: Any
    state_machine_arn: str
    dlq_url: str
    events_url: str = ""
    script: Script = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def invoke(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes:
        name = function_name.rsplit(":", 1)[-1]
        payload = json.loads(body) if body else {}
        if "release" in payload:  # the device function giving up the lease: ReleaseAfterFailure
            self.calls.append((f"{name}:release-{payload['release']}", payload))
            return json.dumps({"released": 1, "refresh": {"entries": []}}).encode()
        self.calls.append((name, payload))
        results = self.script.get(name) or [{}]
        result = results.pop(0) if len(results) > 1 else results[0]
        if isinstance(result, str):  # an error, in Lambda's error shape
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {"errorType": result, "errorMessage": f"scripted {result}", "stackTrace": []}
            ).encode()
        if payload.get("finish") is True:
            # like the real last step: the lease given back, a refresh request per owner the
            # addresses step took from
            entries = [refresh_entry(o) for o in payload.get("taken") or []]
            result = {**result, "released": 1, "refresh": {"entries": entries}}
        return json.dumps(result).encode()

    def execute(self, script: Script, records: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        self.script = {k: list(v) for k, v in script.items()}
        self.calls.clear()
        arn = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=uuid.uuid4().hex,  # moto names every unnamed execution "None"
            input=json.dumps(records or INPUT),
        )["executionArn"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            desc = self.sfn.describe_execution(executionArn=arn)
            if desc["status"] != "RUNNING":
                return desc
            time.sleep(0.05)
        raise AssertionError("execution did not finish in 60 s")

    def dead_letters(self) -> list[dict[str, Any]]:
        found = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                return found
            for m in msgs:
                found.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=m["ReceiptHandle"])

    def refresh_requests(self) -> list[dict[str, Any]]:
        """The events RequestRefresh put on the default bus (a rule copies them to a queue)."""
        found = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.events_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not msgs:
                return found
            for m in msgs:
                found.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.events_url, ReceiptHandle=m["ReceiptHandle"])

    def called(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    import boto3
    from moto import mock_aws

    mp = pytest.MonkeyPatch()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}):
        sqs = boto3.client("sqs", region_name="us-east-1")
        dlq_url = sqs.create_queue(QueueName="ipamsync-WorkflowDeadLetterQueue")["QueueUrl"]
        definition = ASL.read_text()
        for key, name in FUNCTION_NAMES.items():
            definition = definition.replace(
                f"${{{key}}}", f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
            )
        definition = definition.replace("${WorkflowDeadLetterQueueUrl}", dlq_url)
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="ipamsync-sync",
            definition=definition,
            roleArn="arn:aws:iam::123456789012:role/ipamsync-StateMachineRole",
            type="EXPRESS",
        )["stateMachineArn"]
        events_url = sqs.create_queue(QueueName="refresh-requests")["QueueUrl"]
        events_arn = sqs.get_queue_attributes(QueueUrl=events_url, AttributeNames=["QueueArn"])["Attributes"]
        events = boto3.client("events", region_name="us-east-1")
        events.put_rule(
            Name="refresh",
            EventPattern=json.dumps({"source": ["ipamsync"], "detail-type": ["ipamsync Refresh Request"]}),
        )
        events.put_targets(Rule="refresh", Targets=[{"Id": "q", "Arn": events_arn["QueueArn"]}])
        h = Harness(sfn=sfn, sqs=sqs, state_machine_arn=arn, dlq_url=dlq_url, events_url=events_url)

        def invoke(
            self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
        ) -> bytes:
            return h.invoke(function_name, body, response_headers)

        mp.setattr(LambdaSimpleBackend, "invoke", invoke)
        try:
            yield h
        finally:
            mp.undo()


OK: Script = {"device": [DEVICE_OK], "networks": [NETWORKS_OK], "addresses": [ADDRESSES_OK], "dns": [DNS_OK]}


def test_lambda_seam_canary(harness: Harness) -> None:
    desc = harness.execute(OK)
    assert harness.calls, "moto no longer routes lambda:invoke through LambdaSimpleBackend.invoke"
    assert desc["status"] == "SUCCEEDED", desc


def test_happy_path(harness: Harness) -> None:
    desc = harness.execute(OK)
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called() == ["device", "networks", "addresses", "dns"]  # no release task
    payloads = dict(harness.calls)
    body = INPUT[0]["body"]  # each step gets its record's body from the execution's input, by index
    device = {
        k: DEVICE_OK[k]
        for k in (
            "stale",
            "unchanged",
            "complete",
            "lifecycle",
            "device_id",
            "interfaces",
            "lease_id",
            "refresh",
        )
    }
    networks = {"space_id": NETWORKS_OK["space_id"], "public_space_id": NETWORKS_OK["public_space_id"]}
    name = desc["executionArn"].rsplit(":", 1)[-1]
    assert payloads["device"]["message"] == body and payloads["device"]["execution"] == name
    assert payloads["device"]["started"]  # the execution's start: when its lease expires
    assert payloads["networks"] == {"message": body}
    assert payloads["addresses"] == {"message": body, "device": device, "networks": networks}
    # the last step gives the lease back: it is told so, with what the addresses step took, and
    # its attempt number (a retry checks first that the lease is still held)
    assert payloads["dns"] == {"message": body, "device": device, "finish": True, "taken": [], "retry": 0}
    # the execution's output is what the steps found (with the last step's refresh entries), not
    # the message again: every state's input and output is logged
    out = json.loads(desc["output"])
    assert out == {
        "device": {**device, "refresh": {"entries": []}},
        "networks": networks,
        "addresses": {"taken": []},
    }
    assert harness.dead_letters() == []


@pytest.mark.parametrize("done", ["stale", "unchanged", "complete"])
def test_stale_unchanged_or_complete_stops_after_the_device(harness: Harness, done: str) -> None:
    """No lease is held then (a complete device step gave it back): nothing to give back either."""
    desc = harness.execute({**OK, "device": [{**DEVICE_OK, done: True, "lease_id": None}]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called() == ["device"]


def test_null_stale_is_not_stale(harness: Harness) -> None:
    desc = harness.execute({**OK, "device": [{**DEVICE_OK, "stale": None, "unchanged": None}]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called()[:2] == ["device", "networks"]


def test_gone_instance_skips_the_networks(harness: Harness) -> None:
    desc = harness.execute({**OK, "device": [{**DEVICE_OK, "lifecycle": "gone", "interfaces": []}]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called() == ["device", "addresses", "dns"]
    assert dict(harness.calls)["addresses"]["networks"] == {"space_id": None, "public_space_id": None}


@pytest.mark.parametrize("error", PERMANENT_ERROR_NAMES)
def test_permanent_device_error_is_dead_lettered_without_retry(harness: Harness, error: str) -> None:
    desc = harness.execute({**OK, "device": [error]})
    assert desc["status"] == "FAILED"
    assert desc["error"] == "EventDeadLettered"
    assert harness.called() == ["device", "device:release-failed"]  # the lease it may hold is given up
    [letter] = harness.dead_letters()
    assert letter["kind"] == "workflow"
    assert letter["record"]["body"] == INPUT[0]["body"]
    assert letter["record"]["messageId"] == INPUT[0]["messageId"]
    assert letter["record"]["error"]["Error"] == error
    assert letter["execution_arn"] and letter["state_machine_arn"] == harness.state_machine_arn
    assert letter["dead_lettered_at"]


def test_branch_failure_is_dead_lettered_with_its_error(harness: Harness) -> None:
    """What ran before is in the execution's log; the letter holds the record and the error."""
    desc = harness.execute({**OK, "dns": ["OwnershipConflict"]})
    assert desc["status"] == "FAILED"
    assert desc["error"] == "EventDeadLettered"
    assert harness.called()[-1] == "device:release-failed"
    [letter] = harness.dead_letters()
    record = letter["record"]
    assert record["error"]["Error"] == "OwnershipConflict"
    assert record["body"] == INPUT[0]["body"]
    assert set(record) == {"messageId", "receiveCount", "body", "error"}


def test_transient_error_is_retried(harness: Harness) -> None:
    """One SolidServerUnavailable, then success (waits at most 2 s: full jitter on a 2 s interval)."""
    desc = harness.execute({**OK, "networks": ["SolidServerUnavailable", NETWORKS_OK]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called().count("networks") == 2
    assert harness.dead_letters() == []


def test_lambda_throttling_is_retried(harness: Harness) -> None:
    desc = harness.execute({**OK, "device": ["Lambda.TooManyRequestsException", DEVICE_OK]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called().count("device") == 2


def test_unknown_error_is_not_retried(harness: Harness) -> None:
    """A crash (e.g. KeyError in a handler) is a bug, not weather: straight to the dead-letter path."""
    desc = harness.execute({**OK, "addresses": ["KeyError"]})
    assert desc["status"] == "FAILED"
    assert harness.called().count("addresses") == 1
    [letter] = harness.dead_letters()
    assert letter["record"]["error"]["Error"] == "KeyError"


def test_a_retried_last_step_is_told_its_attempt(harness: Harness) -> None:
    """``$$.State.RetryCount`` reaches the last step: a retry checks that the lease is still held
    before writing (an earlier attempt may have finished and lost only its answer)."""
    desc = harness.execute({**OK, "dns": ["SolidServerUnavailable", DNS_OK]})
    assert desc["status"] == "SUCCEEDED", desc
    retries = [p["retry"] for name, p in harness.calls if name == "dns"]
    assert retries == [0, 1]


def test_addresses_taken_from_another_instance_request_its_refresh(harness: Harness) -> None:
    """The owners the addresses step took addresses from reach the last step, whose refresh requests
    RequestRefresh puts on the default bus: the previous holder gets a snapshot of its own."""
    harness.refresh_requests()
    desc = harness.execute({**OK, "addresses": [{**ADDRESSES_OK, "taken": [OTHER]}]})
    assert desc["status"] == "SUCCEEDED", desc
    assert dict(harness.calls)["dns"]["taken"] == [OTHER]
    [event] = harness.refresh_requests()
    assert event["source"] == "ipamsync" and event["detail-type"] == "ipamsync Refresh Request"
    assert event["detail"]["instance-id"] == "i-0fedcba9876543210"
    assert harness.dead_letters() == []


def test_nothing_taken_requests_nothing(harness: Harness) -> None:
    harness.refresh_requests()
    desc = harness.execute(OK)
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.refresh_requests() == []


def test_a_lookup_goes_from_the_device_step_to_its_refresh_requests(harness: Harness) -> None:
    """A lookup takes no lease and writes nothing: SyncDevice names the holders, RequestRefresh asks
    for their snapshots, and no other step runs."""
    harness.refresh_requests()
    found = {**DEVICE_OK, "lifecycle": "lookup", "instance_id": None, "device_id": None, "lease_id": None}
    found["refresh"] = {"entries": [refresh_entry()]}
    desc = harness.execute({**OK, "device": [found]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called() == ["device"]
    [event] = harness.refresh_requests()
    assert event["detail"]["instance-id"] == "i-0fedcba9876543210"


def test_a_lookup_that_finds_nobody_succeeds_quietly(harness: Harness) -> None:
    harness.refresh_requests()
    nobody = {**DEVICE_OK, "lifecycle": "lookup", "instance_id": None, "device_id": None, "lease_id": None}
    desc = harness.execute({**OK, "device": [nobody]})
    assert desc["status"] == "SUCCEEDED", desc
    assert harness.called() == ["device"]
    assert harness.refresh_requests() == []


def test_every_state_is_inspectable_yet_the_message_is_not_copied_into_each(harness: Harness) -> None:
    """What the Step Functions console shows of an Express execution is its log, i.e. these history
    events (level ALL with execution data): every state entered and exited with its input and
    output, every Lambda task with the parameters it was given (the message, resolved from the
    execution's input) and the function's whole result. The message itself appears only in the
    execution's input, the first state's input and the Lambda tasks' parameters: not in every
    state's input and output (what made the executions' logs the largest cost)."""
    desc = harness.execute(OK)
    assert desc["status"] == "SUCCEEDED", desc
    events = harness.sfn.get_execution_history(executionArn=desc["executionArn"])["events"]
    body = INPUT[0]["body"]
    entered = [e["stateEnteredEventDetails"] for e in events if "stateEnteredEventDetails" in e]
    exited = [e["stateExitedEventDetails"] for e in events if "stateExitedEventDetails" in e]
    names = [d["name"] for d in entered]
    for state in ("SyncDevice", "IsDone", "SyncNetworks"):
        assert state in names, state
    for state in ("SyncAddresses", "SyncDns", "Synced"):
        assert state in names, state
    assert {d["name"] for d in exited} == set(names)
    for d in entered:
        assert "input" in d, d["name"]
    for d in exited:
        assert "output" in d, d["name"]
    scheduled = [e["taskScheduledEventDetails"] for e in events if "taskScheduledEventDetails" in e]
    lambda_tasks = [s for s in scheduled if s["resourceType"] == "lambda"]
    assert len(lambda_tasks) == 4  # device, networks, addresses, dns (which gives the lease back)
    for s in lambda_tasks:
        assert json.loads(s["parameters"])["Payload"]["message"] == body
    succeeded = [e["taskSucceededEventDetails"] for e in events if "taskSucceededEventDetails" in e]
    assert any(json.loads(s["output"])["Payload"] == ADDRESSES_OK for s in succeeded)

    def carries(text: str) -> bool:  # the message, as JSON or as a JSON string inside JSON
        compact = json.dumps(body, separators=(",", ":"))
        return any(form in text for form in (compact, json.dumps(body), json.dumps(compact)[1:-1]))

    assert {d["name"] for d in entered if carries(d["input"])} == {"SyncDevice"}
    assert not [d["name"] for d in exited if carries(d["output"])]
