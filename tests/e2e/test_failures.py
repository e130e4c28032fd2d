"""Failures through the real ASL: a transient SOLIDserver error is retried by the state and the
execution succeeds; a permanent one (an address held by something ipamsync does not manage) goes to
the workflow dead-letter queue, fails the execution and, after ``maxReceiveCount`` deliveries, lands
in the event dead-letter queue; once the conflict is resolved, ``ipamsync redrive`` (against the
local AWS served over HTTP, as ``ipamsync demo --keep-running`` does) brings everything in line."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from ipamsync_local.cli import main as ipamsync
from ipamsync_local.demo.keep_running import serve_local_aws
from ipamsync_local.truth import compare, format_differences
from tests.helpers import load_handler

from .harness import Pipeline, body, pipeline_fixture

SCALE = 0.005  # visibility timeout 360 s → 1.8 s between deliveries of a failed event


class FlakyDevice:
    """The real device handler; for one chosen instance its first invocation meets a SOLIDserver that
    answers 503 to ``hostdev_list`` — a fault aimed at that instance's requests only (``match``), so
    the other executions running at the same time do not see it."""

    def __init__(self) -> None:
        self.target: str | None = None
        self.emulator: Any = None
        self.failed = 0
        self.lock = threading.Lock()
        self._real: Any = None

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        if self._real is None:
            self._real = load_handler("device").lambda_handler
        message = event.get("message")
        message = json.loads(message) if isinstance(message, str) else message
        instance = (message.get("instance") or {}).get("id") if isinstance(message, dict) else None
        with self.lock:
            inject = instance is not None and instance == self.target and self.failed == 0
            if inject:
                self.failed += 1
        if not inject:
            return self._real(event, context)
        self.emulator.admin.set_faults(
            {"rules": {"hostdev_list": {"error_rates": {"503": 1.0}, "match": instance}}}
        )
        try:
            return self._real(event, context)
        finally:
            self.emulator.admin.clear_faults()


FLAKY = FlakyDevice()
pipeline = pipeline_fixture(time_scale=SCALE, handler_overrides={"device": FLAKY})


def _events(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(type, error) of the task events of one execution, in order."""
    out = []
    for e in history:
        if e["type"].startswith("Task") and not e["type"].startswith("TaskState"):
            details = next((v for k, v in e.items() if k.endswith("EventDetails")), {})
            out.append((e["type"], str(details.get("error", ""))))
    return out


def test_transient_failure_is_retried_by_the_state_and_the_execution_succeeds(pipeline: Pipeline) -> None:
    pipeline.aws.pipe.pause()  # the instance id must be known before its first execution
    try:
        iid = pipeline.launch("flaky", "prod-1")
        FLAKY.target, FLAKY.emulator = iid, pipeline.emu
    finally:
        pipeline.aws.pipe.resume()
    pipeline.settle()

    assert FLAKY.failed == 1
    runs = pipeline.executions_of(iid)
    assert len(runs) == 2 and {s.status for s in runs} == {"SUCCEEDED"}
    (retried,) = [s for s in runs if s.retries]
    assert retried.retries == 1
    assert retried.task_failures == [{"state": "SyncDevice", "error": "SolidServerUnavailable"}]
    tasks = _events(pipeline.history(retried.name))
    assert tasks[:4] == [
        ("TaskScheduled", ""),
        ("TaskStarted", ""),
        ("TaskFailed", "SolidServerUnavailable"),
        ("TaskScheduled", ""),
    ]
    assert ("TaskSucceeded", "") in tasks[4:6]
    assert pipeline.dead_letters() == ([], [])
    pipeline.exact(iid)


# Over 80 lines: one story on one instance: a squatted address fails permanently, is dead-lettered,
# the conflict is resolved and the dead letters are redriven; each step needs the state the one
# before left.
def test_permanent_failure_is_dead_lettered_then_redriven(pipeline: Pipeline) -> None:
    aws, ss = pipeline.aws, pipeline.ss
    aws.pipe.pause()
    try:
        iid = pipeline.launch("squatted", "dev-2")
        ip = pipeline.describe(iid)["PrivateIpAddress"]
        # Before ipamsync sees the instance, someone registered its address by hand (in networks
        # made by hand too: ipamsync uses them as they are).
        space = pipeline.space_id()
        block = ss.create_network(
            4, space, "172.16.0.0/16", name="dev by hand", terminal=False, parent_id=None, metadata={}
        )
        ss.create_network(
            4, space, "172.16.1.0/24", name="dev-2 by hand", terminal=True, parent_id=block, metadata={}
        )
        squatter = ss.create_address(
            4, space, ip, name="squatter", mac="", device_id=None, iface_id=None, metadata={}
        )
    finally:
        aws.pipe.resume()
    pipeline.settle(timeout=120)  # each event maxReceiveCount deliveries, then the event DLQ

    # The launch's two events reach the queue in either order (Lambda runs enrich concurrently):
    # each fails maxReceiveCount times and is parked, except an older observation arriving after a
    # newer one, which is stale (the device records the newer one) and ends at once.
    workflow, events = pipeline.dead_letters()
    parked = len(events)
    assert parked in (1, 2)
    every = pipeline.executions_of(iid)
    runs = [s for s in every if s.status == "FAILED"]
    assert [s.status for s in every if s not in runs] == ["SUCCEEDED"] * (2 - parked)
    max_receive = int(aws.template.parameters["EventQueueMaxReceiveCount"])
    assert len(runs) == parked * max_receive
    assert {s.error for s in runs} == {"EventDeadLettered"}
    assert sorted(s.receive_count for s in runs) == sorted(list(range(1, max_receive + 1)) * parked)
    assert all(s.dead_lettered for s in runs)
    history = pipeline.history(runs[0].name)
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "OwnershipConflict"
    assert ip in failed[0]["taskFailedEventDetails"]["cause"]
    assert any(
        e["type"] == "TaskStateEntered" and e["stateEnteredEventDetails"]["name"] == "DeadLetter"
        for e in history
    )
    ended = [e for e in history if e["type"] == "ExecutionFailed"]
    assert [e["executionFailedEventDetails"]["error"] for e in ended] == ["EventDeadLettered"]

    arns = {s.execution_arn for s in runs}
    assert len(workflow) == parked * max_receive
    originals = {m["event"]["state"]: m for m in (body(e["body"]["record"]) for e in workflow)}
    for entry in workflow:
        record = entry["body"]
        assert record["kind"] == "workflow" and record["execution_arn"] in arns
        assert record["state_machine_arn"] == aws.state_machine.arn
        assert record["record"]["error"]["Error"] == "OwnershipConflict"
        assert body(record["record"])["instance"]["id"] == iid
    assert {arn for arn in (e["body"]["execution_arn"] for e in workflow)} == arns
    assert {e["body"]["event"]["state"] for e in events} == set(originals)
    for entry in events:  # the event DLQ holds the enriched messages as they were queued
        assert entry["body"] == originals[entry["body"]["event"]["state"]]
        assert int(entry["attributes"]["ApproximateReceiveCount"]) >= max_receive

    # Nothing was overwritten: the address is still the squatter's; ipamsync owns nothing of it.
    inv = pipeline.inventory()
    held = inv.address_map()[ip]
    assert held.id == squatter and held.name == "squatter" and "ipamsync_owner" not in held.metadata
    assert inv.owned_by(pipeline.owner(iid))["addresses"] == []

    # The conflict is resolved, then the dead letters are replayed through the local AWS's HTTP
    # endpoint with the same command an operator runs against AWS.
    ss.delete_address(4, squatter)
    server = serve_local_aws()
    try:
        host, port = server.get_host_and_port()
        code = ipamsync(
            [
                "redrive",
                "--endpoint-url",
                f"http://{host}:{port}",
                "--region",
                aws.context.region,
                "--event-queue-url",
                aws.queue_url("EventQueue"),
                "--dead-letter-queue-url",
                aws.queue_url("WorkflowDeadLetterQueue"),
                "--dead-letter-queue-url",
                aws.queue_url("EventDeadLetterQueue"),
                "--enrich-function",
                aws.lambdas.get("EnrichFunction").name,
            ]
        )
    finally:
        server.stop()
    assert code == 0
    pipeline.settle()
    assert pipeline.dead_letters() == ([], [])
    replays = [s for s in pipeline.executions_of(iid) if s not in every]
    assert replays and {s.status for s in replays} == {"SUCCEEDED"}
    _, inv = pipeline.exact(iid)
    assert inv.address_map()[ip].metadata["ipamsync_owner"] == pipeline.owner(iid)


def test_public_ip_at_the_start_of_a_24_is_synced(pipeline: Pipeline) -> None:
    aws = pipeline.aws
    iid = pipeline.launch("edge-zero", "prod-1")
    pipeline.settle()
    eni = pipeline.describe(iid)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    eip = aws.ec2.allocate_address(Domain="vpc", Address="198.51.100.0")
    aws.ec2.associate_address(AllocationId=eip["AllocationId"], NetworkInterfaceId=eni)
    before = len(pipeline.executions_of(iid))
    aws.events_source.emit(iid, "running", account_id=aws.context.account_id, region=aws.context.region)
    deadline = time.monotonic() + 60
    while len(pipeline.executions_of(iid)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    (first,) = pipeline.executions_of(iid)[before : before + 1]
    assert first.status == "SUCCEEDED", (first.error, first.task_failures)
    pipeline.settle()
    truth, inv = pipeline.truth(), pipeline.inventory()
    diffs = compare(inv, truth.restrict({iid}))
    assert diffs == [], format_differences(diffs)
