"""The addresses step (``sync/addresses.py``): private, secondary, IPv6 and public addresses, ownership.

Each test runs the steps against the emulator over HTTP and asserts SOLIDserver's contents
afterwards (read back through the inventory reader) and, where it matters, the writes the emulator counted.
"""

from __future__ import annotations

import ipaddress

import pytest

from ipamsync.errors import OwnershipConflict
from ipamsync.sync.networks import sync_networks
from tests.helpers import SUBNET6, SUBNET_B, ZONE, eni, inv, message, run


def test_stop_keeps_addresses_and_dns_but_loses_ephemeral_public_ip(ctx):
    iid = "i-0000000000000bbb1"
    run(message(iid, enis=[eni(3, ["10.20.1.30"], public={"10.20.1.30": ("54.210.33.40", False)})]), ctx)
    run(message(iid, "stopped", enis=[eni(3, ["10.20.1.30"])]), ctx)
    i = inv(ctx)
    assert "54.210.33.40" not in i.address_map() and "10.20.1.30" in i.address_map()
    assert i.device_of(iid).metadata["aws_state"] == "stopped"
    assert (f"web-1.{ZONE}", "A", "10.20.1.30") in i.records_of(iid)


def test_elastic_ip_is_kept_on_stop(ctx):
    iid = "i-0000000000000bbb2"
    ip = {"10.20.1.31": ("3.211.10.20", True)}
    run(message(iid, enis=[eni(4, ["10.20.1.31"], public=ip)]), ctx)
    run(message(iid, "stopped", enis=[eni(4, ["10.20.1.31"], public=ip)]), ctx)
    assert inv(ctx).address_map()["3.211.10.20"].metadata["aws_public_ip_kind"] == "elastic"


def test_secondary_ip_added_then_removed(ctx):
    iid = "i-0000000000000ddd2"
    run(message(iid, enis=[eni(10, ["10.20.1.60"])]), ctx)
    run(message(iid, enis=[eni(10, ["10.20.1.60", "10.20.1.61"])]), ctx)
    sec = inv(ctx).address_map()["10.20.1.61"]
    assert sec.metadata["aws_address_kind"] == "secondary" and sec.iface_id
    run(message(iid, enis=[eni(10, ["10.20.1.60"])]), ctx)
    assert "10.20.1.61" not in inv(ctx).address_map()


def test_multi_eni_three_interfaces_six_addresses(ctx):
    iid = "i-0000000000000eee1"
    enis = [
        eni(0x10, ["10.20.1.70", "10.20.1.71"], public={"10.20.1.70": ("3.211.10.21", True)}),
        eni(0x11, ["10.20.2.70", "10.20.2.71"], subnet=SUBNET_B),
        eni(0x12, ["10.20.2.72"], subnet=SUBNET_B),
    ]
    enis[1]["device_index"], enis[2]["device_index"], enis[0]["device_index"] = 1, 2, 0
    run(message(iid, name="db-1", enis=enis), ctx)
    i = inv(ctx)
    dev = i.device_of(iid)
    ifaces = {x.metadata["aws_eni_id"]: x for x in i.interfaces if x.device_id == dev.id}
    assert sorted(x.name for x in ifaces.values()) == ["eth0", "eth1", "eth2"]
    mine = i.owned_by(message(iid).owner)["addresses"]
    assert sorted(a.address for a in mine) == sorted(
        ["10.20.1.70", "10.20.1.71", "10.20.2.70", "10.20.2.71", "10.20.2.72", "3.211.10.21"]
    )
    for a in mine:
        assert a.iface_id == ifaces[a.metadata["aws_eni_id"]].id and a.device_id == dev.id
    # DNS for the primary ENI's primary address only
    assert (f"db-1.{ZONE}", "A", "10.20.1.70") in i.records_of(iid) and len(i.records_of(iid)) == 2


def test_eni_detached_removes_its_interface_and_addresses(ctx):
    iid = "i-0000000000000eee2"
    a, b = eni(0x20, ["10.20.1.80"]), eni(0x21, ["10.20.2.80"], subnet=SUBNET_B)
    a["device_index"], b["device_index"] = 0, 1
    run(message(iid, enis=[a, b]), ctx)
    run(message(iid, enis=[a]), ctx)
    i = inv(ctx)
    dev = i.device_of(iid)
    assert [x.name for x in i.interfaces if x.device_id == dev.id] == ["eth0"]
    assert "10.20.2.80" not in i.address_map()


def test_ipv6_dual_stack(ctx):
    iid = "i-0000000000000fff1"
    v6 = "2600:1f18:4a3:6901:8c3e:1b2a:77d4:a001"
    run(message(iid, name="api-v6", enis=[eni(0x30, ["10.30.1.25"], subnet=SUBNET6, ipv6=[v6])]), ctx)
    i = inv(ctx)
    nets = {n.cidr: n for n in i.networks}
    assert not nets["2600:1f18:4a3:6900::/56"].terminal and nets["2600:1f18:4a3:6901::/64"].terminal
    a6 = i.address_map()[v6]
    assert a6.version == 6 and a6.metadata["aws_address_kind"] == "ipv6" and a6.iface_id
    recs = i.records_of(iid)
    assert (f"api-v6.{ZONE}", "AAAA", v6) in recs
    assert (ipaddress.ip_address(v6).reverse_pointer, "PTR", f"api-v6.{ZONE}") in recs


def test_address_held_by_someone_else_is_a_conflict_and_nothing_is_overwritten(ctx, emu):
    run(message("i-0000000000000abc1", enis=[eni(0x50, ["10.20.1.100"])]), ctx)
    sid = ctx.ss.find_space("AWS").id
    ctx.ss.create_address(
        4,
        sid,
        "10.20.1.101",
        name="manual",
        mac="",
        device_id=None,
        iface_id=None,
        metadata={"note": "do not touch"},
    )
    msg = message("i-0000000000000abc2", name="web-9", enis=[eni(0x51, ["10.20.1.101"])])
    with pytest.raises(OwnershipConflict) as exc:
        run(msg, ctx)
    assert "10.20.1.101" in str(exc.value)
    a = inv(ctx).address_map()["10.20.1.101"]
    assert a.name == "manual" and a.metadata == {"note": "do not touch"}


def test_an_address_reused_by_a_newer_observation_changes_hands_at_once(ctx):
    """EC2 reused 10.20.1.102 before the old holder's termination was applied: the new holder's
    newer observation takes the address and its PTR over; nothing waits for the old holder."""
    old, new = "i-0000000000000abc3", "i-0000000000000abc4"
    run(message(old, enis=[eni(0x52, ["10.20.1.102"])]), ctx)
    out = run(message(new, name="web-10", enis=[eni(0x53, ["10.20.1.102"])]), ctx)
    assert out["addresses"]["yielded"] == [] and out["dns"]["yielded"] == []
    i = inv(ctx)
    assert i.address_map()["10.20.1.102"].metadata["aws_instance_id"] == new
    assert [r.value for r in i.records if r.type == "PTR"] == [f"web-10.{ZONE}"]
    # the old holder's termination, applied later, leaves the new holder's objects alone
    run(message(old, "terminated"), ctx)
    assert inv(ctx).address_map()["10.20.1.102"].metadata["aws_instance_id"] == new


def test_an_older_observation_yields_an_address_a_newer_holder_has(ctx):
    """An Elastic IP moved A -> B: B's (newer) message is applied first, A's older one (still
    showing the address) yields it instead of taking it back."""
    a, b = "i-0000000000000abc5", "i-0000000000000abc6"
    eip = {"10.20.1.105": ("54.210.40.9", True)}
    run(message(a, enis=[eni(0x55, ["10.20.1.105"], public=eip)]), ctx)
    a_old = message(a, enis=[eni(0x55, ["10.20.1.105"], public=eip)])  # observed before the move
    run(
        message(
            b, name="web-b", enis=[eni(0x56, ["10.20.1.106"], public={"10.20.1.106": ("54.210.40.9", True)})]
        ),
        ctx,
    )
    out = run(a_old, ctx)
    assert out["addresses"]["yielded"] == ["54.210.40.9"]
    assert inv(ctx).address_map()["54.210.40.9"].metadata["aws_instance_id"] == b


def test_an_address_is_never_created_outside_a_terminal_network(ctx):
    """An appliance accepts an address outside every terminal subnet (an orphan, ``subnet_id`` 0):
    run on its own, before the networks step, the step refuses to create one."""
    from ipamsync.errors import ConfigurationError
    from ipamsync.sync.addresses import sync_addresses
    from ipamsync.sync.device import sync_device

    ctx.space_id("AWS", create=True)
    msg = message("i-0000000000000abd4", enis=[eni(0x5C, ["10.20.1.170"])])
    dev = sync_device(msg, ctx, holder="exec-1", started=ctx.now())
    with pytest.raises(ConfigurationError) as exc:  # the networks step did not run
        sync_addresses(msg, ctx, device=dev, networks=None)
    assert "10.20.1.170" in str(exc.value) and "orphan" in str(exc.value)
    assert "10.20.1.170" not in inv(ctx).address_map()
    sync_networks(msg, ctx)
    sync_addresses(msg, ctx, device=dev, networks=None)  # on its own again: the network is there now
    assert inv(ctx).address_map()["10.20.1.170"].subnet_id is not None
