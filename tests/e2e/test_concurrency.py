"""Always right under real concurrency, through the full local pipeline in parallel mode (one process
per Lambda execution environment, as many executions at once as the sync functions' reserved
concurrency, all against one emulator).

The FIFO queue serialises one instance's executions on every path through it; these tests take the
paths around it that AWS allows: an execution started by hand with a copied input, the same message
twice at once, an older and a newer observation at once, while the queued execution still runs.
Each ends with SOLIDserver holding exactly what EC2 says (``truth``) and nothing dead-lettered that
should not be.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest

from ipamsync.model import format_observation, parse_time

from .harness import Run

pytestmark = pytest.mark.slow

#: Designed waits times 0.05: a lease lasts 16 s and a failed event is redelivered after 18 s, well
#: above how long an execution takes here even on a loaded machine (they overlap on purpose).
SCALE = 0.05
#: The state machine's Retry waits at half their real length: an execution waiting for another's
#: lease (InstanceBusy) keeps AWS's patience (22 s) relative to executions that take real time here.
RETRY_SCALE = 0.5
#: Every SOLIDserver answer 5-45 ms late: the two executions' calls interleave at every step.
SLOW = {"rules": {"*": {"latency_ms": 5, "jitter_ms": 40}}}
#: ... and the older observation's address and record writes (they carry its name) 400 ms later
#: still: an adversarial schedule in which, without the instance's lease, they would land last.
SLOW_OLD = {
    "rules": {
        "*": {"latency_ms": 5, "jitter_ms": 40},
        "ip_add": {"latency_ms": 400, "match": "old-"},
        "dns_rr_add": {"latency_ms": 400, "match": "old-"},
    }
}


def _drain(run: Run) -> list[dict[str, Any]]:
    """Every message of the (paused) event queue, in queue order; the queue is left empty."""
    return [m["body"] for m in run.aws.dead_letters("EventQueue", delete=True)]


def _record(body: dict[str, Any], n: int) -> dict[str, Any]:
    """The SQS record the pipe would hand the state machine (copied from the console, say)."""
    return {
        "messageId": f"by-hand-{n}",
        "body": json.dumps(body),
        "attributes": {"MessageGroupId": body["instance"]["id"]},
    }


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def go(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        out[i] = call()

    threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return out


def _executed_by_hand_at_once(run: Run, records: list[dict[str, Any]]) -> list[Any]:
    """Execute ``records`` by hand, all at the same time. Only one execution writes an instance at a
    time (its lease); another waits for it with the state machine's InstanceBusy retries (AWS's
    patience: 22 s, here ``RETRY_SCALE`` of it) and, on a machine slow enough to run out of them,
    fails with InstanceBusy alone, never another error, and is dead-lettered, as in AWS. Those are
    then replayed one at a time (SQS's redelivery) and must succeed; their dead-letter records name
    InstanceBusy. Returns the summaries of the executions at once."""
    summaries = _at_once(*(lambda r=r: run.aws.execute([r]) for r in records))
    assert any(s.status == "SUCCEEDED" for s in summaries)
    gave_up = [(r, s) for r, s in zip(records, summaries, strict=True) if s.status != "SUCCEEDED"]
    for _, s in gave_up:
        assert {f["error"] for f in s.task_failures} == {"InstanceBusy"}, s.task_failures
    letters = run.aws.dead_letters("WorkflowDeadLetterQueue", delete=True)
    assert len(letters) == len(gave_up)
    assert all(d["body"]["record"]["error"]["Error"] == "InstanceBusy" for d in letters), letters
    for r, _ in gave_up:
        assert run.aws.execute([r]).status == "SUCCEEDED"
    return summaries


def _no_dead_letters(run: Run) -> None:
    assert run.dead_letters("WorkflowDeadLetterQueue") == []
    assert run.dead_letters("EventDeadLetterQueue") == []


def test_a_burst_of_launches_into_a_new_space_and_vpc(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
):
    """Ten instances of an Auto Scaling group (one Name) launched at once into a VPC and a space
    that do not exist yet: the space, the block, the subnets and the shared DNS name are created by
    executions running at the same time, without a conflict or a dead letter."""
    with make_pipeline(time_scale=SCALE, retry_scale=RETRY_SCALE, parameters={"SpaceName": "Burst"}) as run:
        fleet, pipe, lambdas = run.aws.fleet, run.aws.pipe, run.aws.lambdas
        assert fleet is not None and pipe is not None and lambdas is not None
        assert run.ss.find_space("Burst") is None
        net = fleet.ensure_network("10.77.0.0/16", name="burst", subnets=2)
        pipe.pause()  # all ten queued, then released together
        ids = [fleet.launch("asg-web", subnet_id=net.subnet_ids[n % 2]).instance_id for n in range(10)]
        lambdas.wait_idle(60)
        pipe.resume()
        run.wait()
        assert lambdas.get("NetworksFunction").stats.in_flight_max > 1, "executions ran at the same time"
        _no_dead_letters(run)
        run.assert_converged()
        inv = run.inventory()
        assert inv.duplicates() == {}
        assert [s.name for s in inv.spaces].count("Burst") == 1
        shared = [r for r in inv.records if r.fqdn.startswith("asg-web.") and r.type == "A"]
        assert len(shared) == len(ids)  # one A record per instance under the shared name


@pytest.mark.parametrize("newer_first", [False, True], ids=["older-first", "newer-first"])
def test_an_older_and_a_newer_observation_at_once_end_with_the_newer(
    make_pipeline: Callable[..., AbstractContextManager[Run]], newer_first: bool
):
    """Six instances renamed (Name tag) between two observations; for each, both messages are
    executed by hand at the same time (twelve executions at once, answers 5-45 ms late so that
    their calls interleave). Each instance must end exactly as the newer observation says: one
    device named after the new name, its addresses, A record and single PTR too."""
    with make_pipeline(time_scale=SCALE, retry_scale=RETRY_SCALE) as run:
        fleet, pipe = run.aws.fleet, run.aws.pipe
        assert fleet is not None and pipe is not None
        ids = [fleet.launch(f"old-{n}", secondary_ips=1).instance_id for n in range(6)]
        run.wait()
        applied = run.applied_messages()
        older = {iid: [b for b in applied if b["instance"]["id"] == iid][-1] for iid in ids}
        pipe.pause()
        for n, iid in enumerate(ids):
            fleet.rename(iid, f"new-{n}")
        run.aws.lambdas.wait_idle(60)
        newer = {b["instance"]["id"]: b for b in _drain(run)}
        assert all(newer[iid]["observed_at"] > older[iid]["observed_at"] for iid in ids)
        pairs = [(newer[iid], older[iid]) if newer_first else (older[iid], newer[iid]) for iid in ids]
        bodies = [b for pair in pairs for b in pair]
        run.emu.admin.set_faults(SLOW_OLD)
        _executed_by_hand_at_once(run, [_record(b, k) for k, b in enumerate(bodies)])
        run.emu.admin.clear_faults()
        pipe.resume()
        run.wait()
        _no_dead_letters(run)
        run.assert_converged()


def test_an_older_execution_stalled_mid_write_cannot_undo_a_newer_one(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
):
    """An adversarial schedule: the older observation's device write (the only request carrying its
    event id) is answered 2 s late, while the newer observation's execution, started by hand just
    after, runs. Without the instance's lease the newer would finish first and the older one's late
    device write and the steps after it would undo the rename; with it the newer one waits."""
    with make_pipeline(time_scale=SCALE, retry_scale=RETRY_SCALE) as run:
        aws, fleet, pipe = run.aws, run.aws.fleet, run.aws.pipe
        assert fleet is not None and pipe is not None
        iid = fleet.launch("old-stall").instance_id
        run.wait()
        applied = [b for b in run.applied_messages() if b["instance"]["id"] == iid][-1]
        pipe.pause()
        fleet.rename(iid, "new-stall")
        run.aws.lambdas.wait_idle(60)
        newer = _drain(run)[-1]
        # an observation between the two: the old name, and a tag that was there for a moment
        between = format_observation(parse_time(applied["observed_at"]) + timedelta(microseconds=1))
        assert parse_time(applied["observed_at"]) < parse_time(between) < parse_time(newer["observed_at"])
        instance = {**applied["instance"], "tags": {**applied["instance"]["tags"], "phase": "1"}}
        event = {**applied["event"], "id": "stalled-older-event"}
        older = {**applied, "event": event, "observed_at": between, "instance": instance}
        run.emu.admin.set_faults(
            {"rules": {"hostdev_add": {"latency_ms": 2000, "match": "ipamsync_event_id=stalled-older-event"}}}
        )

        def newer_after_a_moment() -> Any:
            threading.Event().wait(0.3)
            return aws.execute([_record(newer, 2)])

        summaries = _at_once(lambda: aws.execute([_record(older, 1)]), newer_after_a_moment)
        assert {s.status for s in summaries} == {"SUCCEEDED"}, [f for s in summaries for f in s.task_failures]
        run.emu.admin.clear_faults()
        pipe.resume()
        run.wait()
        _no_dead_letters(run)
        run.assert_converged()


def test_the_same_message_twice_at_once(make_pipeline: Callable[..., AbstractContextManager[Run]]):
    """The same SQS record executed by hand four times at once: one device, no false conflict,
    and no write at all once it is applied."""
    with make_pipeline(time_scale=SCALE, retry_scale=RETRY_SCALE) as run:
        aws, fleet, pipe = run.aws, run.aws.fleet, run.aws.pipe
        assert fleet is not None and pipe is not None
        pipe.pause()
        iid = fleet.launch("twice", secondary_ips=1, ipv6=1).instance_id
        run.aws.lambdas.wait_idle(60)
        body = _drain(run)[-1]
        run.emu.admin.set_faults(SLOW)
        _executed_by_hand_at_once(run, [_record(body, n) for n in range(4)])
        writes = run.emu.admin.stats()["totals"]["writes"]
        again = _at_once(*(lambda n=n: aws.execute([_record(body, 10 + n)]) for n in range(4)))
        assert all("NothingToDo" in s.states for s in again)
        assert run.emu.admin.stats()["totals"]["writes"] == writes
        pipe.resume()
        run.wait()
        _no_dead_letters(run)
        run.assert_converged()
        assert len([d for d in run.inventory().devices if d.metadata.get("aws_instance_id") == iid]) == 1


def test_an_execution_started_by_hand_while_the_queued_one_runs(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
):
    """The queued execution of a stop and an execution started by hand with the copied input of an
    older observation run at once: the newest observation wins whichever runs first."""
    with make_pipeline(time_scale=SCALE, retry_scale=RETRY_SCALE) as run:
        aws, fleet, pipe = run.aws, run.aws.fleet, run.aws.pipe
        assert fleet is not None and pipe is not None
        iid = fleet.launch("by-hand", ipv6=1).instance_id
        run.wait()
        older = [b for b in run.applied_messages() if b["instance"]["id"] == iid][-1]
        pipe.pause()
        fleet.stop(iid)
        run.aws.lambdas.wait_idle(60)
        run.emu.admin.set_faults(SLOW)
        _at_once(pipe.resume, lambda: aws.execute([_record(older, 1)]))
        run.wait()
        _no_dead_letters(run)
        run.assert_converged()
        assert run.inventory().device_of(iid).metadata["aws_state"] == "stopped"


def test_a_termination_interrupted_between_its_writes_never_leaves_the_instance_unguarded(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
):
    """The device becomes its tombstone, then deleting one of its interfaces fails for good: the
    execution is dead-lettered, the tombstone guards the instance (an older ``pending`` observation
    sent afterwards is stale), and the redrive completes the termination. (Nothing overlaps here:
    the designed waits can be short.)"""
    with make_pipeline(time_scale=0.01) as run:
        aws, fleet, pipe, emu = run.aws, run.aws.fleet, run.aws.pipe, run.emu
        assert fleet is not None and pipe is not None
        iid = fleet.launch("ending", enis=2).instance_id
        run.wait()
        pending = next(b for b in run.applied_messages() if b["instance"]["id"] == iid)
        owner = f"aws:{run.truth().account}:us-east-1:{iid}"
        iface = run.inventory().owned_by(owner)["interfaces"][1]
        emu.admin.set_faults(
            {
                "rules": {
                    "hostiface_delete": {"error_rates": {"503": 1.0}, "match": f"hostiface_id={iface.id}"}
                }
            }
        )
        fleet.terminate(iid)
        run.wait()
        assert run.dead_letters("EventDeadLetterQueue"), "the termination could not finish"
        guard = run.inventory().owned_by(owner)["devices"]
        assert len(guard) == 1 and guard[0].metadata.get("ipamsync_tombstone"), "device and tombstone in one"
        late = aws.execute([_record(pending, 1)])
        assert late.status == "SUCCEEDED" and "NothingToDo" in late.states  # never resurrected
        emu.admin.clear_faults()
        report = run.redrive()
        assert report.kept_invalid == []
        run.wait()
        _no_dead_letters(run)
        run.assert_converged()
