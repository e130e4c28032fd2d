"""The reconcile plan, pure: every instance classified from two listings, nothing read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ipamsync.model import RECONCILE_DEEP, parse_time
from ipamsync.reconcile.plan import (
    DRIFTED,
    IN_SYNC,
    MISSING,
    ORPHAN_GRACE,
    ORPHANED,
    Owned,
    classify,
    owned_from_devices,
    reconcile_event,
)
from ipamsync.settings import Settings
from ipamsync.solidserver.api import Device
from ipamsync.sync.device import device_metadata, snapshot_digest, tombstone_metadata
from tests.helpers import ACCOUNT, BASE, REGION, eni, message

SETTINGS = Settings()
LISTED = BASE + timedelta(days=1)
EVENT = reconcile_event(ACCOUNT, REGION, "run-1", deep=False, time="2026-11-28T07:00:00.000Z")

IDS = [f"i-0000000000000{n:04d}" for n in range(10)]


def applied(msg, iid=None, *, settings=SETTINGS, device_id="10", **extra_meta):
    """What SOLIDserver holds after the sync applied ``msg``."""
    meta = {**device_metadata(msg, snapshot_digest(msg, settings)), **extra_meta}
    return Owned(instance_id=iid or msg.instance.id, device_id=device_id, name="web", metadata=meta)


def plan(snapshots, owned, *, deep=False, settings=SETTINGS):
    return classify(
        snapshots,
        {o.instance_id: o for o in owned},
        settings,
        account=ACCOUNT,
        region=REGION,
        listed_at=LISTED,
        event=EVENT,
        deep=deep,
    )


def by_id(p):
    return {i.instance_id: i for i in p.items}


def test_every_class_from_one_listing():
    in_sync = message(IDS[0])
    drifted_old = message(IDS[1], "stopped")
    drifted_now = message(IDS[1], "running")
    missing = message(IDS[2])
    orphan_old = message(IDS[3])
    p = plan(
        [in_sync, drifted_now, missing],
        [applied(in_sync), applied(drifted_old), applied(orphan_old)],
    )
    items = by_id(p)
    assert {k: v.cls for k, v in items.items()} == {
        IDS[0]: IN_SYNC,
        IDS[1]: DRIFTED,
        IDS[2]: MISSING,
        IDS[3]: ORPHANED,
    }
    assert p.counts == {MISSING: 1, DRIFTED: 1, IN_SYNC: 1, ORPHANED: 1}
    assert items[IDS[0]].message is None
    assert items[IDS[1]].message is drifted_now and items[IDS[2]].message is missing
    gone = items[IDS[3]].message
    assert gone is not None and gone.instance.state == "terminated" and not gone.instance.known
    assert gone.account == ACCOUNT and gone.event.id == "reconcile:run-1"
    assert parse_time(gone.observed_at) == LISTED  # observed when EC2 was listed, not later
    assert "aws_state: stopped → running" in items[IDS[1]].changes
    assert len(p.messages) == 3


def test_a_newer_observation_of_the_same_snapshot_is_in_sync():
    """Digests compare snapshots, not observation times or the event that carried them."""
    old = message(IDS[0], observed_at="2026-11-27T07:00:00.000000Z")
    now = message(IDS[0], observed_at="2026-11-28T07:00:00.000000Z", event_id="reconcile-x")
    assert by_id(plan([now], [applied(old)]))[IDS[0]].cls == IN_SYNC


@pytest.mark.parametrize(
    ("before", "after", "what"),
    [
        ({"state": "stopped"}, {"state": "running"}, "aws_state"),
        ({"enis": [eni(0, ["10.20.1.15"])]}, {"enis": [eni(0, ["10.20.1.99"])]}, "aws_private_ip"),
        ({"tags": {"env": "dev"}}, {"tags": {"env": "prod"}}, "aws_tag_env"),
    ],
)
def test_drift_by_state_ip_and_tag(before, after, what):
    p = plan([message(IDS[0], **after)], [applied(message(IDS[0], **before))])
    item = by_id(p)[IDS[0]]
    assert item.cls == DRIFTED and any(c.startswith(what + ":") for c in item.changes)


def test_a_change_of_settings_drifts_every_instance():
    msg = message(IDS[0])
    assert by_id(plan([msg], [applied(msg)], settings=Settings(ttl=60)))[IDS[0]].cls == DRIFTED


def test_an_abandoned_lease_drifts_the_instance_even_when_the_digest_matches():
    msg = message(IDS[0])
    owned = applied(msg)
    owned = Owned(**{**owned.__dict__, "lease_expired": True})
    item = by_id(plan([msg], [owned]))[IDS[0]]
    assert item.cls == DRIFTED and item.changes[0] == "last execution did not finish"


def test_tombstones_and_terminations_are_never_orphans_or_drift():
    gone = message(IDS[0], "terminated")
    tomb = Owned(IDS[0], "11", "web", tombstone_metadata(gone, 336, "2026-11-27T07:00:00.000Z", "x"))
    retained = applied(message(IDS[1]), aws_state="terminated")
    p = plan(
        # EC2 still lists IDS[2] as terminated and SOLIDserver never had it; IDS[0] is listed too
        [message(IDS[0], "terminated"), message(IDS[2], "terminated")],
        [tomb, retained],
    )
    assert {i.instance_id: i.cls for i in p.items} == {IDS[0]: IN_SYNC, IDS[1]: IN_SYNC, IDS[2]: IN_SYNC}
    assert not p.messages


def test_a_terminated_instance_whose_device_is_live_is_drifted():
    p = plan([message(IDS[0], "terminated")], [applied(message(IDS[0]))])
    assert by_id(p)[IDS[0]].cls == DRIFTED


def test_a_tombstone_wins_over_a_listing_that_says_running():
    """EC2 never reuses ids: a running snapshot of a tombstoned id cannot be applied anyway."""
    tomb = Owned(IDS[0], "11", "", {"ipamsync_tombstone": "2026-12-01T00:00:00.000Z"})
    assert by_id(plan([message(IDS[0])], [tomb]))[IDS[0]].cls == IN_SYNC


def test_a_recently_observed_device_is_not_declared_orphaned():
    recent = (LISTED - ORPHAN_GRACE + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    old = (LISTED - ORPHAN_GRACE - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    p = plan([], [applied(message(IDS[0], observed_at=recent)), applied(message(IDS[1], observed_at=old))])
    assert by_id(p)[IDS[0]].cls == IN_SYNC and by_id(p)[IDS[1]].cls == ORPHANED


def test_deep_queues_every_listed_instance_in_full():
    a, b = message(IDS[0]), message(IDS[1])
    deep_event = reconcile_event(ACCOUNT, REGION, "run-2", deep=True, time="2026-11-28T07:00:00.000Z")
    assert deep_event.detail_type == RECONCILE_DEEP
    p = plan([a, b], [applied(a)], deep=True)
    assert p.counts[IN_SYNC] == 1 and p.counts[MISSING] == 1
    assert len(p.messages) == 2
    shown = p.to_dict()["items"]
    assert {i["instance_id"] for i in shown} == {IDS[0], IDS[1]}


def test_plan_as_json_lists_what_is_not_in_sync_and_caps_it():
    msgs = [message(i) for i in IDS]
    p = plan(msgs, [])
    out = p.to_dict(limit=3)
    assert out["counts"][MISSING] == 10 and out["queued"] == 10
    assert len(out["items"]) == 3 and out["items_omitted"] == 7
    assert out["items"][0] == {
        "instance_id": IDS[0],
        "name": "web-1",
        "class": MISSING,
        "changes": ["create device, interfaces, addresses and records"],
        "queue": "snapshot",
    }


def test_owned_from_devices_keeps_the_oldest_device_and_the_leases():
    owner = f"aws:{ACCOUNT}:{REGION}:{IDS[0]}"
    devices = [
        Device("30", "dup", "", {"ipamsync_owner": owner, "aws_state": "stopped"}),
        Device("20", "web", "", {"ipamsync_owner": owner, "aws_state": "running"}),
        Device(
            "40",
            "ipamsync-lease-x",
            "",
            {
                "ipamsync_owner": owner,
                "ipamsync_lease": "exec",
                "ipamsync_lease_expires": "2026-11-27T07:00:00.000Z",
            },
        ),
        Device(
            "50",
            "ipamsync-lease-y",
            "",
            {
                "ipamsync_owner": f"aws:{ACCOUNT}:{REGION}:{IDS[1]}",
                "ipamsync_lease": "exec",
                "ipamsync_lease_expires": "2099-01-01T00:00:00.000Z",
            },
        ),
        Device("60", "by-hand", "", {"ipamsync_owner": "someone-else"}),
    ]
    owned = owned_from_devices(devices, LISTED)
    assert set(owned) == {IDS[0], IDS[1]}
    assert owned[IDS[0]].device_id == "20" and owned[IDS[0]].lease_expired
    assert owned[IDS[1]].device_id is None and owned[IDS[1]].lease_held
    p = plan([], list(owned.values()))
    assert {i.cls for i in p.items} == {ORPHANED, IN_SYNC}  # a lone lease is nobody's orphan


# --------------------------------------------------------------------------- listings


class _Pages:
    """A SOLIDserver whose device listing answers ``pages`` then fails."""

    def __init__(self, pages, fail_at):
        self.pages, self.fail_at, self.calls = pages, fail_at, []

    def list_devices(self, **kw):
        self.calls.append(kw)
        if len(self.calls) == self.fail_at:
            from ipamsync.errors import SolidServerUnavailable

            raise SolidServerUnavailable("down", service="hostdev_list", status=503)
        return self.pages[len(self.calls) - 1]


def _devices(first, n):
    owner = f"aws:{ACCOUNT}:{REGION}:"
    return [Device(str(i), f"d{i}", "", {"ipamsync_owner": owner + IDS[0]}) for i in range(first, first + n)]


def test_the_solidserver_listing_is_keyset_paged_1000_at_a_time():
    from ipamsync.reconcile.listing import PAGE, Listed, owned_devices

    ss = _Pages([_devices(1, PAGE), _devices(PAGE + 1, 3)], fail_at=0)
    stats = Listed()
    assert len(owned_devices(ss, ACCOUNT, REGION, stats)) == PAGE + 3 and stats.calls == 2
    assert str(ss.calls[1]["where"]).endswith(f"hostdev_id>'{PAGE}'")
    assert f"like 'aws:{ACCOUNT}:{REGION}:%'" in str(ss.calls[0]["where"])
    assert ss.calls[0]["page_size"] == PAGE == 1000


def test_a_solidserver_listing_that_fails_part_way_is_listing_incomplete():
    from ipamsync.errors import ListingIncomplete
    from ipamsync.reconcile.listing import PAGE, owned_devices

    ss = _Pages([_devices(1, PAGE), _devices(PAGE + 1, PAGE)], fail_at=2)
    with pytest.raises(ListingIncomplete) as err:
        owned_devices(ss, ACCOUNT, REGION)
    assert err.value.source == "solidserver" and err.value.cause == "SolidServerUnavailable"
    assert f"after {PAGE} rows" in str(err.value)


class _Ec2:
    """DescribeInstances answers one page, then throttles."""

    def __init__(self):
        self.calls = 0

    def describe_instances(self, **kw):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("RequestLimitExceeded")
        return {
            "Reservations": [{"Instances": [{"InstanceId": IDS[0], "State": {"Name": "stopped"}}]}],
            "NextToken": "more",
        }

    def describe_vpcs(self, **kw):
        return {"Vpcs": []}

    describe_subnets = describe_addresses = describe_vpcs

    def describe_instance_types(self, **kw):
        raise RuntimeError("unknown type")


def test_an_ec2_listing_that_fails_part_way_is_listing_incomplete():
    from ipamsync.ec2 import Ec2Reader
    from ipamsync.errors import ListingIncomplete
    from ipamsync.reconcile.listing import ec2_snapshots

    with pytest.raises(ListingIncomplete) as err:
        ec2_snapshots(Ec2Reader(_Ec2()), EVENT, SETTINGS, lambda: LISTED)
    assert err.value.source == "ec2" and "after 1" in str(err.value)


def test_target_input_is_parsed_strictly():
    from ipamsync.errors import InvalidMessage
    from ipamsync.reconcile.run import Target

    ok = {"account": ACCOUNT, "region": REGION, "run": "reconcile-1", "deep": True}
    assert Target.from_event(ok) == Target(ACCOUNT, REGION, "reconcile-1", deep=True)
    for bad in (
        {**ok, "account": "12"},
        {**ok, "region": "mars"},
        {**ok, "run": "a b"},
        {**ok, "deep": "yes"},
        [],
    ):
        with pytest.raises(InvalidMessage):
            Target.from_event(bad)


def test_a_target_outside_the_coverage_is_refused():
    from ipamsync.accounts import Coverage
    from ipamsync.errors import ConfigurationError
    from ipamsync.reconcile.run import Target, check_covered

    other = "210987654321"
    alone = Coverage.from_env({"HUB_ACCOUNT_ID": ACCOUNT, "AWS_REGION": REGION})
    check_covered(Target(ACCOUNT, REGION, "r"), alone)
    with pytest.raises(ConfigurationError, match="covers its own account only"):
        check_covered(Target(other, REGION, "r"), alone)  # a single-account stack
    hub = Coverage.from_env(
        {
            "HUB_ACCOUNT_ID": ACCOUNT,
            "AWS_REGION": REGION,
            "COVERED_ACCOUNTS": other,
            "COVERED_REGIONS": "us-east-1",
        }
    )
    check_covered(Target(other, "us-east-1", "r"), hub)  # a member: read through its role
    with pytest.raises(ConfigurationError, match="not covered"):
        check_covered(Target(other, "eu-west-1", "r"), hub)
    with pytest.raises(ConfigurationError, match="COVERED_ACCOUNTS"):
        check_covered(Target("333333333333", "us-east-1", "r"), hub)


def test_the_workflow_asks_for_every_covered_target_first():
    from ipamsync.accounts import Coverage
    from ipamsync.reconcile.run import Target, TargetsRequest, covered_targets, parse_request

    assert isinstance(parse_request({"list_targets": True}), TargetsRequest)
    assert isinstance(parse_request({"account": ACCOUNT, "region": REGION, "run": "r"}), Target)
    hub = Coverage.from_env(
        {
            "HUB_ACCOUNT_ID": ACCOUNT,
            "AWS_REGION": REGION,
            "COVERED_ACCOUNTS": "210987654321",
            "COVERED_REGIONS": "us-east-1,us-west-2",
        }
    )
    assert covered_targets(hub) == [
        {"account": a, "region": r}
        for a in sorted([ACCOUNT, "210987654321"])
        for r in ("us-east-1", "us-west-2")
    ]
