"""The local Lambda service's execution environments (parallel mode, the default): one process per
environment, as many per function as its reserved concurrency, reused when idle, replaced after a
timeout, their logs forwarded, every process gone when the runtime stops; serial mode still runs
one handler at a time.

The device function's code is a probe (``probe/app.py``) in a copy of the template: it runs in the
environments like the real handlers do. Nothing here measures time: overlap is proven by counting
who is inside a gate at once, serialisation by who could not get in.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from ipamsync_local.aws import LocalAws
from ipamsync_local.aws.ec2events import DEFAULT_IMAGE
from ipamsync_local.aws.motohook import Throttled

from .envprobe import RESERVED, TIMEOUT, Gate, alive, in_threads, invoke, runtime


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAws]:
    with runtime(tmp_path_factory.mktemp("environments")) as aws:
        yield aws


@pytest.fixture
def aws(shared: LocalAws) -> LocalAws:
    shared.cold_start()
    return shared


# --------------------------------------------------------------------------- concurrency


def test_invocations_overlap_up_to_the_reserved_concurrency_and_the_excess_is_throttled(
    aws: LocalAws, gate: Gate
) -> None:
    assert aws.concurrency == "parallel" and aws.lambdas is not None
    assert aws.lambdas.get("DeviceFunction").spec.reserved_concurrency == RESERVED
    before = aws.counters()["lambda"]["DeviceFunction"]
    threads, results = in_threads(aws, [{"action": "gate", "port": gate.port}] * RESERVED)
    gate.wait_inside(RESERVED)  # all of them inside the handler at once: they overlap
    assert len(set(gate.pids)) == RESERVED and os.getpid() not in gate.pids  # one process each
    with pytest.raises(Throttled):
        aws.lambdas.invoke("DeviceFunction", {"action": "where"})
    no_retries = boto3.client(
        "lambda", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1})
    )
    with pytest.raises(ClientError) as err:
        no_retries.invoke(FunctionName="ipamsync-DeviceFunction", Payload=b'{"action": "where"}')
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert err.value.response["Error"]["Code"] == "TooManyRequestsException"
    gate.release()
    for t in threads:
        t.join(60)
    assert sorted(r["pid"] for r in results) == sorted(gate.pids)
    stats = aws.counters()["lambda"]["DeviceFunction"]
    assert stats["in_flight_max"] == RESERVED and gate.max_inside == RESERVED
    assert stats["throttles"] - before["throttles"] == 2
    assert stats["environments"] <= RESERVED


def test_an_idle_environment_is_reused_and_a_new_one_started_when_none_is_idle(
    aws: LocalAws, gate: Gate
) -> None:
    before = aws.counters()["lambda"]["DeviceFunction"]
    first = invoke(aws, {"action": "where"})["pid"]
    assert [invoke(aws, {"action": "where"})["pid"] for _ in range(3)] == [first] * 3  # warm
    threads, _ = in_threads(aws, [{"action": "gate", "port": gate.port}] * 2)
    gate.wait_inside(2)
    assert first in gate.pids and len(set(gate.pids)) == 2  # the idle one, and a new one
    gate.release()
    for t in threads:
        t.join(60)
    stats = aws.counters()["lambda"]["DeviceFunction"]
    assert stats["cold_starts"] - before["cold_starts"] == 2
    assert stats["warm_starts"] - before["warm_starts"] == 4

    assert aws.cold_start() == 2  # both idle environments retired: the next invocation is cold
    assert not alive(first)
    assert invoke(aws, {"action": "where"})["pid"] not in gate.pids
    assert aws.counters()["lambda"]["DeviceFunction"]["cold_starts"] - before["cold_starts"] == 3


def test_always_cold_starts_a_new_environment_for_every_invocation(aws: LocalAws) -> None:
    assert aws.lambdas is not None
    fn = aws.lambdas.get("DeviceFunction")
    fn.always_cold = True
    try:
        pids = [invoke(aws, {"action": "where"})["pid"] for _ in range(3)]
    finally:
        fn.always_cold = False
    assert len(set(pids)) == 3


# --------------------------------------------------------------------------- one invocation


def test_the_environment_and_the_context_are_lambdas(aws: LocalAws) -> None:
    keys = [
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_REGION",
        "AWS_ENDPOINT_URL",
        "POWERTOOLS_TRACE_DISABLED",
        "SOLIDSERVER_SECRET_ARN",
        "POWERTOOLS_SERVICE_NAME",
        "EVENT_QUEUE_URL",
        "PYTEST_CURRENT_TEST",
    ]
    out = invoke(aws, {"action": "where", "env": keys})
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == out["function_name"] == "ipamsync-DeviceFunction"
    assert env["AWS_REGION"] == "us-east-1" and env["POWERTOOLS_TRACE_DISABLED"] == "true"
    assert env["AWS_ENDPOINT_URL"] == aws.endpoint_url and env["AWS_ENDPOINT_URL"].startswith(
        "http://127.0.0.1:"
    )
    assert env["SOLIDSERVER_SECRET_ARN"] == aws.secret_arn and env["POWERTOOLS_SERVICE_NAME"] == "ipamsync"
    assert env["EVENT_QUEUE_URL"] is None  # the enrich function's own variable, not the device's
    assert env["PYTEST_CURRENT_TEST"] is None  # nothing of this process's environment
    assert 0 < out["remaining_ms"] <= TIMEOUT * 1000 and out["memory"] == 256


def test_the_handlers_reach_the_same_aws_and_its_hooks(aws: LocalAws) -> None:
    """Secrets Manager through moto's server; an EC2 launch made over HTTP is reported like one made
    in-process (the EC2 hook), so the enrich function hears of it."""
    assert aws.events_source is not None
    mark = aws.events_source.mark()
    out = invoke(aws, {"action": "aws", "image_id": DEFAULT_IMAGE})
    assert out["secret"] == aws.credentials
    assert aws.ec2.describe_instances(InstanceIds=[out["instance_id"]])["Reservations"]
    emitted = [(e.instance_id, e.state) for e in aws.events_source.since(mark)]
    assert emitted == [(out["instance_id"], "pending"), (out["instance_id"], "running")]


def test_a_timeout_kills_and_replaces_the_environment(aws: LocalAws) -> None:
    assert aws.lambdas is not None
    before = aws.counters()["lambda"]["DeviceFunction"]
    pid = invoke(aws, {"action": "where"})["pid"]
    result = aws.lambdas.invoke("DeviceFunction", {"action": "sleep", "seconds": TIMEOUT * 20})
    payload = result.json()
    assert payload["errorType"] == "Sandbox.Timedout"
    assert (
        payload["errorMessage"]
        == f"RequestId: {result.request_id} Error: Task timed out after {TIMEOUT:.2f} seconds"
    )
    assert not alive(pid)  # killed, not left running
    assert invoke(aws, {"action": "where"})["pid"] != pid
    stats = aws.counters()["lambda"]["DeviceFunction"]
    assert stats["timeouts"] - before["timeouts"] == 1 and stats["cold_starts"] - before["cold_starts"] == 2


def test_logs_arrive_line_intact(aws: LocalAws, gate: Gate) -> None:
    """Three environments print long JSON lines at once (each longer than a pipe's buffer): every
    line reaches the runtime's lambda_log whole."""
    log_path = Path(str(aws.lambda_log))
    start = log_path.stat().st_size
    threads, results = in_threads(aws, [{"action": "print", "lines": 20, "width": 100_000}] * RESERVED)
    for t in threads:
        t.join(60)
    assert all(r == {"printed": 20} for r in results), results
    aws.cold_start()  # the environments end: whatever they wrote has been read
    with log_path.open() as f:
        f.seek(start)
        lines = f.read().splitlines()
    printed = [json.loads(line) for line in lines if line.startswith('{"n"')]
    assert len(printed) == 20 * RESERVED and all(len(p["pad"]) == 100_000 for p in printed)
    assert lines.count("to stderr") == RESERVED
