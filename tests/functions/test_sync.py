"""The four sync steps, run in the state machine's order, against the emulator over HTTP.

Each test asserts SOLIDserver's contents afterwards (read back through the inventory reader) and,
where it matters, the number of writes the emulator counted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest

from ipamsync.errors import ConfigurationError, HeldByAnotherInstance, InvalidMessage, OwnershipConflict
from ipamsync.settings import Settings
from ipamsync.solidserver import SolidServer, SolidServerClient
from ipamsync.sync.addresses import sync_addresses
from ipamsync.sync.common import SyncContext
from ipamsync.sync.device import collect_tombstones, sync_device
from ipamsync.sync.dns import sync_dns
from ipamsync.sync.networks import sync_networks
from ipamsync_local.inventory import read_inventory
from tests.client.conftest import make_config
from tests.factories import SUBNET6, SUBNET_A, SUBNET_B, VPC, eni, message, tick

ZONE = "ec2.example.internal"
NS = "ns.test"
V6_REVERSE = ipaddress.ip_network("2600:1f18:4a3:6900::/56").network_address.reverse_pointer.split(".", 18)[
    -1
]


@pytest.fixture
def ctx(emu):
    emu.admin.add_dns_server(NS)
    emu.admin.add_dns_zone(NS, ZONE)
    emu.admin.add_dns_zone(NS, "other.example.internal")
    emu.admin.add_dns_zone(NS, "10.in-addr.arpa", reverse=True)
    emu.admin.add_dns_zone(NS, V6_REVERSE, reverse=True)
    client = SolidServerClient(make_config(emu.url))
    settings = Settings(dns_server=NS, forward_zone=ZONE, ttl=300)
    yield SyncContext(settings=settings, ss=SolidServer(client))
    client.close()


def run(msg, ctx) -> dict:
    """The state machine's path: device → (stale? stop) → subnets (unless gone) → addresses ∥ DNS."""
    dev = sync_device(msg, ctx).to_dict()
    if dev["stale"]:
        return {"device": dev}
    nets = {"skipped": True} if dev["lifecycle"] == "gone" else sync_networks(msg, ctx).to_dict()
    ips = sync_addresses(msg, ctx, device=dev, networks=nets).to_dict()
    dns = sync_dns(msg, ctx, device=dev).to_dict()
    return {"device": dev, "subnets": nets, "addresses": ips, "dns": dns}


def writes(emu) -> int:
    return emu.admin.stats()["totals"]["writes"]


def inv(ctx):
    return read_inventory(ctx.ss, NS)


# --------------------------------------------------------------------------- launch


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


def test_known_subnets_reuse_networks(ctx, emu):
    run(message("i-0000000000000aaa1", enis=[eni(1, ["10.20.1.20"])]), ctx)
    before = len(inv(ctx).networks)
    run(message("i-0000000000000aaa2", name="web-2", enis=[eni(2, ["10.20.1.21"])]), ctx)
    assert len(inv(ctx).networks) == before


# --------------------------------------------------------------------------- lifecycle


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


def test_stopped_policy_remove_dns(ctx):
    ctx.settings = replace(ctx.settings, stopped_policy="remove-dns")
    iid = "i-0000000000000bbb3"
    run(message(iid, enis=[eni(5, ["10.20.1.32"])]), ctx)
    run(message(iid, "stopped", enis=[eni(5, ["10.20.1.32"])]), ctx)
    i = inv(ctx)
    assert i.records_of(iid) == set() and "10.20.1.32" in i.address_map()
    run(message(iid, "running", enis=[eni(5, ["10.20.1.32"])]), ctx)
    assert len(inv(ctx).records_of(iid)) == 2


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
    assert {n.cidr for n in after.networks} == {n.cidr for n in before.networks}  # networks never deleted
    assert {"hand-made", "other-i-0000000000000ccc2"} <= {d.name for d in after.devices}
    assert after.records_of("i-0000000000000ccc2")
    tomb = after.device_of(iid)
    assert tomb.metadata["aws_state"] == "terminated" and "ipamsync_tombstone" in tomb.metadata
    w = writes(emu)
    run(termination, ctx)
    assert writes(emu) == w  # replayed termination: nothing to do


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


# --------------------------------------------------------------------------- order and staleness


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
    assert collect_tombstones(ctx) == 0
    real_now = ctx.now
    ctx.now = lambda: real_now() + timedelta(hours=ctx.settings.tombstone_hours + 1)
    assert collect_tombstones(ctx) == 1
    assert inv(ctx).device_of(iid) is None


# --------------------------------------------------------------------------- ownership and conflicts


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


def test_address_still_held_by_another_instance_is_retried(ctx):
    run(message("i-0000000000000abc3", enis=[eni(0x52, ["10.20.1.102"])]), ctx)
    with pytest.raises(HeldByAnotherInstance):
        run(message("i-0000000000000abc4", name="web-10", enis=[eni(0x53, ["10.20.1.102"])]), ctx)
    # once the first instance's termination is applied, the new owner gets it
    run(message("i-0000000000000abc3", "terminated"), ctx)
    run(message("i-0000000000000abc4", name="web-10", enis=[eni(0x53, ["10.20.1.102"])]), ctx)
    assert inv(ctx).address_map()["10.20.1.102"].metadata["aws_instance_id"] == "i-0000000000000abc4"


def test_dns_name_held_by_a_manual_record_is_a_conflict(ctx, emu):
    zone = next(z for z in ctx.ss.list_zones(NS) if z.name == ZONE)
    ctx.ss.create_record(NS, zone, f"mail.{ZONE}", "A", "192.0.2.10", ttl=3600, metadata={})
    with pytest.raises(OwnershipConflict):
        run(message("i-0000000000000abc5", name="mail", enis=[eni(0x54, ["10.20.1.103"])]), ctx)
    assert {(r.fqdn, r.value) for r in inv(ctx).records if r.fqdn == f"mail.{ZONE}"} == {
        (f"mail.{ZONE}", "192.0.2.10")
    }


def test_instances_sharing_a_name_each_own_an_a_record(ctx):
    run(message("i-0000000000000abc6", name="asg", enis=[eni(0x55, ["10.20.1.110"])]), ctx)
    run(message("i-0000000000000abc7", name="asg", enis=[eni(0x56, ["10.20.1.111"])]), ctx)
    values = {r.value for r in inv(ctx).records if r.fqdn == f"asg.{ZONE}" and r.type == "A"}
    assert values == {"10.20.1.110", "10.20.1.111"}


def test_existing_hand_made_networks_are_used_not_modified(ctx):
    sid = ctx.space_id("AWS", create=True)
    corp = ctx.ss.create_network(
        4, sid, "10.0.0.0/8", name="corporate", terminal=False, parent_id=None, metadata={"owner": "netops"}
    )
    run(message("i-0000000000000abc8", enis=[eni(0x57, ["10.20.1.120"])]), ctx)
    nets = {n.cidr: n for n in inv(ctx).networks}
    assert nets["10.0.0.0/8"].name == "corporate" and nets["10.0.0.0/8"].metadata == {"owner": "netops"}
    vpc_net = nets["10.20.0.0/16"]
    assert vpc_net.parent_id == corp and not vpc_net.terminal  # placed inside the corporate block


def test_zone_override_by_tag_and_invalid_zone_tag(ctx):
    iid = "i-0000000000000abc9"
    run(
        message(iid, enis=[eni(0x58, ["10.20.1.130"])], tags={"ipamsync:zone": "other.example.internal"}), ctx
    )
    assert ("web-1.other.example.internal", "A", "10.20.1.130") in inv(ctx).records_of(iid)
    with pytest.raises(InvalidMessage):
        run(message(iid, enis=[eni(0x58, ["10.20.1.130"])], tags={"ipamsync:zone": "not a zone!"}), ctx)
    with pytest.raises(ConfigurationError):
        run(message(iid, enis=[eni(0x58, ["10.20.1.130"])], tags={"ipamsync:zone": "missing.example"}), ctx)


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


def test_per_account_spaces(ctx):
    ctx.settings = replace(ctx.settings, space_strategy="per-account", space_name="AWS")
    run(message("i-0000000000000abd3", enis=[eni(0x5B, ["10.20.1.160"])]), ctx)
    i = inv(ctx)
    assert "AWS-123456789012" in {s.name for s in i.spaces}
    assert i.address_map()["10.20.1.160"].space_id == next(
        s.id for s in i.spaces if s.name == "AWS-123456789012"
    )


def test_address_outside_every_terminal_subnet_keeps_the_appliance_error(ctx):
    from ipamsync.errors import SolidServerRequestError

    ctx.space_id("AWS", create=True)
    msg = message("i-0000000000000abd4", enis=[eni(0x5C, ["10.20.1.170"])])
    dev = sync_device(msg, ctx).to_dict()
    with pytest.raises(SolidServerRequestError) as exc:  # the subnet step did not run
        sync_addresses(msg, ctx, device=dev, networks=None)
    assert not isinstance(exc.value, OwnershipConflict) and "10.20.1.170" in str(exc.value)


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


@pytest.mark.parametrize("public_ip", ["54.210.40.0", "54.210.40.255"])
def test_public_ip_at_either_end_of_its_slash_24(ctx, public_ip):
    iid = "i-0000000000000abd6"
    run(message(iid, enis=[eni(0x5E, ["10.20.1.190"], public={"10.20.1.190": (public_ip, False)})]), ctx)
    a = inv(ctx).address_map()[public_ip]
    assert a.metadata["aws_address_kind"] == "public" and a.metadata["ipamsync_owner"] == message(iid).owner
