"""The demo's reconcile phase: what events alone cannot repair, repaired by reconcile.

* two instances that existed before ipamsync was deployed (launched before the first phase, with
  no event: backfill);
* while the pipeline is paused (EC2 events lost): one instance launched, one terminated (and gone
  from EC2 since: an orphan in SOLIDserver);
* by hand in SOLIDserver: one instance's address deleted, another's DNS record deleted (their
  digests still say everything is applied: only a deep run repairs them).

The plan is printed (a dry run: nothing queued, nothing written), then the reconcile workflow runs
deep through the local state machine (its real definition), and the final consistency check of
SOLIDserver against EC2 covers all of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ipamsync_local.reconcile import format_plan

if TYPE_CHECKING:
    from .phases import Lifecycle

PREEXISTING = ("legacy-erp", "legacy-ftp")


def forget(aws: Any, instance_id: str) -> None:
    """EC2 no longer lists a terminated instance (AWS drops it after about an hour)."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[aws.context.account_id][aws.context.region]
    for reservation in backend.reservations.values():
        reservation.instances = [i for i in reservation.instances if i.id != instance_id]


def launch_preexisting(life: Lifecycle) -> list[str]:
    """Instances that were there before ipamsync: launched with no event."""
    aws = life.aws
    aws.events_source.enabled = False
    try:
        ids = [
            aws.fleet.launch(name, subnet_id=life.network.subnets["prod-2"]).instance_id
            for name in PREEXISTING
        ]
    finally:
        aws.events_source.enabled = True
    life.screen.line(
        f"      ({len(ids)} instances existed before ipamsync was deployed: {', '.join(PREEXISTING)} — "
        "no event ever told the pipeline; the reconcile phase backfills them)"
    )
    return ids


def _running(aws: Any, exclude: set[str]) -> list[dict[str, Any]]:
    return [i for i in aws.fleet.instances() if i["state"] == "running" and i["instance_id"] not in exclude]


def reconcile_phase(life: Lifecycle) -> None:
    aws, args = life.aws, life.args
    ss = life.target.client()
    owner = f"aws:{aws.context.account_id}:{aws.context.region}:"
    from ipamsync.sync.common import OWNER

    try:
        # an instance synced by its events, soon to be lost from EC2 while the pipeline is paused
        gone = aws.fleet.launch("short-lived", subnet_id=life.network.subnets["prod-2"]).instance_id
        aws.wait_idle(600)
        # the pipeline paused: EC2 changes send no event
        aws.events_source.enabled = False
        try:
            launched = aws.fleet.launch("while-paused", subnet_id=life.network.subnets["prod-1"]).instance_id
            aws.fleet.terminate(gone)
            forget(aws, gone)
        finally:
            aws.events_source.enabled = True
        damaged = [i for i in _running(aws, {launched, gone, *life.preexisting}) if i.get("name")]
        lost_address = lost_record = None
        if damaged:
            addresses = ss.find_addresses(4, owner_key=OWNER, owner=owner + damaged[0]["instance_id"])
            if addresses:
                ss.delete_address(4, addresses[0].id)
                lost_address = f"{addresses[0].address} of {damaged[0]['name']}"
        for inst in damaged[1:]:
            records = ss.find_records(
                args.dns_server, owner_key=OWNER, owner=owner + inst["instance_id"], names={}
            )
            a_records = [r for r in records if r.type == "A"]
            if a_records:
                ss.delete_record(a_records[0].id)
                lost_record = f"{a_records[0].fqdn} A {a_records[0].value}"
                break
        plan = aws.reconcile_plan()
        deep = aws.reconcile_plan(deep=True)
    finally:
        ss.client.close()

    detail = [
        f"while the pipeline was paused (events lost): launched 'while-paused' ({launched}), terminated "
        f"'short-lived' ({gone}, synced before, since gone from EC2; the demo declares orphans at once, "
        "a deployed stack waits 15 minutes after a device's last observation)",
        "deleted by hand in SOLIDserver: "
        + "; ".join(
            x
            for x in (
                f"address {lost_address}" if lost_address else "",
                f"record {lost_record}" if lost_record else "",
            )
            if x
        ),
        "dry run (nothing queued, nothing written):",
        *[f"  {line}" for line in format_plan(plan).splitlines()],
        f"a deep run also re-applies the {deep['counts']['in-sync']} instances in sync (their digests cannot "
        "see what was deleted by hand): it queues "
        f"{deep['would_queue']} snapshot(s); the sync workflow applies them like live events",
    ]
    life.run_info.reconcile = {"plan": plan["counts"], "deep_queued": deep["would_queue"]}

    def apply() -> None:
        summary, _ = aws.reconcile(deep=True)
        life.run_info.reconcile["status"] = summary.status
        if summary.status != "SUCCEEDED":
            life.ok = False

    life._step("reconcile: backfill, lost events, orphans, hand-made damage", detail, apply)
