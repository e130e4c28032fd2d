"""Reconcile through the whole local pipeline: the reconcile state machine's real definition (moto's
interpreter) → ReconcileFunction (lists moto's EC2 and the emulator) → the event queue → the sync
workflow → the emulator; the truth check compares SOLIDserver with EC2 afterwards.

Backfill of instances that existed before ipamsync; drift by state, IP and tag; orphans removed
without touching what was made by hand; deep repair of hand-made damage; a dry run writes nothing
anywhere; reconcile racing live events converges on the newest observation; a listing that fails
queues nothing and fails the run.
"""

from __future__ import annotations

import io
import ipaddress
import json
import math
import threading
from typing import Any

from ipamsync.sync.common import OWNER
from ipamsync_local.reconcile import local_api, run_command

from .harness import DNS_SERVER, ZONE, Run

NO_GRACE = {"RECONCILE_ORPHAN_GRACE_SECONDS": "0"}


def quiet(run: Run) -> Any:
    """EC2 changes from here on send no events, neither state changes nor CloudTrail's calls (the
    pipeline was paused, the events were lost)."""
    assert run.aws.events_source is not None and run.aws.calls_source is not None
    run.aws.events_source.enabled = run.aws.calls_source.enabled = False
    return run.aws.events_source


def loud(run: Run) -> None:
    assert run.aws.events_source is not None and run.aws.calls_source is not None
    run.aws.events_source.enabled = run.aws.calls_source.enabled = True


def forget(run: Run, instance_id: str) -> None:
    """EC2 no longer lists the instance (terminated long ago: AWS drops it after about an hour)."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[run.aws.context.account_id][run.aws.context.region]
    for reservation in backend.reservations.values():
        reservation.instances = [i for i in reservation.instances if i.id != instance_id]


def writes(run: Run) -> int:
    return int(run.emu.admin.stats()["totals"]["writes"])


def by_class(plan: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for item in plan.get("items", []):
        out.setdefault(item["class"], set()).add(item["instance_id"])
    return out


def reconcile(run: Run, **kw: Any) -> dict[str, Any]:
    summary, output = run.aws.reconcile(**kw)
    assert summary.status == "SUCCEEDED", (summary.error, summary.cause)
    [target] = output["targets"]
    assert target["failed"] is False
    return dict(target)


def test_backfill_of_an_existing_fleet_and_a_dry_run_writes_nothing(make_pipeline: Any) -> None:
    with make_pipeline() as run:
        fleet = run.aws.fleet
        quiet(run)
        ids = [fleet.launch(f"old-{n}").instance_id for n in range(5)]
        ids.append(fleet.launch("old-multi", enis=2, secondary_ips=1, ipv6=1, elastic_ip=True).instance_id)
        ids.append(fleet.launch("old-public", public_ip=True).instance_id)
        fleet.stop(ids[0])
        assert run.aws.wait_idle(60) is not None  # whatever the launches deferred, still unheard
        loud(run)
        assert run.aws.wait_idle(60) is not None
        assert run.executions() == []

        before = writes(run)
        plan = run.aws.reconcile_plan()
        out = io.StringIO()
        assert (
            run_command(local_api(run.aws), [_target(run)], dry_run=True, deep=False, as_json=False, out=out)
            == 0
        )
        table = out.getvalue()
        assert all(i in table for i in ids) and "old-multi" in table and "would queue 7" in table
        run.aws.wait_idle(30)
        # a dry run writes nothing anywhere: no SOLIDserver write, nothing queued, no execution
        assert writes(run) == before
        assert run.aws.queue_depth("EventQueue") == {"visible": 0, "in_flight": 0, "delayed": 0}
        assert run.executions() == []
        assert by_class(plan) == {"missing": set(ids)} and plan["would_queue"] == 7 and plan["queued"] == 0
        assert plan["solidserver_calls"] == 1

        target = reconcile(run)
        assert target["counts"] == {"missing": 7, "drifted": 0, "in-sync": 0, "orphaned": 0}
        assert target["queued"] == 7
        run.wait()
        assert {s.status for s in run.executions() if s.instance_id} == {"SUCCEEDED"}
        run.assert_converged()

        again = run.aws.reconcile_plan()
        assert again["counts"] == {"missing": 0, "drifted": 0, "in-sync": 7, "orphaned": 0}
        assert again["would_queue"] == 0
        assert again["solidserver_calls"] <= math.ceil(7 / 1000) + 10


def _target(run: Run) -> dict[str, str]:
    return {"account": run.aws.context.account_id, "region": run.aws.context.region}


def test_drift_by_state_ip_and_tag_and_orphans_removed_touching_only_owned_objects(
    make_pipeline: Any,
) -> None:
    with make_pipeline(environment=NO_GRACE) as run:
        fleet, ec2 = run.aws.fleet, run.aws.ec2
        stopped, tagged, readdressed, gone = (fleet.launch(f"app-{n}").instance_id for n in range(4))
        run.wait()
        run.assert_converged()

        # Made by hand in the orphan's subnet, and a device of nobody's: they must survive.
        space = run.ss.find_space("AWS")
        assert space is not None
        subnet_id = fleet.describe(gone)["SubnetId"]
        cidr = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["CidrBlock"]
        hand_ip = str(ipaddress.ip_network(cidr)[100])
        hand_device = run.ss.create_device("by-hand-1", {"team": "net"})
        hand_address = run.ss.create_address(
            4, space.id, hand_ip, name="by-hand", mac="", device_id=None, iface_id=None, metadata={}
        )

        quiet(run)
        fleet.stop(stopped)
        ec2.create_tags(Resources=[tagged], Tags=[{"Key": "env", "Value": "prod"}])
        eni = fleet.describe(readdressed)["NetworkInterfaces"][0]["NetworkInterfaceId"]
        ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=1)
        fleet.terminate(gone)
        forget(run, gone)
        missing = fleet.launch("launched-while-paused").instance_id
        loud(run)

        plan = run.aws.reconcile_plan()
        classes = by_class(plan)
        assert classes == {
            "drifted": {stopped, tagged, readdressed},
            "orphaned": {gone},
            "missing": {missing},
        }
        changes = {i["instance_id"]: i["changes"] for i in plan["items"]}
        assert any(c.startswith("aws_state: running → stopped") for c in changes[stopped])
        assert any(c.startswith("aws_tag_env:") for c in changes[tagged])
        assert [i["queue"] for i in plan["items"] if i["instance_id"] == gone] == ["gone"]

        target = reconcile(run)
        assert (
            target["counts"]["drifted"] == 3 and target["counts"]["orphaned"] == 1 and target["queued"] == 5
        )
        run.wait()
        run.assert_converged(unknown_terminated=(gone,))
        assert any(d.id == hand_device for d in run.ss.list_devices(where=None))
        kept = run.ss.find_addresses(4, owner_key=OWNER, owner="nobody", at={space.id: [hand_ip]})
        assert [a.id for a in kept] == [hand_address]
        # the orphan's tombstone explains it from now on: nothing more to do
        again = run.aws.reconcile_plan()
        assert again["would_queue"] == 0 and again["counts"]["orphaned"] == 0


def test_deep_repairs_damage_made_by_hand_inside_solidserver(make_pipeline: Any) -> None:
    with make_pipeline() as run:
        fleet = run.aws.fleet
        web, db = fleet.launch("web-9").instance_id, fleet.launch("db-9").instance_id
        run.wait()
        run.assert_converged()

        # By hand: web's address deleted, db's A record deleted.
        owner = f"aws:{run.aws.context.account_id}:{run.aws.context.region}:"
        [address] = run.ss.find_addresses(4, owner_key=OWNER, owner=owner + web)
        run.ss.delete_address(4, address.id)
        records = run.ss.find_records(DNS_SERVER, owner_key=OWNER, owner=owner + db, names={})
        [a_record] = [r for r in records if r.type == "A" and r.fqdn == f"db-9.{ZONE}"]
        run.ss.delete_record(a_record.id)
        assert run.differences()

        # The digests still say both are applied: an ordinary run finds nothing to do...
        assert run.aws.reconcile_plan()["would_queue"] == 0
        # ...a deep one re-applies both in full.
        plan = run.aws.reconcile_plan(deep=True)
        assert plan["deep"] is True and plan["would_queue"] == 2
        assert {i["instance_id"] for i in plan["items"]} == {web, db}
        target = reconcile(run, deep=True)
        assert target["counts"]["in-sync"] == 2 and target["queued"] == 2
        run.wait()
        run.assert_converged()


def test_reconcile_concurrent_with_live_events_converges_on_the_newest_observation(
    make_pipeline: Any,
) -> None:
    with make_pipeline() as run:
        fleet = run.aws.fleet
        quiet(run)
        ids = [fleet.launch(f"race-{n}").instance_id for n in range(6)]
        loud(run)
        result: dict[str, Any] = {}

        def run_reconcile() -> None:
            result["target"] = reconcile(run)

        thread = threading.Thread(target=run_reconcile)
        thread.start()
        # live events of the same instances while the reconcile lists, plans and queues
        fleet.stop(ids[0])
        fleet.rename(ids[1], "race-renamed")
        fleet.terminate(ids[2])
        fleet.start(ids[0])
        thread.join(120)
        assert "target" in result
        run.wait()
        # whatever order the queue applied them in, SOLIDserver holds EC2's newest state
        run.assert_converged()
        assert not run.dead_letters("EventDeadLetterQueue")
        # and a reconcile now finds nothing left to do
        assert run.aws.reconcile_plan()["would_queue"] == 0


def test_a_listing_that_fails_queues_nothing_and_fails_the_run(make_pipeline: Any) -> None:
    with make_pipeline(retry_scale=0.001, environment=NO_GRACE) as run:
        fleet = run.aws.fleet
        keep = fleet.launch("kept").instance_id
        run.wait()
        quiet(run)
        fleet.terminate(keep)
        forget(run, keep)  # would be an orphan, if SOLIDserver's listing were trusted half-read
        loud(run)
        # only reconcile's keyset listing is refused (the sync's lookups are not)
        run.emu.admin.set_faults(
            {"rules": {"hostdev_list": {"error_rates": {"503": 1.0}, "match": "hostdev_id>"}}}
        )
        before, executed = writes(run), len(run.executions())
        summary, output = run.aws.reconcile()
        run.emu.admin.clear_faults()
        assert summary.status == "FAILED" and output == {}
        history = run.aws.executions.get(summary.name)[1]
        text = json.dumps(history, default=str)
        assert "ListingIncomplete" in text and "ReconcileFailed" in text
        run.wait()
        assert writes(run) == before
        # nothing was queued: the only execution since is the failed reconcile run itself
        assert [s.source for s in run.executions()[executed:]] == ["reconcile"]
        assert run.aws.queue_depth("EventQueue") == {"visible": 0, "in_flight": 0, "delayed": 0}
        # once SOLIDserver answers again, the run finds the orphan
        assert run.aws.reconcile_plan()["counts"]["orphaned"] == 1
