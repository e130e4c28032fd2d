"""Partial failure inside one execution: the device and subnet steps are done, the address step
fails — permanently (an address held by something ipamsync does not own), transiently (SOLIDserver
refuses every address write for a while), or with every write's answer lost after it was applied.
Nothing is left half-owned that a replay of the same message cannot fix: once the cause is gone the
same events converge on EC2, with no orphan and no duplicate, and objects ipamsync does not own are
never touched."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from ipamsync.errors import RETRY_POLICY
from ipamsync_local.truth import foreign_snapshot

from .harness import MAX_RECEIVE, Run

pytestmark = pytest.mark.slow

SCALE = 0.005  # visibility timeout 360 s → 1.8 s between deliveries
WRITE_SERVICES = (
    "ip_site_add",
    "ip_subnet_add",
    "ip6_subnet6_add",
    "ip_add",
    "ip6_address6_add",
    "hostdev_add",
    "hostiface_add",
    "dns_rr_add",
)


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# Over 80 lines: three failure modes (permanent, transient, answer lost) on one pipeline, numbered
# below, each checked to converge before the next; a pipeline per mode would triple the set-up.
def test_a_half_applied_event_is_fixed_by_replaying_it(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline(time_scale=SCALE) as run:
        aws, ss, emu = run.aws, run.ss, run.emu
        fleet, pipe = aws.fleet, aws.pipe
        assert fleet is not None and pipe is not None

        # ---- 1. permanent: the secondary address is held by something ipamsync does not own
        pipe.pause()
        conflict = fleet.launch("conf-1", secondary_ips=1)
        primary_ip, secondary_ip = conflict.details["private_ips"]
        space = ss.find_space("AWS")
        assert space is not None
        block = ss.create_network(
            4, space.id, "10.0.0.0/16", name="dc", terminal=False, parent_id=None, metadata={}
        )
        ss.create_network(
            4, space.id, "10.0.0.0/24", name="dc-lan", terminal=True, parent_id=block, metadata={}
        )
        squatter = ss.create_address(
            4, space.id, secondary_ip, name="legacy-box", mac="", device_id=None, iface_id=None, metadata={}
        )
        run.foreign_before = foreign_snapshot(run.inventory())
        pipe.resume()
        run.wait(120)

        # The launch's two events (pending, running) reach the queue in either order (Lambda runs
        # enrich concurrently): each is refused MAX_RECEIVE times and parked, except an older
        # observation arriving after a newer one, which is stale (the device records the newer).
        runs = [s for s in run.executions() if s.instance_id == conflict.instance_id]
        failed = [s for s in runs if s.status == "FAILED"]
        parked = run.dead_letters("EventDeadLetterQueue")
        assert len(parked) in (1, 2) and len(failed) == len(parked) * MAX_RECEIVE
        assert all("NothingToDo" in s.states for s in runs if s.status != "FAILED")
        workflow = [d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue")]
        assert {w["record"]["error"]["Error"] for w in workflow} == {"OwnershipConflict"}
        assert all(secondary_ip in w["record"]["error"]["Cause"] for w in workflow)
        assert all("SyncAddresses" in s.states and s.retries == 0 for s in failed), "permanent: not retried"
        half = run.inventory()
        owner = f"aws:{run.truth().account}:us-east-1:{conflict.instance_id}"
        mine = half.owned_by(owner)
        assert len(mine["devices"]) == 1 and len(mine["interfaces"]) == 1  # the device step was done
        assert [a.address for a in mine["addresses"]] == [primary_ip]  # the address step half done
        held = half.address_map()[secondary_ip]
        assert (held.id, held.name, held.metadata) == (squatter, "legacy-box", {}), "never overwritten"
        assert run.differences(scope={conflict.instance_id}), "not converged yet"

        # The operator frees the address, then redrives: each event once, the newest wins.
        ss.delete_address(4, squatter)
        run.foreign_before = foreign_snapshot(run.inventory())
        report = run.redrive()
        assert (report.replayed_messages, report.kept_invalid) == (len(parked), [])
        run.wait()
        run.assert_converged()

        # ---- 2. transient: every address write refused until SOLIDserver recovers
        emu.admin.set_faults({"rules": {"ip_add": {"error_rates": {"503": 1.0}}}})
        before = len(run.executions())
        transient = fleet.launch("trans-1", secondary_ips=1)
        _wait_for(lambda: any(s.instance_id == transient.instance_id for s in run.executions()[before:]))
        emu.admin.clear_faults()
        run.wait()
        runs = [s for s in run.executions()[before:] if s.instance_id == transient.instance_id]
        first = runs[0]
        assert first.status == "FAILED" and first.dead_lettered
        # every attempt the transient retrier allows failed: the first and its retries
        attempts = 1 + next(
            int(r["MaxAttempts"]) for r in RETRY_POLICY if "SolidServerUnavailable" in r["ErrorEquals"]
        )
        assert Counter(f["error"] for f in first.task_failures) == {"SolidServerUnavailable": attempts}
        assert {f["state"] for f in first.task_failures} == {"SyncAddresses"}
        assert run.dead_letters("EventDeadLetterQueue") == []
        assert [s.status for s in runs].count("SUCCEEDED") == 2, "redelivered by SQS, then applied"
        run.assert_converged()

        # ---- 3. every write applied, its answer lost (connection closed after the commit)
        emu.admin.set_faults({"rules": {svc: {"drop_after_commit_rate": 1.0} for svc in WRITE_SERVICES}})
        before = len(run.executions())
        lost = fleet.launch("lost-1", secondary_ips=1, subnet_id=fleet.ensure_network().subnet_ids[1])
        run.wait()
        emu.admin.clear_faults()
        runs = [s for s in run.executions()[before:] if s.instance_id == lost.instance_id]
        assert [s.status for s in runs] == ["SUCCEEDED", "SUCCEEDED"]
        assert sum(s.retries for s in runs) >= 5, "each lost answer cost one retry"
        assert emu.admin.stats()["totals"]["statuses"].get("dropped_after_commit", 0) >= 5
        run.assert_converged()
        assert run.inventory().duplicates() == {}
        assert run.dead_letters("EventDeadLetterQueue") == []
