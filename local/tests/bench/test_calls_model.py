"""The calls benchmark's accounting: object diffs (without the appliance's cascades), the minimum
reads a correct sync needs, the warm/cold split and the targets. Synthetic objects only."""

from __future__ import annotations

from typing import Any

from ipamsync.solidserver.api import Address, Device, Interface, Record
from ipamsync_local.bench import calls, calls_model

OWNER = "aws:123456789012:us-east-1:i-0123456789abcdef0"


def _device(did: str = "1", observed: str = "2026-01-01T00:00:00.000Z", **extra: str) -> Device:
    return Device(
        did,
        "web-1-i-0123456789abcdef0",
        "",
        {"ipamsync_owner": OWNER, "ipamsync_observed_at": observed, **extra},
    )


def _iface(iid: str = "7", did: str = "1") -> Interface:
    return Interface(iid, "eth0", did, "0e:00:00:00:00:01", {"ipamsync_owner": OWNER})


def _address(aid: str = "9", did: str | None = "1", iid: str | None = "7") -> Address:
    return Address(
        aid, 4, "10.0.0.10", "web-1", "0e:00:00:00:00:01", "2", "5", did, iid, {"ipamsync_owner": OWNER}
    )


def _snap(*objects: Any) -> dict[tuple[str, int, str], Any]:
    kinds = {Device: "device", Interface: "interface", Address: "address", Record: "record"}
    return {
        (kinds[type(o)], getattr(o, "version", 0) if isinstance(o, Address) else 0, o.id): o for o in objects
    }


def test_diff_counts_created_deleted_modified() -> None:
    before = _snap(_device(), _iface(), _address())
    after = _snap(_device(observed="2026-01-02T00:00:00.000Z"), _iface(), _address("10"))
    assert calls_model.diff(before, after) == {
        "modified:device": 1,
        "deleted:address": 1,
        "created:address": 1,
    }


def test_diff_ignores_what_deleting_a_device_does_by_itself() -> None:
    """Deleting a device deletes its interfaces and unlinks its addresses: one call, one change."""
    before = _snap(_device(), _iface(), _address())
    after = _snap(_device("2", ipamsync_tombstone="2026-02-01T00:00:00.000Z"), _address(did=None, iid=None))
    assert calls_model.diff(before, after) == {"created:device": 1, "deleted:device": 1}


def test_diff_counts_an_unlinked_address_that_also_changed() -> None:
    before = _snap(_device(), _iface(), _address())
    renamed = Address(
        "9", 4, "10.0.0.10", "web-2", "0e:00:00:00:00:01", "2", "5", None, None, {"ipamsync_owner": OWNER}
    )
    after = _snap(renamed)
    assert calls_model.diff(before, after)["modified:address"] == 1


def _message(
    state: str = "running", observed: str = "2026-01-01T00:00:00.000Z", ipv6: bool = False
) -> dict[str, Any]:
    eni = {
        "id": "eni-1",
        "device_index": 0,
        "subnet_id": "subnet-1",
        "vpc_id": "vpc-1",
        "private_ipv4": [{"address": "10.0.0.10", "primary": True, "public_ip": None}],
        "ipv6": ["2600::1"] if ipv6 else [],
    }
    return {
        "event": {"account": "123456789012", "region": "us-east-1", "state": state},
        "observed_at": observed,
        "instance": {
            "id": "i-0123456789abcdef0",
            "state": state,
            "hostname": "web-1",
            "network_interfaces": [] if state in ("shutting-down", "terminated") else [eni],
        },
        "vpcs": [{"id": "vpc-1", "cidrs_v4": ["10.0.0.0/16"], "cidrs_v6": ["2600::/56"]}],
        "subnets": [{"id": "subnet-1", "cidr_v4": "10.0.0.0/24", "cidrs_v6": ["2600::/64"]}],
    }


def test_minimum_for_a_new_instance_skips_what_it_cannot_own_yet() -> None:
    reads = calls_model.minimum_reads(_message(), {}, dns=True)
    assert reads == {"device": 1, "networks v4": 1, "networks v6": 1, "addresses v4": 1, "dns records": 1}


def test_minimum_for_a_known_instance_reads_everything_it_might_write() -> None:
    reads = calls_model.minimum_reads(
        _message(observed="2026-01-02T00:00:00.000Z"), _snap(_device(), _iface()), dns=True
    )
    assert reads == {
        "device": 1,
        "networks v4": 1,
        "networks v6": 1,
        "addresses v4": 1,
        "addresses v6": 1,
        "dns records": 1,
    }


def test_minimum_for_a_stale_event_is_the_device_alone() -> None:
    snap = _snap(_device(observed="2026-01-03T00:00:00.000Z"), _iface())
    assert calls_model.minimum_reads(_message(), snap, dns=True) == {"device": 1}


def test_minimum_for_a_termination_needs_no_networks() -> None:
    reads = calls_model.minimum_reads(
        _message("terminated", "2026-01-02T00:00:00.000Z"), _snap(_device(), _iface()), dns=True
    )
    assert reads == {"device": 1, "addresses v4": 1, "addresses v6": 1, "dns records": 1}


def test_calls_split_into_warm_reads_writes_and_cold_calls() -> None:
    ev = calls.EventCalls("new-vpc", "pending")
    ev.count({"GET member_list": 1, "GET ip_site_list": 1, "GET hostdev_list": 2, "POST hostdev_add": 1})
    ev.count({"GET hostdev_list": 1, "PUT hostdev_add": 1})
    assert (ev.reads, ev.writes, ev.cold) == (3, 2, 2)
    assert ev.services["GET hostdev_list"] == 3


def _event(scenario: str, reads: int, writes: int, min_reads: int, *, cold: int = 0) -> calls.EventCalls:
    ev = calls.EventCalls(scenario, "running", "SUCCEEDED", reads=reads, writes=writes, cold=cold)
    ev.min_reads_detail = {"device": min_reads}
    return ev


def test_summarize_and_the_targets() -> None:
    replay = calls.Scenario("replay", "replay", calls.Driver.replay)
    out = calls.summarize(replay, [_event("replay", 7, 0, 6, cold=6), _event("replay", 7, 0, 6)])
    assert (out["calls"], out["min_calls"], out["ratio"], out["cold"]) == (14, 12, round(14 / 12, 2), 6)
    assert calls.targets({"ratio_target": 1.5, "scenarios": [out]}) == [
        ("calls: replay makes 0 writes (0)", True),
        ("calls: replay succeeded, ≤ 1.5 x minimum (1.17)", True),
    ]
    bad = calls.summarize(replay, [_event("replay", 7, 1, 2)])
    assert [met for _, met in calls.targets({"ratio_target": 1.5, "scenarios": [bad]})] == [False, False]
    failed = _event("stop", 1, 0, 1)
    failed.status = "FAILED"
    out = calls.summarize(calls.Scenario("stop", "stop", calls.Driver.stop), [failed])
    assert (
        out["succeeded"] is False and calls.targets({"ratio_target": 1.5, "scenarios": [out]})[0][1] is False
    )


def test_every_scenario_has_an_action() -> None:
    assert len({sc.key for sc in calls.SCENARIOS}) == len(calls.SCENARIOS)
    assert all(callable(sc.action) and sc.action.__qualname__.startswith("Driver.") for sc in calls.SCENARIOS)


def test_minimum_reads_the_device_of_each_other_instance_holding_a_wanted_address() -> None:
    """An Elastic IP moved to this instance: its holder's observation decides who keeps it."""
    other = "aws:123456789012:us-east-1:i-0fedcba9876543210"
    held = Address(
        "9", 4, "10.0.0.10", "db-1", "0e:00:00:00:00:02", "2", "5", "3", "8", {"ipamsync_owner": other}
    )
    unrelated = Address("11", 4, "10.0.0.99", "x", "", "2", "5", None, None, {"ipamsync_owner": other})
    reads = calls_model.minimum_reads(_message(), _snap(held, unrelated), dns=True)
    assert reads["holder devices"] == 1
    own = _address()  # the instance's own address is no one else's
    assert "holder devices" not in calls_model.minimum_reads(_message(), _snap(own), dns=True)
