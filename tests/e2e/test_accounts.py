"""Several accounts and regions through the whole local chain: the hub stack (template.yaml) and
member stacks (member/template.yaml) on moto, events routed between buses as AWS routes them
(ipamsync_local.aws.organization).

Hub 123456789012 in us-east-1 (its us-west-2 forwards through a member stack), member 210987654321
in us-east-1 and us-west-2: 2 accounts x 2 regions, every VPC 10.0.0.0/16."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from ipamsync_local.aws.organization import LocalOrganization

from .harness import ENRICH_ATTEMPTS, Run

HUB, MEMBER, REFUSING = "123456789012", "210987654321", "333333333333"
EAST, WEST = "us-east-1", "us-west-2"
EXTERNAL_ID = "ipamsync-e2e-external"


@contextmanager
def organisation(
    make_pipeline: Callable[..., AbstractContextManager[Run]], **params: str
) -> Iterator[tuple[Run, LocalOrganization]]:
    parameters = {
        "CoveredAccounts": f"{MEMBER},{REFUSING}",
        "CoveredRegions": f"{EAST},{WEST}",
        "MemberExternalId": EXTERNAL_ID,
        "SpaceStrategy": "per-account-region",
        **params,
    }
    # Two accounts launch the same names into the same VPC range here, so their instances contend
    # for the same A records (one DNS zone): a record whose holder's execution is running is retried
    # (HeldByAnotherInstance). Retry waits are scaled to 5 % (T: 0.1-0.4 s, 0.7 s in all), not the
    # pipeline's 1 %, so that they outlast a concurrent execution on a loaded machine, as 2-8 s do
    # in AWS.
    with (
        make_pipeline(parameters=parameters, plant_foreign=False, retry_scale=0.05) as run,
        LocalOrganization(run.aws, external_id=EXTERNAL_ID) as org,
    ):
        for account, region in ((MEMBER, EAST), (MEMBER, WEST), (HUB, WEST)):
            org.deploy_member(account, region)
        yield run, org


def placed(run: Run) -> dict[str, tuple[str, str]]:
    """instance id -> (space name, address) of its primary private IPv4 in SOLIDserver."""
    inv = run.inventory()
    spaces = {s.id: s.name for s in inv.spaces}
    out = {}
    for a in inv.addresses:
        owner = a.metadata.get("ipamsync_owner", "")
        if a.metadata.get("aws_address_kind") == "primary":
            out[owner.rsplit(":", 1)[-1]] = (spaces[a.space_id], a.address, owner)
    return out


def primary_ip(org: LocalOrganization, account: str, region: str, iid: str) -> str:
    ec2 = org.ec2(account, region)
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    return str(inst["PrivateIpAddress"])


def test_every_account_and_region_lands_in_its_own_space_with_its_owner(make_pipeline) -> None:
    with organisation(make_pipeline) as (run, org):
        launched = {}
        for account, region in ((HUB, EAST), (HUB, WEST), (MEMBER, EAST), (MEMBER, WEST)):
            fleet = org.fleet(account, region)
            fleet.ensure_network("10.0.0.0/16")  # the same range in every account and region
            launched[(account, region)] = fleet.launch(f"web-{account[-4:]}-{region}").instance_id
        run.wait()
        where = placed(run)
        for (account, region), iid in launched.items():
            space, address, owner = where[iid]
            assert space == f"AWS-{account}-{region}", (iid, space)
            assert owner == f"aws:{account}:{region}:{iid}"
            assert address == primary_ip(org, account, region, iid)
            assert address.startswith("10.0.")
        assert org.refused == []
        # the member's events reached the hub with the member's account and region
        ran = {(m["event"]["account"], m["event"]["region"]) for m in run.applied_messages()}
        assert ran == {(HUB, EAST), (HUB, WEST), (MEMBER, EAST), (MEMBER, WEST)}
        # the hub read the member through its role, in the event's region
        assert not run.dead_letters("WorkflowDeadLetterQueue")


def test_one_space_for_all_makes_an_overlap_a_named_conflict(make_pipeline) -> None:
    with organisation(make_pipeline, SpaceStrategy="single") as (run, org):
        first = org.fleet(HUB, EAST)
        first.ensure_network("10.0.0.0/16")
        hub_iid = first.launch("hub-web").instance_id
        run.wait()
        second = org.fleet(MEMBER, EAST)
        second.ensure_network("10.0.0.0/16")
        member_iid = second.launch("member-web").instance_id
        run.wait()
        where = placed(run)
        assert where[hub_iid][0] == "AWS" and member_iid not in where
        records = [d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue")]
        errors = [r for r in records if r.get("kind") == "workflow"]
        assert errors, records
        text = str(errors)
        assert "OverlappingRange" in text and MEMBER in text and HUB in text


def test_a_member_that_refuses_the_hub_is_dead_lettered_with_its_account(make_pipeline) -> None:
    with organisation(make_pipeline) as (run, org):
        org.deploy_member(REFUSING, EAST, external_id="another-hubs-id")  # trust policy: wrong external id
        fleet = org.fleet(REFUSING, EAST)
        fleet.ensure_network("10.0.0.0/16")
        iid = fleet.launch("refused").instance_id
        run.wait()
        assert iid not in placed(run)
        records = [
            d["body"] for d in run.dead_letters("WorkflowDeadLetterQueue") if "requestContext" in d["body"]
        ]
        # one record per event of the launch (pending, running), each after Lambda's retries
        states = sorted(r["requestPayload"]["detail"]["state"] for r in records)
        assert states == ["pending", "running"], states
        for record in records:
            assert record["requestContext"]["approximateInvokeCount"] == ENRICH_ATTEMPTS
            assert record["responsePayload"]["errorType"] == "MemberAccessRefused"
            assert REFUSING in record["responsePayload"]["errorMessage"]
            assert record["requestPayload"]["account"] == REFUSING
        assert not run.executions()  # nothing reached the queue


def test_a_removed_member_stack_leaves_the_other_accounts_untouched(make_pipeline) -> None:
    with organisation(make_pipeline) as (run, org):
        before = {}
        for account, region in ((HUB, EAST), (MEMBER, EAST), (MEMBER, WEST)):
            fleet = org.fleet(account, region)
            fleet.ensure_network("10.0.0.0/16")
            before[(account, region)] = fleet.launch(f"a-{region}").instance_id
        run.wait()
        kept = placed(run)
        assert set(before.values()) <= set(kept)
        org.remove_member(MEMBER, WEST)  # that region stops forwarding; its objects stay as they are
        hub_new = org.fleet(HUB, EAST).launch("b-hub").instance_id
        member_new = org.fleet(MEMBER, EAST).launch("b-member").instance_id
        unforwarded = org.fleet(MEMBER, WEST).launch("b-west").instance_id
        run.wait()
        now = placed(run)
        assert hub_new in now and member_new in now and unforwarded not in now
        for iid in before.values():
            assert now[iid] == kept[iid]
        assert not run.dead_letters("WorkflowDeadLetterQueue")


def test_an_account_outside_the_coverage_is_refused_by_the_bus_policy(make_pipeline) -> None:
    stranger = "444444444444"
    with organisation(make_pipeline) as (run, org):
        org.deploy_member(stranger, EAST)  # forwards, but the hub's bus admits only CoveredAccounts
        fleet = org.fleet(stranger, EAST)
        fleet.ensure_network("10.0.0.0/16")
        iid = fleet.launch("stranger").instance_id
        run.wait()
        assert iid not in placed(run)
        assert {r.source_account for r in org.refused} == {stranger}
        assert not run.executions() and not run.dead_letters("WorkflowDeadLetterQueue")


def test_reconcile_covers_every_account_and_region(make_pipeline) -> None:
    """Events lost in 2 accounts x 2 regions (the queue drained before the pipe ran them): the
    scheduled reconcile, started without targets, lists every covered (account, region), reads each
    member through its role, and backfills each instance into its own space."""
    with organisation(make_pipeline, CoveredAccounts=MEMBER) as (run, org):
        pipe = run.aws.pipe
        assert pipe is not None and run.aws.lambdas is not None
        pipe.pause()
        launched = {}
        for account, region in ((HUB, EAST), (HUB, WEST), (MEMBER, EAST), (MEMBER, WEST)):
            fleet = org.fleet(account, region)
            fleet.ensure_network("10.0.0.0/16")
            launched[(account, region)] = fleet.launch(f"lost-{account[-4:]}-{region}").instance_id
        run.aws.lambdas.wait_idle(120)
        assert run.aws.dead_letters("EventQueue", delete=True)  # the events are lost
        pipe.resume()
        assert not set(launched.values()) & set(placed(run))

        summary, output = run.aws.reconcile()  # as the schedule starts it: no targets
        assert summary.status == "SUCCEEDED", summary.task_failures
        results = {(t["account"], t["region"]): t for t in output["targets"]}
        assert set(results) == {(HUB, EAST), (HUB, WEST), (MEMBER, EAST), (MEMBER, WEST)}
        assert all(t["counts"]["missing"] == 1 and not t["failed"] for t in results.values()), results
        run.wait()
        where = placed(run)
        for (account, region), iid in launched.items():
            space, address, owner = where[iid]
            assert space == f"AWS-{account}-{region}" and owner == f"aws:{account}:{region}:{iid}"
            assert address == primary_ip(org, account, region, iid)
        assert not run.dead_letters("WorkflowDeadLetterQueue")
