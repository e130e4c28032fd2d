"""Whole executions (the four steps in the state machine's order): launch, replay, rename, terminate, lost answers.

Each test runs the steps against the emulator over HTTP and asserts SOLIDserver's contents
afterwards (read back through the inventory reader) and, where it matters, the writes the emulator counted.
"""

from __future__ import annotations

import pytest

from tests.helpers import SUBNET_A, VPC, ZONE, eni, inv, message, run, writes


def test_launch_creates_networks_device_addresses_and_dns(ctx, emu):
    msg = message(enis=[eni(0, ["10.20.1.15"], public={"10.20.1.15": ("54.210.33.12", False)})])
    out = run(msg, ctx)
    i = inv(ctx)
    nets = {n.cidr: n for n in i.networks}
    assert not nets["10.20.0.0/16"].terminal and nets["10.20.1.0/24"].terminal
    assert nets["10.20.1.0/24"].parent_id == nets["10.20.0.0/16"].id
    assert (
        nets["10.20.0.0/16"].metadata["aws_vpc_id"] == VPC["id"]
        and nets["10.20.0.0/16"].name == f"prod ({VPC['id']})"
    )
    assert nets["10.20.1.0/24"].metadata["aws_subnet_id"] == SUBNET_A["id"]
    assert (
        nets["54.210.33.0/24"].terminal and nets["54.210.0.0/16"].metadata["ipamsync_owner"] == "aws-public"
    )

    dev = i.device_of(msg.instance.id)
    assert dev.name == f"web-1-{msg.instance.id}"
    m = dev.metadata
    assert (m["aws_state"], m["aws_instance_type"], m["aws_architecture"], m["aws_cpu_cores"]) == (
        "running",
        "t4g.medium",
        "arm64",
        "2",
    )
    assert m["aws_availability_zone"] == "us-east-1a" and m["aws_launch_time"] and m["aws_account_id"]
    assert m["ipamsync_owner"] == msg.owner and m["ipamsync_observed_at"] == msg.observed_at
    (iface,) = [x for x in i.interfaces if x.device_id == dev.id]
    assert iface.name == "eth0" and iface.mac == "0e:00:00:00:00:00"
    assert iface.metadata["aws_eni_id"] == msg.instance.network_interfaces[0].id

    addrs = i.address_map()
    priv, pub = addrs["10.20.1.15"], addrs["54.210.33.12"]
    assert priv.name == f"web-1.{ZONE}" and priv.mac == "0e:00:00:00:00:00"
    assert (priv.device_id, priv.iface_id) == (dev.id, iface.id)
    assert priv.subnet_id == nets["10.20.1.0/24"].id
    assert priv.metadata["aws_address_kind"] == "primary" and priv.metadata["ipamsync_owner"] == msg.owner
    assert pub.metadata["aws_address_kind"] == "public" and pub.metadata["aws_public_ip_kind"] == "ephemeral"
    assert pub.metadata["aws_private_ip"] == "10.20.1.15" and pub.device_id == dev.id

    assert i.records_of(msg.instance.id) == {
        (f"web-1.{ZONE}", "A", "10.20.1.15"),
        ("15.1.20.10.in-addr.arpa", "PTR", f"web-1.{ZONE}"),
    }
    assert out["device"]["changes"]["created"] == 2  # device + interface


def test_replay_makes_zero_writes(ctx, emu):
    msg = message(enis=[eni(0, ["10.20.1.15", "10.20.1.16"], public={"10.20.1.15": ("54.210.33.12", True)})])
    run(msg, ctx)
    before = writes(emu)
    for _ in range(3):
        out = run(msg, ctx)
        assert not out["device"]["stale"]
    assert writes(emu) == before


def test_terminate_removes_exactly_what_the_instance_owned(ctx, emu):
    iid = "i-0000000000000ccc1"
    run(
        message(
            iid, enis=[eni(6, ["10.20.1.40", "10.20.1.41"], public={"10.20.1.40": ("54.210.33.50", False)})]
        ),
        ctx,
    )
    # objects made by a person in the same subnet, and another instance's
    sid = ctx.ss.find_space("AWS").id
    ctx.ss.create_address(
        4, sid, "10.20.1.99", name="printer", mac="", device_id=None, iface_id=None, metadata={}
    )
    ctx.ss.create_device("hand-made", {})
    run(message("i-0000000000000ccc2", name="other", enis=[eni(7, ["10.20.1.42"])]), ctx)
    before = inv(ctx)
    termination = message(iid, "terminated")
    run(termination, ctx)
    after = inv(ctx)
    assert after.owned_by(message(iid).owner)["addresses"] == []
    assert after.owned_by(message(iid).owner)["interfaces"] == []
    assert after.records_of(iid) == set()
    gone = {a.address for a in before.addresses} - {a.address for a in after.addresses}
    assert gone == {"10.20.1.40", "10.20.1.41", "54.210.33.50"}
    # VPC and subnet networks are never deleted; the public /24 and /16 it emptied go
    assert {n.cidr for n in before.networks} - {n.cidr for n in after.networks} == {
        "54.210.33.0/24",
        "54.210.0.0/16",
    }
    assert {"hand-made", "other-i-0000000000000ccc2"} <= {d.name for d in after.devices}
    assert after.records_of("i-0000000000000ccc2")
    tomb = after.device_of(iid)
    assert tomb.metadata["aws_state"] == "terminated" and "ipamsync_tombstone" in tomb.metadata
    w = writes(emu)
    run(termination, ctx)
    assert writes(emu) == w  # replayed termination: nothing to do


def test_rename_moves_device_addresses_and_dns(ctx):
    iid = "i-0000000000000ddd1"
    run(message(iid, name="web-1", enis=[eni(9, ["10.20.1.50"])]), ctx)
    run(message(iid, name="api-1", enis=[eni(9, ["10.20.1.50"])]), ctx)
    i = inv(ctx)
    assert i.device_of(iid).name == f"api-1-{iid}"
    assert i.address_map()["10.20.1.50"].name == f"api-1.{ZONE}"
    assert i.records_of(iid) == {
        (f"api-1.{ZONE}", "A", "10.20.1.50"),
        ("50.1.20.10.in-addr.arpa", "PTR", f"api-1.{ZONE}"),
    }


@pytest.mark.parametrize("service", ["hostdev_add", "hostiface_add", "ip_subnet_add", "ip_add", "dns_rr_add"])
def test_lost_response_then_retry_converges_without_duplicates(ctx, emu, service):
    from ipamsync.errors import SolidServerUnavailable

    msg = message(
        "i-0000000000000abd5", enis=[eni(0x5D, ["10.20.1.180"], public={"10.20.1.180": ("54.1.2.3", False)})]
    )
    emu.admin.set_faults({"rules": {service: {"drop_after_commit_rate": 1.0}}})
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx)
    emu.admin.clear_faults()
    run(msg, ctx)  # what the state machine's retry does
    i = inv(ctx)
    assert i.duplicates() == {}
    assert len(i.owned_by(msg.owner)["addresses"]) == 2 and i.device_of(msg.instance.id) is not None
    w = writes(emu)
    run(msg, ctx)
    assert writes(emu) == w
