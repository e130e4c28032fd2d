"""Duplicates: every event delivered three times leaves SOLIDserver exactly as one delivery does.

Three kinds of duplicate reach ipamsync, each through the full pipeline:

1. EventBridge's at-least-once delivery: the *same event* (same id) invokes enrich again while the
   first message is still queued → the FIFO queue's deduplication id (= event id) drops it.
2. The *same enriched message* delivered again (SQS redelivery, a redrive, a replay) with a new
   deduplication id → executions run, SOLIDserver already reflects the message: zero writes.
3. The same event enriched again *after* it was applied (AWS: outside the 5-minute deduplication
   window; moto deduplicates only while the first message is still in the queue) → a newer
   observation of an unchanged instance: the device's observation time moves forward (one write,
   needed by the freshness guard) and nothing else changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from .harness import Run, write_count

pytestmark = pytest.mark.slow


def _fleet(run: Run) -> list[str]:
    fleet = run.aws.fleet
    assert fleet is not None
    web = fleet.launch("web-1", enis=2, secondary_ips=1, ipv6=1, elastic_ip=True, tags={"env": "prod"})
    db = fleet.launch("db-1", public_ip=True)
    api = fleet.launch("api-1")
    run.wait()
    fleet.stop(db.instance_id)
    fleet.rename(web.instance_id, "web-2")
    fleet.terminate(api.instance_id)
    run.wait()
    return [web.instance_id, db.instance_id, api.instance_id]


def test_every_event_three_times_changes_nothing(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline() as run:
        aws = run.aws
        assert aws.events_source is not None and aws.lambdas is not None and aws.pipe is not None
        _fleet(run)
        run.assert_converged()
        once = run.inventory()
        applied = run.applied_messages()
        assert aws.calls_source is not None
        # 14 state changes; web-1's Elastic IP association and its rename's CreateTags (CloudTrail)
        events = [e.event for e in aws.events_source.emitted] + [c.event for c in aws.calls_source.emitted]
        assert len(run.executions()) == len(events) == len(applied) == 16
        writes_once = write_count(run.emu.admin.stats())

        # A. The same enriched messages twice more (new deduplication ids): what SQS redelivery,
        #    the pipe's retries and a redrive produce. Nothing is written.
        run.log.clear()
        for copy in (1, 2):
            for body in applied:
                aws.send_message(body, dedup_id=f"again-{copy}-{body['event']['id']}")
        run.wait()
        replays = run.executions()[len(applied) :]
        assert len(replays) == 2 * len(applied) and {s.status for s in replays} == {"SUCCEEDED"}
        # every replay stops at the guard: the newest is already applied, the older ones are stale
        assert all("NothingToDo" in s.states for s in replays)
        assert run.log.writes() == []
        assert write_count(run.emu.admin.stats()) == writes_once

        # B. The same EventBridge events (same ids) three times, while the first copy is queued.
        aws.pipe.pause()
        for _ in range(3):
            for event in events:
                aws.lambdas.invoke_async("EnrichFunction", event)
        aws.lambdas.wait_idle(60)
        assert aws.queue_depth("EventQueue")["visible"] == len(events), "deduplicated by event id"
        aws.pipe.resume()
        run.wait()
        reobserved = run.executions()[3 * len(applied) :]
        assert len(reobserved) == len(events) and {s.status for s in reobserved} == {"SUCCEEDED"}
        # Newer observations of unchanged instances: each took the instance's lease, moved its
        # device's observation time forward (what the freshness guard needs) and gave the lease
        # back: one lease add, one device edit, one lease delete, and nothing else. (Re-enriched
        # concurrently, an instance's events may reach the queue out of order: one observed before
        # another already applied is stale and writes nothing at all.)
        by_call = Counter((r.method, r.service) for r in run.log.writes())
        advanced = by_call[("POST", "hostdev_add")]
        assert 0 < advanced <= len(events)
        assert by_call == {
            ("POST", "hostdev_add"): advanced,
            ("PUT", "hostdev_add"): advanced,
            ("DELETE", "hostdev_delete"): advanced,
        }

        assert aws.dead_letters("WorkflowDeadLetterQueue") == []
        assert aws.dead_letters("EventDeadLetterQueue") == []
        run.assert_converged()
        again = run.inventory()
        assert {(d.id, d.name) for d in again.devices} == {(d.id, d.name) for d in once.devices}
        assert {(a.id, a.address, a.name) for a in again.addresses} == {
            (a.id, a.address, a.name) for a in once.addresses
        }
        assert {(r.id, r.fqdn, r.value) for r in again.records} == {
            (r.id, r.fqdn, r.value) for r in once.records
        }
        assert again.duplicates() == {}
