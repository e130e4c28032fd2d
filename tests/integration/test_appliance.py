"""The sync on appliances that differ (``docs/solidserver.md``, "Appliances differ"): each item of
the public-evidence review, under each emulator setting it depends on (``/_emulator/profile``).

Every test states what SOLIDserver must hold afterwards; each fails if the sync relied on the
default emulator's behaviour (merged class parameters, tags for every object, stable record ids...).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import requests

from ipamsync.errors import (
    ConfigurationError,
    SolidServerAuthError,
    SolidServerConflict,
    SolidServerRequestError,
    SolidServerTimeout,
    SolidServerUnavailable,
)
from ipamsync.settings import Settings
from ipamsync.solidserver import SolidServerClient
from ipamsync.solidserver import metadata as md
from ipamsync.sync.addresses import distinct_name, sync_addresses
from ipamsync.sync.common import SyncContext, base_metadata
from ipamsync.sync.device import sync_device
from ipamsync.sync.lease import HOLDER, lease_name
from ipamsync.sync.networks import NetworksResult, sync_networks
from tests.helpers import (
    NS,
    OWNER,
    SUBNET_B,
    VPC,
    ZONE,
    eni,
    inv,
    lookup,
    make_config,
    message,
    new_context,
    owner,
    ptr,
    public_networks,
    raw_records,
    run,
    with_public_ip,
)

# --------------------------------------------------------------------------- 1. tag types


@pytest.mark.parametrize("unknown", ["refuse", "ignore"])
def test_without_tag_types_for_addresses_and_records_lookups_use_the_class_parameters(ctx, emu, unknown):
    """``ip.``/``ip6.``/``rr.`` tags do not exist (refused, or silently left out): a secondary address
    the instance lost and the records of its old name are still found — by the class-parameter
    column — and removed; nothing is matched by mistake."""
    emu.admin.change_profile(missing_tag_types=["ip", "ip6", "rr"], unknown_tag_types=unknown)
    iid = "i-0000000000000f001"
    run(message(iid, enis=[eni(0x201, ["10.20.1.201", "10.20.1.202"], ipv6=None)]), ctx)
    assert ctx.ss.tag_supported("ip_address_list", "ip", OWNER, "ip_class_parameters") is False
    assert ctx.ss.tag_supported("dns_rr_list", "rr", OWNER, "rr_class_parameters") is False
    # a neighbour owns its own objects: never touched
    run(message("i-0000000000000f002", name="nb", enis=[eni(0x202, ["10.20.1.203"])]), ctx)
    run(message(iid, name="web-2", enis=[eni(0x201, ["10.20.1.201"])]), ctx)
    i = inv(ctx)
    owned = i.owned_by(message(iid).owner)
    assert [a.address for a in owned["addresses"]] == ["10.20.1.201"]
    assert i.records_of(iid) == {
        (f"web-2.{ZONE}", "A", "10.20.1.201"),
        (ptr("10.20.1.201"), "PTR", f"web-2.{ZONE}"),
    }
    assert "10.20.1.203" in i.address_map() and len(i.records_of("i-0000000000000f002")) == 2
    run(message(iid, "terminated"), ctx)
    owned = inv(ctx).owned_by(message(iid).owner)
    assert owned["addresses"] == owned["records"] == owned["interfaces"] == []


def test_a_tag_type_is_probed_once_per_container(ctx, emu):
    """Undecided while no object carries the key (lookups take the path without the tag), decided
    by the first probe that sees one, then never asked again."""
    assert ctx.ss.tag_supported("ip_address_list", "ip", OWNER, "ip_class_parameters") is None
    run(message("i-0000000000000f003", enis=[eni(0x203, ["10.20.1.204"])]), ctx)
    fresh = new_context(emu, ctx.settings)
    try:
        assert fresh.ss.tag_supported("ip_address_list", "ip", OWNER, "ip_class_parameters") is True
        calls = fresh.ss.client.calls["read"]
        assert fresh.ss.tag_supported("ip_address_list", "ip", OWNER, "ip_class_parameters") is True
        assert fresh.ss.client.calls["read"] == calls
    finally:
        fresh.ss.client.close()


# --------------------------------------------------------------------------- 2. edits


def _add_key(
    ctx: SyncContext, service: str, id_param: str, oid: str, column: str, meta: dict[str, str]
) -> None:
    """A person adds ``site_contact`` to an object (sending its whole set: right either way)."""
    ctx.ss.client.edit(service, {id_param: oid, column: md.encode_set({**meta, "site_contact": "ops"})})


@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_every_edit_keeps_other_keys_and_removes_only_ipamsyncs(ctx, emu, mode):
    """Whether the appliance merges the class parameters of an edit into the object's set or makes
    them the new set, an edited device, interface, address, record and network end with ipamsync's
    keys as desired and a person's key kept."""
    emu.admin.change_profile(class_parameters=mode)
    iid = "i-0000000000000f004"
    vpc = {**VPC, "name": "prod"}
    run(message(iid, enis=[eni(0x204, ["10.20.1.205"])], tags={"env": "a", "team": "x"}, vpcs=[vpc]), ctx)
    i = inv(ctx)
    owner = message(iid).owner
    owned = i.owned_by(owner)
    [dev], [iface], [address] = owned["devices"], owned["interfaces"], owned["addresses"]
    [record] = [r for r in owned["records"] if r.type == "A"]
    [network] = [n for n in i.networks if n.metadata.get("aws_vpc_id") == VPC["id"] and not n.terminal]
    _add_key(ctx, "hostdev_add", "hostdev_id", dev.id, "hostdev_class_parameters", dev.metadata)
    _add_key(ctx, "hostiface_add", "hostiface_id", iface.id, "hostiface_class_parameters", iface.metadata)
    _add_key(ctx, "ip_add", "ip_id", address.id, "ip_class_parameters", address.metadata)
    _add_key(ctx, "dns_rr_add", "rr_id", record.id, "rr_class_parameters", record.metadata)
    _add_key(ctx, "ip_subnet_add", "subnet_id", network.id, "subnet_class_parameters", network.metadata)

    ctx.settings = replace(ctx.settings, ttl=900)  # every record is edited
    changed_eni = eni(0x204, ["10.20.1.205"], mac="0e:00:00:00:aa:bb")  # the interface is edited
    run(message(iid, enis=[changed_eni], tags={"env": "b"}, vpcs=[{**vpc, "name": "production"}]), ctx)
    i = inv(ctx)
    owned = i.owned_by(owner)
    [dev], [iface], [address] = owned["devices"], owned["interfaces"], owned["addresses"]
    [record] = [r for r in owned["records"] if r.type == "A"]
    [network] = [n for n in i.networks if n.metadata.get("aws_vpc_id") == VPC["id"] and not n.terminal]
    for obj in (dev, iface, address, record, network):
        assert obj.metadata["site_contact"] == "ops", obj
    assert dev.metadata["aws_tag_env"] == "b" and "aws_tag_team" not in dev.metadata
    assert dev.metadata["aws_state"] == "running" and dev.metadata["aws_instance_id"] == iid
    assert iface.mac == "0e:00:00:00:aa:bb" and iface.metadata["aws_eni_id"] == changed_eni["id"]
    assert address.metadata["aws_address_kind"] == "primary" and address.mac == "0e:00:00:00:aa:bb"
    assert record.ttl == 900 and record.metadata[OWNER] == owner
    assert network.name.startswith("production") and network.metadata["aws_name"] == "production"


def test_a_lease_given_up_after_a_failure_keeps_its_keys_when_edits_replace(ctx, emu):
    emu.admin.change_profile(class_parameters="replace")
    msg = message("i-0000000000000f005", enis=[eni(0x205, ["10.20.1.206"])])
    emu.admin.set_faults({"rules": {"ip_add": {"error_rates": {"500": 1.0}}}})
    with pytest.raises(SolidServerUnavailable):
        run(msg, ctx, execution="exec-1")
    emu.admin.clear_faults()
    [lease] = [d for d in ctx.ss.find_devices(OWNER, msg.owner) if d.name == lease_name(msg.instance.id)]
    assert lease.metadata[HOLDER] == "exec-1" and lease.metadata[OWNER] == msg.owner  # marked expired only
    out = run(msg, ctx, execution="exec-2")
    assert out["addresses"]["changes"]["created"] == 1


def test_forgetting_anothers_applied_snapshot_deletes_only_its_digest_when_edits_replace(ctx, emu):
    """An address taken over from another managed instance: that instance's device loses its digest
    and nothing else (its lease is not ours: the edit sends no class parameters at all)."""
    emu.admin.change_profile(class_parameters="replace")
    old, new = "i-0000000000000f006", "i-0000000000000f007"
    run(message(old, enis=[eni(0x206, ["10.20.1.207"])]), ctx)
    before = inv(ctx).device_of(old).metadata
    run(message(new, name="web-n", enis=[eni(0x207, ["10.20.1.207"])]), ctx)
    after = inv(ctx).device_of(old).metadata
    assert "ipamsync_digest" in before and "ipamsync_digest" not in after
    assert after == {k: v for k, v in before.items() if k != "ipamsync_digest"}


# --------------------------------------------------------------------------- 3. versions


def test_below_8_0_dns_sync_is_refused_before_any_record_is_written(ctx, emu):
    emu.admin.set_profile("sds7")
    with pytest.raises(ConfigurationError, match="DNS_RECORDS=appliance"):
        run(message("i-0000000000000f008", enis=[eni(0x208, ["10.20.1.208"])]), ctx)
    assert raw_records(ctx) == []


def test_below_8_0_the_appliance_can_make_the_records_itself(ctx, emu):
    emu.admin.set_profile("sds7", ipam_dns_replication=True)
    ctx.settings = replace(ctx.settings, dns_records="appliance")
    iid = "i-0000000000000f009"
    out = run(message(iid, enis=[eni(0x209, ["10.20.1.209"])]), ctx)
    assert out["dns"]["enabled"] is False
    assert inv(ctx).address_map()["10.20.1.209"].name == f"web-1.{ZONE}"
    made = {(r["rr_full_name"], r["rr_type"], r["value1"]) for r in raw_records(ctx)}
    assert made == {(f"web-1.{ZONE}", "A", "10.20.1.209"), (ptr("10.20.1.209"), "PTR", f"web-1.{ZONE}")}


def test_a_user_without_admin_rights_names_the_version(ctx, emu):
    """``member_list`` needs admin rights: its refusal is not fatal; SOLIDSERVER_VERSION says the
    version then (as the Terraform provider's option does), and 7.x still refuses DNS."""
    emu.admin.set_faults({"rules": {"member_list": {"error_rates": {"403": 1.0}}}})
    unknown = new_context(emu, ctx.settings)
    told = new_context(emu, ctx.settings, version="7.3.0")
    try:
        assert unknown.ss.client.probe() == "" and unknown.ss.client.version_number is None
        run(message("i-0000000000000f010", enis=[eni(0x210, ["10.20.1.210"])]), unknown)  # assumed >= 8
        assert told.ss.client.probe() == "7.3.0"
        with pytest.raises(ConfigurationError):
            run(message("i-0000000000000f011", enis=[eni(0x211, ["10.20.1.211"])]), told)
    finally:
        unknown.ss.client.close()
        told.ss.client.close()


# --------------------------------------------------------------------------- 7. errors


def test_the_error_bodies_of_a_live_appliance_keep_their_text(ss, emu):
    emu.admin.change_profile(error_shapes="appliance")
    with pytest.raises(SolidServerRequestError) as exc:
        ss.client.get("ip_address_info", {})
    assert (exc.value.errno, exc.value.errmsg) == ("4", "Missing parameter ip_id")
    assert exc.value.details["parameters"] == "ip_id"
    ss.create_space("AWS", {})
    with pytest.raises(SolidServerConflict) as conflict:
        ss.create_space("AWS", {})
    assert conflict.value.errno == "5061" and conflict.value.details["site_name"] == "AWS"
    assert conflict.value.details["service_name"] == "ip_site_add"


def test_the_space_ipamsync_creates_at_the_same_time_as_another_execution_is_used(ctx, emu):
    emu.admin.change_profile(error_shapes="appliance", case_insensitive_names=True)
    ctx.ss.create_space("aws", {})  # another execution (or a person) was first, spelled otherwise
    space = ctx.space_id("AWS", create=True)
    assert space == ctx.ss.find_space("aws").id


class _Scripted:
    """A session whose first answers are the given statuses, then the real ones."""

    def __init__(self, session: Any, statuses: list[int]) -> None:
        self.session = session
        self.statuses = statuses
        self.sent = 0

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        self.sent += 1
        if self.statuses:
            fake = requests.Response()
            fake.status_code = self.statuses.pop(0)
            fake._content = b'{"errno": "0", "errmsg": "scripted"}'
            return fake
        return self.session.request(method, url, **kw)

    def close(self) -> None:
        self.session.close()


def test_408_and_a_401_after_success_are_retried_a_bounded_number_of_times(emu):
    slept: list[float] = []
    client = SolidServerClient(make_config(emu.url), sleep=slept.append)
    try:
        client.get("ip_site_list")  # authenticated
        script = _Scripted(client._session, [408, 401])
        client._session = script  # type: ignore[assignment]
        assert client.get("ip_site_list") == [] and script.sent == 3 and slept == [0.5, 1.0]
        script.statuses = [401, 401, 401]
        with pytest.raises(SolidServerAuthError):
            client.get("ip_site_list")
        script.statuses = [408, 408, 408]
        with pytest.raises(SolidServerTimeout):
            client.get("ip_site_list")
    finally:
        client.close()
    first = SolidServerClient(make_config(emu.url), sleep=slept.append)
    first._session = _Scripted(first._session, [401])  # type: ignore[assignment]
    with pytest.raises(SolidServerAuthError):  # never authenticated: a 401 is a 401
        first.get("ip_site_list")
    first.close()


def test_injected_408_faults_end_as_a_transient_timeout(ss, emu):
    ss.client.get("ip_site_list")
    emu.admin.set_faults({"rules": {"ip_site_list": {"error_rates": {"408": 1.0}}}})
    with pytest.raises(SolidServerTimeout) as exc:
        ss.client.get("ip_site_list")
    assert exc.value.retryable
    assert emu.admin.stats()["services"]["ip_site_list"]["statuses"]["408"] == 3  # bounded


# --------------------------------------------------------------------------- 8. free rows


def test_free_ranges_in_address_lists_are_never_taken_for_addresses(ctx, emu):
    emu.admin.change_profile(free_rows=True)
    iid = "i-0000000000000f019"
    run(message(iid, enis=[eni(0x219, ["10.20.1.219"])]), ctx)
    space = ctx.ss.find_space("AWS")
    assert space is not None
    # 10.20.1.220 starts a free range: the lookup at it finds no address
    assert ctx.ss.find_addresses(4, owner_key=OWNER, owner="x", at={space.id: ["10.20.1.220"]}) == []
    run(message(iid, enis=[eni(0x219, ["10.20.1.219", "10.20.1.220", "10.20.1.222"])]), ctx)
    assert {a.address for a in inv(ctx).owned_by(message(iid).owner)["addresses"]} == {
        "10.20.1.219",
        "10.20.1.220",
        "10.20.1.222",
    }
    run(message(iid, "terminated"), ctx)
    assert inv(ctx).owned_by(message(iid).owner)["addresses"] == []


# --------------------------------------------------------------------------- 9. letter case


def test_names_compare_without_letter_case_where_solidserver_does(ctx, emu):
    emu.admin.change_profile(case_insensitive_names=True)
    aws = ctx.ss.create_space("aws", {})  # the space exists, spelled in lower case
    iid = "i-0000000000000f020"
    enis = [eni(0x220, ["10.20.1.224"])]
    run(message(iid, enis=enis), ctx)
    i = inv(ctx)
    assert [s.name for s in i.spaces] == ["aws"] and i.address_map()["10.20.1.224"].space_id == aws
    owned = i.owned_by(message(iid).owner)
    [dev], [address] = owned["devices"], owned["addresses"]
    ctx.ss.client.edit(
        "hostdev_add", {"hostdev_id": dev.id, "hostdev_name": dev.name.upper(), "keep_class_parameters": 1}
    )
    ctx.ss.client.edit(
        "ip_add", {"ip_id": address.id, "name": address.name.upper(), "keep_class_parameters": 1}
    )
    run(message(iid, enis=enis, tags={"env": "x"}), ctx)  # applied in full: nothing renamed back
    i = inv(ctx)
    assert (
        i.device_of(iid).name == dev.name.upper()
        and i.address_map()["10.20.1.224"].name == address.name.upper()
    )
    assert Settings.from_env({"DNS_SERVER_NAME": "NS.Test."}).dns_server == NS


# --------------------------------------------------------------------------- 10. unique names


def test_distinct_address_names_when_the_appliance_keeps_names_unique(ctx, emu):
    emu.admin.change_profile(unique_address_names=True)
    iid = "i-0000000000000f021"
    enis = [
        eni(100, ["10.20.1.230", "10.20.1.231"], public={"10.20.1.230": ("54.210.40.23", True)}),
        eni(101, ["10.20.2.230"], subnet=SUBNET_B),
    ]
    msg = message(iid, enis=enis)
    run(msg, ctx)
    names = {a.address: a.name for a in inv(ctx).owned_by(msg.owner)["addresses"]}
    fqdn = f"web-1.{ZONE}"
    assert names == {
        "10.20.1.230": fqdn,  # the principal address keeps the instance's name
        "10.20.1.231": distinct_name(fqdn, "10.20.1.231"),
        "54.210.40.23": distinct_name(fqdn, "54.210.40.23"),
        "10.20.2.230": distinct_name(fqdn, "10.20.2.230"),
    }
    assert names["10.20.1.231"] == f"web-1-10-20-1-231.{ZONE}"
    assert (fqdn, "A", "10.20.1.230") in inv(ctx).records_of(iid)
    # another container (nothing learnt) takes these names as right: nothing to rename
    fresh = new_context(emu, ctx.settings)
    try:
        dev = sync_device(msg, fresh, holder="exec-x", started=fresh.now())
        assert sync_addresses(msg, fresh, device=dev, networks=None).changes.writes == 0
    finally:
        fresh.ss.client.close()
    # another instance with the same name: its principal address cannot have it either
    other = "i-0000000000000f022"
    run(message(other, enis=[eni(0x222, ["10.20.1.232"])]), ctx)
    assert inv(ctx).address_map()["10.20.1.232"].name == distinct_name(fqdn, "10.20.1.232")


def test_distinct_names_fit_a_dns_label():
    long_host = "h" * 63
    name = distinct_name(f"{long_host}.{ZONE}", "2600:1f18:4a3:6901::1234")
    label = name.split(".")[0]
    assert len(label) <= 63 and label.endswith("-2600-1f18-4a3-6901--1234") and name.endswith(f".{ZONE}")
    assert distinct_name("i-0abc", "10.0.0.1") == "i-0abc-10-0-0-1"


# --------------------------------------------------------------------------- orphans


def test_an_orphan_address_ipamsync_owns_is_created_again_inside_its_subnet(ctx, emu):
    emu.admin.change_profile(attach_orphans=False)
    space = ctx.space_id("AWS", create=True)
    iid = "i-0000000000000f023"
    msg = message(iid, enis=[eni(0x223, ["10.20.1.233"])])
    meta = {**base_metadata(msg), "aws_address_kind": "primary"}
    ctx.ss.create_address(
        4, space, "10.20.1.233", name="x", mac="", device_id=None, iface_id=None, metadata=meta
    )
    assert inv(ctx).address_map()["10.20.1.233"].subnet_id is None  # an orphan (no subnet yet)
    run(msg, ctx)
    address = inv(ctx).address_map()["10.20.1.233"]
    assert address.subnet_id is not None and address.metadata[OWNER] == msg.owner


def test_the_networks_steps_result_is_trusted_only_when_it_ran(ctx):
    """Without the networks step's spaces, a terminal network is checked for before an address is
    created; with them, not (they were just made)."""
    iid = "i-0000000000000f024"
    msg = message(iid, enis=[eni(0x224, ["10.20.1.234"])])
    nets = sync_networks(msg, ctx)
    dev = sync_device(msg, ctx, holder="exec-y", started=ctx.now())
    reads = ctx.ss.client.calls["GET ip_block_subnet_list"]
    sync_addresses(msg, ctx, device=dev, networks=NetworksResult(space_id=nets.space_id))
    assert ctx.ss.client.calls["GET ip_block_subnet_list"] == reads


# --------------------------------------------------------------------------- changes on running instances
# The calls the running-changes work added (lookups by attachment/association, public networks
# deleted once empty) under the appliance settings they depend on.


@pytest.mark.parametrize("profile", ["default", "strict"])
def test_lookups_by_attachment_association_and_public_ip_without_tag_types(ctx, emu, profile):
    """Under ``strict`` the ``ip.`` tag type is missing: the lookup goes by the class-parameter
    column, and the decoded metadata decides (a value under another key is no match)."""
    from ipamsync.sync.refresh import lookup_holders

    emu.admin.set_profile(profile)
    a, b, c, d = (f"i-0000000000000f0{n}" for n in (31, 32, 33, 34))
    attach, assoc = "eni-attach-0000000000000f31", "eipassoc-00000000000000f32"
    run(message(a, name="a", enis=[eni(0x231, ["10.20.1.131"], attachment=attach)]), ctx)
    eip = "3.213.41.32"
    b_eni = eni(
        0x232, ["10.20.1.132"], public={"10.20.1.132": (eip, True)}, associations={"10.20.1.132": assoc}
    )
    run(message(b, name="b", enis=[b_eni]), ctx)
    run(
        with_public_ip(c, "c", 0x233, "10.20.1.133", "54.210.51.9"),
        ctx,
    )
    # another instance's address whose metadata names the attachment under another key
    space = ctx.space_id("AWS", create=False)
    decoy = {OWNER: owner(d), "ipamsync_note": attach}
    ctx.ss.create_address(
        4, space, "10.20.1.134", name="d", mac="", device_id=None, iface_id=None, metadata=decoy
    )
    assert ctx.ss.tag_supported("ip_address_list", "ip", "aws_attachment_id", "ip_class_parameters") is (
        profile == "default"
    )
    assert lookup_holders(lookup(attachment_ids=(attach,)), ctx).holders == [owner(a)]
    assert lookup_holders(lookup(association_ids=(assoc,)), ctx).holders == [owner(b)]
    assert lookup_holders(lookup(public_ips=("54.210.51.9",)), ctx).holders == [owner(c)]
    both = lookup(attachment_ids=(attach,), association_ids=(assoc,))
    assert lookup_holders(both, ctx).holders == sorted([owner(a), owner(b)])
    assert lookup_holders(lookup(attachment_ids=("eni-attach-00000000000000ff",)), ctx).holders == []


@pytest.mark.parametrize("profile", ["default", "strict"])
def test_public_networks_go_once_empty_whatever_free_ranges_the_lists_answer(ctx, emu, profile):
    """Under ``strict`` an address list answers a free-range row for every free range: an empty /24
    is still empty, a /24 with one address in the middle is not."""
    emu.admin.set_profile(profile)
    a, b = "i-0000000000000f041", "i-0000000000000f042"
    run(
        with_public_ip(a, "a", 0x241, "10.20.1.141", "54.213.7.10"),
        ctx,
    )
    run(
        with_public_ip(b, "b", 0x242, "10.20.1.142", "54.213.7.200"),
        ctx,
    )
    assert public_networks(ctx) == {"54.213.0.0/16", "54.213.7.0/24"}
    run(message(a, "stopped", name="a", enis=[eni(0x241, ["10.20.1.141"])]), ctx)
    assert public_networks(ctx) == {"54.213.0.0/16", "54.213.7.0/24"}  # b's address is still in it
    run(message(b, "stopped", name="b", enis=[eni(0x242, ["10.20.1.142"])]), ctx)
    assert public_networks(ctx) == set()
    addresses = inv(ctx).address_map()
    assert set(addresses) == {"10.20.1.141", "10.20.1.142"}
    assert all(x.subnet_id is not None for x in addresses.values())


@pytest.mark.parametrize("attach", [True, False])
def test_a_public_address_whose_network_vanished_is_never_left_an_orphan(ctx, emu, attach):
    """An appliance accepts an address no terminal network holds: when another instance's step
    deleted the /24 between this execution's networks and addresses steps, the /24 is made again
    and the address ends inside it, whether the appliance takes the orphan in (``attach_orphans``)
    or not (then it is created again)."""
    emu.admin.change_profile(attach_orphans=attach)
    a, b = "i-0000000000000f051", "i-0000000000000f052"
    run(
        with_public_ip(a, "a", 0x251, "10.20.1.151", "54.214.3.10"),
        ctx,
    )
    msg = with_public_ip(b, "b", 0x252, "10.20.1.152", "54.214.3.11")
    dev = sync_device(msg, ctx, holder="b-exec", started=ctx.now())
    nets = sync_networks(msg, ctx)  # finds a's /24
    run(message(a, "stopped", name="a", enis=[eni(0x251, ["10.20.1.151"])]), ctx)  # empties and deletes it
    assert "54.214.3.0/24" not in public_networks(ctx)
    result = sync_addresses(msg, ctx, device=dev, networks=nets)
    assert {x["address"] for x in result.addresses} == {"10.20.1.152", "54.214.3.11"}
    assert {"54.214.0.0/16", "54.214.3.0/24"} <= public_networks(ctx)
    public = inv(ctx).address_map()["54.214.3.11"]
    assert public.subnet_id is not None and public.metadata[OWNER] == msg.owner
    assert result.changes.counts["deleted:address"] == (0 if attach else 1)
    assert {x["id"] for x in result.addresses if x["address"] == "54.214.3.11"} == {public.id}
