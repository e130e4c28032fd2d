"""Transient faults: SOLIDserver fails about 30 % of the calls (500, 503, 429 with Retry-After, answers
slower than the client's read timeout, connections dropped before and after the request was applied)
while a fleet goes through its lifecycle.

What must hold: every event is accounted for (applied, or parked in a dead-letter queue with its
error, never lost); retries are bounded by the ASL (each retrier's MaxAttempts, the queue's
maxReceiveCount) and back off (each wait under its growing ceiling, later waits longer than the first
ceiling allows); nothing is duplicated; and SOLIDserver converges to the truth — by the retries
alone, plus a redrive for the events whose whole budget the faults used up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from ipamsync.errors import TRANSIENT_ERROR_NAMES

from .harness import (
    ENRICH_ATTEMPTS,
    MAX_RECEIVE,
    Run,
    retry_violations,
    task_runs,
    wait_violations,
    where_problems,
)

pytestmark = pytest.mark.slow

RETRY_SCALE = 0.05  # ASL waits: 2, 4, 8, 16 s → 0.1 ... 0.8 s (measurable in the histories)
READ_TIMEOUT = 0.5  # the client's read timeout (SOLIDSERVER_READ_TIMEOUT), below the slow answers

FAULTS = {
    "seed": 30,
    "rules": {
        # ~30 % of the calls of every service fail
        "*": {
            "error_rates": {"500": 0.08, "503": 0.08, "429": 0.03},
            "retry_after": 1,
            "drop_rate": 0.05,
            "drop_after_commit_rate": 0.05,
        },
        # lookups of addresses: ~30 % answered after the client gave up (latency 0-700 ms)
        "ip_address_list": {
            "error_rates": {},
            "drop_rate": 0.0,
            "drop_after_commit_rate": 0.0,
            "jitter_ms": 700,
        },
    },
}


# Over 80 lines: one fleet lifecycle under faults; convergence, nothing lost, bounded retries and
# the redrive are all read from that one run, which takes too long to repeat per property.
def test_a_fleet_lifecycle_under_30_percent_faults_converges(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline(
        retry_scale=RETRY_SCALE, environment={"SOLIDSERVER_READ_TIMEOUT": str(READ_TIMEOUT)}
    ) as run:
        aws, emu = run.aws, run.emu
        fleet = aws.fleet
        assert fleet is not None and aws.events_source is not None
        emu.admin.set_faults(FAULTS)
        a = fleet.launch("app-1", enis=2, secondary_ips=1, ipv6=1, elastic_ip=True, tags={"tier": "web"})
        b = fleet.launch("app-2", public_ip=True)
        c = fleet.launch("app-3", ipv6=1)
        d = fleet.launch("app-4")
        run.wait(300)
        fleet.stop(b.instance_id)
        fleet.rename(a.instance_id, "app-1b")
        fleet.terminate(c.instance_id)
        run.wait(300)
        fleet.start(b.instance_id)
        fleet.stop(d.instance_id)
        run.wait(300)

        assert aws.calls_source is not None
        events = [*aws.events_source.emitted, *aws.calls_source.emitted]  # state changes, CloudTrail calls
        requests = run.log.snapshot()
        statuses = Counter(r.status for r in requests)
        faulted = sum(n for s, n in statuses.items() if s in ("500", "503", "429", "dropped"))
        timeouts = sum(
            1 for r in requests if r.service == "ip_address_list" and r.ended - r.started > READ_TIMEOUT
        )
        assert (faulted + timeouts) / len(requests) > 0.2, statuses  # the faults really happened

        # Nothing lost: every event is either applied or parked with its error.
        summaries = run.executions()
        event_dlq = run.dead_letters("EventDeadLetterQueue")
        workflow_dlq = run.dead_letters("WorkflowDeadLetterQueue")
        succeeded = {s.event_id for s in summaries if s.status == "SUCCEEDED"}
        parked = {d["body"]["event"]["id"] for d in event_dlq}
        emitted = {e.id for e in events}
        assert emitted == succeeded | parked and not succeeded & parked
        failed = [s for s in summaries if s.status != "SUCCEEDED"]
        assert len(workflow_dlq) == len(failed), "one workflow record per failed execution"
        for record in workflow_dlq:
            body = record["body"]
            assert body["kind"] == "workflow" and body["execution_arn"].endswith(
                tuple(s.name for s in failed)
            )
            # a transient error whose retries ran out: SOLIDserver's own, or InstanceBusy (the lease
            # of an execution that failed and could not give it up under the same faults, held
            # until it expires; the event is redelivered and applied then)
            assert body["record"]["error"]["Error"] in TRANSIENT_ERROR_NAMES
        # Bounded: deliveries per event ≤ maxReceiveCount, retries per retrier ≤ MaxAttempts, waits
        # under their ceilings; and they back off.
        deliveries = Counter(s.event_id for s in summaries)
        assert max(deliveries.values()) <= MAX_RECEIVE, deliveries
        runs = task_runs(run)
        assert retry_violations(runs) == []
        assert wait_violations(runs) == []
        waits = [w for tr in runs for w in tr.waits if w.error.startswith("SolidServer")]
        assert len(waits) >= 10, "transient errors were retried"
        first_ceiling = min(w.cap for w in waits)
        assert max(w.seconds for w in waits if w.attempt >= 2) > first_ceiling, "waits grow"
        lambdas = aws.counters()["lambda"]
        assert lambdas["EnrichFunction"]["errors"] == 0 and lambdas["EnrichFunction"]["invocations"] == len(
            events
        )
        assert where_problems(requests) == []

        # What the faults' budget did not cover, a redrive (faults still on) brings in.
        rounds = 0
        while run.dead_letters("EventDeadLetterQueue") and rounds < 5:
            rounds += 1
            report = run.redrive()
            assert report.kept_invalid == []
            run.wait(300)
        emu.admin.clear_faults()
        assert run.dead_letters("EventDeadLetterQueue") == []
        run.assert_converged()
        assert run.inventory().duplicates() == {}
        print(
            f"\n{len(events)} events, {len(summaries)} executions ({len(failed)} failed), "
            f"{len(parked)} events dead-lettered, {rounds} redrive round(s); SOLIDserver calls: "
            f"{len(requests)} ({dict(statuses)}), {timeouts} slow answers; ASL retries: {len(waits)}; "
            f"enrich attempts per event ≤ {ENRICH_ATTEMPTS}"
        )
