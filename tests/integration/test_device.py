"""The device step (``sync/device.py``): devices, interfaces, the freshness guard, tombstones, metadata limits.

Each test runs the steps against the emulator over HTTP and asserts SOLIDserver's contents
afterwards (read back through the inventory reader) and, where it matters, the writes the emulator counted.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ipamsync.errors import SolidServerUnavailable
from ipamsync.sync.device import collect_tombstones
from ipamsync.sync.lease import lease_name
from tests.helpers import eni, inv, message, owner, run, tick, writes


def test_terminated_policy_retain_keeps_the_device(ctx):
    ctx.settings = replace(ctx.settings, terminated_policy="retain")
    iid = "i-0000000000000ccc3"
    run(message(iid, enis=[eni(8, ["10.20.1.43"])]), ctx)
    run(message(iid, "terminated"), ctx)
    i = inv(ctx)
    dev = i.device_of(iid)
    assert dev.metadata["aws_state"] == "terminated" and "ipamsync_tombstone" not in dev.metadata
    assert dev.metadata["aws_instance_type"] == "t4g.medium"
    assert "aws_private_ip" not in dev.metadata  # described by the termination snapshot
    assert [x for x in i.interfaces if x.device_id == dev.id] == []  # the ENIs are gone
    assert "10.20.1.43" not in i.address_map() and i.records_of(iid) == set()


def test_older_observation_is_stale_and_changes_nothing(ctx, emu):
    iid = "i-0000000000000aab1"
    older, newer = tick(), tick()
    run(message(iid, "stopped", enis=[eni(0x40, ["10.20.1.90"])], observed_at=newer), ctx)
    w = writes(emu)
    out = run(message(iid, "running", enis=[eni(0x40, ["10.20.1.90"])], observed_at=older), ctx)
    assert out["device"]["stale"] and writes(emu) == w
    assert inv(ctx).device_of(iid).metadata["aws_state"] == "stopped"


def test_terminated_instance_is_never_resurrected(ctx, emu):
    iid = "i-0000000000000aab2"
    t1, t2, t3 = tick(), tick(), tick()
    run(message(iid, enis=[eni(0x41, ["10.20.1.91"])], observed_at=t1), ctx)
    run(message(iid, "terminated", observed_at=t2), ctx)
    w = writes(emu)
    assert run(message(iid, enis=[eni(0x41, ["10.20.1.91"])], observed_at=t1), ctx)["device"]["stale"]
    # even a (bogus) newer "running" observation of a terminated instance is refused
    assert run(message(iid, enis=[eni(0x41, ["10.20.1.91"])], observed_at=t3), ctx)["device"]["stale"]
    assert writes(emu) == w and "10.20.1.91" not in inv(ctx).address_map()


def test_termination_of_an_instance_never_seen_leaves_a_tombstone(ctx):
    iid = "i-0000000000000aab3"
    t1, t2 = tick(), tick()
    run(message(iid, "terminated", known=False, observed_at=t2), ctx)
    assert run(message(iid, enis=[eni(0x42, ["10.20.1.92"])], observed_at=t1), ctx)["device"]["stale"]
    assert "10.20.1.92" not in inv(ctx).address_map()


def test_tombstones_are_collected_after_retention(ctx):
    from datetime import timedelta

    iid = "i-0000000000000aab4"
    run(message(iid, enis=[eni(0x43, ["10.20.1.93"])]), ctx)
    run(message(iid, "terminated"), ctx)
    assert collect_tombstones(ctx) == {"tombstones_deleted": 0, "leases_deleted": 0}
    real_now = ctx.now
    ctx.now = lambda: real_now() + timedelta(hours=ctx.settings.tombstone_hours + 1)
    assert collect_tombstones(ctx) == {"tombstones_deleted": 1, "leases_deleted": 0}
    assert inv(ctx).device_of(iid) is None


def test_odd_and_huge_tags_are_stored_literally_within_limits(ctx):
    iid = "i-0000000000000abd1"
    tags = {
        "quote": "it's",
        "pct": "100%",
        "bs": "a\\b",
        "sql": "x' or '1'='1",
        "uni": "café ✓",
        **{f"k{i:02d}": "v" * 250 for i in range(40)},
    }
    run(message(iid, enis=[eni(0x59, ["10.20.1.140"])], tags=tags), ctx)
    m = inv(ctx).device_of(iid).metadata
    assert (m["aws_tag_quote"], m["aws_tag_pct"], m["aws_tag_bs"], m["aws_tag_sql"], m["aws_tag_uni"]) == (
        "it's",
        "100%",
        "a\\b",
        "x' or '1'='1",
        "café ✓",
    )
    assert int(m["aws_tags_omitted"]) > 0
    found = ctx.ss.find_devices("aws_tag_sql", "x' or '1'='1")
    assert [d.metadata["aws_instance_id"] for d in found] == [iid]


def test_no_hostname_means_no_dns_and_device_named_after_the_instance(ctx):
    iid = "i-0000000000000abd2"
    run(message(iid, name=None, enis=[eni(0x5A, ["10.20.1.150"])]), ctx)
    i = inv(ctx)
    assert i.device_of(iid).name == iid and i.records_of(iid) == set()
    assert i.address_map()["10.20.1.150"].name == iid


def test_collecting_an_old_mark_of_an_unfinished_execution_keeps_its_snapshot_unapplied(ctx, emu):
    """An execution that failed leaves its lease as the mark of a snapshot not applied in full; when
    the collection removes that lease (expired longer than tombstones are kept), the device's digest
    goes with it: the same snapshot, delivered again, is still applied in full."""
    from datetime import timedelta

    iid = "i-0000000000000aab5"
    msg = message(iid, enis=[eni(0x44, ["10.20.1.94"])])
    emu.admin.set_faults({"rules": {"ip_add": {"error_rates": {"500": 1.0}}}})
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx, execution="exec-1")
    emu.admin.clear_faults()
    real_now = ctx.now
    ctx.now = lambda: real_now() + timedelta(hours=ctx.settings.tombstone_hours + 1)
    assert collect_tombstones(ctx)["leases_deleted"] >= 1
    ctx.now = real_now
    assert [d for d in inv(ctx).owned_by(msg.owner)["leases"] if d.name == lease_name(iid)] == []
    out = run(msg, ctx, execution="exec-2")
    assert out["device"]["unchanged"] is False and out["addresses"]["changes"]["created"] == 1


def test_a_change_of_the_device_alone_ends_after_the_device_step(ctx, emu):
    """A state, type or tag change that moves no address (``pending`` → ``running``, a new tag):
    SyncDevice writes the device, gives the lease back and answers ``complete``; the networks,
    addresses and records are left as they are."""
    iid = "i-0000000000000aab6"
    enis = [eni(0x45, ["10.20.1.95"])]
    run(message(iid, "pending", enis=enis, tags={"env": "prod"}), ctx)
    before = inv(ctx)
    w = writes(emu)
    out = run(message(iid, "running", enis=enis, tags={"env": "prod", "team": "payments"}), ctx)
    assert out["device"]["complete"] is True and set(out) == {"device"}
    assert out["device"]["lease_id"] is None  # given back already
    assert writes(emu) - w == 3  # the lease taken, the device, the lease given back
    after = inv(ctx)
    dev = after.device_of(iid)
    assert dev.metadata["aws_state"] == "running" and dev.metadata["aws_tag_team"] == "payments"
    assert after.address_map()["10.20.1.95"] == before.address_map()["10.20.1.95"]
    assert after.records_of(iid) == before.records_of(iid) != set()
    assert [d for d in after.owned_by(owner(iid))["leases"]] == []
    # and a newer observation of the same is unchanged
    again = run(message(iid, "running", enis=enis, tags={"env": "prod", "team": "payments"}), ctx)
    assert again["device"]["unchanged"] is True and again["device"]["complete"] is False


def test_after_an_unfinished_execution_a_change_of_the_device_alone_is_applied_in_full(ctx, emu):
    iid = "i-0000000000000aab7"
    enis = [eni(0x46, ["10.20.1.96"])]
    emu.admin.set_faults({"rules": {"ip_add": {"error_rates": {"500": 1.0}}}})
    with pytest.raises(SolidServerUnavailable):
        run(message(iid, "pending", enis=enis), ctx, execution="exec-1")
    emu.admin.clear_faults()
    out = run(message(iid, "running", enis=enis), ctx, execution="exec-2")
    assert out["device"]["complete"] is False and out["addresses"]["changes"]["created"] == 1
    assert "10.20.1.96" in inv(ctx).address_map()


def test_a_retried_last_step_whose_lease_was_given_back_writes_nothing(ctx, emu):
    """The last step gave the lease back and its answer was lost; its retry finds the lease gone
    and writes nothing again (a newer execution may own the instance by then)."""
    from ipamsync.sync.addresses import sync_addresses
    from ipamsync.sync.device import sync_device
    from ipamsync.sync.dns import sync_dns_and_finish
    from ipamsync.sync.networks import sync_networks

    iid = "i-0000000000000aab8"
    msg = message(iid, enis=[eni(0x47, ["10.20.1.97"])])
    dev = sync_device(msg, ctx, holder="exec-1", started=ctx.now())
    sync_addresses(msg, ctx, device=dev, networks=sync_networks(msg, ctx))
    first = sync_dns_and_finish(
        msg, ctx, device=dev, taken=["aws:123456789012:us-east-1:i-0fedcba9876543210"]
    )
    assert first.finished is not None and first.finished.released == 1 and first.records
    renamed = message(iid, name="web-renamed", enis=[eni(0x47, ["10.20.1.97"])])
    w = writes(emu)
    again = sync_dns_and_finish(
        renamed, ctx, device=dev, taken=["aws:123456789012:us-east-1:i-0fedcba9876543210"], retried=True
    )
    assert writes(emu) == w and again.records == [] and again.skipped
    # the refresh requests are named again (the first answer, which named them, was lost)
    assert [e["Detail"]["instance-id"] for e in again.to_dict()["refresh"]["entries"]] == [
        "i-0fedcba9876543210"
    ]
    assert again.to_dict()["released"] == 0
