"""Outage: SOLIDserver is down for longer than the whole retry budget (every step's retries, every
SQS redelivery). Every affected event ends in the event dead-letter queue as the original message,
with one workflow record per failed delivery carrying the error and the execution; nothing is lost
(events in = applied + dead-lettered). Once SOLIDserver is back, ``redrive`` replays each event once
and SOLIDserver converges on EC2; a second redrive finds nothing."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from .harness import MAX_RECEIVE, Run, body

pytestmark = pytest.mark.slow

SCALE = 0.005  # visibility timeout 360 s → 1.8 s between deliveries


def test_an_outage_longer_than_the_retry_budget_is_dead_lettered_then_redriven(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline(time_scale=SCALE) as run:
        aws, emu = run.aws, run.emu
        fleet = aws.fleet
        assert fleet is not None and aws.events_source is not None
        x = fleet.launch("x-1", ipv6=1).instance_id
        y = fleet.launch("y-1", secondary_ips=1).instance_id
        run.wait()
        run.assert_converged()
        before = len(run.executions())
        mark = aws.events_source.mark()
        assert aws.calls_source is not None
        call_mark = aws.calls_source.mark()

        emu.admin.outage(True)
        fleet.stop(x)
        fleet.terminate(y)
        z = fleet.launch("z-1", elastic_ip=True).instance_id
        run.wait(120)
        # 6 state changes and z-1's Elastic IP association (its CloudTrail event)
        during = [*aws.events_source.since(mark), *aws.calls_source.since(call_mark)]
        assert len(during) == 7

        # Every event of the outage is parked, none applied, none lost.
        outage_runs = run.executions()[before:]
        applied = {s.event_id for s in outage_runs if s.status == "SUCCEEDED"}
        event_dlq = run.dead_letters("EventDeadLetterQueue")
        parked = [d["body"] for d in event_dlq]
        assert applied == set()
        assert sorted(b["event"]["id"] for b in parked) == sorted(e.id for e in during)
        assert Counter(s.event_id for s in outage_runs) == {e.id: MAX_RECEIVE for e in during}
        assert {s.status for s in outage_runs} == {"FAILED"} and {s.error for s in outage_runs} == {
            "EventDeadLettered"
        }
        # One workflow record per failed delivery: the original record, the error, the execution.
        workflow = [d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue")]
        assert len(workflow) == len(outage_runs)
        arns = {s.execution_arn for s in outage_runs}
        bodies = {json.dumps(b, sort_keys=True) for b in parked}
        for w in workflow:
            assert w["kind"] == "workflow" and w["execution_arn"] in arns and w["dead_lettered_at"]
            assert w["record"]["error"]["Error"] == "SolidServerUnavailable"
            assert "503" in w["record"]["error"]["Cause"]
            assert json.dumps(body(w["record"]), sort_keys=True) in bodies
        assert {w["execution_arn"] for w in workflow} == arns

        # SOLIDserver is back: it does not reflect the outage's events yet.
        emu.admin.outage(False)
        stale = run.differences()
        assert {d.instance_id for d in stale} - {None} == {x, y, z}
        # The redrive replays each event once (its dry run: see test_redrive.py).
        report = run.redrive()
        assert report.kept_invalid == []
        assert report.replayed_messages == len(during)
        assert report.duplicates == len(workflow) + len(parked) - len(during)
        run.wait()
        replays = run.executions()[before + len(outage_runs) :]
        assert len(replays) == len(during) and {s.status for s in replays} == {"SUCCEEDED"}
        run.assert_converged()
        assert run.inventory().duplicates() == {}
        assert run.dead_letters("EventDeadLetterQueue") == run.dead_letters("WorkflowDeadLetterQueue") == []
        again = run.redrive()
        assert (again.read, again.replayed_messages, again.replayed_events) == (0, 0, 0)
        assert {x, y, z} <= set(run.truth().instances)
