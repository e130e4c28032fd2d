"""Disorder: whatever order an instance's observations arrive in, SOLIDserver ends up describing the
newest one, and a terminated instance is never resurrected.

* Snapshots: each instance goes through its lifecycle; the real enrich function observes EC2 after
  every step (its messages are held in the queue), then the instance's messages are sent again in a
  seeded shuffled order and the pipeline applies them.
* EventBridge events: afterwards, late events (``running``/``pending`` after ``terminated``,
  ``stopped``/``stopping`` of running instances) are put on the bus again.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from .harness import Run

pytestmark = pytest.mark.slow

SEED = 1127


def _drain(run: Run) -> list[dict[str, Any]]:
    """Every message of the (paused) event queue, in queue order; the queue is left empty."""
    return [m["body"] for m in run.aws.dead_letters("EventQueue", delete=True)]


def test_observations_in_any_order_converge_on_the_newest(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    with make_pipeline() as run:
        aws = run.aws
        fleet, lambdas, pipe = aws.fleet, aws.lambdas, aws.pipe
        assert fleet is not None and lambdas is not None and pipe is not None
        pipe.pause()

        def settle() -> None:
            lambdas.wait_idle(60)  # every event enriched: one observation per step

        ending_terminated = [fleet.launch(f"gone-{i}", secondary_ips=1, ipv6=1).instance_id for i in range(3)]
        ending_running = [fleet.launch(f"live-{i}", ipv6=1).instance_id for i in range(3)]
        everyone = ending_terminated + ending_running
        settle()
        for iid in everyone:
            fleet.stop(iid)
        settle()
        for iid in everyone:
            fleet.rename(iid, f"renamed-{iid[-4:]}")
        settle()
        for iid in ending_terminated:
            fleet.terminate(iid)
        settle()

        by_instance: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for body in _drain(run):
            by_instance[body["instance"]["id"]].append(body)
        assert set(by_instance) == set(everyone)
        newest = {iid: max(b["observed_at"] for b in bodies) for iid, bodies in by_instance.items()}
        rng = random.Random(SEED)
        orders = {}
        for iid, bodies in by_instance.items():
            in_order = sorted(bodies, key=lambda b: b["observed_at"])
            assert len({b["observed_at"] for b in bodies}) == len(bodies), "distinct observations"
            shuffled = list(in_order)
            while shuffled[-1] is in_order[-1]:  # the newest observation never arrives last
                rng.shuffle(shuffled)
            orders[iid] = [in_order.index(b) for b in shuffled]
            for n, body in enumerate(shuffled):
                aws.send_message(body, dedup_id=f"shuffled-{n}-{body['event']['id']}")
        assert len({tuple(o) for o in orders.values()}) == len(orders), f"distinct permutations: {orders}"
        pipe.resume()
        run.wait()

        summaries = run.executions()
        assert len(summaries) == sum(len(b) for b in by_instance.values())
        assert {s.status for s in summaries} == {"SUCCEEDED"}
        assert any("NothingToDo" in s.states for s in summaries), "older observations were refused"
        run.assert_converged()
        inv = run.inventory()
        for iid in everyone:
            devices = [d for d in inv.devices if d.metadata.get("aws_instance_id") == iid]
            assert len(devices) == 1
            assert devices[0].metadata["ipamsync_observed_at"] == newest[iid], iid
        for iid in ending_terminated:
            owned = inv.owned_by(f"aws:{run.truth().account}:us-east-1:{iid}")
            assert owned["addresses"] == [] and owned["records"] == [] and owned["interfaces"] == []
            assert owned["devices"][0].metadata.get("ipamsync_tombstone"), "a tombstone, not a device"

        # Late EventBridge events: the enrich function reads EC2 as it is now.
        late = [(iid, state) for iid in ending_terminated for state in ("running", "pending")]
        late += [(iid, state) for iid in ending_running for state in ("stopped", "stopping")]
        account = run.truth().account
        assert aws.events_source is not None
        for iid, state in late:
            aws.events_source.emit(iid, state, account_id=account, region="us-east-1")
        run.wait()
        later = run.executions()[len(summaries) :]
        assert len(later) == len(late) and {s.status for s in later} == {"SUCCEEDED"}
        run.assert_converged()
        assert inv.duplicates() == {} and run.inventory().duplicates() == {}


def test_an_address_reused_by_a_new_instance_changes_hands_at_once(
    make_pipeline: Callable[..., AbstractContextManager[Run]],
) -> None:
    """Disorder across instances: EC2 gives a terminated instance's private IP to a new instance and
    the new instance's events are applied first. The new instance's observation is newer than
    anything SOLIDserver knows of the old one, so it takes the address (and its PTR) over at once,
    without waiting and without an error; the old termination, applied late, leaves it alone."""
    with make_pipeline(retry_scale=0.05) as run:
        aws = run.aws
        fleet, lambdas, pipe = aws.fleet, aws.lambdas, aws.pipe
        assert fleet is not None and lambdas is not None and pipe is not None
        old = fleet.launch("old-1")
        run.wait()
        ip = old.details["private_ips"][0]
        pipe.pause()
        fleet.terminate(old.instance_id)
        lambdas.wait_idle(60)
        held_back = _drain(run)  # the old instance's termination, held back
        eni = aws.ec2.create_network_interface(SubnetId=old.details["subnet_id"], PrivateIpAddress=ip)
        new = aws.ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[
                {"NetworkInterfaceId": eni["NetworkInterface"]["NetworkInterfaceId"], "DeviceIndex": 0}
            ],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "new-1"}]}],
        )["Instances"][0]["InstanceId"]
        lambdas.wait_idle(60)
        pipe.resume()
        run.wait()
        assert run.inventory().address_map()[ip].metadata["aws_instance_id"] == new  # before the old end
        for n, body in enumerate(held_back):
            aws.send_message(body, dedup_id=f"late-{n}")
        run.wait()
        assert run.dead_letters("EventDeadLetterQueue") == []
        runs = [s for s in run.executions() if s.instance_id == new]
        assert runs and {s.status for s in runs} == {"SUCCEEDED"}
        assert not any(s.task_failures for s in runs), "nothing waited, nothing failed"
        run.assert_converged()
        inv = run.inventory()
        assert inv.address_map()[ip].metadata["aws_instance_id"] == new
